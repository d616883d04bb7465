// What the page-mode envelopes v1 (envelope.ts, docs/security.md s.5.1) and v2 (ratchet-envelope.ts, s.5.10) share: the
// magic and limits, the checks on what is sealed, and reading the common fields and the signed tail. Pure; each format
// keeps its own field order (v1 has the ephemeral key between the sender key and the Message-ID).
import { ParleyError } from '../base/errors';
import { ctEqual, utf8, type Reader } from './sodium';

export const ENVELOPE_MAGIC = utf8('PE2E');
export const MAX_RECIPIENTS = 256;
export const MAX_PLAINTEXT = 1024 * 1024;
export const MAX_MESSAGE_ID = 128;
const MAX_AOR = 256;

export function badEnvelope(msg: string, details?: Record<string, unknown>): ParleyError {
  return new ParleyError('E2E_BAD_FORMAT', `bad envelope: ${msg}`, details);
}

export function checkMessageId(id: string): void {
  if (typeof id !== 'string' || id.length === 0 || utf8(id).length > MAX_MESSAGE_ID || !/^[\x21-\x7e]+$/.test(id)) {
    throw badEnvelope('Message-ID must be 1..128 printable ASCII characters');
  }
}

/** The checks both seals make before any key is touched (E2E_BAD_FORMAT, E2E_TOO_LARGE). */
export function checkSealInput(i: { messageId: string; dateTime: number; plaintext: Uint8Array; recipients: number }): void {
  checkMessageId(i.messageId);
  if (!Number.isSafeInteger(i.dateTime) || i.dateTime < 0) throw badEnvelope('dateTime must be ms since the epoch');
  if (i.plaintext.length > MAX_PLAINTEXT) throw new ParleyError('E2E_TOO_LARGE', `plaintext exceeds ${MAX_PLAINTEXT} bytes`);
  if (i.recipients < 1 || i.recipients > MAX_RECIPIENTS) throw badEnvelope(`1..${MAX_RECIPIENTS} recipients required`);
}

export function checkDistinctRecipients(list: { aor: string }[]): void {
  if (new Set(list.map((r) => r.aor)).size !== list.length) throw badEnvelope('duplicate recipient AoR');
}

/** Magic, version (must be `version`), reserved flags, sender AoR and identity key. */
export function readSender(r: Reader, version: number): { senderAoR: string; senderKey: Uint8Array } {
  if (!ctEqual(r.bytes(4), ENVELOPE_MAGIC)) throw badEnvelope('magic');
  const v = r.u8();
  if (v !== version) throw badEnvelope(`unsupported version ${v}`, { version: v });
  if (r.u8() !== 0) throw badEnvelope('reserved flags set');
  return { senderAoR: r.str16(MAX_AOR), senderKey: r.bytes(32) };
}

/** IMDN Message-ID, DateTime and the recipient count, each checked against its limit. */
export function readMessageFields(r: Reader): { messageId: string; dateTime: number; recipients: number } {
  const messageId = r.str16(MAX_MESSAGE_ID);
  checkMessageId(messageId);
  const dt = r.u64();
  if (dt > BigInt(Number.MAX_SAFE_INTEGER)) throw badEnvelope('DateTime out of range');
  const n = r.u16();
  if (n < 1 || n > MAX_RECIPIENTS) throw badEnvelope(`recipient count ${n}`);
  return { messageId, dateTime: Number(dt), recipients: n };
}

export function readRecipientAoR(r: Reader): string {
  return r.str16(MAX_AOR);
}

/** `u32 length | ciphertext | 64 signature` to the end: the ciphertext, the signed bytes and the signature. */
export function readSignedTail(bytes: Uint8Array, r: Reader): { ciphertext: Uint8Array; signed: Uint8Array; signature: Uint8Array } {
  const clen = r.u32();
  if (clen < 16 || clen > MAX_PLAINTEXT + 16) throw badEnvelope(`ciphertext length ${clen}`);
  const ciphertext = r.bytes(clen);
  const signed = bytes.subarray(0, r.off);
  const signature = r.bytes(64);
  r.end();
  return { ciphertext, signed, signature };
}

/** What opening a page-mode envelope of either version tells the caller. */
export interface OpenedPageEnvelope {
  plaintext: Uint8Array;
  senderAoR: string;
  senderKey: Uint8Array;
  /** 'pinned' = matches the pin; 'new' = no pin (caller TOFU-pins via PeerKeys.observe); 'changed' = differs from the pin. */
  senderKeyStatus: SenderKeyStatus;
  messageId: string;
  dateTime: number;
}

export type SenderKeyStatus = 'pinned' | 'new' | 'changed';

/** 'pinned' = the sender key matches its pin; 'new' = no pin (TOFU, or E2E_UNKNOWN_SENDER_KEY when refused); 'changed'. */
export function senderKeyStatus(
  senderAoR: string,
  senderKey: Uint8Array,
  pinned: Uint8Array | undefined,
  allowUnknownSender = true,
): SenderKeyStatus {
  if (pinned) return ctEqual(pinned, senderKey) ? 'pinned' : 'changed';
  if (!allowUnknownSender)
    throw new ParleyError('E2E_UNKNOWN_SENDER_KEY', `no pinned identity key for ${senderAoR}`, { sender: senderAoR });
  return 'new';
}
