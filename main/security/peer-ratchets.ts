// One account's Double Ratchet sessions with its peers plus its prekey secrets, persisted together (docs/security.md s.5.11).
// This is the object page mode and MSRP sessions will call: seal/open for N recipients, load/save through a persistence hook.
import { ParleyError } from '../base/errors';
import { b64url, fromB64url, ctEqual, random } from './sodium';
import { normalizeAoR } from './aor';
import type { Identity } from './identity';
import type { KeyStore } from './keystore';
import { checkWindow, type ReplayGuard } from './replay';
import { senderKeyStatus, type OpenedPageEnvelope } from './envelope-frame';
import { verifyBundle, verifyOneTime, type PrekeyBundle, type Rng } from './prekeys';
import { PrekeySecrets, ONE_TIME_BATCH, ONE_TIME_LOW, type PrekeySecretsJSON } from './prekey-secrets';
import { pqxdhInitiate, pqxdhRespond } from './pqxdh';
import {
  initInitiator,
  initResponder,
  ratchetSend,
  ratchetReceive,
  ratchetToJSON,
  ratchetFromJSON,
  type RatchetState,
  type RatchetStateJSON,
} from './ratchet';
import {
  sealRatchetEnvelope,
  parseRatchetEnvelope,
  verifyRatchetEnvelopeSignature,
  openRatchetPayload,
  type RatchetRecipient,
} from './ratchet-envelope';

/** Sessions kept per peer (the newest first): simultaneous first messages and re-initialisations overlap briefly. */
export const SESSIONS_PER_PEER = 3;
/** Peers with ratchet state; the least recently used beyond this are forgotten (they fall back to a new PQXDH). */
export const MAX_RATCHET_PEERS = 5000;

/** Where the section lives: the key store in the app (`keyStoreRatchetPersistence`), memory in tests. */
export interface RatchetPersistence {
  load(): unknown;
  /** Persist atomically; resolve only when durable (a message is acknowledged after this). */
  save(section: RatchetSection): Promise<void>;
}

interface SessionJSON {
  peer: string;
  used: number;
  st: RatchetStateJSON;
}
interface PeerJSON {
  s: SessionJSON[];
  /** static (v1) envelopes received after a ratchet existed */
  down: number;
  used: number;
}
export interface RatchetSection {
  v: 1;
  prekeys: PrekeySecretsJSON;
  peers: Record<string, PeerJSON>;
}

export function keyStoreRatchetPersistence(store: KeyStore): RatchetPersistence {
  return { load: () => store.getSection('ratchet'), save: (s) => store.setSection('ratchet', s) };
}

export interface OpenedRatchetEnvelope extends OpenedPageEnvelope {
  recipients: string[];
  /** This message started a new session (PQXDH first message). */
  firstMessage: boolean;
  protection: 'forward-secret';
}

export interface RatchetOpenOptions {
  pinnedSenderKey?: Uint8Array;
  allowUnknownSender?: boolean;
  replay?: ReplayGuard | null;
}

export class PeerRatchets {
  #prekeys: PrekeySecrets;
  #peers: Record<string, PeerJSON>;
  #pending: Promise<void> | null = null;
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly me: Identity,
    private readonly persistence: RatchetPersistence,
    section: RatchetSection,
    private readonly now: () => number,
    private readonly rng: Rng,
  ) {
    this.#prekeys = PrekeySecrets.fromJSON(section.prekeys);
    this.#peers = { ...section.peers };
  }

  /** Load the section (or create prekeys and persist them on first use). */
  static async open(o: { me: Identity; persistence: RatchetPersistence; now?: () => number; rng?: Rng }): Promise<PeerRatchets> {
    const now = o.now ?? Date.now;
    const loaded = o.persistence.load() as RatchetSection | undefined;
    if (loaded !== undefined && (loaded === null || loaded.v !== 1 || typeof loaded.peers !== 'object'))
      throw new ParleyError('KEYSTORE_CORRUPT', 'ratchet section: unsupported version', { version: loaded?.v });
    const section = loaded ?? { v: 1, prekeys: PrekeySecrets.create(now(), o.rng).toJSON(), peers: {} };
    const pr = new PeerRatchets(o.me, o.persistence, section, now, o.rng ?? random);
    if (!loaded) await pr.flush();
    return pr;
  }

  snapshot(): RatchetSection {
    return { v: 1, prekeys: this.#prekeys.toJSON(), peers: { ...this.#peers } };
  }

  /** Persist the current state; concurrent callers share one write (group commit). */
  flush(): Promise<void> {
    if (this.#pending) return this.#pending;
    const p = this.#writing.then(() => {
      this.#pending = null;
      return this.persistence.save(this.snapshot());
    });
    this.#pending = p;
    this.#writing = p.catch(() => {});
    return p;
  }

  hasSession(aor: string): boolean {
    return (this.#peers[normalizeAoR(aor)]?.s.length ?? 0) > 0;
  }

  /** Recipients without a session: fetch their bundle from the directory (or fall back to static sealing). */
  missing(aors: string[]): string[] {
    return aors.map(normalizeAoR).filter((a) => !this.hasSession(a));
  }

  /**
   * Start a session from a directory answer (PQXDH initiator). The bundle is verified against its identity key, the AoR
   * asked for and the pinned key (PREKEY_IDENTITY_CHANGED when it differs: the key-change block applies).
   */
  async startSession(
    fetched: { bundle: Uint8Array; oneTime?: Uint8Array | null },
    expect: { aor: string; pinnedKey?: Uint8Array },
  ): Promise<PrekeyBundle> {
    const bundle = verifyBundle(fetched.bundle, expect);
    const otk = fetched.oneTime ? verifyOneTime(fetched.oneTime, bundle.aor, bundle.identityKey) : undefined;
    const x = pqxdhInitiate(this.me, bundle, otk, this.rng);
    const st = initInitiator(x.sharedKey, bundle.signedPrekey.publicKey, x, this.rng);
    this.#commit(bundle.aor, st, bundle.identityKey, true);
    await this.flush();
    return bundle;
  }

  /** Seal one message for every recipient (all need a session: E2E_NO_SESSION with details.missing). Durable before it returns. */
  async seal(input: { recipients: string[]; messageId: string; dateTime: number; plaintext: Uint8Array }): Promise<Uint8Array> {
    const aors = input.recipients.map(normalizeAoR);
    const missing = this.missing(aors);
    if (missing.length) throw new ParleyError('E2E_NO_SESSION', 'no ratchet session with some recipients', { missing });
    const recipients: RatchetRecipient[] = [];
    const keys: Uint8Array[] = [];
    const next: [string, RatchetState, Uint8Array][] = [];
    for (const aor of aors) {
      const sj = this.#peers[aor].s[0];
      const st = ratchetFromJSON(sj.st);
      const peerKey = fromB64url(sj.peer, 'KEYSTORE_CORRUPT', 32);
      const { header, mk, next: n } = ratchetSend(st);
      recipients.push({ aor, identityKey: peerKey, sessionId: st.sessionId, init: st.pendingInit, header });
      keys.push(mk);
      next.push([aor, n, peerKey]);
    }
    const env = sealRatchetEnvelope(
      { sender: this.me, messageId: input.messageId, dateTime: input.dateTime, plaintext: input.plaintext, recipients },
      keys,
      this.rng,
    );
    for (const [aor, st, key] of next) this.#commit(aor, st, key, false);
    await this.flush();
    return env;
  }

  /** Open a v2 envelope. Check order: docs/security.md s.5.11. The new state is durable before the plaintext is returned. */
  async open(bytes: Uint8Array, o: RatchetOpenOptions = {}): Promise<OpenedRatchetEnvelope> {
    const env = parseRatchetEnvelope(bytes);
    const myAoR = normalizeAoR(this.me.aor);
    const idx = env.recipients.findIndex((r) => r.aor === myAoR);
    if (idx < 0) throw new ParleyError('E2E_NOT_FOR_ME', 'envelope is not addressed to this account');
    const mine = env.recipients[idx];
    if (!ctEqual(mine.identityKey, this.me.publicKey))
      throw new ParleyError('E2E_NOT_FOR_ME', 'envelope is sealed to a different identity key of this account', { reason: 'key' });
    const keyStatus = senderKeyStatus(env.senderAoR, env.senderKey, o.pinnedSenderKey, o.allowUnknownSender);
    verifyRatchetEnvelopeSignature(env);
    const now = this.now();
    checkWindow(env.dateTime, now);

    const sender = normalizeAoR(env.senderAoR);
    const known = this.#peers[sender]?.s.find((s) => ctEqual(fromB64url(s.st.sid, 'KEYSTORE_CORRUPT', 16), mine.sessionId));
    let st: RatchetState;
    let usedOneTime = 0;
    if (known) {
      if (!ctEqual(fromB64url(known.peer, 'KEYSTORE_CORRUPT', 32), env.senderKey))
        throw new ParleyError('E2E_TAMPERED', 'session belongs to another identity key of this sender');
      st = ratchetFromJSON(known.st);
    } else if (mine.init) {
      const i = mine.init;
      const x = pqxdhRespond(this.me, { aor: sender, identityKey: env.senderKey }, i, {
        signedPrekey: this.#prekeys.signedPrekey(i.signedPrekeyId)?.privateKey,
        kemSecret: this.#prekeys.kemSecret(i.kemPrekeyId),
        oneTime: i.oneTimePrekeyId ? this.#prekeys.oneTime(i.oneTimePrekeyId) : undefined,
      });
      if (!ctEqual(x.sessionId, mine.sessionId)) throw new ParleyError('E2E_TAMPERED', 'session id does not match the first-message keys');
      st = initResponder(x.sharedKey, this.#prekeys.signedPrekey(i.signedPrekeyId)!, x);
      usedOneTime = i.oneTimePrekeyId;
    } else {
      throw new ParleyError('E2E_NO_SESSION', 'message of a session this account does not hold (lost state or expired)', { sender });
    }
    const { mk, next } = ratchetReceive(st, mine.header, now, this.rng);
    const plaintext = openRatchetPayload(env, idx, mk);
    // authenticated: commit before any await so concurrent opens never overwrite each other
    if (usedOneTime) this.#prekeys.consumeOneTime(usedOneTime);
    this.#commit(sender, next, env.senderKey, true);
    if (o.replay) await o.replay.checkAndRecord(sender, env.messageId, env.dateTime, now);
    await this.flush();
    return {
      plaintext,
      senderAoR: sender,
      senderKey: env.senderKey.slice(),
      senderKeyStatus: keyStatus,
      messageId: env.messageId,
      dateTime: env.dateTime,
      recipients: env.recipients.map((r) => r.aor),
      firstMessage: !known,
      protection: 'forward-secret',
    };
  }

  /**
   * A static (v1) envelope arrived from `aor`. Returns downgrade = true when a ratchet with that peer exists: the UI must
   * flag the message (never a silent downgrade). Persisted as a counter per peer.
   */
  async noteStatic(aor: string): Promise<{ downgrade: boolean }> {
    const a = normalizeAoR(aor);
    const p = this.#peers[a];
    if (!p?.s.length) return { downgrade: false };
    this.#peers[a] = { ...p, down: p.down + 1 };
    await this.flush();
    return { downgrade: true };
  }

  /** Forget every session with a peer (e.g. after accepting a changed identity key). */
  async forget(aor: string): Promise<void> {
    delete this.#peers[normalizeAoR(aor)];
    await this.flush();
  }

  // ---- prekeys to publish ----

  /** Bundle plus `oneTime` new one-time prekeys to publish; rotates the signed/KEM prekeys first when due. */
  async publication(oneTime = ONE_TIME_BATCH): Promise<{ bundle: Uint8Array; oneTime: Uint8Array[] }> {
    const now = this.now();
    if (this.#prekeys.rotationDue(now)) this.#prekeys.rotate(now, this.rng);
    this.#prekeys.prune(now);
    const records = oneTime > 0 ? this.#prekeys.generateOneTime(this.me, oneTime, this.rng) : [];
    await this.flush();
    return { bundle: this.#prekeys.bundle(this.me), oneTime: records };
  }

  /** How many one-time prekeys to add given the directory's count (0 when it has enough). */
  topUpNeeded(directoryCount: number): number {
    return directoryCount < ONE_TIME_LOW ? ONE_TIME_BATCH - directoryCount : 0;
  }

  prekeyInfo(): { bundle: Uint8Array; oneTimeHeld: number; rotationDue: boolean } {
    return {
      bundle: this.#prekeys.bundle(this.me),
      oneTimeHeld: this.#prekeys.oneTimeHeld,
      rotationDue: this.#prekeys.rotationDue(this.now()),
    };
  }

  #commit(aor: string, st: RatchetState, peerKey: Uint8Array, front: boolean): void {
    const prev = this.#peers[aor];
    const sid = b64url(st.sessionId);
    const rec: SessionJSON = { peer: b64url(peerKey), used: this.now(), st: ratchetToJSON(st) };
    const list = prev?.s ?? [];
    const has = list.some((x) => x.st.sid === sid);
    // receiving (or starting) makes a session current; sending updates it where it is
    const s = front || !has ? [rec, ...list.filter((x) => x.st.sid !== sid)] : list.map((x) => (x.st.sid === sid ? rec : x));
    this.#peers[aor] = { s: s.slice(0, SESSIONS_PER_PEER), down: prev?.down ?? 0, used: this.now() };
    const names = Object.keys(this.#peers);
    if (names.length > MAX_RATCHET_PEERS) {
      const oldest = names.reduce((a, b) => (this.#peers[a].used <= this.#peers[b].used ? a : b));
      delete this.#peers[oldest];
    }
  }
}

/** In-memory persistence (tests, benchmarks, the CLI's dry runs): keeps a JSON copy of the last save. */
export function memoryRatchetPersistence(
  initial?: RatchetSection,
): RatchetPersistence & { readonly saved: RatchetSection | undefined; saves: number } {
  let saved = initial && (JSON.parse(JSON.stringify(initial)) as RatchetSection);
  const p = {
    saves: 0,
    get saved() {
      return saved;
    },
    load: () => saved && (JSON.parse(JSON.stringify(saved)) as RatchetSection),
    save: async (s: RatchetSection) => {
      saved = JSON.parse(JSON.stringify(s)) as RatchetSection;
      p.saves++;
    },
  };
  return p;
}
