// RFC 3428 page-mode instant messaging over SIP MESSAGE (with RFC 3862 CPIM + RFC 5438 IMDN Message-ID when asked).
import type { DeliveryResult } from '../../base/delivery';
import { EventEmitter } from 'node:events';
import { ParleyError } from '../../base/errors';
import { isPeerAddress } from '../../security/aor';
import {
  buildChatCpim,
  cpimHeader,
  parseCpim,
  serializeCpim,
  IMDN_NS_URI,
  type CpimMessage,
  type ImdnDispositionRequest,
} from '../../protocol/formats/cpim';
import { IMDN_CONTENT_TYPE, newImdnMessageId, parseImdn, type ImdnNotification } from '../../protocol/formats/imdn';
import type { SipUserAgent } from '../../net/sip/ua';
import { defaultReason, type IncomingSipRequest } from '../../net/sip/incoming';
import type { ConnectionInfo } from '../../net/sip/connection-info';
import {
  CONTENT_ENCODING_HEADER,
  CTE_HEADER,
  SUPPORTED_CONTENT_ENCODINGS,
  decodeContentEncoding,
  DEFAULT_POLICY,
  decodeBody,
  decodeUtf8,
  encodeBody,
  isTextualType,
  judgeIncoming,
  mediaType,
  normalizeSipUri,
  type IncomingPolicy,
} from '../../protocol/sip/message-body';

/** How long a send may take before it is reported as a timeout (JsSIP's own Timer F is 32 s). */
export const SEND_TIMEOUT_MS = 32_000;

/** Per-account block list; the store can back it later (sync or async). */
export interface BlockList {
  isBlocked(accountAor: string, senderUri: string): boolean | Promise<boolean>;
}

export class MemoryBlockList implements BlockList {
  private readonly entries = new Map<string, Set<string>>();
  block(accountAor: string, senderUri: string): void {
    const k = normalizeSipUri(accountAor);
    if (!this.entries.has(k)) this.entries.set(k, new Set());
    this.entries.get(k)!.add(normalizeSipUri(senderUri));
  }
  unblock(accountAor: string, senderUri: string): void {
    this.entries.get(normalizeSipUri(accountAor))?.delete(normalizeSipUri(senderUri));
  }
  list(accountAor: string): string[] {
    return [...(this.entries.get(normalizeSipUri(accountAor)) ?? [])];
  }
  isBlocked(accountAor: string, senderUri: string): boolean {
    return this.entries.get(normalizeSipUri(accountAor))?.has(normalizeSipUri(senderUri)) ?? false;
  }
}

export interface PageContent {
  /** Text (sent as text/plain;charset=utf-8 unless contentType says otherwise). */
  text?: string;
  /** Raw bytes (binary-safe). */
  body?: Uint8Array;
  contentType?: string;
  /** Wrap in message/cpim with imdn.Message-ID and DateTime (RFC 5438 s.6.3). */
  cpim?: boolean;
  imdnMessageId?: string;
  notifications?: ImdnDispositionRequest[];
  extraHeaders?: string[];
}

/** A page-mode MESSAGE's result: 'sent' (2xx: accepted, by the recipient's UE or a server on the way; the IMDN tells
 *  delivery), 'stored' (202: kept by the network for later) or 'failed' (errorCode SIP_FAILURE / SIP_TIMEOUT /
 *  SIP_TRANSPORT_ERROR); always with the SIP code and reason. */
export type PageDelivery = DeliveryResult & { status: 'sent' | 'stored' | 'failed'; code: number; reason: string };

export interface IncomingPageMessage {
  from: string;
  fromDisplayName: string | null;
  to: string;
  contentType: string;
  /** Decoded payload (after Content-Transfer-Encoding). For message/cpim, the whole CPIM document. */
  body: Uint8Array;
  /** Text of the message when textual: for CPIM, the text of the encapsulated content. */
  text?: string;
  cpim?: CpimMessage;
  imdnMessageId?: string;
  /**
   * An RFC 5438 disposition notification (message/imdn+xml, bare or inside CPIM), e.g. the delivery notifications
   * linphonec sends automatically. Undefined when the body is not one or does not parse.
   */
  imdn?: ImdnNotification;
  /** Sender's date (CPIM DateTime, else the SIP Date header): kept for messages stored and forwarded by the network. */
  sentAt?: Date;
  mode: 'page';
  receivedAt: Date;
  callId: string;
  transport: ConnectionInfo | null;
}

export interface PageMessagingOptions {
  policy?: Partial<IncomingPolicy>;
  blockList?: BlockList;
  sendTimeoutMs?: number;
  /** Take a bare text/plain body that parses as CPIM for CPIM (stock msilo elsewhere; default true). See sniffStoredCpim. */
  sniffStoredCpim?: boolean;
}

export interface PageMessagingEvents {
  message: [IncomingPageMessage];
  /** An incoming request refused (for logs/diagnostics). */
  rejected: [{ from: string; code: number; reason: string }];
}

export class PageMessagingService extends EventEmitter<PageMessagingEvents> {
  readonly policy: IncomingPolicy;
  private readonly ua: SipUserAgent;
  private readonly blockList: BlockList | undefined;
  private readonly sendTimeoutMs: number;
  private readonly sniffCpim: boolean;

  constructor(ua: SipUserAgent, opts: PageMessagingOptions = {}) {
    super();
    this.ua = ua;
    this.policy = { ...DEFAULT_POLICY, ...opts.policy };
    this.blockList = opts.blockList;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? SEND_TIMEOUT_MS;
    this.sniffCpim = opts.sniffStoredCpim ?? true;
    ua.setMessageHandler((req) => {
      this.onRequest(req).catch((e) => {
        if (!req.replied) req.reply(500, 'Server Internal Error');
        this.ua.reportError(e instanceof ParleyError ? e : new ParleyError('PAGE_HANDLER_FAILED', String(e), {}, { cause: e }));
      });
    });
  }

  /** Detaches from the UA (incoming MESSAGEs then get 405). */
  close(): void {
    this.ua.setMessageHandler(null);
  }

  /** Sends one MESSAGE; resolves with its outcome (never rejects for SIP failures; throws ParleyError on bad input). */
  async send(target: string, content: PageContent): Promise<PageDelivery> {
    let contentType = content.contentType ?? (content.body ? 'application/octet-stream' : 'text/plain;charset=utf-8');
    let payload: Uint8Array | string;
    if (content.text === undefined && content.body === undefined) throw new ParleyError('PAGE_EMPTY', 'nothing to send');
    let imdnMessageId: string | undefined;
    if (content.cpim) {
      imdnMessageId = content.imdnMessageId ?? newImdnMessageId();
      const cpim = buildChatCpim({
        from: this.ua.account.aor,
        to: [target],
        messageId: imdnMessageId,
        notifications: content.notifications,
        ...(content.body !== undefined ? { content: { contentType, body: content.body } } : { text: content.text! }),
      });
      if (content.body === undefined && content.contentType) cpim.contentType = content.contentType;
      payload = serializeCpim(cpim);
      contentType = 'message/cpim';
    } else {
      payload = content.body ?? content.text!;
    }
    const enc = encodeBody(contentType, payload);
    const timeout = new Promise<PageDelivery>((resolve) => {
      const t = setTimeout(
        () => resolve({ status: 'failed', code: 408, reason: 'Request Timeout', errorCode: 'SIP_TIMEOUT', imdnMessageId }),
        this.sendTimeoutMs,
      );
      t.unref();
    });
    const sent = this.ua
      .sendMessage(target, enc.text, contentType, [...enc.headers, ...(content.extraHeaders ?? [])])
      .then((r): PageDelivery => {
        if (r.statusCode >= 200 && r.statusCode < 300) {
          return { status: r.statusCode === 202 ? 'stored' : 'sent', code: r.statusCode, reason: r.reasonPhrase, imdnMessageId };
        }
        const errorCode = r.originator === 'system' ? (r.statusCode === 408 ? 'SIP_TIMEOUT' : 'SIP_TRANSPORT_ERROR') : 'SIP_FAILURE';
        return { status: 'failed', code: r.statusCode, reason: r.reasonPhrase, errorCode, imdnMessageId };
      });
    return Promise.race([sent, timeout]);
  }

  private async onRequest(req: IncomingSipRequest): Promise<void> {
    // The sender's address goes into the history and onto the screen: one that cannot be shown is refused here, where it
    // enters (issue 12: a From without a user part once broke every conversation list).
    if (!isPeerAddress(req.from)) {
      req.reply(400, 'Invalid From');
      this.emit('rejected', { from: req.from.slice(0, 300), code: 400, reason: 'Invalid From' });
      return;
    }
    const contentType = req.header('content-type');
    const blocked = this.blockList ? await this.blockList.isBlocked(this.ua.account.aor, req.from) : false;
    const verdict = judgeIncoming({ contentType, wireBytes: req.body.length, transport: req.transport?.transport, blocked }, this.policy);
    if (verdict) {
      req.reply(verdict.code, verdict.reason, verdict.headers);
      this.emit('rejected', { from: req.from, code: verdict.code, reason: verdict.reason });
      return;
    }
    let body: Uint8Array;
    let cpim: CpimMessage | undefined;
    const type = contentType ?? 'text/plain';
    try {
      body = decodeBody(req.body, req.header(CTE_HEADER));
      body = await decodeContentEncoding(body, req.header(CONTENT_ENCODING_HEADER), this.policy.maxStreamBytes);
      if (mediaType(type) === 'message/cpim') cpim = parseCpim(body);
      else if (this.sniffCpim) cpim = sniffStoredCpim(type, body);
    } catch (e) {
      const code = e instanceof ParleyError ? (BODY_ERROR_STATUS[e.code] ?? 400) : 400;
      const reason = code === 400 && e instanceof ParleyError ? e.message.replace(/[\r\n]+/g, ' ').slice(0, 120) : defaultReason(code);
      req.reply(code, reason, code === 415 ? [`Accept-Encoding: ${SUPPORTED_CONTENT_ENCODINGS.join(', ')}`] : []);
      this.emit('rejected', { from: req.from, code, reason });
      return;
    }
    req.reply(200, 'OK');
    const text = cpim
      ? isTextualType(cpim.contentType)
        ? decodeUtf8(cpim.body)
        : undefined
      : isTextualType(type)
        ? decodeUtf8(body)
        : undefined;
    const imdnMessageId = cpim ? cpimHeader(cpim, IMDN_NS_URI, 'Message-ID') : undefined;
    const innerType = cpim ? cpim.contentType : type;
    const imdn = mediaType(innerType) === IMDN_CONTENT_TYPE ? tryParseImdn(cpim ? cpim.body : body) : undefined;
    this.emit('message', {
      from: req.from,
      fromDisplayName: req.fromDisplayName,
      to: req.to,
      contentType: cpim ? 'message/cpim' : type,
      body,
      text,
      cpim,
      imdnMessageId,
      imdn,
      sentAt: parseDate(cpim?.dateTime) ?? parseDate(req.header('date')),
      mode: 'page',
      receivedAt: req.receivedAt,
      callId: req.callId,
      transport: req.transport,
    });
  }
}

/**
 * Tolerant fallback for other networks: a stock Kamailio msilo (store and forward) re-sends stored text/plain and
 * message/cpim bodies as bare `text/plain`. The Parley lab restores the original Content-Type (docs/lab.md), so this
 * only matters elsewhere. A bare text/plain body that starts like a CPIM header block and parses as CPIM with From
 * and To is taken as CPIM, so IMDN Message-ID and DateTime survive deferred delivery there too.
 */
export function sniffStoredCpim(contentType: string, body: Uint8Array): CpimMessage | undefined {
  if (contentType.trim().toLowerCase() !== 'text/plain') return undefined;
  const head = Buffer.from(body.subarray(0, 16)).toString('latin1');
  if (!/^(From|To|NS|DateTime):/i.test(head)) return undefined;
  try {
    const m = parseCpim(body);
    return m.from && m.to.length > 0 ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Body errors that are not 400 (RFC 3261 s.21.4.13 / s.21.4.19). */
const BODY_ERROR_STATUS: Record<string, number> = {
  PAGE_UNSUPPORTED_CONTENT_ENCODING: 415,
  PAGE_DECODED_TOO_LARGE: 413,
};

function tryParseImdn(body: Uint8Array): ImdnNotification | undefined {
  try {
    return parseImdn(body);
  } catch {
    return undefined;
  }
}

function parseDate(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
