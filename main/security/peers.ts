// Peer identity-key pinning per SIP AoR: trust on first use, verified, changed-key blocking (docs/security.md s.4).
import { ParleyError } from '../base/errors';
import { normalizeAoR } from './aor';
import { b64url, fromB64url, ctEqual } from './sodium';
import { fingerprint } from './identity';
import type { KeyStore } from './keystore';

export type PeerKeyState = 'unknown' | 'unverified' | 'verified' | 'changed';
export type PeerKeyEventKind = 'pinned' | 'verified' | 'unverified' | 'changed' | 'accepted';
export type KeySource = 'envelope' | 'key-request' | 'key-response' | 'session' | 'manual';

export interface PeerKeyEvent {
  at: number;
  aor: string;
  kind: PeerKeyEventKind;
  /** Fingerprint of the key the event is about (new key for 'changed'/'accepted'). */
  fingerprint: string;
  previousFingerprint?: string;
  /** True when the peer had been verified before this change (UI shows a stronger warning). */
  wasVerified?: boolean;
  source?: KeySource;
}

/** Public view of a pin (no secrets anywhere here; safe for IPC after encoding the keys). */
export interface PeerInfo {
  aor: string;
  state: PeerKeyState;
  key?: Uint8Array;
  fingerprint?: string;
  pendingKey?: Uint8Array;
  pendingFingerprint?: string;
  firstSeen?: number;
  verifiedAt?: number;
}

interface StoredPeer {
  key: string;
  state: 'unverified' | 'verified' | 'changed';
  firstSeen: number;
  verifiedAt?: number;
  pendingKey?: string;
  wasVerified?: boolean;
  events: PeerKeyEvent[];
}
type PeersState = Record<string, StoredPeer>;

export const MAX_EVENTS_PER_PEER = 50;

/** Where pins live; KeyStore satisfies it through its encrypted 'peers' section. */
export interface PeerBackend {
  load(): PeersState | undefined;
  save(state: PeersState): Promise<void>;
}

export function keyStorePeerBackend(store: KeyStore): PeerBackend {
  return { load: () => store.getSection<PeersState>('peers'), save: (s) => store.setSection('peers', s) };
}

export class PeerKeys {
  #peers: PeersState;
  #listeners = new Set<(e: PeerKeyEvent) => void>();
  #now: () => number;

  constructor(
    private readonly backend: PeerBackend,
    opts: { now?: () => number } = {},
  ) {
    this.#peers = structuredClone(backend.load() ?? {});
    this.#now = opts.now ?? Date.now;
  }

  static fromKeyStore(store: KeyStore, opts?: { now?: () => number }): PeerKeys {
    return new PeerKeys(keyStorePeerBackend(store), opts);
  }

  /** Subscribe to key events (pinned, changed, accepted, verified); returns an unsubscribe function. */
  onEvent(listener: (e: PeerKeyEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  state(aor: string): PeerKeyState {
    return this.#peers[normalizeAoR(aor)]?.state ?? 'unknown';
  }

  get(aor: string): PeerInfo {
    const a = normalizeAoR(aor);
    const p = this.#peers[a];
    if (!p) return { aor: a, state: 'unknown' };
    const key = fromB64url(p.key, 'KEYSTORE_CORRUPT', 32);
    const pending = p.pendingKey ? fromB64url(p.pendingKey, 'KEYSTORE_CORRUPT', 32) : undefined;
    return {
      aor: a,
      state: p.state,
      key,
      fingerprint: fingerprint(key),
      pendingKey: pending,
      pendingFingerprint: pending && fingerprint(pending),
      firstSeen: p.firstSeen,
      verifiedAt: p.verifiedAt,
    };
  }

  /** The pinned key to encrypt to / verify against (the old one while 'changed'). */
  pinnedKey(aor: string): Uint8Array | undefined {
    return this.get(aor).key;
  }

  events(aor: string): PeerKeyEvent[] {
    return structuredClone(this.#peers[normalizeAoR(aor)]?.events ?? []);
  }

  /** Throws PEER_KEY_CHANGED while a changed key awaits acceptChangedKey(). Returns the state otherwise. */
  assertCanSend(aor: string): PeerKeyState {
    const a = normalizeAoR(aor);
    const st = this.state(a);
    if (st === 'changed') {
      const info = this.get(a);
      throw new ParleyError('PEER_KEY_CHANGED', `the identity key of ${a} changed; confirm the new key before sending`, {
        aor: a,
        fingerprint: info.fingerprint,
        pendingFingerprint: info.pendingFingerprint,
      });
    }
    return st;
  }

  /** Record a key seen for `aor` (TOFU). First key -> 'unverified'; a different key -> 'changed' (pin kept). */
  observe(aor: string, key: Uint8Array, source: KeySource = 'envelope'): Promise<PeerKeyState> {
    return this.#serial(() => this.#observe(aor, key, source));
  }

  async #observe(aor: string, key: Uint8Array, source: KeySource): Promise<PeerKeyState> {
    const a = normalizeAoR(aor);
    if (key.length !== 32) throw new ParleyError('SEC_BAD_KEY', 'identity key must be 32 bytes');
    const p = this.#peers[a];
    if (!p) {
      await this.#commit(
        a,
        (s) => {
          s[a] = { key: b64url(key), state: 'unverified', firstSeen: this.#now(), events: [] };
        },
        { kind: 'pinned', fingerprint: fingerprint(key), source },
      );
      return 'unverified';
    }
    const pinned = fromB64url(p.key, 'KEYSTORE_CORRUPT', 32);
    if (ctEqual(pinned, key)) return p.state;
    if (p.state === 'changed' && p.pendingKey && ctEqual(fromB64url(p.pendingKey, 'KEYSTORE_CORRUPT', 32), key)) return 'changed';
    const wasVerified = p.state === 'verified' || !!p.wasVerified;
    await this.#commit(
      a,
      (s) => {
        Object.assign(s[a], { state: 'changed', pendingKey: b64url(key), wasVerified });
      },
      { kind: 'changed', fingerprint: fingerprint(key), previousFingerprint: fingerprint(pinned), wasVerified, source },
    );
    return 'changed';
  }

  /** Pin the pending key of a 'changed' peer as 'unverified'; unblocks sending. */
  acceptChangedKey(aor: string): Promise<void> {
    return this.#serial(() => this.#accept(aor));
  }

  async #accept(aor: string): Promise<void> {
    const a = normalizeAoR(aor);
    const p = this.#peers[a];
    if (!p || p.state !== 'changed' || !p.pendingKey)
      throw new ParleyError('PEER_NO_CHANGE', `no changed key pending for ${a}`, { aor: a });
    const next = fromB64url(p.pendingKey, 'KEYSTORE_CORRUPT', 32);
    const prev = fromB64url(p.key, 'KEYSTORE_CORRUPT', 32);
    await this.#commit(
      a,
      (s) => {
        s[a] = { ...s[a], key: p.pendingKey!, state: 'unverified', pendingKey: undefined, wasVerified: undefined, verifiedAt: undefined };
      },
      { kind: 'accepted', fingerprint: fingerprint(next), previousFingerprint: fingerprint(prev) },
    );
  }

  /** Mark the pinned key verified (after comparing safety numbers / scanning the QR). The key must equal the pin. */
  markVerified(aor: string, key: Uint8Array): Promise<void> {
    return this.#serial(() => this.#verify(aor, key));
  }

  async #verify(aor: string, key: Uint8Array): Promise<void> {
    const a = normalizeAoR(aor);
    const p = this.#peers[a];
    if (!p || !ctEqual(fromB64url(p.key, 'KEYSTORE_CORRUPT', 32), key)) {
      throw new ParleyError('PEER_KEY_MISMATCH', `the verified key is not the key pinned for ${a}`, { aor: a });
    }
    if (p.state === 'changed') throw new ParleyError('PEER_KEY_CHANGED', `resolve the key change of ${a} first`, { aor: a });
    await this.#commit(
      a,
      (s) => {
        Object.assign(s[a], { state: 'verified', verifiedAt: this.#now() });
      },
      { kind: 'verified', fingerprint: fingerprint(key) },
    );
  }

  markUnverified(aor: string): Promise<void> {
    return this.#serial(() => this.#unverify(aor));
  }

  async #unverify(aor: string): Promise<void> {
    const a = normalizeAoR(aor);
    const p = this.#peers[a];
    if (!p || p.state !== 'verified') return;
    await this.#commit(
      a,
      (s) => {
        Object.assign(s[a], { state: 'unverified', verifiedAt: undefined });
      },
      { kind: 'unverified', fingerprint: fingerprint(fromB64url(p.key, 'KEYSTORE_CORRUPT', 32)) },
    );
  }

  #queue: Promise<unknown> = Promise.resolve();
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(fn);
    this.#queue = p.catch(() => {});
    return p;
  }

  async #commit(aor: string, change: (s: PeersState) => void, ev: Omit<PeerKeyEvent, 'at' | 'aor'>): Promise<void> {
    const next = structuredClone(this.#peers);
    change(next);
    const event: PeerKeyEvent = { at: this.#now(), aor, ...ev };
    const events = [...next[aor].events, event];
    next[aor].events = events.slice(-MAX_EVENTS_PER_PEER);
    await this.backend.save(JSON.parse(JSON.stringify(next)) as PeersState);
    this.#peers = next;
    for (const l of this.#listeners) l(event);
  }
}
