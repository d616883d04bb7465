// MSRP body protection of a chat session: CPIM (RFC 3862) sealed with the session cipher (docs/security.md s.5.5), plus key
// epochs so an interrupted or refused message (RFC 4975 s.7.1.1 '#', 413/415) does not leave a hole in the strict sequence.
import { ParleyError } from '../../base/errors';
import { SessionCipher, MSRP_E2E_CONTENT_TYPE, DIR_OFFERER_TO_ANSWERER, DIR_ANSWERER_TO_OFFERER } from '../../security/session-cipher';
import type { EstablishedSession } from '../../security/session-keys';

/** Epochs are small integers; a jump this large is refused as garbage. */
export const MAX_EPOCH = 1 << 20;
const EPOCH_RE = /;\s*epoch=(\d{1,7})\s*(?:;|$)/i;

/** Content type of an E2E frame of `epoch` (epoch 0 carries no parameter). */
export function e2eContentType(epoch: number): string {
  return epoch === 0 ? MSRP_E2E_CONTENT_TYPE : `${MSRP_E2E_CONTENT_TYPE};epoch=${epoch}`;
}

export function isE2eContentType(ct: string | undefined): boolean {
  return ct !== undefined && ct.split(';')[0].trim().toLowerCase() === MSRP_E2E_CONTENT_TYPE;
}

/** Epoch named by an E2E content type; E2E_BAD_FORMAT for a bad parameter. */
export function epochOf(ct: string): number {
  const m = EPOCH_RE.exec(ct);
  if (!m) {
    if (/epoch=/i.test(ct)) throw new ParleyError('E2E_BAD_FORMAT', `bad epoch parameter in ${ct.slice(0, 80)}`);
    return 0;
  }
  const n = Number(m[1]);
  if (n > MAX_EPOCH) throw new ParleyError('E2E_BAD_FORMAT', `epoch ${n} out of range`);
  return n;
}

/** Key-derivation label of an epoch's directional key: a NUL prefix keeps it apart from RFC 5547 transfer ids. */
function epochLabel(epoch: number, direction: number): string {
  return `\u0000parley-msrp-chat-epoch/${epoch}/${direction}`;
}

/**
 * Epoch 0 is the handshake's SessionCipher unchanged. After a message that was sealed but not delivered whole, the sender
 * moves to the next epoch: fresh directional keys streamKey(label(epoch, dir)) from the same handshake root, sequence 0.
 * The receiver follows when it sees a higher epoch; a lower one is a replay. Both directions move independently.
 */
export class EpochCipher {
  private sendEpoch = 0;
  private recvEpoch = 0;
  private sendCipher: SessionCipher;
  private recvCipher: SessionCipher;
  private destroyed = false;

  constructor(private readonly e2e: EstablishedSession) {
    this.sendCipher = e2e.cipher;
    this.recvCipher = e2e.cipher;
  }

  get epochs(): { send: number; recv: number } {
    return { send: this.sendEpoch, recv: this.recvEpoch };
  }

  private derive(epoch: number): SessionCipher {
    const dir = this.e2e.cipher.sendDirection;
    const other = dir === DIR_OFFERER_TO_ANSWERER ? DIR_ANSWERER_TO_OFFERER : DIR_OFFERER_TO_ANSWERER;
    const sendKey = this.e2e.streamKey(epochLabel(epoch, dir));
    const recvKey = this.e2e.streamKey(epochLabel(epoch, other));
    try {
      return new SessionCipher(sendKey, recvKey, dir);
    } finally {
      sendKey.fill(0);
      recvKey.fill(0);
    }
  }

  /** Seal one CPIM message; returns the MSRP Content-Type and body. */
  seal(plaintext: Uint8Array): { contentType: string; body: Uint8Array } {
    this.alive();
    return { contentType: e2eContentType(this.sendEpoch), body: this.sendCipher.seal(plaintext) };
  }

  /** The last sealed message will never arrive whole: continue in a new epoch. */
  skipAfterLoss(): void {
    this.alive();
    const old = this.sendCipher;
    this.sendEpoch++;
    this.sendCipher = this.derive(this.sendEpoch);
    if (old !== this.e2e.cipher && old !== this.recvCipher) old.destroy();
  }

  /** Open one frame: E2E_REPLAY (old epoch or sequence), E2E_OUT_OF_ORDER, E2E_TAMPERED, E2E_BAD_FORMAT. */
  open(contentType: string, frame: Uint8Array): Uint8Array {
    this.alive();
    const epoch = epochOf(contentType);
    if (epoch < this.recvEpoch) throw new ParleyError('E2E_REPLAY', `frame of an old key epoch (${epoch} < ${this.recvEpoch})`);
    if (epoch > this.recvEpoch) {
      const next = this.derive(epoch);
      const pt = next.open(frame); // throws without switching when the frame does not authenticate
      const old = this.recvCipher;
      this.recvCipher = next;
      this.recvEpoch = epoch;
      if (old !== this.e2e.cipher && old !== this.sendCipher) old.destroy();
      return pt;
    }
    return this.recvCipher.open(frame);
  }

  /** Zero every key (handshake cipher, stream root, epoch ciphers). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of new Set([this.sendCipher, this.recvCipher])) c.destroy();
    this.e2e.destroy();
  }

  private alive(): void {
    if (this.destroyed) throw new ParleyError('E2E_SESSION_CLOSED', 'session keys erased');
  }
}
