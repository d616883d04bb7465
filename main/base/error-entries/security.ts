// Error codes of main/security (envelopes, session and group keys, key store, pins, key messages, safety numbers) and of
// main/store (the SQLite history). Key store problems are profile problems for the CLI (exit 2).
import { group, USER as U } from './define';

export const SECURITY_ERRORS = group('security', {
  CRYPTO_KDF_FAILED: ['The Argon2id key derivation (in its worker thread) failed.', 'Your passphrase could not be processed.'],
  CRYPTO_WORKER_FAILED: ['A crypto worker thread failed or exited while sealing or opening file segments.', U.file],
  CRYPTO_NOT_READY: ['Security code ran before initCrypto() loaded libsodium.', U.internal],

  E2E_BAD_FORMAT: ['An end-to-end envelope, session frame or key field is malformed.', U.protectedUnreadable],
  E2E_BAD_INNER: [
    'The content sealed in an envelope is not CPIM, or its Message-ID or DateTime differs from the envelope header.',
    U.tampered,
  ],
  E2E_NOT_FOR_ME: ['An envelope is not addressed to this account, or was sealed to another identity key of it.', U.protectedUnreadable],
  E2E_NO_IDENTITY: [
    'End-to-end protection was asked for without an identity key.',
    'End-to-end encryption is not set up for this account.',
  ],
  E2E_NO_RECIPIENT_KEY: ['No identity key or pre-shared key is known yet for a recipient.', "The contact's security key is not known yet."],
  E2E_OUT_OF_ORDER: ['A session message skipped ahead of the expected sequence number.', U.tampered],
  E2E_PEER_MISMATCH: ['The address in a=key-mgmt differs from the SIP peer.', U.tampered],
  E2E_PSK_MISMATCH: ["The pre-shared key does not match the sender's.", "Your shared passphrase does not match the contact's."],
  E2E_PSK_REQUIRED: [
    'An envelope needs the pre-shared key of its conversation, which is not set here.',
    'This message needs the shared passphrase.',
  ],
  E2E_RATE_LIMITED: [
    'A sender holds more future-dated protected messages than its replay budget allows; only that sender is refused.',
    'Too many messages with a future date from this contact were refused.',
  ],
  E2E_REPLAY: ['A protected message was received before, or belongs to an older key epoch.', 'A repeated message was ignored.'],
  E2E_REQUIRED: [
    'The policy requires end-to-end protection and the peer or its offer does not provide it.',
    'The contact cannot use end-to-end encryption, which is required.',
  ],
  E2E_SENDER_MISMATCH: ['The sender named inside a protected message differs from the key owner or from who relayed it.', U.tampered],
  E2E_SEQ_EXHAUSTED: [
    'A session cipher used up its sequence numbers; the session must be set up again.',
    'The chat session must be started again.',
  ],
  E2E_SESSION_CLOSED: ['Session keys were used after they were erased.', U.sessionEnded],
  E2E_STALE: [
    'A protected message is dated outside the replay window (too old or too far ahead).',
    'A message with a wrong date was refused.',
  ],
  E2E_STREAM_CLOSED: ['A secretstream was used after it finished.', U.internal],
  E2E_TAMPERED: ['A protected message or file failed authentication (tag, truncation, order).', U.tampered],
  E2E_TOO_LARGE: ['A plaintext exceeds what the envelope or the session cipher seals.', U.tooLarge],
  E2E_UNKNOWN_SENDER_KEY: ['No identity key is pinned for the sender of an envelope.', "The sender's security key is not known yet."],
  E2E_UNSUPPORTED: ['The a=key-mgmt protocol offered is not supported.', "The contact's app uses encryption Parley does not support."],

  GROUP_BAD_FORMAT: ['A group sender-key payload is malformed.', U.protectedUnreadable],
  GROUP_BAD_INPUT: ['Group keys were set up without a valid conference id.', U.internal],
  GROUP_KEY_CONFLICT: ['A different sender key arrived for an epoch already known.', U.tampered],
  GROUP_NO_KEY: ['Group encryption was used before the first epoch key was made.', U.internal],
  GROUP_SENDER_MISMATCH: ['A sender key was distributed by someone other than its owner.', U.tampered],
  GROUP_UNKNOWN_SENDER_KEY: [
    "No sender key is known yet for a room message's sender and epoch (it waits for one).",
    "A room message is waiting for its sender's key.",
  ],
  GROUP_WRONG_CONFERENCE: ['A sender key belongs to another conference.', U.tampered],

  KEYSTORE_BAD_NAME: ['A data key name is not 1-32 lowercase letters, digits or dashes.', U.internal, 'USAGE'],
  KEYSTORE_BAD_PASSPHRASE: ['The key store passphrase is empty or wrong.', 'The passphrase is wrong.', 'USAGE'],
  KEYSTORE_CLOSED: ['The key store was used after it was closed.', U.internal, 'USAGE'],
  KEYSTORE_CORRUPT: ['The key store file or its passphrase blob is malformed.', 'Your key store is damaged.', 'USAGE'],
  KEYSTORE_EXISTS: ['A key store was to be created where one already exists.', 'A key store already exists here.', 'USAGE'],
  KEYSTORE_NOT_FOUND: ['No key store file exists at the path.', 'No key store was found.', 'USAGE'],
  KEYSTORE_NO_PROTECTION: [
    'Neither OS key storage nor a passphrase is available, and the plain key file fallback is not allowed (the desktop app).',
    'Parley cannot protect your keys: no keyring is running and no passphrase was given.',
    'USAGE',
  ],
  KEYSTORE_UNWRAP_FAILED: [
    'The key wrapper (OS key storage, passphrase or key file) could not unwrap the storage key.',
    'Your key store could not be unlocked.',
    'USAGE',
  ],
  KEYSTORE_WRAP_FAILED: ['The OS key storage was given a storage key of the wrong size.', U.internal, 'USAGE'],
  KEYSTORE_WRONG_WRAPPER: [
    'The key store is wrapped by another kind of wrapper than the one offered.',
    'Your key store is locked another way (passphrase or key file).',
    'USAGE',
  ],

  KEY_MAC_MISMATCH: [
    'A key response is not authenticated by the pre-shared key.',
    "The contact's key does not match your shared passphrase.",
  ],
  KEY_MSG_BAD_FORMAT: ['A key request or response is malformed, too large, or of an unknown version.', U.keyMessage],
  KEY_MSG_BAD_SIGNATURE: ['The signature of a key request or response does not verify.', U.keyMessage],
  KEY_MSG_MISMATCH: ['A key message is not from its SIP sender, not for this account, or answers no request of ours.', U.keyMessage],
  KEY_MSG_STALE: ['A key message is dated outside the accepted window.', U.keyMessage],

  PEER_KEY_CHANGED: [
    "A contact's identity key changed; sending is refused until the new key is accepted.",
    "This contact's security key changed: check it and accept it to continue.",
    'MISMATCH',
  ],
  PEER_KEY_MISMATCH: [
    'The key being marked verified is not the key pinned for the contact.',
    "The key you checked is not this contact's current key.",
    'MISMATCH',
  ],
  PEER_NO_CHANGE: ['A key change was to be accepted, but none is pending.', "This contact's key has not changed."],
  PSK_EMPTY: ['The pre-shared passphrase is empty after normalisation.', 'The shared passphrase is empty.'],
  SAFETY_BAD_FORMAT: ['A safety number or its QR payload is malformed.', 'A safety number has 60 digits.'],
  SEC_BAD_AOR: ['A SIP address of record cannot be parsed or normalised.', U.badAddress],
  SEC_BAD_KEY: ['A key has the wrong length or is not a valid X25519/Ed25519 public key.', 'A security key is not valid.'],
  SEC_BAD_UTF8: ['Decoded or decrypted bytes are not valid UTF-8.', U.protectedUnreadable],
  SEC_RANGE: ['A number to be encoded does not fit its field.', U.internal],
});

export const STORE_ERRORS = group('store', {
  STORE_BAD_INPUT: ['A value given to the history store is invalid.', U.internal],
  STORE_BAD_KEY: ['The history data key has the wrong size or does not open this database.', 'Your message history could not be unlocked.'],
  STORE_BAD_MIGRATIONS: ['The schema migrations are not numbered 1..n.', U.internal],
  STORE_BAD_STATE: ['A message that has not failed was to be retried.', 'Only failed messages can be sent again.'],
  STORE_CORRUPT: ['The history database lacks its key check value or uses an unknown at-rest format.', 'Your message history is damaged.'],
  STORE_DUPLICATE_MESSAGE: ['A message with this IMDN Message-ID is already stored.', U.internal],
  STORE_DUPLICATE_TRANSFER: ['A transfer with this id is already stored.', U.internal],
  STORE_INPUT_TOO_LARGE: ['A value given to the history store exceeds its size limit.', 'This is too large to keep in the history.'],
  STORE_MIGRATION_FAILED: ['A schema migration failed and was rolled back.', 'Your message history could not be updated.'],
  STORE_NOT_A_DATABASE: ['The history file is not an SQLite database.', 'Your message history is damaged.'],
  STORE_NOT_FOUND: ['No conversation, message or transfer with this id is stored.', 'It is no longer in your history.'],
  STORE_OPEN_FAILED: ['The history database cannot be opened.', U.history],
  STORE_ROW_TAMPERED: ['A stored row failed authentication at rest.', 'A stored item failed its security check.'],
  STORE_SCHEMA_TOO_NEW: ['The history database was written by a newer Parley.', 'Your message history is from a newer version of Parley.'],
});
