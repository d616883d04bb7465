// Room end-to-end keys (docs/conferences.md s.3, docs/security.md s.5.6): one GroupSession per room, sender keys rotated on
// every membership change, distributed pairwise as private messages sealed in the one-to-one envelope (s.5.1), in-room
// key discovery with signed key request/response (s.5.3), a bounded buffer for messages that precede their sender's key.
import type { SecurityBundle } from '../../security/bundle';
import { EventEmitter } from 'node:events';
import { ParleyError, isParleyError } from '../../base/errors';
import { GroupSession, SENDER_KEY_CONTENT_TYPE } from '../../security/group-keys';
import { E2E_CONTENT_TYPE, decodeEnvelopeBody, encodeEnvelopeBody, openEnvelope, sealEnvelope } from '../../security/envelope';
import {
  KEY_REQUEST_CONTENT_TYPE,
  KEY_RESPONSE_CONTENT_TYPE,
  createKeyRequest,
  createKeyResponse,
  verifyKeyRequest,
  verifyKeyResponse,
  type PendingKeyRequest,
} from '../../security/key-request';
import { ReplayCache, type ReplayGuard } from '../../security/replay';
import { normalizeAoR, safeAoR as safeAor } from '../../security/aor';
import { HeldKeys } from './held-keys';
import { buildChatCpim, parseCpim, serializeCpim, type CpimMessage } from '../../protocol/formats/cpim';
import { newImdnMessageId } from '../../protocol/formats/imdn';
import {
  KEY_REQUEST_RETRY_MS,
  ROTATION_COALESCE_MS,
  PENDING_MAX_BYTES,
  PENDING_MAX_MESSAGES,
  PENDING_TTL_MS,
  type CryptoEvents,
  type CryptoIo,
  type MemberSecurity,
  type PrivateResult,
  type RoomSecurity,
} from './types';

const dec = new TextDecoder();

interface Pending {
  from: string;
  frame: Uint8Array;
  receivedAt: Date;
  deadline: number;
}

class InMemoryReplay implements ReplayGuard {
  private readonly c = new ReplayCache();
  async checkAndRecord(sender: string, id: string, dt: number, now: number): Promise<void> {
    this.c.checkAndRecord(sender, id, dt, now);
  }
}

export class RoomCrypto extends EventEmitter<CryptoEvents> {
  readonly group: GroupSession;
  private readonly me: string;
  private members = new Set<string>();
  private started = false;
  /** Members that hold our current epoch key. */
  private readonly sent = new Set<string>();
  /** Members whose current key we hold (last epoch accepted per member). */
  private readonly theirEpoch = new Map<string, number>();
  private readonly keyRequests = new Map<string, PendingKeyRequest & { sentAt: number }>();
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly replay: ReplayGuard;
  private readonly held: HeldKeys;

  private rotation: NodeJS.Timeout | undefined;
  private rotationDue = false;

  /** `rotationDelayMs`: membership changes within this window share one new sender key (0 = rotate at once). */
  constructor(
    readonly roomUri: string,
    private readonly sec: SecurityBundle,
    private readonly io: CryptoIo,
    private readonly now: () => number = Date.now,
    private readonly rotationDelayMs = ROTATION_COALESCE_MS,
  ) {
    super();
    this.me = normalizeAoR(sec.identity.aor);
    this.group = new GroupSession({ conferenceId: normalizeAoR(roomUri), me: this.me });
    this.replay = sec.replay ?? new InMemoryReplay();
    this.held = new HeldKeys(now);
    // a confirmed key change (or a verification) changes what we can seal and what the status shows
    this.offPeers = sec.peers.onEvent((e) => {
      if (!this.members.has(e.aor)) return;
      if (e.kind === 'accepted') {
        this.sent.delete(e.aor);
        void this.distributeTo(e.aor);
      }
      this.emit('status');
    });
  }
  private readonly offPeers: () => void;

  get epoch(): number {
    return this.group.epoch;
  }

  /**
   * The other participants now (from conference-info). Any change (join, leave, removal) draws a new sender key and
   * sends it to the remaining members only: a leaver cannot read later messages, a joiner cannot read earlier ones.
   * Changes within rotationDelayMs share one rotation (a room filling up); encrypt() rotates first if one is due, so
   * nothing is ever sent under a key a leaver holds or that predates a joiner.
   */
  setMembers(others: string[]): void {
    const next = new Set(others.map((a) => normalizeAoR(a)).filter((a) => a !== this.me));
    const joined = [...next].filter((a) => !this.members.has(a));
    const left = [...this.members].filter((a) => !next.has(a));
    if (this.started && !joined.length && !left.length) return;
    for (const a of left) {
      this.held.forget(a);
      this.group.removeMember(a);
      this.theirEpoch.delete(a);
      this.keyRequests.delete(a);
      this.sent.delete(a);
    }
    this.members = next;
    this.started = true;
    this.rotationDue = true;
    for (const a of joined) {
      const key = this.held.take(a);
      if (key) this.acceptKey(a, key);
    }
    this.emit('log', `membership: +[${joined.join(' ')}] -[${left.join(' ')}]`);
    if (this.rotationDelayMs <= 0) this.rotate();
    else if (!this.rotation) {
      this.rotation = setTimeout(() => this.rotate(), this.rotationDelayMs);
      this.rotation.unref();
    }
    this.emit('status');
  }

  /** Draw the new sender key now (if a membership change is pending) and send it to every current member. */
  rotate(): void {
    clearTimeout(this.rotation);
    this.rotation = undefined;
    if (!this.rotationDue) return;
    this.rotationDue = false;
    this.group.newEpoch();
    this.sent.clear();
    this.emit('log', `epoch ${this.group.epoch} for [${[...this.members].join(' ')}]`);
    for (const a of this.members) void this.distributeTo(a);
    this.emit('status');
  }

  /** Encrypt one inner CPIM document under our current sender key; the room body (base64 text). */
  encrypt(innerCpim: Uint8Array): string {
    if (!this.started) this.setMembers([...this.members]);
    this.rotate();
    return Buffer.from(this.group.encrypt(innerCpim)).toString('base64');
  }

  /** A public group message from `from` (asserted by the focus). Returns undefined when it was buffered. */
  openPublic(from: string, body: Uint8Array, receivedAt = new Date()): { cpim: CpimMessage; epoch: number } | undefined {
    const frame = Buffer.from(dec.decode(body), 'base64');
    try {
      return this.decryptFrom(from, frame);
    } catch (e) {
      const err = isParleyError(e) ? e : new ParleyError('E2E_BAD_FORMAT', String(e));
      if (err.code !== 'GROUP_UNKNOWN_SENDER_KEY') throw err;
      this.hold({ from: normalizeAoR(from), frame, receivedAt, deadline: this.now() + PENDING_TTL_MS });
      return undefined;
    }
  }

  private decryptFrom(from: string, frame: Uint8Array): { cpim: CpimMessage; epoch: number } {
    const m = this.group.decrypt(frame);
    if (m.sender !== normalizeAoR(from)) throw new ParleyError('E2E_SENDER_MISMATCH', `group frame of ${m.sender} relayed as ${from}`);
    const cpim = parseCpim(m.plaintext);
    if (cpim.from && safeAor(cpim.from.uri) !== m.sender)
      throw new ParleyError('E2E_SENDER_MISMATCH', 'inner CPIM From differs from the key owner');
    return { cpim, epoch: m.epoch };
  }

  private hold(p: Pending): void {
    if (this.pending.length >= PENDING_MAX_MESSAGES || this.pendingBytes + p.frame.length > PENDING_MAX_BYTES) {
      this.emit('undecryptable', {
        from: p.from,
        receivedAt: p.receivedAt,
        error: new ParleyError('CONF_E2E_PENDING_FULL', 'too many messages waiting for sender keys'),
      });
      return;
    }
    this.pending.push(p);
    this.pendingBytes += p.frame.length;
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(1000, PENDING_TTL_MS));
      this.sweeper.unref();
    }
  }

  /** Retry buffered messages of `sender` (its key arrived) and expire old ones. */
  private sweep(sender?: string): void {
    const keep: Pending[] = [];
    for (const p of this.pending) {
      if (sender === undefined || p.from === sender) {
        try {
          const r = this.decryptFrom(p.from, p.frame);
          this.pendingBytes -= p.frame.length;
          this.emit('decrypted', { from: p.from, cpim: r.cpim, epoch: r.epoch, receivedAt: p.receivedAt });
          continue;
        } catch (e) {
          if (!isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY')) {
            this.pendingBytes -= p.frame.length;
            this.emit('undecryptable', {
              from: p.from,
              receivedAt: p.receivedAt,
              error: isParleyError(e) ? e : new ParleyError('E2E_BAD_FORMAT', String(e)),
            });
            continue;
          }
        }
      }
      if (this.now() >= p.deadline) {
        this.pendingBytes -= p.frame.length;
        this.emit('undecryptable', {
          from: p.from,
          receivedAt: p.receivedAt,
          error: new ParleyError(
            'CONF_E2E_NO_SENDER_KEY',
            `no sender key from ${p.from} within ${PENDING_TTL_MS} ms (sent before we joined, or the key never came)`,
          ),
        });
        continue;
      }
      keep.push(p);
    }
    this.pending = keep;
    if (!keep.length && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Seal a private chat message to one member (pairwise envelope). E2E_NO_RECIPIENT_KEY / PEER_KEY_CHANGED when not possible. */
  sealPrivate(to: string, cpim: CpimMessage, messageId: string): string {
    return this.seal(normalizeAoR(to), serializeCpim(cpim), messageId, cpim.dateTime ? Date.parse(cpim.dateTime) : this.now());
  }

  private seal(to: string, plaintext: Uint8Array, messageId: string, dateTime: number): string {
    this.sec.peers.assertCanSend(to);
    const identityKey = this.sec.peers.pinnedKey(to);
    const psk = this.sec.psk?.(to);
    if (!identityKey && !psk) throw new ParleyError('E2E_NO_RECIPIENT_KEY', `no key for ${to}`, { missing: [to] });
    return encodeEnvelopeBody(
      sealEnvelope({ sender: this.sec.identity, recipients: [{ aor: to, identityKey, psk }], messageId, dateTime, plaintext }),
    );
  }

  /** Send our current sender key to one member, discovering its identity key first when needed. Never rejects. */
  private async distributeTo(aor: string): Promise<void> {
    try {
      await this.distribute(aor);
    } catch (e) {
      this.emit('log', `sender key to ${aor} not sent: ${(e as Error).message}`);
      this.emit('status');
    }
  }

  private async distribute(aor: string): Promise<void> {
    // while a rotation is due the current key may predate this member: it gets the new one from rotate()
    if (!this.members.has(aor) || this.sent.has(aor) || this.rotationDue) return;
    if (this.sec.peers.state(aor) === 'changed') {
      this.emit('status');
      return;
    }
    if (!this.sec.peers.pinnedKey(aor) && !this.sec.psk?.(aor)) return this.requestKey(aor);
    const epoch = this.group.epoch;
    const id = newImdnMessageId();
    const cpim = buildChatCpim({
      from: this.me,
      to: [aor],
      messageId: id,
      content: { contentType: SENDER_KEY_CONTENT_TYPE, body: this.group.distribution() },
    });
    const body = this.seal(aor, serializeCpim(cpim), id, Date.parse(cpim.dateTime!));
    this.sent.add(aor);
    try {
      await this.io.sendPrivate(aor, E2E_CONTENT_TYPE, body);
    } catch (e) {
      if (this.group.epoch === epoch) this.sent.delete(aor);
      this.emit('log', `sender key to ${aor} failed: ${(e as Error).message}`);
    }
    this.emit('status');
  }

  private async requestKey(aor: string): Promise<void> {
    const cur = this.keyRequests.get(aor);
    if (cur && this.now() - cur.sentAt < KEY_REQUEST_RETRY_MS) return;
    const r = createKeyRequest(this.sec.identity, aor, this.now());
    this.keyRequests.set(aor, { ...r.pending, sentAt: this.now() });
    await this.io
      .sendPrivate(aor, r.contentType, r.body)
      .catch((e) => this.emit('log', `key request to ${aor} failed: ${(e as Error).message}`));
  }

  /** A private message from `from` (asserted by the focus): key material, or a sealed/plain chat message for the user. */
  async onPrivate(from: string, cpim: CpimMessage): Promise<PrivateResult> {
    const sender = normalizeAoR(from);
    const type = cpim.contentType.split(';')[0].trim().toLowerCase();
    const text = dec.decode(cpim.body);
    if (type === KEY_REQUEST_CONTENT_TYPE) {
      const info = verifyKeyRequest(text, { sipFrom: sender, me: this.me, now: this.now() });
      const state = await this.sec.peers.observe(info.from, info.key, 'key-request');
      const resp = createKeyResponse(this.sec.identity, info, { psk: this.sec.psk?.(sender), now: this.now() });
      await this.io.sendPrivate(sender, resp.contentType, resp.body);
      if (state !== 'changed') void this.distributeTo(sender);
      this.emit('status');
      return { kind: 'control' };
    }
    if (type === KEY_RESPONSE_CONTENT_TYPE) {
      const pending = this.keyRequests.get(sender);
      if (!pending) throw new ParleyError('KEY_MSG_UNSOLICITED', `key response from ${sender} without a request`);
      const info = verifyKeyResponse(text, {
        sipFrom: sender,
        me: this.sec.identity,
        pending,
        psk: this.sec.psk?.(sender),
        now: this.now(),
      });
      this.keyRequests.delete(sender);
      const state = await this.sec.peers.observe(info.from, info.key, 'key-response');
      if (state !== 'changed') await this.distributeTo(sender);
      this.emit('status');
      return { kind: 'control' };
    }
    if (type !== E2E_CONTENT_TYPE) return { kind: 'message', cpim, protected: false };
    const opened = await openEnvelope({
      envelope: decodeEnvelopeBody(text),
      me: this.sec.identity,
      pinnedSenderKey: this.sec.peers.pinnedKey(sender),
      allowUnknownSender: true,
      psk: this.sec.psk?.(sender),
      replay: this.replay,
      now: this.now(),
    });
    if (opened.senderAoR !== sender) throw new ParleyError('E2E_SENDER_MISMATCH', `envelope of ${opened.senderAoR} relayed as ${sender}`);
    const state = await this.sec.peers.observe(sender, opened.senderKey, 'envelope');
    if (state === 'changed') {
      this.emit('status');
      throw new ParleyError(
        'PEER_KEY_CHANGED',
        `the identity key of ${sender} changed; its messages and keys are refused until the change is accepted`,
        { aor: sender },
      );
    }
    const inner = parseCpim(opened.plaintext);
    if (inner.from && safeAor(inner.from.uri) !== sender)
      throw new ParleyError('E2E_SENDER_MISMATCH', 'inner CPIM From differs from the envelope sender');
    if (inner.contentType.split(';')[0].trim().toLowerCase() === SENDER_KEY_CONTENT_TYPE) {
      // Only a current member's key is taken: a former member (or anyone the focus lets talk) cannot plant one.
      if (!this.members.has(sender)) {
        this.held.hold(sender, inner.body);
        throw new ParleyError('GROUP_NOT_MEMBER', `sender key from ${sender}, who is not a member of the room: refused`);
      }
      this.acceptKey(sender, inner.body);
      return { kind: 'control' };
    }
    return { kind: 'message', cpim: inner, protected: true };
  }

  private acceptKey(sender: string, distribution: Uint8Array): void {
    const r = this.group.acceptDistribution(sender, distribution);
    this.theirEpoch.set(sender, r.epoch);
    this.sweep(sender);
    // a member we could not seal to yet (no pin) may be sealable now
    void this.distributeTo(sender);
    this.emit('status');
  }

  status(): RoomSecurity {
    const members: MemberSecurity[] = [...this.members].sort().map((aor) => ({
      aor,
      keyState: this.sec.peers.state(aor),
      haveTheirKey: this.theirEpoch.has(aor) && this.sec.peers.state(aor) !== 'changed',
      // sealed to a key that has since changed: the member's current installation cannot read it
      theyHaveOurKey: this.sent.has(aor) && this.sec.peers.state(aor) !== 'changed',
    }));
    return {
      e2e: 'on',
      epoch: this.group.epoch,
      members,
      allKeyed: members.every((m) => m.haveTheirKey && m.theyHaveOurKey),
      verified: members.filter((m) => m.keyState === 'verified').map((m) => m.aor),
      unverified: members.filter((m) => m.keyState === 'unverified' || m.keyState === 'unknown').map((m) => m.aor),
      changed: members.filter((m) => m.keyState === 'changed').map((m) => m.aor),
    };
  }

  destroy(): void {
    this.offPeers();
    clearTimeout(this.rotation);
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.pending = [];
    this.group.destroy();
  }
}
