// Per-message AEAD for MSRP bodies (RFC 4975 SEND) with directional keys and strict sequence numbers (docs/security.md s.5.5).
import { ParleyError } from '../base/errors';
import { S, concat, u8, u64, utf8, wipe } from './sodium';

export const MSRP_E2E_CONTENT_TYPE = 'application/vnd.parley.msrp-e2e';
export const SESSION_FRAME_VERSION = 1;
export const DIR_OFFERER_TO_ANSWERER = 1;
export const DIR_ANSWERER_TO_OFFERER = 2;
const AD_LABEL = utf8('parley-msrp-v1');
const MAX_SEQ = 2n ** 64n - 1n;
/** Bodies above this go through the segmented secretstream (secret-stream.ts). */
export const SESSION_MAX_BODY = 16 * 1024 * 1024;

function nonceFor(seq: bigint): Uint8Array {
  return concat(new Uint8Array(16), u64(seq));
}

function ad(direction: number, seq: bigint, extra?: Uint8Array): Uint8Array {
  return concat(AD_LABEL, u8(direction), u64(seq), extra ?? new Uint8Array(0));
}

/** Encrypts outgoing and decrypts incoming MSRP message bodies of one session. destroy() zeroes both keys. */
export class SessionCipher {
  #send: Uint8Array;
  #recv: Uint8Array;
  #sendSeq = 0n;
  #recvSeq = 0n;
  #destroyed = false;

  constructor(
    sendKey: Uint8Array,
    recvKey: Uint8Array,
    readonly sendDirection: number,
  ) {
    if (sendKey.length !== 32 || recvKey.length !== 32) throw new ParleyError('SEC_BAD_KEY', 'session keys must be 32 bytes');
    this.#send = sendKey.slice();
    this.#recv = recvKey.slice();
  }

  get recvDirection(): number {
    return this.sendDirection === DIR_OFFERER_TO_ANSWERER ? DIR_ANSWERER_TO_OFFERER : DIR_OFFERER_TO_ANSWERER;
  }
  get nextSendSeq(): bigint {
    return this.#sendSeq;
  }
  get nextRecvSeq(): bigint {
    return this.#recvSeq;
  }

  /** Frame: u8 version || u64 seq || AEAD(ciphertext). `aad` (e.g. the inner Content-Type) must be given again to open(). */
  seal(plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
    this.#alive();
    if (plaintext.length > SESSION_MAX_BODY)
      throw new ParleyError('E2E_TOO_LARGE', 'body too large for the session cipher; use the stream');
    if (this.#sendSeq >= MAX_SEQ) throw new ParleyError('E2E_SEQ_EXHAUSTED', 'sequence space exhausted; renegotiate');
    const seq = this.#sendSeq++;
    const ct = S().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad(this.sendDirection, seq, aad), null, nonceFor(seq), this.#send);
    return concat(u8(SESSION_FRAME_VERSION), u64(seq), ct);
  }

  /** Accepts only the next expected sequence number: lower -> E2E_REPLAY, higher -> E2E_OUT_OF_ORDER. */
  open(frame: Uint8Array, aad?: Uint8Array): Uint8Array {
    this.#alive();
    if (frame.length < 9 + 16) throw new ParleyError('E2E_BAD_FORMAT', 'session frame too short');
    if (frame[0] !== SESSION_FRAME_VERSION) throw new ParleyError('E2E_BAD_FORMAT', `unsupported session frame version ${frame[0]}`);
    const seq = new DataView(frame.buffer, frame.byteOffset + 1, 8).getBigUint64(0);
    if (seq < this.#recvSeq)
      throw new ParleyError('E2E_REPLAY', 'session message replayed', { seq: String(seq), expected: String(this.#recvSeq) });
    if (seq > this.#recvSeq)
      throw new ParleyError('E2E_OUT_OF_ORDER', 'session message out of order', { seq: String(seq), expected: String(this.#recvSeq) });
    let pt: Uint8Array;
    try {
      pt = S().crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        frame.subarray(9),
        ad(this.recvDirection, seq, aad),
        nonceFor(seq),
        this.#recv,
      );
    } catch {
      throw new ParleyError('E2E_TAMPERED', 'session message does not authenticate', { seq: String(seq) });
    }
    this.#recvSeq++;
    return pt;
  }

  destroy(): void {
    if (this.#destroyed) return;
    wipe(this.#send, this.#recv);
    this.#destroyed = true;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  #alive(): void {
    if (this.#destroyed) throw new ParleyError('E2E_SESSION_CLOSED', 'session cipher destroyed');
  }
}
