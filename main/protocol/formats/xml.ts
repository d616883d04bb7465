// Small strict, namespace-aware XML 1.0 parser and escaping serializer (W3C XML 1.0 + Namespaces in XML 1.0), no DTD support.
import { ParleyError } from '../../base/errors';

/** Limits applied by parseXml. Every format module passes its own (smaller) values. */
export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  maxAttributes: number;
}
export const XML_DEFAULT_LIMITS: XmlLimits = { maxBytes: 256 * 1024, maxDepth: 32, maxElements: 10_000, maxAttributes: 64 };

export interface XmlAttr {
  ns: string;
  name: string;
  qname: string;
  value: string;
}
export interface XmlElement {
  ns: string; // resolved namespace URI ('' when none)
  name: string; // local name
  qname: string; // name as written (prefix:local)
  attrs: XmlAttr[];
  children: XmlNode[]; // text nodes are strings (entities decoded, CDATA merged)
}
export type XmlNode = XmlElement | string;

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const NAME_RE = /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*$/;
const NAME_TOKEN = /[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9_.:\-\u00B7\u00C0-\uFFFF]*/y;
// Anything outside XML 1.0 Char (production [2]), including lone surrogates.
const INVALID_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function bad(msg: string, pos: number): never {
  throw new ParleyError('XML_MALFORMED', `XML: ${msg} at offset ${pos}`, { offset: pos });
}

/** Chars allowed in XML 1.0 documents (production [2]). */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function decodeEntities(s: string, pos: number): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&]{0,12});?/g, (m, body: string) => {
    if (!m.endsWith(';')) bad('unterminated entity reference', pos);
    switch (body) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    let cp: number;
    if (/^#x[0-9a-fA-F]{1,6}$/.test(body)) cp = parseInt(body.slice(2), 16);
    else if (/^#[0-9]{1,7}$/.test(body)) cp = parseInt(body.slice(1), 10);
    else throw new ParleyError('XML_ENTITY_FORBIDDEN', `XML: undefined or forbidden entity &${body}; at offset ${pos}`, { entity: body });
    if (!isXmlChar(cp)) bad(`character reference to invalid character ${body}`, pos);
    return String.fromCodePoint(cp);
  });
}

function resolveName(q: string, isAttr: boolean, scope: Map<string, string>, pos: number): [string, string] {
  const c = q.indexOf(':');
  if (c < 0) {
    if (!NAME_RE.test(q)) bad(`bad name ${q}`, pos);
    return [isAttr ? '' : (scope.get('') ?? ''), q];
  }
  const prefix = q.slice(0, c),
    local = q.slice(c + 1);
  if (!NAME_RE.test(prefix) || !NAME_RE.test(local)) bad(`bad qualified name ${q}`, pos);
  const uri = prefix === 'xml' ? XML_NS : scope.get(prefix);
  if (uri === undefined) throw new ParleyError('XML_UNBOUND_PREFIX', `XML: unbound namespace prefix ${prefix}`, { prefix });
  return [uri, local];
}

/** Parses a complete document (string or UTF-8 bytes) into its root element. DOCTYPE and entity declarations are rejected. */
export function parseXml(input: string | Uint8Array, limits: Partial<XmlLimits> = {}): XmlElement {
  const lim = { ...XML_DEFAULT_LIMITS, ...limits };
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > lim.maxBytes)
    throw new ParleyError('XML_TOO_LARGE', `XML document of ${size} bytes exceeds ${lim.maxBytes}`, { size, max: lim.maxBytes });
  let src: string;
  if (typeof input === 'string') src = input;
  else {
    try {
      src = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (e) {
      throw new ParleyError('XML_BAD_ENCODING', 'XML document is not valid UTF-8', undefined, { cause: e });
    }
  }
  if (src.charCodeAt(0) === 0xfeff) src = src.slice(1);
  src = src.replace(/\r\n?/g, '\n'); // end-of-line handling (XML 1.0 s2.11)
  const invalid = INVALID_CHAR.exec(src);
  if (invalid) bad(`invalid character U+${invalid[0].codePointAt(0)!.toString(16)}`, invalid.index);
  let i = 0;
  let elements = 0;
  const n = src.length;

  const skipWs = () => {
    for (let c = src.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a; c = src.charCodeAt(++i));
  };
  const readName = (): string => {
    NAME_TOKEN.lastIndex = i;
    const m = NAME_TOKEN.exec(src);
    if (!m) bad('expected a name', i);
    i += m[0].length;
    return m[0];
  };
  const skipMisc = (allowDecl: boolean) => {
    for (;;) {
      skipWs();
      if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i + 2);
        if (end < 0) bad('unterminated processing instruction', i);
        const target = /^<\?([^\s?]+)/.exec(src.slice(i, end))?.[1] ?? '';
        if (target.toLowerCase() === 'xml' && !(allowDecl && i === 0)) bad('misplaced XML declaration', i);
        i = end + 2;
      } else if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) bad('unterminated comment', i);
        i = end + 3;
      } else if (src.startsWith('<!', i)) {
        if (/^<!(DOCTYPE|ENTITY)/i.test(src.slice(i, i + 9))) {
          throw new ParleyError('XML_DOCTYPE_FORBIDDEN', 'XML: DOCTYPE/ENTITY declarations are not accepted', { offset: i });
        }
        bad('unexpected markup declaration', i);
      } else return;
      allowDecl = false;
    }
  };

  const parseElement = (scope: Map<string, string>, depth: number): XmlElement => {
    if (depth > lim.maxDepth) throw new ParleyError('XML_TOO_DEEP', `XML nesting deeper than ${lim.maxDepth}`, { max: lim.maxDepth });
    if (++elements > lim.maxElements)
      throw new ParleyError('XML_TOO_MANY_ELEMENTS', `XML has more than ${lim.maxElements} elements`, { max: lim.maxElements });
    const start = i;
    i++; // '<'
    const qname = readName();
    const raw: { qname: string; value: string }[] = [];
    let selfClose = false;
    for (;;) {
      const before = i;
      skipWs();
      if (src.startsWith('/>', i)) {
        i += 2;
        selfClose = true;
        break;
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      if (i >= n) bad('unterminated start tag', start);
      if (i === before) bad('expected whitespace between attributes', i);
      const an = readName();
      skipWs();
      if (src[i] !== '=') bad('expected =', i);
      i++;
      skipWs();
      const q = src[i];
      if (q !== '"' && q !== "'") bad('expected quoted attribute value', i);
      const end = src.indexOf(q, i + 1);
      if (end < 0) bad('unterminated attribute value', i);
      const rawVal = src.slice(i + 1, end);
      if (rawVal.includes('<')) bad("'<' in attribute value", i);
      raw.push({ qname: an, value: decodeEntities(rawVal.replace(/[\t\n]/g, ' '), i) });
      i = end + 1;
      if (raw.length > lim.maxAttributes)
        throw new ParleyError('XML_TOO_MANY_ATTRIBUTES', `XML element has more than ${lim.maxAttributes} attributes`, {
          max: lim.maxAttributes,
        });
    }
    // namespace declarations
    let local = scope;
    for (const a of raw) {
      if (a.qname === 'xmlns' || a.qname.startsWith('xmlns:')) {
        if (local === scope) local = new Map(scope);
        const p = a.qname === 'xmlns' ? '' : a.qname.slice(6);
        if (p === 'xmlns' || (p === 'xml' && a.value !== XML_NS)) bad(`reserved prefix ${p}`, start);
        if (p !== '' && a.value === '') bad(`empty namespace for prefix ${p}`, start);
        local.set(p, a.value);
      }
    }
    const [ns, name] = resolveName(qname, false, local, start);
    const attrs: XmlAttr[] = [];
    const seen = new Set<string>();
    for (const a of raw) {
      const [ans, aname] =
        a.qname === 'xmlns'
          ? [XMLNS_NS, 'xmlns']
          : a.qname.startsWith('xmlns:')
            ? [XMLNS_NS, a.qname.slice(6)]
            : resolveName(a.qname, true, local, start);
      const key = `${ans}\u0000${aname}`;
      if (seen.has(key)) bad(`duplicate attribute ${a.qname}`, start);
      seen.add(key);
      if (ans !== XMLNS_NS) attrs.push({ ns: ans, name: aname, qname: a.qname, value: a.value });
    }
    const el: XmlElement = { ns, name, qname, attrs, children: [] };
    if (selfClose) return el;
    let text = '';
    for (;;) {
      if (i >= n) bad(`unterminated element <${qname}>`, start);
      const lt = src.indexOf('<', i);
      if (lt < 0) bad(`unterminated element <${qname}>`, start);
      if (lt > i) {
        const chunk = src.slice(i, lt);
        if (chunk.includes(']]>')) bad("']]>' in text", i);
        text += decodeEntities(chunk, i);
        i = lt;
      }
      if (src.startsWith('</', i)) {
        i += 2;
        const close = readName();
        if (close !== qname) bad(`mismatched end tag </${close}> for <${qname}>`, i);
        skipWs();
        if (src[i] !== '>') bad('expected >', i);
        i++;
        if (text) el.children.push(text);
        return el;
      }
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) bad('unterminated comment', i);
        i = end + 3;
      } else if (src.startsWith('<![CDATA[', i)) {
        const end = src.indexOf(']]>', i + 9);
        if (end < 0) bad('unterminated CDATA section', i);
        text += src.slice(i + 9, end);
        i = end + 3;
      } else if (src.startsWith('<!', i)) {
        if (/^<!(DOCTYPE|ENTITY)/i.test(src.slice(i, i + 9))) {
          throw new ParleyError('XML_DOCTYPE_FORBIDDEN', 'XML: DOCTYPE/ENTITY declarations are not accepted', { offset: i });
        }
        bad('unexpected markup declaration', i);
      } else if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i + 2);
        if (end < 0) bad('unterminated processing instruction', i);
        i = end + 2;
      } else {
        if (text) {
          el.children.push(text);
          text = '';
        }
        el.children.push(parseElement(local, depth + 1));
      }
    }
  };

  skipMisc(true);
  if (src[i] !== '<') bad('expected root element', i);
  const rootScope = new Map<string, string>();
  const root = parseElement(rootScope, 1);
  skipMisc(false);
  if (i < n) bad('content after root element', i);
  return root;
}

// ---- navigation helpers ----

export function elements(el: XmlElement, ns?: string, name?: string): XmlElement[] {
  return el.children.filter(
    (c): c is XmlElement => typeof c !== 'string' && (ns === undefined || c.ns === ns) && (name === undefined || c.name === name),
  );
}
export function child(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return elements(el, ns, name)[0];
}
/** Concatenated text content of direct text children. */
export function textOf(el: XmlElement): string {
  return el.children.filter((c): c is string => typeof c === 'string').join('');
}
export function attr(el: XmlElement, name: string, ns = ''): string | undefined {
  return el.attrs.find((a) => a.ns === ns && a.name === name)?.value;
}

// ---- serialization ----

function checkChars(s: string): void {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (!isXmlChar(cp))
      throw new ParleyError('XML_INVALID_CHAR', `character U+${cp.toString(16)} cannot be represented in XML 1.0`, { codePoint: cp });
  }
}
/** Escapes text content; CR is emitted as a character reference so it survives end-of-line normalization. */
export function escapeXmlText(s: string): string {
  checkChars(s);
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}
/** Escapes an attribute value for use inside double quotes (tab/LF/CR as references so normalization keeps them). */
export function escapeXmlAttr(s: string): string {
  checkChars(s);
  return s.replace(
    /[&<>"\t\n\r]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' })[c]!,
  );
}

/** Output tree for serializeXml: qualified names as written, attributes in insertion order (undefined values skipped). */
export interface XmlOut {
  name: string;
  attrs?: Record<string, string | undefined>;
  children?: (XmlOut | string | undefined | false)[];
}
export function xmlToString(el: XmlOut, declaration = true): string {
  const out: string[] = [];
  if (declaration) out.push('<?xml version="1.0" encoding="UTF-8"?>\n');
  const walk = (e: XmlOut) => {
    out.push('<', e.name);
    for (const [k, v] of Object.entries(e.attrs ?? {})) if (v !== undefined) out.push(' ', k, '="', escapeXmlAttr(v), '"');
    const kids = (e.children ?? []).filter((c): c is XmlOut | string => c !== undefined && c !== false);
    if (kids.length === 0) {
      out.push('/>');
      return;
    }
    out.push('>');
    for (const c of kids)
      if (typeof c === 'string') out.push(escapeXmlText(c));
      else walk(c);
    out.push('</', e.name, '>');
  };
  walk(el);
  return out.join('');
}
export function serializeXml(el: XmlOut): Uint8Array {
  return new TextEncoder().encode(xmlToString(el));
}
