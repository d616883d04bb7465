// message/cpim parser and serializer (RFC 3862 s2-s5; IMDN usage per RFC 5438 s6.3).
import { ParleyError, type ErrorCode } from '../../base/errors';

export interface CpimLimits {
  maxHeaderBytes: number; // per header block (message headers, content headers)
  maxHeaders: number; // per header block
  maxBodyBytes: number;
  maxRecipients: number; // To + cc
}
export const CPIM_LIMITS: CpimLimits = { maxHeaderBytes: 16 * 1024, maxHeaders: 100, maxBodyBytes: 16 * 1024 * 1024, maxRecipients: 100 };

export const IMDN_NS_URI = 'urn:ietf:params:imdn';
/** Well-known prefixes accepted by cpimHeader() in place of a namespace URI. */
const WELL_KNOWN_NS: Record<string, string> = { imdn: IMDN_NS_URI };

export interface CpimAddress {
  name?: string;
  uri: string;
}
/** One header as on the wire. `value` is the raw wire value (RFC 3862 s3.2 escapes NOT decoded); `params` is e.g. ';lang=fr'. */
export interface CpimHeader {
  name: string;
  params?: string;
  value: string;
}
export interface MimeHeader {
  name: string;
  value: string;
}

export interface CpimMessage {
  // Read view derived from `headers` (serializeCpim checks it is consistent):
  from?: CpimAddress;
  to: CpimAddress[];
  cc: CpimAddress[];
  dateTime?: string;
  subject?: string;
  require: string[];
  ns: Record<string, string>; // prefix -> URI, '' for the default namespace
  // Source of truth for serialization:
  headers: CpimHeader[]; // all message headers in order, incl. From/To/NS and prefixed ones
  contentType: string;
  contentHeaders: MimeHeader[]; // encapsulated MIME headers except Content-Type, in order
  body: Uint8Array;
}

const enc = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });
const NAME_RE = /^[!#$%&'*+\-^_`|~0-9A-Za-z]+(\.[!#$%&'*+\-^_`|~0-9A-Za-z]+)?$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const URI_RE = /^[^\s<>"]+:[^\s<>"]*$/;

function err(code: ErrorCode, msg: string, details?: Record<string, unknown>): never {
  throw new ParleyError(code, `CPIM: ${msg}`, details);
}

// ---- RFC 3862 s3.2 character escapes ----

/** Encodes a logical header value: control characters and backslash are escaped (RFC 3862 s3.2). */
export function encodeCpimValue(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\\]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case '\t':
        return '\\t';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\b':
        return '\\b';
      default:
        return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    }
  });
}
/** Decodes RFC 3862 s3.2 escapes; an unknown escape is kept literally. */
export function decodeCpimValue(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(u[0-9a-fA-F]{4}|[btnr"'\\])/g, (_m, e: string) => {
    switch (e[0]) {
      case 'u':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      case 'b':
        return '\b';
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      default:
        return e;
    }
  });
}

// ---- addresses: [Formal-name] "<" URI ">" ----

export function formatCpimAddress(a: CpimAddress): string {
  if (!URI_RE.test(a.uri)) err('CPIM_BAD_ADDRESS', `invalid URI ${JSON.stringify(a.uri)}`);
  if (a.name === undefined || a.name === '') return `<${a.uri}>`;
  return `"${encodeCpimValue(a.name).replace(/"/g, '\\"')}" <${a.uri}>`;
}
export function parseCpimAddress(raw: string): CpimAddress {
  const v = raw.trim();
  const lt = v.lastIndexOf('<');
  if (lt < 0) {
    if (URI_RE.test(v)) return { uri: v }; // tolerated: bare URI
    err('CPIM_BAD_ADDRESS', `invalid address ${JSON.stringify(raw)}`);
  }
  if (!v.endsWith('>')) err('CPIM_BAD_ADDRESS', `invalid address ${JSON.stringify(raw)}`);
  const uri = v.slice(lt + 1, -1).trim();
  if (!URI_RE.test(uri)) err('CPIM_BAD_ADDRESS', `invalid URI in ${JSON.stringify(raw)}`);
  let name = v.slice(0, lt).trim();
  if (name.startsWith('"')) {
    let j = 1;
    while (j < name.length && name[j] !== '"') j += name[j] === '\\' ? 2 : 1;
    if (j !== name.length - 1) err('CPIM_BAD_ADDRESS', `bad quoted name in ${JSON.stringify(raw)}`);
    name = decodeCpimValue(name.slice(1, -1));
  } else name = decodeCpimValue(name);
  return name ? { name, uri } : { uri };
}

// ---- header blocks ----

interface Block {
  lines: string[];
  end: number;
}

/** Reads header lines from `pos` up to and including the empty line; returns decoded lines and the offset after it. */
function readBlock(b: Uint8Array, pos: number, lim: CpimLimits, what: string): Block {
  const lines: string[] = [];
  const start = pos;
  const limitEnd = Math.min(b.length, start + lim.maxHeaderBytes + 2);
  const win = b.subarray(0, limitEnd);
  for (;;) {
    const lf = win.indexOf(0x0a, pos);
    if (lf < 0) {
      if (limitEnd < b.length)
        err('CPIM_HEADER_TOO_LARGE', `${what} block exceeds ${lim.maxHeaderBytes} bytes`, { max: lim.maxHeaderBytes });
      err('CPIM_TRUNCATED', `${what} block is not terminated by an empty line`);
    }
    let lineEnd = lf;
    if (lineEnd > pos && b[lineEnd - 1] === 0x0d) lineEnd--;
    if (lineEnd === pos) return { lines, end: lf + 1 };
    let line: string;
    try {
      line = utf8.decode(b.subarray(pos, lineEnd));
    } catch {
      err('CPIM_BAD_ENCODING', `${what} header is not valid UTF-8`);
    }
    if (lines.length >= lim.maxHeaders)
      err('CPIM_TOO_MANY_HEADERS', `more than ${lim.maxHeaders} ${what} headers`, { max: lim.maxHeaders });
    lines.push(line);
    pos = lf + 1;
  }
}

function parseMessageHeader(line: string): CpimHeader {
  // Header-name ":" *(";" Parameter) SP Header-value
  const m = /^([^:\s]+):((?:;[^ ;]*)*) ?(.*)$/.exec(line);
  if (!m || !NAME_RE.test(m[1])) err('CPIM_BAD_HEADER', `malformed header line ${JSON.stringify(line.slice(0, 80))}`);
  if (/[\u0000-\u001f\u007f]/.test(m[3])) err('CPIM_BAD_HEADER', `control character in header ${m[1]}`);
  return m[2] ? { name: m[1], params: m[2], value: m[3] } : { name: m[1], value: m[3] };
}

function parseMimeHeaders(lines: string[]): MimeHeader[] {
  const out: MimeHeader[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      // RFC 5322 folding
      if (!out.length) err('CPIM_BAD_HEADER', 'continuation line without a header');
      out[out.length - 1].value += ' ' + line.trim();
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(line.slice(0, c)))
      err('CPIM_BAD_HEADER', `malformed MIME header ${JSON.stringify(line.slice(0, 80))}`);
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line)) err('CPIM_BAD_HEADER', `control character in MIME header ${line.slice(0, c)}`);
    out.push({ name: line.slice(0, c), value: line.slice(c + 1).trim() });
  }
  return out;
}

const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Computes the typed read view from the raw message headers. */
function deriveView(
  headers: CpimHeader[],
  lim: CpimLimits,
): Pick<CpimMessage, 'from' | 'to' | 'cc' | 'dateTime' | 'subject' | 'require' | 'ns'> {
  const v: ReturnType<typeof deriveView> = { to: [], cc: [], require: [], ns: {} };
  let subjectLang = true;
  for (const h of headers) {
    const n = h.name;
    if (eq(n, 'From')) {
      if (v.from) err('CPIM_BAD_HEADER', 'more than one From header');
      v.from = parseCpimAddress(h.value);
    } else if (eq(n, 'To')) v.to.push(parseCpimAddress(h.value));
    else if (eq(n, 'cc')) v.cc.push(parseCpimAddress(h.value));
    else if (eq(n, 'DateTime')) {
      if (v.dateTime !== undefined) err('CPIM_BAD_HEADER', 'more than one DateTime header');
      if (!DATETIME_RE.test(h.value.trim())) err('CPIM_BAD_DATETIME', `invalid DateTime ${JSON.stringify(h.value)}`);
      v.dateTime = h.value.trim();
    } else if (eq(n, 'Subject')) {
      const hasLang = /;lang=/i.test(h.params ?? '');
      if (v.subject === undefined || (subjectLang && !hasLang)) {
        v.subject = decodeCpimValue(h.value);
        subjectLang = hasLang;
      }
    } else if (eq(n, 'Require'))
      v.require.push(
        ...h.value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
    else if (eq(n, 'NS')) {
      const m = /^\s*(?:([^\s<>]+)\s+)?<([^<>\s]+)>\s*$/.exec(h.value);
      if (!m) err('CPIM_BAD_HEADER', `malformed NS header ${JSON.stringify(h.value)}`);
      v.ns[m[1] ?? ''] = m[2];
    }
    if (v.to.length + v.cc.length > lim.maxRecipients)
      err('CPIM_TOO_MANY_RECIPIENTS', `more than ${lim.maxRecipients} recipients`, { max: lim.maxRecipients });
  }
  return v;
}

/** Parses a message/cpim body (the part after the outer MIME/SIP headers): message headers, CRLF, MIME headers, CRLF, body. */
export function parseCpim(bytes: Uint8Array, limits: Partial<CpimLimits> = {}): CpimMessage {
  const lim = { ...CPIM_LIMITS, ...limits };
  const msg = readBlock(bytes, 0, lim, 'message');
  const headers = msg.lines.map(parseMessageHeader);
  const view = deriveView(headers, lim);
  const mime = readBlock(bytes, msg.end, lim, 'content');
  const all = parseMimeHeaders(mime.lines);
  const ct = all.filter((h) => eq(h.name, 'Content-Type'));
  if (ct.length === 0 || !ct[0].value) err('CPIM_MISSING_CONTENT_TYPE', 'encapsulated MIME object has no Content-Type');
  if (ct.length > 1) err('CPIM_BAD_HEADER', 'more than one Content-Type');
  const bodyLen = bytes.length - mime.end;
  if (bodyLen > lim.maxBodyBytes)
    err('CPIM_BODY_TOO_LARGE', `body of ${bodyLen} bytes exceeds ${lim.maxBodyBytes}`, { size: bodyLen, max: lim.maxBodyBytes });
  return {
    ...view,
    headers,
    contentType: ct[0].value,
    contentHeaders: all.filter((h) => !eq(h.name, 'Content-Type')),
    body: new Uint8Array(bytes.subarray(mime.end)), // plain copy: never aliases a caller's (e.g. socket) Buffer
  };
}

/** Serializes `headers`, `contentType`, `contentHeaders`, `body`. The read-view fields must match `headers` (CPIM_INCONSISTENT). */
export function serializeCpim(m: CpimMessage, limits: Partial<CpimLimits> = {}): Uint8Array {
  const lim = { ...CPIM_LIMITS, ...limits };
  const view = deriveView(m.headers, lim);
  for (const k of Object.keys(view) as (keyof typeof view)[]) {
    if (JSON.stringify(view[k]) !== JSON.stringify(m[k]))
      err('CPIM_INCONSISTENT', `field ${k} does not match the headers (build messages with createCpim)`);
  }
  if (m.contentHeaders.some((h) => eq(h.name, 'Content-Type')))
    err('CPIM_BAD_HEADER', 'Content-Type belongs in contentType, not contentHeaders');
  const lines: string[] = [];
  for (const h of m.headers) {
    if (!NAME_RE.test(h.name)) err('CPIM_BAD_HEADER', `invalid header name ${JSON.stringify(h.name)}`);
    if (h.params !== undefined && !/^(;[^ ;\u0000-\u001f\u007f:]+)*$/.test(h.params))
      err('CPIM_BAD_HEADER', `invalid parameters on ${h.name}`);
    if (/[\u0000-\u001f\u007f]/.test(h.value))
      err('CPIM_BAD_HEADER', `control character in header ${h.name} (encode it with encodeCpimValue)`);
    lines.push(`${h.name}:${h.params ?? ''} ${h.value}`);
  }
  lines.push('');
  for (const h of [{ name: 'Content-Type', value: m.contentType }, ...m.contentHeaders]) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(h.name)) err('CPIM_BAD_HEADER', `invalid content header name ${JSON.stringify(h.name)}`);
    if (/[\u0000-\u001f\u007f]/.test(h.value) || h.value !== h.value.trim() || (eq(h.name, 'Content-Type') && !h.value))
      err('CPIM_BAD_HEADER', `invalid value for ${h.name}`);
    lines.push(`${h.name}: ${h.value}`);
  }
  lines.push('', '');
  const head = enc.encode(lines.join('\r\n'));
  if (m.body.length > lim.maxBodyBytes) err('CPIM_BODY_TOO_LARGE', `body of ${m.body.length} bytes exceeds ${lim.maxBodyBytes}`);
  const out = new Uint8Array(head.length + m.body.length);
  out.set(head, 0);
  out.set(m.body, head.length);
  return out;
}

export interface CpimInit {
  from?: CpimAddress | string;
  to?: (CpimAddress | string)[];
  cc?: (CpimAddress | string)[];
  ns?: Record<string, string>;
  dateTime?: string;
  subject?: string;
  require?: string[];
  /** Further headers (e.g. 'imdn.Message-ID') with logical values; they are escaped here. */
  headers?: { name: string; value: string }[];
  contentType: string;
  contentHeaders?: MimeHeader[];
  body: Uint8Array | string;
}

const addr = (a: CpimAddress | string): CpimAddress => (typeof a === 'string' ? { uri: a } : a);

/** Builds a consistent CpimMessage (header order: From, To, cc, NS, DateTime, Subject, Require, extra headers). */
export function createCpim(init: CpimInit): CpimMessage {
  const h: CpimHeader[] = [];
  if (init.from) h.push({ name: 'From', value: formatCpimAddress(addr(init.from)) });
  for (const t of init.to ?? []) h.push({ name: 'To', value: formatCpimAddress(addr(t)) });
  for (const t of init.cc ?? []) h.push({ name: 'cc', value: formatCpimAddress(addr(t)) });
  for (const [p, uri] of Object.entries(init.ns ?? {})) {
    if ((p && !/^[!#$%&'*+\-^_`|~0-9A-Za-z]+$/.test(p)) || !/^[^\s<>]+$/.test(uri))
      err('CPIM_BAD_HEADER', `invalid NS declaration ${p} <${uri}>`);
    h.push({ name: 'NS', value: p ? `${p} <${uri}>` : `<${uri}>` });
  }
  if (init.dateTime !== undefined) h.push({ name: 'DateTime', value: init.dateTime });
  if (init.subject !== undefined) h.push({ name: 'Subject', value: encodeCpimValue(init.subject) });
  if (init.require?.length) h.push({ name: 'Require', value: init.require.join(', ') });
  for (const x of init.headers ?? []) h.push({ name: x.name, value: encodeCpimValue(x.value) });
  const body = typeof init.body === 'string' ? enc.encode(init.body) : init.body;
  return { ...deriveView(h, CPIM_LIMITS), headers: h, contentType: init.contentType, contentHeaders: init.contentHeaders ?? [], body };
}

/**
 * Value (escapes decoded) of the first prefixed header `<prefix>.<name>`, where the prefix is resolved through the NS declarations.
 * `nsOrPrefix` is a namespace URI, or a well-known prefix ('imdn'); if no NS declaration matches, the literal prefix is tried.
 */
export function cpimHeader(m: Pick<CpimMessage, 'headers' | 'ns'>, nsOrPrefix: string, name: string): string | undefined {
  const uri = nsOrPrefix.includes(':') ? nsOrPrefix : WELL_KNOWN_NS[nsOrPrefix];
  const prefixes = Object.entries(m.ns)
    .filter(([, u]) => u === uri)
    .map(([p]) => p);
  if (!nsOrPrefix.includes(':') && !prefixes.includes(nsOrPrefix)) prefixes.push(nsOrPrefix);
  for (const h of m.headers) {
    const dot = h.name.indexOf('.');
    const p = dot < 0 ? '' : h.name.slice(0, dot);
    if (prefixes.includes(p) && eq(h.name.slice(dot + 1), name)) return decodeCpimValue(h.value);
  }
  return undefined;
}
/** First encapsulated MIME header by name (case-insensitive), including Content-Type. */
export function cpimContentHeader(m: Pick<CpimMessage, 'contentType' | 'contentHeaders'>, name: string): string | undefined {
  if (eq(name, 'Content-Type')) return m.contentType;
  return m.contentHeaders.find((h) => eq(h.name, name))?.value;
}

export type ImdnDispositionRequest = 'positive-delivery' | 'negative-delivery' | 'display';

export interface ChatCpimInit {
  from: CpimAddress | string;
  to: (CpimAddress | string)[];
  text?: string;
  content?: { contentType: string; body: Uint8Array | string; headers?: MimeHeader[] };
  messageId: string; // see newImdnMessageId() in imdn.ts
  dateTime?: string; // defaults to now (RFC 3339, UTC)
  notifications?: ImdnDispositionRequest[];
  subject?: string;
}

/** Chat message as sent in MSRP/page-mode: From, To, NS imdn, imdn.Message-ID, DateTime, imdn.Disposition-Notification (RFC 5438 s6.3). */
export function buildChatCpim(o: ChatCpimInit): CpimMessage {
  if ((o.text === undefined) === (o.content === undefined)) err('CPIM_BAD_INPUT', 'exactly one of text or content is required');
  if (!/^[A-Za-z0-9\-._~@+=/]{1,128}$/.test(o.messageId)) err('CPIM_BAD_INPUT', `invalid message id ${JSON.stringify(o.messageId)}`);
  const dateTime = o.dateTime ?? new Date().toISOString();
  if (!DATETIME_RE.test(dateTime)) err('CPIM_BAD_DATETIME', `invalid DateTime ${JSON.stringify(dateTime)}`);
  const headers = [{ name: 'imdn.Message-ID', value: o.messageId }];
  const notes = [...new Set(o.notifications ?? [])];
  if (notes.length) headers.push({ name: 'imdn.Disposition-Notification', value: notes.join(', ') });
  return createCpim({
    from: o.from,
    to: o.to,
    ns: { imdn: IMDN_NS_URI },
    dateTime,
    subject: o.subject,
    headers,
    contentType: o.content ? o.content.contentType : 'text/plain;charset=utf-8',
    contentHeaders: o.content?.headers,
    body: o.content ? o.content.body : o.text!,
  });
}

/** Disposition notifications requested by a received message (RFC 5438 s6.3), unknown values dropped. */
export function requestedNotifications(m: Pick<CpimMessage, 'headers' | 'ns'>): ImdnDispositionRequest[] {
  const v = cpimHeader(m, IMDN_NS_URI, 'Disposition-Notification');
  if (!v) return [];
  const known = new Set(['positive-delivery', 'negative-delivery', 'display']);
  return [
    ...new Set(
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => known.has(s)),
    ),
  ] as ImdnDispositionRequest[];
}
