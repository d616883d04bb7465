// Error codes of the forward-secret layer of main/security (prekeys, PQXDH, Double Ratchet, member-signed groups) and of
// the prekey directory on the lab's app server (network/appserver/keys).
import { group, USER as U } from './define';

export const RATCHET_ERRORS = group('security', {
  E2E_NO_PREKEY: [
    'A first message names a prekey this account no longer holds (used, rotated away or lost).',
    'A first message from a contact could not be opened: ask them to send again.',
  ],
  E2E_NO_SESSION: [
    'No ratchet session exists with a recipient, or a message belongs to a session this account does not hold.',
    U.protectedUnreadable,
  ],
  E2E_TOO_MANY_SKIPPED: ['A ratchet message skips further ahead than the bound on stored message keys.', U.protectedUnreadable],
  GROUP_BAD_SIGNATURE: ["A group message or roster change does not carry a valid signature of its member's key.", U.tampered],
  GROUP_NOT_MEMBER: ['A group message comes from someone who is not in the authenticated roster.', U.tampered],
  GROUP_STALE_CHANGE: ['A roster change does not follow the current roster (replay, fork, or a no-op).', U.roster],
  GROUP_UNAUTHORISED: ['A roster change is signed by someone who is not a current member.', U.tampered],
  GROUP_UNSIGNED: ['An unsigned group message arrived where member signatures are required.', U.tampered],
  PREKEY_AOR_MISMATCH: ['A prekey bundle was published for another address than the one asked for.', U.keyMessage],
  PREKEY_BAD_FORMAT: ['Prekey bundle or one-time prekey bytes are malformed.', U.keyMessage],
  PREKEY_BAD_SIGNATURE: ["A prekey bundle or one-time prekey is not signed by the owner's identity key.", U.keyMessage],
  PREKEY_IDENTITY_CHANGED: [
    "A prekey bundle's identity key differs from the pinned key of that contact.",
    "The contact's security key changed.",
  ],
});

export const KEYDIR_ERRORS = group('appserver', {
  KEYDIR_BAD_REQUEST: ['A key directory request body is malformed.', U.keyMessage],
  KEYDIR_CORRUPT: ["The key directory's state file is unreadable or of an unknown version.", U.internal],
  KEYDIR_FORBIDDEN: ['A user tried to publish prekeys for another address.', U.keyMessage],
  KEYDIR_FULL: ['The key directory holds its maximum number of users.', U.keyMessage],
  KEYDIR_NOT_FOUND: ['One-time prekeys were published before a bundle.', U.keyMessage],
  KEYDIR_TOO_LARGE: ['A key directory request body is over the size limit.', U.keyMessage],
  KEYDIR_TOO_MANY: ['A user published more one-time prekeys than the directory keeps.', U.keyMessage],
});
