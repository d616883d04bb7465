// RFC 3261 s.8.2.6: building UAS responses ourselves, so any status, reason and headers (e.g. Accept on 415) can be sent.
import { ParleyError } from '../../base/errors';
import type { ConnectionInfo, ParleySipSocket } from './connection-info';
import type { SipHeaderList } from '../../protocol/sip/headers';
import { reasonPhrase, responseHeaders, statusLine } from '../../protocol/sip/response';

/** The part of JsSIP's IncomingRequest (lib/SIPMessage.js) Parley relies on. */
export interface JsSipIncomingRequest {
  method: string;
  ruri: { toString(): string; user: string | null; scheme: string };
  data: string;
  body: string | undefined;
  call_id: string;
  cseq: number;
  from_tag: string;
  to_tag: string | undefined;
  from: { uri: { toString(): string }; display_name?: string | null };
  to: { uri: { toString(): string }; display_name?: string | null };
  getHeader(name: string): string | undefined;
  getHeaders(name: string): string[];
  hasHeader(name: string): boolean;
  server_transaction: { receiveResponse(code: number, response: string): void } | null;
  reply(code: number, reason?: string | null, extraHeaders?: string[], body?: string): void;
}

/** An incoming out-of-dialog request handed to a Parley handler; it must be answered exactly once with `reply`. */
export interface IncomingSipRequest {
  method: string;
  requestUri: string;
  from: string;
  fromDisplayName: string | null;
  to: string;
  callId: string;
  /** Header value (first occurrence), case-insensitive, compact forms resolved by JsSIP. */
  header(name: string): string | undefined;
  headerAll(name: string): string[];
  /** The body exactly as received on stream transports (binary-safe); UTF-8 of the parsed body otherwise. */
  body: Uint8Array;
  bodyText: string;
  transport: ConnectionInfo | null;
  receivedAt: Date;
  readonly replied: boolean;
  reply(code: number, reason?: string, headers?: string[], body?: { contentType: string; text: string }): void;
  /** The JsSIP request, for layers (sessions) that need JsSIP internals. */
  raw: JsSipIncomingRequest;
}

/** The reason phrase Parley sends when a handler gives none (main/protocol/sip/response.ts). */
export const defaultReason = reasonPhrase;

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
export function randomToken(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += TOKEN_CHARS[Math.floor(Math.random() * TOKEN_CHARS.length)];
  return s;
}

/** Serializes a response to `req` (RFC 3261 s.8.2.6.2 through main/protocol/sip/response.ts: Via, From, Call-ID, CSeq copied; To gets a tag). */
export function buildResponse(
  req: JsSipIncomingRequest,
  code: number,
  reason: string,
  headers: string[],
  body?: { contentType: string; text: string },
  userAgent?: string,
): string {
  if (headers.some((h) => /[\r\n]/.test(h))) throw new RangeError('CR/LF in a header');
  const request: SipHeaderList = [
    ...req.getHeaders('via').map((v): [string, string] => ['Via', v]),
    ['To', req.getHeader('to') ?? ''],
    ['From', req.getHeader('from') ?? ''],
    ['Call-ID', req.call_id],
    ['CSeq', `${req.cseq} ${req.method}`],
  ];
  const lines = [
    statusLine(code, reason),
    ...responseHeaders(request, code, req.to_tag ? undefined : randomToken(10)).map(([k, v]) => `${k}: ${v}`),
  ];
  if (userAgent) lines.push(`Server: ${userAgent}`);
  lines.push(...headers);
  const bodyText = body?.text ?? '';
  if (body) lines.push(`Content-Type: ${body.contentType}`);
  lines.push(`Content-Length: ${Buffer.byteLength(bodyText, 'utf8')}`, '', '');
  return lines.join('\r\n') + bodyText;
}

/**
 * The handler's view of a JsSIP request: the body exactly as received on stream transports (the socket's last framed
 * message), reply() exactly once with our own response builder.
 */
export function wrapIncoming(
  raw: JsSipIncomingRequest,
  socket: Pick<ParleySipSocket, 'lastMessage' | 'connectionInfo'>,
  userAgent: string,
): IncomingSipRequest {
  const last = socket.lastMessage;
  const declared = Number(raw.getHeader('content-length') ?? NaN);
  const body =
    last && Number.isFinite(declared)
      ? last.bytes.slice(last.bodyOffset, last.bodyOffset + declared)
      : new TextEncoder().encode(raw.body ?? '');
  let replied = false;
  return {
    method: raw.method,
    requestUri: raw.ruri.toString(),
    from: raw.from.uri.toString(),
    fromDisplayName: raw.from.display_name ?? null,
    to: raw.to.uri.toString(),
    callId: raw.call_id,
    header: (n) => raw.getHeader(n),
    headerAll: (n) => raw.getHeaders(n),
    body,
    bodyText: raw.body ?? '',
    transport: socket.connectionInfo,
    receivedAt: new Date(),
    get replied() {
      return replied;
    },
    reply(code, reason, headers = [], resBody) {
      if (replied) throw new ParleyError('SIP_ALREADY_ANSWERED', `${raw.method} already answered`);
      replied = true;
      const text = buildResponse(raw, code, reason ?? reasonPhrase(code), headers, resBody, userAgent);
      raw.server_transaction?.receiveResponse(code, text);
    },
    raw,
  };
}
