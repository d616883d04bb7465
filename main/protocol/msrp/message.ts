// MSRP message model: requests, responses, headers, byte ranges (RFC 4975 s.7, s.9).
import { randomBytes } from 'node:crypto';
import { ParleyError } from '../../base/errors';

export type ContinuationFlag = '$' | '+' | '#';
export type Header = [name: string, value: string];
export type FailureReportMode = 'yes' | 'no' | 'partial';

export interface MsrpFrameHead {
  tid: string;
  kind: 'request' | 'response';
  method?: string; // requests
  status?: number; // responses
  comment?: string; // responses
  headers: Header[]; // in wire order
}

export interface MsrpFrame extends MsrpFrameHead {
  body?: Uint8Array; // undefined when the frame had no body section
  flag: ContinuationFlag;
}

/** Response codes used by MSRP (RFC 4975 s.10, RFC 4976 s.9, RFC 7701). */
export const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  408: 'Request Timeout',
  413: 'Message Too Large',
  415: 'Unsupported Media Type',
  423: 'Interval Out-of-Bounds',
  424: 'Nickname Unavailable',
  481: 'Session Does Not Exist',
  501: 'Not Implemented',
  506: 'Wrong Session',
};

export function reasonPhrase(status: number): string {
  return STATUS_TEXT[status] ?? 'Unknown';
}

// One CSPRNG call per 4 KiB of ids instead of one per id (ids are minted per chunk).
let pool = Buffer.alloc(0);
let poolPos = 0;
function random12(): string {
  if (poolPos + 12 > pool.length) {
    pool = randomBytes(4096);
    poolPos = 0;
  }
  const s = pool.toString('hex', poolPos, poolPos + 12);
  poolPos += 12;
  return s;
}

/** 96 random bits in hex: inside ident (ALPHANUM), >= 64 bits as s.7.1 requires. */
export function newTransactionId(): string {
  return random12();
}

export function newMessageId(): string {
  return random12();
}

export function getHeader(headers: readonly Header[], name: string): string | undefined {
  for (const [k, v] of headers) if (k === name) return v; // headers almost always come in their canonical case
  const n = name.toLowerCase();
  for (const [k, v] of headers) if (k.length === n.length && k.toLowerCase() === n) return v;
  return undefined;
}

export interface ByteRange {
  start: number; // 1-based
  end: number | '*'; // inclusive
  total: number | '*';
}

export function formatByteRange(r: ByteRange): string {
  return `${r.start}-${r.end}/${r.total}`;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Parse "start-end/total" (s.9); throws ParleyError('MSRP_BAD_BYTE_RANGE'). */
export function parseByteRange(v: string): ByteRange {
  const m = /^\s*(\d{1,16})-(\d{1,16}|\*)\/(\d{1,16}|\*)\s*$/.exec(v);
  const err = () => new ParleyError('MSRP_BAD_BYTE_RANGE', `Invalid Byte-Range: ${v.slice(0, 80)}`);
  if (!m) throw err();
  const start = Number(m[1]);
  const end = m[2] === '*' ? '*' : Number(m[2]);
  const total = m[3] === '*' ? '*' : Number(m[3]);
  if (start < 1 || start > MAX_SAFE) throw err();
  if (end !== '*' && end < start - 1) throw err();
  if (total !== '*' && end !== '*' && end > total) throw err();
  return { start, end, total };
}

export interface StatusHeader {
  namespace: number;
  code: number;
  comment?: string;
}

export function parseStatusHeader(v: string): StatusHeader {
  const m = /^\s*(\d{3}) (\d{3})(?: (.*))?$/.exec(v);
  if (!m) throw new ParleyError('MSRP_BAD_HEADER', `Invalid Status header: ${v.slice(0, 80)}`);
  return { namespace: Number(m[1]), code: Number(m[2]), comment: m[3] };
}

export function formatStatusHeader(code: number, comment = reasonPhrase(code)): string {
  return `000 ${code} ${comment}`;
}

export function parseFailureReport(v: string | undefined): FailureReportMode {
  if (v === undefined) return 'yes'; // s.7.1.2 default
  const t = v.trim().toLowerCase();
  if (t === 'yes' || t === 'no' || t === 'partial') return t;
  throw new ParleyError('MSRP_BAD_HEADER', `Invalid Failure-Report: ${v.slice(0, 40)}`);
}

export function parseSuccessReport(v: string | undefined): boolean {
  if (v === undefined) return false; // s.7.1.2 default
  const t = v.trim().toLowerCase();
  if (t === 'yes') return true;
  if (t === 'no') return false;
  throw new ParleyError('MSRP_BAD_HEADER', `Invalid Success-Report: ${v.slice(0, 40)}`);
}
