// Glue for the messaging service: seal to pinned peers / open with pins, PSKs and the persistent replay cache (docs/security.md s.5.1).
import { ParleyError } from '../base/errors';
import { normalizeAoR } from './aor';
import {
  sealEnvelope,
  openEnvelope,
  parseEnvelope,
  decodeEnvelopeBody,
  encodeEnvelopeBody,
  E2E_CONTENT_TYPE,
  type OpenedEnvelope,
  type SealRecipient,
} from './envelope';
import { PeerKeys, type PeerKeyState } from './peers';
import { PersistentReplayGuard, type ReplayOptions } from './replay';
import type { KeyStore } from './keystore';
import type { EstablishedSession, SessionOptions } from './session-keys';

/** One account's E2E context: its key store, pins and replay cache. */
export class E2EContext {
  readonly peers: PeerKeys;
  readonly replay: PersistentReplayGuard;
  constructor(
    readonly store: KeyStore,
    opts: { now?: () => number; replay?: ReplayOptions } = {},
  ) {
    this.peers = PeerKeys.fromKeyStore(store, opts);
    this.replay = new PersistentReplayGuard(store, opts.replay);
    this.#now = opts.now ?? Date.now;
  }
  #now: () => number;

  /**
   * Which recipients can be sealed to now. `missing` lists AoRs with neither a pinned key nor a PSK: send them a key
   * request and queue the message. Throws PEER_KEY_CHANGED if any recipient has an unconfirmed key change.
   */
  plan(recipients: string[]): { ready: SealRecipient[]; missing: string[]; states: Record<string, PeerKeyState> } {
    const ready: SealRecipient[] = [];
    const missing: string[] = [];
    const states: Record<string, PeerKeyState> = {};
    for (const r of recipients) {
      const aor = normalizeAoR(r);
      states[aor] = this.peers.assertCanSend(aor);
      const identityKey = this.peers.pinnedKey(aor);
      const psk = this.store.getPsk(aor);
      if (!identityKey && !psk) missing.push(aor);
      else ready.push({ aor, identityKey, psk });
    }
    return { ready, missing, states };
  }

  /** Seal for all recipients; E2E_NO_RECIPIENT_KEY (details.missing) if any lacks a key and a PSK. Returns the SIP body. */
  seal(recipients: string[], messageId: string, dateTime: number, cpim: Uint8Array): { body: string; contentType: string } {
    const { ready, missing } = this.plan(recipients);
    if (missing.length) throw new ParleyError('E2E_NO_RECIPIENT_KEY', 'no key for some recipients; request keys first', { missing });
    const env = sealEnvelope({ sender: this.store.signer(), recipients: ready, messageId, dateTime, plaintext: cpim });
    return { body: encodeEnvelopeBody(env), contentType: E2E_CONTENT_TYPE };
  }

  /**
   * Open a received body. `sipFrom` is the SIP From / P-Asserted-Identity: it must name the envelope's sender
   * (E2E_SENDER_MISMATCH). New sender keys are TOFU-pinned; a different key moves the peer to 'changed' and the
   * message is returned with senderKeyStatus 'changed' for the UI to flag.
   */
  async open(body: string, sipFrom: string, opts: { allowUnknownSender?: boolean } = {}): Promise<OpenedEnvelope> {
    const bytes = decodeEnvelopeBody(body);
    const sender = parseEnvelope(bytes).senderAoR;
    if (normalizeAoR(sipFrom) !== sender) {
      throw new ParleyError('E2E_SENDER_MISMATCH', 'envelope sender differs from the SIP From', { sender, sipFrom });
    }
    const pinned = this.peers.get(sender);
    const opened = await openEnvelope({
      envelope: bytes,
      me: this.store.signer(),
      pinnedSenderKey: pinned.key,
      allowUnknownSender: opts.allowUnknownSender,
      psk: this.store.getPsk(sender),
      replay: this.replay,
      now: this.#now(),
    });
    await this.peers.observe(sender, opened.senderKey, 'envelope');
    return opened;
  }

  /** Options for SessionOffer.complete / acceptSessionOffer with this peer: its PSK (if any) and the expected AoR. */
  sessionOptions(peerAoR: string): SessionOptions {
    const aor = normalizeAoR(peerAoR);
    return { psk: this.store.getPsk(aor), expectedPeerAoR: aor };
  }

  /**
   * Pin (TOFU) or check the identity key a session peer presented in a=key-mgmt. Throws PEER_KEY_CHANGED (and records
   * the change) when it differs from the pin: the caller should then destroy the session and tell the user.
   */
  async checkSessionPeer(session: EstablishedSession): Promise<PeerKeyState> {
    const state = await this.peers.observe(session.peerAoR, session.peerIdentityKey, 'session');
    if (state === 'changed') this.peers.assertCanSend(session.peerAoR);
    return state;
  }
}
