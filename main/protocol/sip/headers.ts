// SIP header names and lists shared by every SIP parser in the repository (RFC 3261 s.7.3, s.20). Sans-IO.

/** Headers in order as [name, value] pairs, names as they appear on the wire (or expanded from compact forms). */
export type SipHeaderList = Array<[string, string]>;

/** RFC 3261 s.7.3.3 compact forms (and RFC 3515 r, RFC 3892 b, RFC 6665 o/u). */
export const COMPACT_HEADER_NAMES: Readonly<Record<string, string>> = {
  v: 'Via',
  f: 'From',
  t: 'To',
  i: 'Call-ID',
  m: 'Contact',
  l: 'Content-Length',
  c: 'Content-Type',
  k: 'Supported',
  e: 'Content-Encoding',
  s: 'Subject',
  o: 'Event',
  u: 'Allow-Events',
  r: 'Refer-To',
  b: 'Referred-By',
};

/** The long form of a compact header name (any case); other names unchanged. */
export function fullHeaderName(name: string): string {
  return COMPACT_HEADER_NAMES[name.toLowerCase()] ?? name;
}

/** Whether two header names denote the same header (case-insensitive, compact forms resolved). */
export function sameHeader(a: string, b: string): boolean {
  return fullHeaderName(a).toLowerCase() === fullHeaderName(b).toLowerCase();
}

/**
 * The tag parameter of a From/To value (s.19.3), or undefined. Header parameters follow the closing '>' of a name-addr,
 * or the URI itself in addr-spec form (s.20: there, parameters belong to the header, not to the URI).
 */
export function tagParam(value: string): string | undefined {
  const gt = value.lastIndexOf('>');
  const params = gt >= 0 ? value.slice(gt + 1) : value;
  return /;\s*tag\s*=\s*([^;,\s]+)/i.exec(params)?.[1];
}
