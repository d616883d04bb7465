// Public surface of the security core (docs/security.md). Everything here runs in main/ only.
export { initCrypto } from './sodium';
export { normalizeAoR } from './aor';
export { type Identity, type IdentityInfo, LocalIdentity, fingerprint, verifySignature } from './identity';
export {
  type KeyWrapper,
  type Argon2Params,
  PassphraseWrapper,
  WRAPPER_PASSPHRASE,
  WRAPPER_EXTERNAL,
  moderateParams,
  insecureTestParams,
} from './key-wrapper';
export { KeyStore } from './keystore';
export {
  PeerKeys,
  type PeerKeyState,
  type PeerKeyEvent,
  type PeerInfo,
  type KeySource,
  type PeerBackend,
  keyStorePeerBackend,
} from './peers';
export {
  ReplayCache,
  PersistentReplayGuard,
  type ReplayGuard,
  type ReplayOptions,
  REPLAY_WINDOW_MS,
  FUTURE_SKEW_MS,
  REPLAY_CAPACITY,
  REPLAY_PER_SENDER,
  REPLAY_FUTURE_PER_SENDER,
} from './replay';
export {
  safetyNumber,
  safetyNumberDigits,
  verifySafetyNumber,
  encodeQrPayload,
  decodeQrPayload,
  verifyQrPayload,
  type PartyKey,
} from './safety-number';
export {
  E2E_CONTENT_TYPE,
  sealEnvelope,
  openEnvelope,
  parseEnvelope,
  encodeEnvelopeBody,
  decodeEnvelopeBody,
  type SealInput,
  type SealRecipient,
  type OpenInput,
  type OpenedEnvelope,
  type RecipientMode,
} from './envelope';
export {
  KEY_REQUEST_CONTENT_TYPE,
  KEY_RESPONSE_CONTENT_TYPE,
  createKeyRequest,
  verifyKeyRequest,
  createKeyResponse,
  verifyKeyResponse,
  type PendingKeyRequest,
  type KeyRequestInfo,
  type KeyResponseInfo,
} from './key-request';
export { derivePsk, pskSalt, PSK_V1 } from './psk';
export {
  KEY_MGMT_PROTOCOL,
  SessionOffer,
  acceptSessionOffer,
  parseKeyMgmtAttribute,
  formatKeyMgmtAttribute,
  toKeyMgmtValue,
  type KeyMgmtValue,
  type KeyMgmtInput,
  type EstablishedSession,
  type SessionOptions,
} from './session-keys';
export { SessionCipher, MSRP_E2E_CONTENT_TYPE } from './session-cipher';
export {
  StreamEncryptor,
  StreamDecryptor,
  sealSegment,
  openSegment,
  resumePoint,
  encryptedSegmentSize,
  STREAM_SEGMENT_SIZE,
  STREAM_FULL_SEGMENT_CT,
} from './secret-stream';
export { GroupSession, SENDER_KEY_CONTENT_TYPE, type GroupMessage } from './group-keys';
export { computeSecurityStatus, type SecurityFacts, type SecurityStatus, type HopFact, type E2EMode } from './status';
export { E2EContext } from './e2e';
export { argon2id } from './argon2';
// issue #14: prekeys, PQXDH, Double Ratchet, envelope v2, member-signed groups (docs/security.md s.5.7-5.12)
export { encodeBundle, verifyBundle, encodeOneTime, verifyOneTime, type PrekeyBundle, type OneTimePrekey, type Rng } from './prekeys';
export { PrekeySecrets, PREKEY_ROTATION_MS, ONE_TIME_BATCH, ONE_TIME_LOW } from './prekey-secrets';
export { pqxdhInitiate, pqxdhRespond, type PqxdhInit } from './pqxdh';
export { MAX_SKIP, MAX_SKIPPED_KEYS, SKIPPED_KEY_TTL_MS } from './ratchet';
export { envelopeVersion, RATCHET_ENVELOPE_VERSION } from './ratchet-envelope';
export {
  PeerRatchets,
  keyStoreRatchetPersistence,
  memoryRatchetPersistence,
  type RatchetPersistence,
  type RatchetSection,
  type OpenedRatchetEnvelope,
  type RatchetOpenOptions,
} from './peer-ratchets';
export {
  signRosterChange,
  applyRosterChange,
  rosterFromChain,
  checkFocusRoster,
  isRosterMember,
  type Roster,
  type RosterMember,
} from './group-roster';
