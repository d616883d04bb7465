// The E2E material a feature needs from the account, as one value (docs/security.md): our identity (signs a=key-mgmt,
// envelopes), the pin store (TOFU / PEER_KEY_CHANGED), pre-shared keys, and the replay guard. Built once per account.
import { LocalIdentity, type Identity } from './identity';
import { PeerKeys } from './peers';
import { initCrypto } from './sodium';
import type { ReplayGuard } from './replay';
import type { E2EContext } from './e2e';

export interface SecurityBundle {
  identity: Identity;
  peers: PeerKeys;
  psk?: (aor: string) => Uint8Array | undefined;
  /** Replay guard for pairwise envelopes (conference distribution payloads, private messages); default in-memory. */
  replay?: ReplayGuard;
}

/** The account's bundle: key store identity and PSKs, its pins and its persistent replay cache. */
export function securityBundle(e2e: E2EContext): SecurityBundle {
  return { identity: e2e.store.signer(), peers: e2e.peers, psk: (aor) => e2e.store.getPsk(aor), replay: e2e.replay };
}

/** A bundle without a key store: a fresh identity (or the given one) and pins kept in memory for as long as it lives. */
export async function ephemeralSecurity(aor: string, identity?: LocalIdentity): Promise<SecurityBundle & { identity: LocalIdentity }> {
  await initCrypto();
  const state: { v: unknown } = { v: undefined };
  const peers = new PeerKeys({ load: () => state.v as never, save: async (s) => void (state.v = s) });
  return { identity: identity ?? LocalIdentity.generate(aor), peers };
}
