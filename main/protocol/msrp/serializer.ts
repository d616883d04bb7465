// Pure MSRP serializer: start line, header order and end-line (RFC 4975 s.7.1, s.7.2, s.9).
import { ParleyError, type ErrorCode } from '../../base/errors';
import type { ContinuationFlag, Header } from './message';
import { reasonPhrase } from './message';
import { formatPath, type MsrpUri } from './uri';
import { endLinePrefix, findEndLine } from './end-line';

export type PathLike = readonly (MsrpUri | string)[];

export interface RequestSpec {
  tid: string;
  method: string; // SEND, REPORT, AUTH, NICKNAME or any extension (1*UPALPHA)
  toPath: PathLike;
  fromPath: PathLike;
  headers?: Header[]; // placed after From-Path, in order (Message-ID, Byte-Range, ...)
  contentType?: string; // required when body is present; always the last header
  body?: Uint8Array;
  flag?: ContinuationFlag;
}

export interface ResponseSpec {
  tid: string;
  status: number;
  comment?: string;
  toPath: PathLike;
  fromPath: PathLike;
  headers?: Header[];
}

const TID_RE = /^[A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}$/;
const METHOD_RE = /^[A-Z]+$/;
const HNAME_RE = /^[A-Za-z][A-Za-z0-9!#$%&'*+\-.^_`|~]*$/;

function check(ok: boolean, code: ErrorCode, msg: string): void {
  if (!ok) throw new ParleyError(code, msg);
}

/** Names the session writes on every chunk: valid by construction, so their name checks are skipped. */
const KNOWN_NAMES = new Set(['Message-ID', 'Byte-Range', 'Success-Report', 'Failure-Report', 'Status']);

function headerLines(headers: Header[] | undefined): string {
  let s = '';
  for (const [k, v] of headers ?? []) {
    if (!KNOWN_NAMES.has(k)) {
      check(HNAME_RE.test(k), 'MSRP_BAD_HEADER', `Bad header name: ${k}`);
      const lk = k.toLowerCase();
      check(lk !== 'to-path' && lk !== 'from-path' && lk !== 'content-type', 'MSRP_BAD_HEADER', `${k} is set by the serializer`);
    }
    check(v.indexOf('\r') < 0 && v.indexOf('\n') < 0, 'MSRP_BAD_HEADER', `Header ${k} contains CR/LF`);
    s += `${k}: ${v}\r\n`;
  }
  return s;
}

/**
 * Serialize a request as [head, body, tail] so large bodies are written without copying.
 * head ends with the blank line when there is a body; tail is "\r\n" + end-line (or just the end-line).
 */
export function serializeRequestParts(r: RequestSpec): Buffer[] {
  check(TID_RE.test(r.tid), 'MSRP_BAD_TID', `Bad transaction id: ${r.tid}`);
  check(METHOD_RE.test(r.method), 'MSRP_BAD_METHOD', `Bad method: ${r.method}`);
  let head = `MSRP ${r.tid} ${r.method}\r\nTo-Path: ${formatPath(r.toPath)}\r\nFrom-Path: ${formatPath(r.fromPath)}\r\n`;
  head += headerLines(r.headers);
  const flag = r.flag ?? '$';
  const endLine = `-------${r.tid}${flag}\r\n`;
  if (r.body !== undefined) {
    check(!!r.contentType && !/[\r\n]/.test(r.contentType), 'MSRP_BAD_HEADER', 'A body needs a Content-Type');
    head += `Content-Type: ${r.contentType}\r\n\r\n`;
    const body = Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
    // s.7.1: the body must not contain the end-line; the caller picks another transaction id on this error
    if (findEndLine(body, endLinePrefix(r.tid)) >= 0) {
      throw new ParleyError('MSRP_TID_IN_BODY', `Body contains the end-line of transaction ${r.tid}`, { tid: r.tid });
    }
    return [Buffer.from(head, 'utf8'), body, Buffer.from(`\r\n${endLine}`, 'latin1')];
  }
  check(r.contentType === undefined, 'MSRP_BAD_HEADER', 'Content-Type without a body');
  return [Buffer.from(head + endLine, 'utf8')];
}

export function serializeRequest(r: RequestSpec): Buffer {
  const parts = serializeRequestParts(r);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

export function serializeResponse(r: ResponseSpec): Buffer {
  check(TID_RE.test(r.tid), 'MSRP_BAD_TID', `Bad transaction id: ${r.tid}`);
  check(Number.isInteger(r.status) && r.status >= 100 && r.status <= 999, 'MSRP_BAD_STATUS', `Bad status ${r.status}`);
  const comment = r.comment ?? reasonPhrase(r.status);
  check(!/[\r\n]/.test(comment), 'MSRP_BAD_STATUS', 'Comment contains CR/LF');
  let s = `MSRP ${r.tid} ${r.status}${comment ? ' ' + comment : ''}\r\n`;
  s += `To-Path: ${formatPath(r.toPath)}\r\nFrom-Path: ${formatPath(r.fromPath)}\r\n`;
  s += headerLines(r.headers);
  s += `-------${r.tid}$\r\n`;
  return Buffer.from(s, 'utf8');
}
