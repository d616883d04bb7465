// Page-mode envelope v2: one content ciphertext, the content key wrapped per recipient with that recipient's Double
// Ratchet message key, signed by the sender (docs/security.md s.5.10). Pure: ratchet state lives in peer-ratchets.ts.
import { ParleyError } from '../base/errors';
import { S, Reader, concat, u8, u16, u32, u64, lp16, utf8, ctEqual, wipe, random } from './sodium';
import { normalizeAoR } from './aor';
import { verifySignature, type Identity } from './identity';
import * as frame from './envelope-frame';
import { KEM_CIPHERTEXT_LEN, type Rng } from './prekeys';
import type { PqxdhInit } from './pqxdh';
import type { RatchetHeader } from './ratchet';

export const RATCHET_ENVELOPE_VERSION = 2;
const SIG_CONTEXT = utf8('parley-e2e-sig-v2\0');
const ZERO_NONCE = new Uint8Array(24);
const KIND_RATCHET = 1;
const KIND_INIT = 2;

export interface RatchetRecipient {
  aor: string;
  identityKey: Uint8Array;
  sessionId: Uint8Array;
  init: PqxdhInit | null;
  header: RatchetHeader;
}

export interface ParsedRatchetEnvelope {
  senderAoR: string;
  senderKey: Uint8Array;
  messageId: string;
  dateTime: number;
  recipients: RatchetRecipient[];
  header: Uint8Array;
  wraps: Uint8Array[];
  ciphertext: Uint8Array;
  signed: Uint8Array;
  signature: Uint8Array;
}

/** Version byte of an envelope of any version (after the magic), so the caller can route v1 and v2. */
export function envelopeVersion(bytes: Uint8Array): number {
  if (bytes.length < 6 || !ctEqual(bytes.subarray(0, 4), frame.ENVELOPE_MAGIC)) throw frame.badEnvelope('magic');
  return bytes[4];
}

function recipientBytes(r: RatchetRecipient): Uint8Array {
  const i = r.init;
  return concat(
    lp16(r.aor),
    r.identityKey,
    r.sessionId,
    u8(i ? KIND_INIT : KIND_RATCHET),
    ...(i ? [i.ephemeralKey, u32(i.signedPrekeyId), u32(i.kemPrekeyId), u32(i.oneTimePrekeyId), i.kemCiphertext] : []),
    r.header.dh,
    u32(r.header.pn),
    u32(r.header.n),
  );
}

/** Seal once for all recipients; `messageKeys[i]` is recipient i's ratchet message key (wiped here). */
export function sealRatchetEnvelope(
  input: { sender: Identity; messageId: string; dateTime: number; plaintext: Uint8Array; recipients: RatchetRecipient[] },
  messageKeys: Uint8Array[],
  rng: Rng = random,
): Uint8Array {
  const s = S();
  const { sender, messageId, dateTime, plaintext, recipients } = input;
  frame.checkSealInput({ messageId, dateTime, plaintext, recipients: recipients.length });
  frame.checkDistinctRecipients(recipients);
  const header = concat(
    frame.ENVELOPE_MAGIC,
    u8(RATCHET_ENVELOPE_VERSION),
    u8(0),
    lp16(normalizeAoR(sender.aor)),
    sender.publicKey,
    lp16(messageId),
    u64(dateTime),
    u16(recipients.length),
    ...recipients.map(recipientBytes),
  );
  const contentKey = rng(32);
  const wraps = messageKeys.map((mk) => s.crypto_aead_xchacha20poly1305_ietf_encrypt(contentKey, header, null, ZERO_NONCE, mk));
  const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, header, null, ZERO_NONCE, contentKey);
  wipe(contentKey, ...messageKeys);
  const signed = concat(header, ...wraps, u32(ct.length), ct);
  return concat(signed, sender.sign(concat(SIG_CONTEXT, signed)));
}

export function parseRatchetEnvelope(bytes: Uint8Array): ParsedRatchetEnvelope {
  const r = new Reader(bytes, 'E2E_BAD_FORMAT');
  const { senderAoR, senderKey } = frame.readSender(r, RATCHET_ENVELOPE_VERSION);
  const { messageId, dateTime, recipients: n } = frame.readMessageFields(r);
  const recipients: RatchetRecipient[] = [];
  for (let i = 0; i < n; i++) {
    const aor = frame.readRecipientAoR(r);
    const identityKey = r.bytes(32);
    const sessionId = r.bytes(16);
    const kind = r.u8();
    if (kind !== KIND_RATCHET && kind !== KIND_INIT) throw frame.badEnvelope(`unknown recipient kind ${kind}`);
    const init: PqxdhInit | null =
      kind === KIND_INIT
        ? {
            ephemeralKey: r.bytes(32),
            signedPrekeyId: r.u32(),
            kemPrekeyId: r.u32(),
            oneTimePrekeyId: r.u32(),
            kemCiphertext: r.bytes(KEM_CIPHERTEXT_LEN),
          }
        : null;
    recipients.push({ aor, identityKey, sessionId, init, header: { dh: r.bytes(32), pn: r.u32(), n: r.u32() } });
  }
  frame.checkDistinctRecipients(recipients);
  const header = bytes.subarray(0, r.off);
  const wraps = recipients.map(() => r.bytes(48));
  const { ciphertext, signed, signature } = frame.readSignedTail(bytes, r);
  return { senderAoR, senderKey, messageId, dateTime, recipients, header, wraps, ciphertext, signed, signature };
}

export function verifyRatchetEnvelopeSignature(env: ParsedRatchetEnvelope): void {
  if (!verifySignature(env.senderKey, concat(SIG_CONTEXT, env.signed), env.signature))
    throw new ParleyError('E2E_TAMPERED', 'envelope signature does not verify');
}

/** Unwrap the content key with recipient `idx`'s message key and open the payload. Throws E2E_TAMPERED. */
export function openRatchetPayload(env: ParsedRatchetEnvelope, idx: number, mk: Uint8Array): Uint8Array {
  const s = S();
  let contentKey: Uint8Array;
  try {
    contentKey = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, env.wraps[idx], env.header, ZERO_NONCE, mk);
  } catch {
    throw new ParleyError('E2E_TAMPERED', 'content key does not unwrap with this ratchet');
  }
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, env.ciphertext, env.header, ZERO_NONCE, contentKey);
  } catch {
    throw new ParleyError('E2E_TAMPERED', 'payload does not authenticate');
  } finally {
    wipe(contentKey);
  }
}
