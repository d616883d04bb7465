// Error codes of the UE facade and the profile (main/ue), the hosts (main/hosts: web host, CLI, lab), the IPC boundary
// (app/ipc) and the lab's application server (network/appserver). Profile problems are configuration errors for the CLI.
import { group, USER as U } from './define';

export const UE_ERRORS = group('ue', {
  ACCOUNT_NOT_CONFIGURED: [
    'No account is configured in the UE, or none is saved in the profile.',
    'No account is set up yet: sign in first.',
  ],
  ACCOUNT_NO_PASSWORD: ['The saved account has no sealed password.', 'No password is saved for this account: sign in again.'],
  CONTACT_BLOCKED: [
    'The contact is blocked, so sending to it or taking files from it is refused.',
    'This contact is blocked: unblock it to send.',
    'SIP_FAILURE',
  ],
  CONVERSATION_NOT_FOUND: ['No conversation with this id exists.', 'That conversation no longer exists.'],
  FEATURE_NOT_READY: ['A feature could not start for the account, or no account is signed in.', 'This is not ready yet: sign in first.'],
  IMDN_NEGATIVE: [
    "The recipient's device reported that a message could not be delivered or shown.",
    'The contact could not receive this message.',
    'SIP_FAILURE',
  ],
  PROFILE_BAD_KEYFILE: ['The profile key file does not hold exactly 32 bytes.', 'The profile key file is damaged.', 'USAGE'],
  PROFILE_CORRUPT: ['account.json is not JSON or lacks a required field.', 'The saved account settings are damaged.', 'USAGE'],
  PROFILE_KEYSTORE_MISMATCH: [
    'The key store in the profile belongs to another account.',
    'The keys in this profile belong to another account.',
    'USAGE',
  ],
  PROFILE_LOCKED: ['The key store is passphrase-protected and no passphrase was given.', 'The key store needs its passphrase.', 'USAGE'],
  PROFILE_NO_ACCOUNT: ['The profile has no account, and none was named.', 'This profile has no account yet: sign in once.', 'USAGE'],
  PROFILE_NO_KEYS: ['The profile has no key store for the account.', 'This profile has no keys for that account.', 'USAGE'],
  PROFILE_SECRETS_CORRUPT: [
    'secrets.bin is malformed or does not authenticate under the key store.',
    'The saved password is damaged: sign in again.',
    'USAGE',
  ],
  PROFILE_UNREADABLE: ['account.json cannot be read.', 'The saved account settings cannot be read.', 'USAGE'],
  SECURITY_PEER_KEY_UNKNOWN: [
    'No identity key is known yet for the contact.',
    "This contact's security key is not known yet: exchange a message first.",
    'UNKNOWN_KEY',
  ],
  SESSION_UNAVAILABLE: [
    'Session mode (MSRP) is not available in this build.',
    'Chat sessions are not available here: send a message instead.',
    'SIP_FAILURE',
  ],
  UE_BAD_CURSOR: ['A messages.page cursor was not one that messages.page returned.', U.internal],
  UE_BAD_PEER: ['The peer given is not a SIP address.', U.badAddress],
  UE_SEND_FAILED: ['Sending a message failed for a reason without a code of its own.', 'The message could not be sent.'],
});

export const HOST_ERRORS = group('hosts', {
  CLI_UNKNOWN_COMMAND: ['A line typed into `parley conf` names an unknown command.', 'Unknown command.'],
  HOST_BAD_TOKEN: ['The web host token is not 16-128 base64url characters.', 'The access token is not valid.'],
  HOST_LISTEN_FAILED: ['The web host server has no TCP address to listen on.', 'Parley could not start its local server.'],
  LAB_NO_ACCOUNT: ['The local lab has no account with this user name.', 'The test network has no such account.'],
  LAB_START_FAILED: ['The local lab (Kamailio and the app server) could not be started.', 'The test network could not be started.'],
  PROFILE_IN_USE: [
    'Another parley process holds the profile lock (cli.lock).',
    'This profile is in use by another Parley process.',
    'USAGE',
  ],
  UPDATE_CHECK_FAILED: [
    'The update feed could not be read (network, HTTP status, malformed channel file).',
    'Could not check for updates.',
  ],
  UPDATE_DOWNLOAD_FAILED: [
    'Downloading the update failed or its SHA-512 did not match the signed channel file.',
    'The update could not be downloaded.',
  ],
  UPDATE_NOT_READY: ['update.install was called with no downloaded, verified update.', 'No update is ready to install.'],
  UPDATE_SIGNATURE_INVALID: [
    "The update channel file's Ed25519 signature is missing or does not verify with the app's update key.",
    'An update was refused: it is not signed by the publisher.',
  ],
  UPDATE_UNSUPPORTED: [
    'This shell does not update itself (the web host: the repository is updated instead).',
    'This version of Parley does not update itself.',
  ],
});

/** app/ipc/contract.ts spells these in IPC_ERROR and FEATURE_UNAVAILABLE (it may not import main/); a test keeps them equal. */
export const IPC_ERRORS = group('ipc', {
  FEATURE_UNAVAILABLE: [
    'The channel or feature is not available in this build or backend.',
    'This is not available in this version of Parley.',
  ],
  IPC_BAD_FRAME: ['A WebSocket frame or a response violates the IPC contract.', U.internal],
  IPC_BAD_PAYLOAD: ['A request does not match its channel schema.', 'Some of the details given are not valid.'],
  IPC_BUSY: ['The web host has too many requests in flight on one connection.', 'Parley is busy: try again.'],
  IPC_CLOSED: ['The connection between the window and Parley closed.', 'The connection to Parley was lost.'],
  IPC_FORBIDDEN: ['A request came from a window the shell does not trust.', 'This window is not allowed to do that.'],
  IPC_INTERNAL: ['An unexpected error, hidden from the renderer (main logs it).', U.internal],
  IPC_SLOW_CONSUMER: ['The web host closed a WebSocket whose client stopped reading its events.', 'The connection to Parley was lost.'],
  IPC_TIMEOUT: ['A request got no response in time.', 'Parley did not answer in time.'],
  IPC_UNKNOWN_CHANNEL: ['A request names a channel that does not exist.', U.internal],
});

export const APPSERVER_ERRORS = group('appserver', {
  AS_BAD_ANSWER: ["An invitee's SDP answer to the focus is unusable.", 'The invited person could not join.'],
  SIP_BAD_DIALOG: ['A dialog-forming request or its 2xx lacks a tag or a Contact.', U.unreadable],
  SIP_BAD_HEADER: ['A SIP header to be written has CR/LF or an invalid name.', U.internal],
  SIP_PARSE_ERROR: ['A SIP message received by the app server is malformed.', U.unreadable],
  SIP_TOO_MANY_HEADERS: ['A SIP message has more headers than the limit.', U.unreadable],
  SIP_TOO_MANY_TRANSACTIONS: ['The app server has too many open SIP transactions.', 'The messaging server is busy.'],
});
