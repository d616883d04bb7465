// Conference (RFC 4975 via a focus, RFC 7701) sender keys per membership epoch (docs/security.md s.5.6), with per-member
// signing keys (group message v2, s.5.12): a member holding the shared sender key still cannot forge another member's message.
import { ParleyError } from '../base/errors';
import { S, Reader, concat, u8, u32, u64, lp16, utf8, fromUtf8, b64url, fromB64url, wipe, random } from './sodium';
import { verifySignature } from './identity';
import { normalizeAoR } from './aor';

export const GROUP_MSG_VERSION = 1;
/** Signed group message (per-member signing key). */
export const GROUP_SIGNED_VERSION = 2;
export const SENDER_KEY_CONTENT_TYPE = 'application/vnd.parley.sender-key+json';
/** Counters this far below the highest seen are refused (bounded replay state). */
export const GROUP_REPLAY_WINDOW = 1024;
/** Older epochs of a sender kept to read in-flight messages after a rotation. */
export const GROUP_EPOCHS_KEPT = 2;
const AD_LABEL = utf8('parley-group-v1');
const AD_LABEL_V2 = utf8('parley-group-v2');
const SIG_LABEL = utf8('parley-group-sig-v2\0');

interface RecvKey {
  key: Uint8Array;
  /** The sender's Ed25519 signing key for this epoch (v2 distributions). */
  signKey?: Uint8Array;
  max: bigint;
  seen: Set<bigint>;
}

export interface GroupMessage {
  sender: string;
  epoch: number;
  counter: bigint;
  plaintext: Uint8Array;
  /** Signed by the sender's per-member key (v2). */
  signed: boolean;
}

export interface GroupSessionOptions {
  conferenceId: string;
  me: string;
  /** Draw a per-member signing key each epoch and sign every message (v2). */
  sign?: boolean;
  /** Refuse unsigned (v1) messages. */
  requireSignatures?: boolean;
  /** The authenticated roster (group-roster.ts): sender keys from anyone else are refused (GROUP_NOT_MEMBER). */
  isMember?: (aor: string) => boolean;
}

function ad(version: number, conf: string, epoch: number, sender: string, counter: bigint): Uint8Array {
  return concat(version === 1 ? AD_LABEL : AD_LABEL_V2, lp16(conf), u32(epoch), lp16(sender), u64(counter));
}

/**
 * One participant's view of a conference. Distribution payloads are plaintext: seal them with sealEnvelope to all current
 * members, and pass what openEnvelope returns (authenticated sender + plaintext) to acceptDistribution().
 */
export class GroupSession {
  readonly conferenceId: string;
  readonly me: string;
  #epoch = 0;
  #key: Uint8Array | null = null;
  #counter = 0n;
  #recv = new Map<string, Map<number, RecvKey>>();
  #sign: { publicKey: Uint8Array; privateKey: Uint8Array } | null = null;
  readonly #opts: GroupSessionOptions;

  constructor(opts: GroupSessionOptions) {
    this.#opts = opts;
    if (!opts.conferenceId || utf8(opts.conferenceId).length > 256)
      throw new ParleyError('GROUP_BAD_INPUT', 'conference id required (<= 256 bytes)');
    this.conferenceId = opts.conferenceId;
    this.me = normalizeAoR(opts.me);
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Draw a fresh sender key (call on every join and leave); zeroes the old one. Returns the distribution plaintext. */
  newEpoch(): Uint8Array {
    if (this.#key) wipe(this.#key);
    this.#epoch++;
    this.#key = random(32);
    this.#counter = 0n;
    if (this.#opts.sign) {
      if (this.#sign) wipe(this.#sign.privateKey);
      const seed = random(32);
      this.#sign = S().crypto_sign_seed_keypair(seed);
      wipe(seed);
    }
    return this.distribution();
  }

  /** Distribution plaintext for the current epoch (JSON, docs/security.md s.5.6). */
  distribution(): Uint8Array {
    if (!this.#key) throw new ParleyError('GROUP_NO_KEY', 'call newEpoch() first');
    const base = { type: 'sender-key', conf: this.conferenceId, epoch: this.#epoch, sender: this.me, key: b64url(this.#key) };
    return utf8(JSON.stringify(this.#sign ? { v: 2, ...base, sig: b64url(this.#sign.publicKey) } : { v: 1, ...base }));
  }

  /** Accept a sender key; `authenticatedSender` is openEnvelope's senderAoR and must equal the payload's sender. */
  acceptDistribution(authenticatedSender: string, plaintext: Uint8Array): { sender: string; epoch: number } {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(fromUtf8(plaintext, 'GROUP_BAD_FORMAT'));
    } catch {
      throw new ParleyError('GROUP_BAD_FORMAT', 'sender-key payload is not JSON');
    }
    if (
      !o ||
      (o.v !== 1 && o.v !== 2) ||
      o.type !== 'sender-key' ||
      typeof o.sender !== 'string' ||
      !Number.isInteger(o.epoch) ||
      (o.epoch as number) < 1 ||
      (o.epoch as number) > 0xffffffff
    ) {
      throw new ParleyError('GROUP_BAD_FORMAT', 'bad sender-key payload');
    }
    if (o.conf !== this.conferenceId) throw new ParleyError('GROUP_WRONG_CONFERENCE', 'sender key for another conference');
    const sender = normalizeAoR(o.sender);
    if (sender !== normalizeAoR(authenticatedSender))
      throw new ParleyError('GROUP_SENDER_MISMATCH', 'sender key distributed by someone else', { sender });
    if (this.#opts.isMember && !this.#opts.isMember(sender))
      throw new ParleyError('GROUP_NOT_MEMBER', `${sender} is not in the authenticated roster`, { sender });
    const key = fromB64url(o.key, 'GROUP_BAD_FORMAT', 32);
    const signKey = o.v === 2 ? fromB64url(o.sig, 'GROUP_BAD_FORMAT', 32) : undefined;
    const epochs = this.#recv.get(sender) ?? new Map<number, RecvKey>();
    const epoch = o.epoch as number;
    if (epochs.has(epoch)) {
      if (!S().memcmp(epochs.get(epoch)!.key, key))
        throw new ParleyError('GROUP_KEY_CONFLICT', 'a different key for an epoch already known', { sender, epoch });
      return { sender, epoch };
    }
    epochs.set(epoch, { key, signKey, max: -1n, seen: new Set() });
    for (const e of [...epochs.keys()].sort((a, b) => b - a).slice(GROUP_EPOCHS_KEPT)) {
      wipe(epochs.get(e)!.key);
      epochs.delete(e);
    }
    this.#recv.set(sender, epochs);
    return { sender, epoch };
  }

  /** Forget a member's keys (they left). Remember to newEpoch() and distribute to the remaining members. */
  removeMember(aor: string): void {
    const a = normalizeAoR(aor);
    for (const k of this.#recv.get(a)?.values() ?? []) wipe(k.key);
    this.#recv.delete(a);
  }

  /** Frame: u8 version | u32 epoch | lp16 sender | u64 counter | nonce[24] | AEAD, then (v2) a 64-byte member signature. */
  encrypt(plaintext: Uint8Array): Uint8Array {
    if (!this.#key) throw new ParleyError('GROUP_NO_KEY', 'call newEpoch() first');
    const counter = this.#counter++;
    const nonce = random(24);
    const v = this.#sign ? GROUP_SIGNED_VERSION : GROUP_MSG_VERSION;
    const ct = S().crypto_aead_xchacha20poly1305_ietf_encrypt(
      plaintext,
      ad(v, this.conferenceId, this.#epoch, this.me, counter),
      null,
      nonce,
      this.#key,
    );
    const frame = concat(u8(v), u32(this.#epoch), lp16(this.me), u64(counter), nonce, ct);
    if (!this.#sign) return frame;
    return concat(frame, S().crypto_sign_detached(concat(SIG_LABEL, lp16(this.conferenceId), frame), this.#sign.privateKey));
  }

  decrypt(frame: Uint8Array): GroupMessage {
    const r = new Reader(frame, 'E2E_BAD_FORMAT');
    const v = r.u8();
    if (v !== GROUP_MSG_VERSION && v !== GROUP_SIGNED_VERSION)
      throw new ParleyError('E2E_BAD_FORMAT', `unsupported group message version ${v}`);
    if (v === GROUP_MSG_VERSION && this.#opts.requireSignatures)
      throw new ParleyError('GROUP_UNSIGNED', 'unsigned group message refused (member signatures required)');
    const epoch = r.u32();
    const sender = r.str16(256);
    const counter = r.u64();
    const nonce = r.bytes(24);
    const sigLen = v === GROUP_SIGNED_VERSION ? 64 : 0;
    if (r.remaining < 16 + sigLen) throw new ParleyError('E2E_BAD_FORMAT', 'group message too short');
    const ct = r.bytes(r.remaining - sigLen);
    const rk = this.#recv.get(sender)?.get(epoch);
    if (!rk) throw new ParleyError('GROUP_UNKNOWN_SENDER_KEY', `no sender key for ${sender} epoch ${epoch}`, { sender, epoch });
    if (v === GROUP_SIGNED_VERSION) {
      const signed = concat(SIG_LABEL, lp16(this.conferenceId), frame.subarray(0, frame.length - 64));
      if (!rk.signKey || !verifySignature(rk.signKey, signed, frame.subarray(frame.length - 64)))
        throw new ParleyError('GROUP_BAD_SIGNATURE', `group message not signed by ${sender}`, { sender, epoch });
    }
    if (rk.seen.has(counter) || counter + BigInt(GROUP_REPLAY_WINDOW) <= rk.max) {
      throw new ParleyError('E2E_REPLAY', 'group message replayed or too old', { sender, epoch, counter: String(counter) });
    }
    let plaintext: Uint8Array;
    try {
      plaintext = S().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ct, ad(v, this.conferenceId, epoch, sender, counter), nonce, rk.key);
    } catch {
      throw new ParleyError('E2E_TAMPERED', 'group message does not authenticate', { sender, epoch });
    }
    rk.seen.add(counter);
    if (counter > rk.max) rk.max = counter;
    for (const c of rk.seen) if (c + BigInt(GROUP_REPLAY_WINDOW) <= rk.max) rk.seen.delete(c);
    return { sender, epoch, counter, plaintext, signed: v === GROUP_SIGNED_VERSION };
  }

  destroy(): void {
    if (this.#key) wipe(this.#key);
    if (this.#sign) wipe(this.#sign.privateKey);
    this.#sign = null;
    this.#key = null;
    for (const epochs of this.#recv.values()) for (const k of epochs.values()) wipe(k.key);
    this.#recv.clear();
  }
}
