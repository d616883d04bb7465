// Page-mode one-pass E2E envelope v1 for SIP MESSAGE (RFC 3428) bodies carrying CPIM (RFC 3862); format in docs/security.md s.5.1.
import { ParleyError } from '../base/errors';
import {
  S,
  Reader,
  concat,
  u8,
  u16,
  u32,
  u64,
  lp16,
  utf8,
  hkdf,
  x25519,
  edPkToX,
  ctEqual,
  toB64,
  fromB64,
  wipe,
  random,
  x25519KeyPair,
} from './sodium';
import { normalizeAoR, compareAoR } from './aor';
import { verifySignature, type Identity } from './identity';
import { checkWindow, type ReplayGuard } from './replay';
import {
  ENVELOPE_MAGIC,
  MAX_PLAINTEXT,
  badEnvelope as bad,
  checkDistinctRecipients,
  checkSealInput,
  readMessageFields,
  readRecipientAoR,
  readSender,
  readSignedTail,
  senderKeyStatus,
  type OpenedPageEnvelope,
} from './envelope-frame';

export { ENVELOPE_MAGIC, MAX_RECIPIENTS, MAX_PLAINTEXT, MAX_MESSAGE_ID } from './envelope-frame';
export const E2E_CONTENT_TYPE = 'application/vnd.parley.e2e';
export const ENVELOPE_VERSION = 1;
const SIG_CONTEXT = utf8('parley-e2e-sig-v1\0');
const KEK_SALT = 'parley-e2e-kek-v1';
const ZERO_KEY = new Uint8Array(32);
const NONCE = 24;
const WRAP_CT = 48;

export type RecipientMode = 'identity' | 'identity+psk' | 'psk-only';
const MODE_BYTE: Record<RecipientMode, number> = { identity: 1, 'identity+psk': 2, 'psk-only': 3 };
const MODE_NAME: Record<number, RecipientMode> = { 1: 'identity', 2: 'identity+psk', 3: 'psk-only' };

export interface SealRecipient {
  aor: string;
  /** Pinned Ed25519 identity key; omit only with a PSK (psk-only first contact). */
  identityKey?: Uint8Array;
  psk?: Uint8Array;
}

export interface SealInput {
  sender: Identity;
  recipients: SealRecipient[];
  /** IMDN Message-ID of the inner CPIM message (RFC 5438 s.6.3). */
  messageId: string;
  /** IMDN DateTime of the inner message, ms since the epoch. */
  dateTime: number;
  /** The complete inner CPIM message bytes. */
  plaintext: Uint8Array;
}

export interface EnvelopeRecipient {
  mode: RecipientMode;
  aor: string;
  key: Uint8Array;
}

export interface ParsedEnvelope {
  version: number;
  senderAoR: string;
  senderKey: Uint8Array;
  ephemeralKey: Uint8Array;
  messageId: string;
  dateTime: number;
  recipients: EnvelopeRecipient[];
  header: Uint8Array;
  wraps: { nonce: Uint8Array; ct: Uint8Array }[];
  payloadNonce: Uint8Array;
  ciphertext: Uint8Array;
  signed: Uint8Array;
  signature: Uint8Array;
}

function kekInfo(mode: number, senderAoR: string, senderKey: Uint8Array, eph: Uint8Array, r: EnvelopeRecipient): Uint8Array {
  return concat(u8(ENVELOPE_VERSION), u8(mode), lp16(senderAoR), senderKey, eph, lp16(r.aor), r.key);
}

/** Seal `plaintext` once for all recipients; returns the binary envelope (base64 it with encodeEnvelopeBody for SIP). */
export function sealEnvelope(input: SealInput): Uint8Array {
  const s = S();
  const { sender, messageId, dateTime, plaintext } = input;
  checkSealInput({ messageId, dateTime, plaintext, recipients: input.recipients.length });
  const senderAoR = normalizeAoR(sender.aor);
  const recips: (EnvelopeRecipient & { psk?: Uint8Array })[] = input.recipients.map((r) => {
    if (!r.identityKey && !r.psk) throw new ParleyError('E2E_NO_RECIPIENT_KEY', `no identity key or PSK for ${r.aor}`, { aor: r.aor });
    if (r.identityKey && r.identityKey.length !== 32) throw new ParleyError('SEC_BAD_KEY', 'identity key must be 32 bytes');
    if (r.psk && r.psk.length !== 32) throw new ParleyError('SEC_BAD_KEY', 'PSK must be 32 bytes');
    const mode: RecipientMode = r.identityKey ? (r.psk ? 'identity+psk' : 'identity') : 'psk-only';
    return { mode, aor: normalizeAoR(r.aor), key: r.identityKey ?? ZERO_KEY, psk: r.psk };
  });
  checkDistinctRecipients(recips);

  const eph = x25519KeyPair();
  const header = concat(
    ENVELOPE_MAGIC,
    u8(ENVELOPE_VERSION),
    u8(0),
    lp16(senderAoR),
    sender.publicKey,
    eph.publicKey,
    lp16(messageId),
    u64(dateTime),
    u16(recips.length),
    ...recips.map((r) => concat(u8(MODE_BYTE[r.mode]), lp16(r.aor), r.key)),
  );
  const contentKey = random(32);
  const wraps: Uint8Array[] = [];
  for (const r of recips) {
    const dh: Uint8Array[] = [];
    if (r.mode !== 'psk-only') {
      const rx = edPkToX(r.key, 'SEC_BAD_KEY');
      dh.push(x25519(eph.privateKey, rx, 'SEC_BAD_KEY'), sender.agree(rx));
    }
    const ikm = concat(...dh, ...(r.psk ? [r.psk] : []));
    const kek = hkdf(ikm, KEK_SALT, kekInfo(MODE_BYTE[r.mode], senderAoR, sender.publicKey, eph.publicKey, r));
    const nonce = random(NONCE);
    wraps.push(nonce, s.crypto_aead_xchacha20poly1305_ietf_encrypt(contentKey, header, null, nonce, kek));
    wipe(ikm, kek, ...dh);
  }
  wipe(eph.privateKey);
  const pNonce = random(NONCE);
  const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, header, null, pNonce, contentKey);
  wipe(contentKey);
  const signed = concat(header, ...wraps, pNonce, u32(ct.length), ct);
  return concat(signed, sender.sign(concat(SIG_CONTEXT, signed)));
}

/** Parse and bound-check an envelope without any secret. Throws E2E_BAD_FORMAT. */
export function parseEnvelope(bytes: Uint8Array): ParsedEnvelope {
  const r = new Reader(bytes, 'E2E_BAD_FORMAT');
  const { senderAoR, senderKey } = readSender(r, ENVELOPE_VERSION);
  const ephemeralKey = r.bytes(32);
  const { messageId, dateTime, recipients: n } = readMessageFields(r);
  const recipients: EnvelopeRecipient[] = [];
  for (let i = 0; i < n; i++) {
    const mode = MODE_NAME[r.u8()];
    if (!mode) throw bad('unknown recipient mode');
    const aor = readRecipientAoR(r);
    const key = r.bytes(32);
    recipients.push({ mode, aor, key });
  }
  checkDistinctRecipients(recipients);
  const header = bytes.subarray(0, r.off);
  const wraps = recipients.map(() => ({ nonce: r.bytes(NONCE), ct: r.bytes(WRAP_CT) }));
  const payloadNonce = r.bytes(NONCE);
  const { ciphertext, signed, signature } = readSignedTail(bytes, r);
  return {
    version: ENVELOPE_VERSION,
    senderAoR,
    senderKey,
    ephemeralKey,
    messageId,
    dateTime,
    recipients,
    header,
    wraps,
    payloadNonce,
    ciphertext,
    signed,
    signature,
  };
}

export interface OpenInput {
  envelope: Uint8Array | string;
  /** My identity (KeyStore.signer()). */
  me: Identity;
  /** The key pinned for the sender's AoR (PeerKeys.pinnedKey), if any. */
  pinnedSenderKey?: Uint8Array;
  /** Accept a sender with no pinned key (TOFU). Default true; false -> E2E_UNKNOWN_SENDER_KEY. */
  allowUnknownSender?: boolean;
  /** PSK for this conversation (KeyStore.getPsk(senderAoR)). */
  psk?: Uint8Array;
  /** Replay cache (PersistentReplayGuard); null only where replay is checked elsewhere (tests, benchmarks). */
  replay: ReplayGuard | null;
  now?: number;
}

export interface OpenedEnvelope extends OpenedPageEnvelope {
  mode: RecipientMode;
  recipients: { aor: string; mode: RecipientMode }[];
}

/** Open an envelope addressed to `me`. Error codes and check order: docs/security.md s.5.1. */
export async function openEnvelope(input: OpenInput): Promise<OpenedEnvelope> {
  const s = S();
  const bytes = typeof input.envelope === 'string' ? decodeEnvelopeBody(input.envelope) : input.envelope;
  const env = parseEnvelope(bytes);
  const myAoR = normalizeAoR(input.me.aor);
  const idx = env.recipients.findIndex((r) => r.aor === myAoR);
  const mine = env.recipients[idx];
  if (!mine)
    throw new ParleyError('E2E_NOT_FOR_ME', 'envelope is not addressed to this account', { recipients: env.recipients.map((r) => r.aor) });
  if (mine.mode === 'psk-only' ? !ctEqual(mine.key, ZERO_KEY) : !ctEqual(mine.key, input.me.publicKey)) {
    throw new ParleyError('E2E_NOT_FOR_ME', 'envelope is sealed to a different identity key of this account', { reason: 'key' });
  }
  const keyStatus = senderKeyStatus(env.senderAoR, env.senderKey, input.pinnedSenderKey, input.allowUnknownSender);
  const usesPsk = mine.mode !== 'identity';
  if (usesPsk && !input.psk)
    throw new ParleyError('E2E_PSK_REQUIRED', 'envelope needs the pre-shared key of this conversation', { sender: env.senderAoR });
  if (!verifySignature(env.senderKey, concat(SIG_CONTEXT, env.signed), env.signature)) {
    throw new ParleyError('E2E_TAMPERED', 'envelope signature does not verify');
  }
  const now = input.now ?? Date.now();
  checkWindow(env.dateTime, now);

  const dh: Uint8Array[] = [];
  if (mine.mode !== 'psk-only') {
    dh.push(input.me.agree(env.ephemeralKey), input.me.agree(edPkToX(env.senderKey)));
  }
  const ikm = concat(...dh, ...(usesPsk ? [input.psk!] : []));
  const kek = hkdf(ikm, KEK_SALT, kekInfo(MODE_BYTE[mine.mode], env.senderAoR, env.senderKey, env.ephemeralKey, mine));
  let contentKey: Uint8Array;
  try {
    contentKey = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, env.wraps[idx].ct, env.header, env.wraps[idx].nonce, kek);
  } catch {
    if (usesPsk) throw new ParleyError('E2E_PSK_MISMATCH', "the pre-shared key does not match the sender's", { sender: env.senderAoR });
    throw new ParleyError('E2E_TAMPERED', 'content key does not unwrap');
  } finally {
    wipe(ikm, kek, ...dh);
  }
  let plaintext: Uint8Array;
  try {
    plaintext = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, env.ciphertext, env.header, env.payloadNonce, contentKey);
  } catch {
    throw new ParleyError('E2E_TAMPERED', 'payload does not authenticate');
  } finally {
    wipe(contentKey);
  }
  if (input.replay) await input.replay.checkAndRecord(env.senderAoR, env.messageId, env.dateTime, now);
  return {
    plaintext,
    senderAoR: env.senderAoR,
    senderKey: env.senderKey.slice(),
    senderKeyStatus: keyStatus,
    messageId: env.messageId,
    dateTime: env.dateTime,
    mode: mine.mode,
    recipients: env.recipients.map((r) => ({ aor: r.aor, mode: r.mode })),
  };
}

/** SIP body form: standard base64, no line breaks. */
export function encodeEnvelopeBody(envelope: Uint8Array): string {
  return toB64(envelope);
}

export function decodeEnvelopeBody(body: string): Uint8Array {
  if (body.length > ((MAX_PLAINTEXT + 64 * 1024) * 4) / 3 + 1024) throw bad('body too large');
  return fromB64(body, 'E2E_BAD_FORMAT');
}

/** Sorting helper for callers that build stable recipient lists. */
export function sortRecipients<T extends { aor: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => compareAoR(normalizeAoR(a.aor), normalizeAoR(b.aor)));
}
