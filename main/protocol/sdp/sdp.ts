// Tolerant SDP parser/serializer (RFC 8866 s5, obsoletes RFC 4566): every line kept in order, unknown lines preserved.
import { ParleyError, type ErrorCode } from '../../base/errors';

export const SDP_MAX_BYTES = 64 * 1024;
export const SDP_MAX_LINES = 1000;

export interface SdpLine {
  type: string;
  value: string;
} // `${type}=${value}`
export interface SdpMediaLine {
  media: string;
  port: number;
  numPorts?: number;
  proto: string;
  fmts: string[];
}
export interface SdpMediaSection {
  m: SdpMediaLine;
  lines: SdpLine[];
} // lines after the m= line, up to the next m=
export interface Sdp {
  session: SdpLine[];
  media: SdpMediaSection[];
} // session: v=, o=, s=, ... before the first m=
export interface SdpAttribute {
  name: string;
  value?: string;
}

function err(code: ErrorCode, msg: string, details?: Record<string, unknown>): never {
  throw new ParleyError(code, `SDP: ${msg}`, details);
}

export function parseMediaLine(value: string): SdpMediaLine {
  const m = /^([a-z0-9_.-]+) ([0-9]{1,5})(?:\/([0-9]{1,5}))? (\S+)((?: \S+)*)$/i.exec(value.trim());
  if (!m || Number(m[2]) > 65535) err('SDP_BAD_MEDIA_LINE', `invalid m= line ${JSON.stringify(value.slice(0, 80))}`);
  const out: SdpMediaLine = { media: m[1], port: Number(m[2]), proto: m[4], fmts: m[5].trim() ? m[5].trim().split(' ') : [] };
  if (m[3] !== undefined) out.numPorts = Number(m[3]);
  return out;
}
export function formatMediaLine(m: SdpMediaLine): string {
  return `${m.media} ${m.port}${m.numPorts !== undefined ? '/' + m.numPorts : ''} ${m.proto}${m.fmts.length ? ' ' + m.fmts.join(' ') : ''}`;
}

/** Parses SDP text or UTF-8 bytes. Accepts LF-only line ends and a missing final CRLF; the first line must be v=. */
export function parseSdp(input: string | Uint8Array): Sdp {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    if (input.length > SDP_MAX_BYTES) err('SDP_TOO_LARGE', `SDP exceeds ${SDP_MAX_BYTES} bytes`);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      err('SDP_BAD_ENCODING', 'SDP is not valid UTF-8');
    }
  }
  if (Buffer.byteLength(text) > SDP_MAX_BYTES) err('SDP_TOO_LARGE', `SDP exceeds ${SDP_MAX_BYTES} bytes`);
  const raw = text.split(/\r?\n/);
  while (raw.length && raw[raw.length - 1] === '') raw.pop();
  if (raw.length > SDP_MAX_LINES) err('SDP_TOO_MANY_LINES', `SDP has more than ${SDP_MAX_LINES} lines`);
  const sdp: Sdp = { session: [], media: [] };
  raw.forEach((line, i) => {
    const m = /^([a-zA-Z])=(.*)$/.exec(line);
    if (!m) err('SDP_MALFORMED', `line ${i + 1} is not <type>=<value>: ${JSON.stringify(line.slice(0, 80))}`, { line: i + 1 });
    if (/[\u0000\r]/.test(m[2])) err('SDP_MALFORMED', `line ${i + 1} contains NUL or CR`, { line: i + 1 });
    if (i === 0 && m[1] !== 'v') err('SDP_MALFORMED', 'SDP must start with v=');
    if (m[1] === 'm') sdp.media.push({ m: parseMediaLine(m[2]), lines: [] });
    else (sdp.media.length ? sdp.media[sdp.media.length - 1].lines : sdp.session).push({ type: m[1], value: m[2] });
  });
  if (!raw.length) err('SDP_MALFORMED', 'empty SDP');
  return sdp;
}

export function serializeSdp(sdp: Sdp): string {
  const out: string[] = [];
  const put = (l: SdpLine) => {
    if (!/^[a-zA-Z]$/.test(l.type) || /[\r\n\u0000]/.test(l.value))
      err('SDP_BAD_INPUT', `invalid SDP line ${l.type}=${JSON.stringify(l.value.slice(0, 40))}`);
    out.push(`${l.type}=${l.value}`);
  };
  sdp.session.forEach(put);
  for (const s of sdp.media) {
    put({ type: 'm', value: formatMediaLine(s.m) });
    s.lines.forEach(put);
  }
  return out.join('\r\n') + '\r\n';
}

/** a= lines of a line list as name/value (value undefined for property attributes). */
export function attributes(lines: SdpLine[]): SdpAttribute[] {
  return lines
    .filter((l) => l.type === 'a')
    .map((l) => {
      const c = l.value.indexOf(':');
      return c < 0 ? { name: l.value } : { name: l.value.slice(0, c), value: l.value.slice(c + 1) };
    });
}
export function attrValues(lines: SdpLine[], name: string): string[] {
  return attributes(lines)
    .filter((a) => a.name.toLowerCase() === name.toLowerCase())
    .map((a) => a.value ?? '');
}
export function attrValue(lines: SdpLine[], name: string): string | undefined {
  return attrValues(lines, name)[0];
}
export function hasAttr(lines: SdpLine[], name: string): boolean {
  return attributes(lines).some((a) => a.name.toLowerCase() === name.toLowerCase());
}
export function attrLine(name: string, value?: string): SdpLine {
  return { type: 'a', value: value === undefined ? name : `${name}:${value}` };
}

export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
}
export function parseConnection(value: string): SdpConnection {
  const m = /^(\S+) (\S+) (\S+)$/.exec(value.trim());
  if (!m) err('SDP_MALFORMED', `invalid c= line ${JSON.stringify(value.slice(0, 60))}`);
  return { netType: m[1], addrType: m[2], address: m[3] };
}
/** The c= line in effect for a media section (media level first, then session level). */
export function connectionFor(sdp: Sdp, section: SdpMediaSection): SdpConnection | undefined {
  const c = section.lines.find((l) => l.type === 'c') ?? sdp.session.find((l) => l.type === 'c');
  return c && parseConnection(c.value);
}
