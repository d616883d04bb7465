// End-to-end protected page mode (RFC 3428 MESSAGE carrying RFC 3862 CPIM sealed in the Parley envelope, docs/security.md
// s.5.1) with key discovery (s.5.3): seal/open, key request/response, pending requests per peer. No history, no views.
import { EventEmitter } from 'node:events';
import { ParleyError, type ErrorCode } from '../../base/errors';
import { normalizeAoR, safeAoR } from '../../security/aor';
import type { E2EContext } from '../../security/e2e';
import { E2E_CONTENT_TYPE, parseEnvelope, decodeEnvelopeBody } from '../../security/envelope';
import {
  KEY_REQUEST_CONTENT_TYPE,
  KEY_RESPONSE_CONTENT_TYPE,
  createKeyRequest,
  createKeyResponse,
  verifyKeyRequest,
  verifyKeyResponse,
  type PendingKeyRequest,
} from '../../security/key-request';
import { REPLAY_WINDOW_MS } from '../../security/replay';
import { IMDN_NS_URI, cpimHeader, parseCpim, type CpimMessage } from '../../protocol/formats/cpim';
import { DEFAULT_ACCEPT_TYPES, mediaType } from '../../protocol/sip/message-body';
import type { IncomingPageMessage, PageMessagingService, PageDelivery } from './page-messaging';

/** Content types the secure layer adds to the page-mode accept list. */
export const SECURE_ACCEPT_TYPES: readonly string[] = [
  ...DEFAULT_ACCEPT_TYPES,
  E2E_CONTENT_TYPE,
  KEY_REQUEST_CONTENT_TYPE,
  KEY_RESPONSE_CONTENT_TYPE,
];
/** A key request without an answer is sent again after this long (the peer may have been offline). */
export const KEY_REQUEST_RETRY_MS = 60_000;

const dec = new TextDecoder();

/** A decoded incoming chat-level item (a CPIM message, possibly unsealed from an envelope, or a bare body). */
export interface InboundItem {
  from: string;
  fromDisplayName: string | null;
  e2e: 'on' | 'psk' | 'off';
  /** Envelope signature verified with the sender's pinned key (false: key changed or first contact not yet pinned). */
  signatureValid?: boolean;
  senderKeyStatus?: 'pinned' | 'new' | 'changed';
  cpim?: CpimMessage;
  imdnMessageId?: string;
  /** Inner content type and body (CPIM content when cpim is set). */
  contentType: string;
  body: Uint8Array;
  sentAt?: Date;
  receivedAt: Date;
  tls: boolean;
}

/** An incoming message that could not be opened (tampered, not for us, stale, replayed...). Never dropped silently. */
export interface InboundFailure {
  from: string;
  code: ErrorCode;
  reason: string;
  imdnMessageId?: string;
  sentAt?: Date;
  receivedAt: Date;
  tls: boolean;
}

export interface WireTap {
  (dir: 'in' | 'out', m: { peer: string; contentType: string; body: string }): void;
}

export interface SecurePageEvents {
  item: [InboundItem];
  failure: [InboundFailure];
  /** A verified key response pinned `peer`'s key (or a key request did): queued messages can go out. */
  keyReady: [string];
  /** The key request to `peer` failed at SIP level (e.g. 603, 404). */
  keyFailed: [string, PageDelivery];
  /** Diagnostics (answered key requests, ignored stale responses...). */
  log: [string];
}

export class SecurePage extends EventEmitter<SecurePageEvents> {
  readonly #pending = new Map<string, PendingKeyRequest & { sentAt: number }>();

  constructor(
    private readonly page: PageMessagingService,
    private readonly e2e: E2EContext,
    private readonly me: string,
    private readonly now: () => number,
    private readonly tap?: WireTap,
  ) {
    super();
    page.on('message', (m) => {
      this.#onMessage(m).catch((e) => this.emit('log', `incoming from ${m.from} failed: ${(e as Error).message}`));
    });
  }

  hasKey(peer: string): boolean {
    const aor = normalizeAoR(peer);
    return this.e2e.peers.pinnedKey(aor) !== undefined || this.e2e.store.getPsk(aor) !== undefined;
  }

  keyRequestPending(peer: string): boolean {
    return this.#pending.has(normalizeAoR(peer));
  }

  /**
   * Sends a key request to `peer` unless one is outstanding and recent. Resolves with the SIP outcome of the request
   * (stored/sent), or emits keyFailed on failure.
   */
  async requestKey(peer: string, force = false): Promise<void> {
    const aor = normalizeAoR(peer);
    const cur = this.#pending.get(aor);
    if (cur && !force && this.now() - cur.sentAt < KEY_REQUEST_RETRY_MS) return;
    const req = createKeyRequest(this.e2e.store.signer(), aor, this.now());
    this.#pending.set(aor, { ...req.pending, sentAt: this.now() });
    const out = await this.#send(aor, req.contentType, req.body);
    if (out.status === 'failed') {
      if (this.#pending.get(aor)?.nonce === req.pending.nonce) this.#pending.delete(aor);
      this.emit('keyFailed', aor, out);
    }
  }

  /** Seals `cpim` (whose Message-ID/DateTime are given) for `peer` and sends it. E2E_NO_RECIPIENT_KEY without a key. */
  async sendSealed(peer: string, messageId: string, dateTime: number, cpim: Uint8Array): Promise<PageDelivery> {
    const sealed = this.e2e.seal([peer], messageId, dateTime, cpim);
    return this.#send(normalizeAoR(peer), sealed.contentType, sealed.body);
  }

  /** Sends a CPIM document without end-to-end protection (policy 'prefer'/'off'). */
  async sendPlain(peer: string, cpim: Uint8Array): Promise<PageDelivery> {
    return this.#send(normalizeAoR(peer), 'message/cpim', dec.decode(cpim));
  }

  /** Resends a raw body (tests and diagnostics: e.g. a captured envelope). */
  sendRaw(peer: string, contentType: string, body: string): Promise<PageDelivery> {
    return this.#send(normalizeAoR(peer), contentType, body);
  }

  async #send(peer: string, contentType: string, body: string): Promise<PageDelivery> {
    this.tap?.('out', { peer, contentType, body });
    return this.page.send(peer, { text: body, contentType });
  }

  async #onMessage(m: IncomingPageMessage): Promise<void> {
    const from = safeAoR(m.from);
    const tls = m.transport?.tls != null;
    const type = mediaType(m.contentType);
    const bodyText = dec.decode(m.body);
    this.tap?.('in', { peer: from, contentType: m.contentType, body: bodyText });
    const base = { from, receivedAt: m.receivedAt, tls };
    if (type === KEY_REQUEST_CONTENT_TYPE) return this.#onKeyRequest(from, bodyText);
    if (type === KEY_RESPONSE_CONTENT_TYPE) return this.#onKeyResponse(from, bodyText);
    if (type === E2E_CONTENT_TYPE) return this.#onEnvelope(m, from, bodyText, tls);
    // Not end-to-end protected: CPIM (page-messaging parsed it) or a bare body from a non-Parley client.
    this.emit('item', {
      ...base,
      fromDisplayName: m.fromDisplayName,
      e2e: 'off',
      cpim: m.cpim,
      imdnMessageId: m.imdnMessageId,
      contentType: m.cpim ? m.cpim.contentType : m.contentType,
      body: m.cpim ? m.cpim.body : m.body,
      sentAt: m.sentAt,
    });
  }

  async #onEnvelope(m: IncomingPageMessage, from: string, body: string, tls: boolean): Promise<void> {
    let headerId: string | undefined;
    let headerDate: Date | undefined;
    try {
      const env = parseEnvelope(decodeEnvelopeBody(body));
      headerId = env.messageId;
      headerDate = new Date(env.dateTime);
    } catch {
      /* reported by open() below */
    }
    try {
      const opened = await this.e2e.open(body, m.from);
      let cpim: CpimMessage;
      try {
        cpim = parseCpim(opened.plaintext);
      } catch (e) {
        throw new ParleyError('E2E_BAD_INNER', `sealed content is not CPIM: ${(e as Error).message}`);
      }
      const innerId = checkInner(cpim, opened);
      this.emit('item', {
        from,
        fromDisplayName: m.fromDisplayName,
        e2e: opened.mode === 'identity' ? 'on' : 'psk',
        signatureValid: opened.senderKeyStatus === 'pinned',
        senderKeyStatus: opened.senderKeyStatus,
        cpim,
        imdnMessageId: innerId,
        contentType: cpim.contentType,
        body: cpim.body,
        sentAt: new Date(opened.dateTime),
        receivedAt: m.receivedAt,
        tls,
      });
    } catch (e) {
      const err = e instanceof ParleyError ? e : new ParleyError('E2E_FAILED', String(e));
      this.emit('failure', {
        from,
        code: err.code,
        reason: err.message.slice(0, 200),
        imdnMessageId: headerId,
        sentAt: headerDate,
        receivedAt: m.receivedAt,
        tls,
      });
    }
  }

  async #onKeyRequest(from: string, body: string): Promise<void> {
    const signer = this.e2e.store.signer();
    let info;
    let fresh = true;
    try {
      info = verifyKeyRequest(body, { sipFrom: from, me: this.me, now: this.now() });
    } catch (e) {
      if (!(e instanceof ParleyError) || e.code !== 'KEY_MSG_STALE') throw e;
      // Stored by the network while we were offline: still answer (our public key, bound to the request nonce) within the
      // replay window, but do not pin a key taken from an old request.
      const ts = (JSON.parse(body) as { ts: number }).ts;
      if (ts > this.now() || this.now() - ts > REPLAY_WINDOW_MS) throw e;
      info = verifyKeyRequest(body, { sipFrom: from, me: this.me, now: ts });
      fresh = false;
    }
    if (fresh) {
      const st = await this.e2e.peers.observe(info.from, info.key, 'key-request');
      if (st !== 'changed') this.#pinned(info.from);
    }
    const resp = createKeyResponse(signer, info, { psk: this.e2e.store.getPsk(info.from), now: this.now() });
    const out = await this.#send(info.from, resp.contentType, resp.body);
    this.emit('log', `answered key request from ${info.from}: ${out.status} ${out.code}`);
  }

  async #onKeyResponse(from: string, body: string): Promise<void> {
    const pending = this.#pending.get(from);
    if (!pending) {
      this.emit('log', `key response from ${from} without an outstanding request: ignored`);
      return;
    }
    const opts = { sipFrom: from, me: this.e2e.store.signer(), pending, psk: this.e2e.store.getPsk(from) };
    let info;
    try {
      info = verifyKeyResponse(body, { ...opts, now: this.now() });
    } catch (e) {
      // The nonce matched our outstanding request (checked before the timestamp): a response stored by the network is
      // still an answer to our request.
      if (!(e instanceof ParleyError) || e.code !== 'KEY_MSG_STALE') throw e;
      info = verifyKeyResponse(body, { ...opts, now: (JSON.parse(body) as { ts: number }).ts });
    }
    this.#pending.delete(from);
    const st = await this.e2e.peers.observe(info.from, info.key, 'key-response');
    if (st !== 'changed') this.#pinned(info.from);
  }

  #pinned(peer: string): void {
    this.#pending.delete(peer);
    this.emit('keyReady', peer);
  }
}

/**
 * The inner CPIM of a sealed page message must say what the envelope authenticated (docs/security.md s.5.1): its
 * Message-ID and DateTime equal the header's (the header's DateTime passed the replay window), its From names the
 * envelope's sender. Anything else is a co-recipient or a relay re-sealing words under someone else's name. Returns the
 * Message-ID.
 */
export function checkInner(cpim: CpimMessage, opened: { senderAoR: string; messageId: string; dateTime: number }): string {
  const innerId = cpimHeader(cpim, IMDN_NS_URI, 'Message-ID');
  if (innerId !== opened.messageId) throw new ParleyError('E2E_BAD_INNER', 'inner Message-ID differs from the envelope header');
  const innerDate = cpim.dateTime === undefined ? NaN : Date.parse(cpim.dateTime);
  if (innerDate !== opened.dateTime) throw new ParleyError('E2E_BAD_INNER', 'inner DateTime differs from the envelope header');
  const innerFrom = cpim.from ? safeAoR(cpim.from.uri) : '';
  if (innerFrom !== opened.senderAoR) {
    throw new ParleyError('E2E_SENDER_MISMATCH', 'inner CPIM From differs from the envelope sender', {
      sender: opened.senderAoR,
      innerFrom: innerFrom.slice(0, 256),
    });
  }
  return innerId;
}
