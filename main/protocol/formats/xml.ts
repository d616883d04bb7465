// Strict, namespace-aware XML 1.0 parsing (W3C XML 1.0 + Namespaces in XML 1.0) on saxes, with our limits and no DTD
// support, into a small element tree; navigation helpers; the escaping serializer.
import { SaxesParser } from 'saxes';
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

const DECLARATION = /<!(?:DOCTYPE|ENTITY)/i;
/** saxes checks a qualified name as a Name; Namespaces in XML also wants its local part to start like an NCName (not
 *  with a digit, '-', '.', U+00B7, a combining mark U+0300-036F or U+203F/2040). */
const localName = (local: string, qname: string, offset: number): string => {
  const c = local.charCodeAt(0);
  const bad =
    (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
  if (bad) throw new ParleyError('XML_MALFORMED', `XML: bad qualified name ${qname} at offset ${offset}`, { offset });
  return local;
};

/** saxes reports every well-formedness error through its error handler: map each to our stable codes. */
function saxesError(e: Error, src: string, offset: number): ParleyError {
  const msg = e.message.replace(/^.*?\d+:\d+: /, ''); // saxes prefixes line:column
  if (/^undefined entity/.test(msg))
    return new ParleyError('XML_ENTITY_FORBIDDEN', `XML: undefined or forbidden entity at offset ${offset}`, { offset });
  if (/^unbound namespace prefix/.test(msg)) return new ParleyError('XML_UNBOUND_PREFIX', `XML: ${msg}`, { offset });
  // A declaration inside the root element is not a DOCTYPE event for saxes, but a syntax error at its '<!'.
  if (/^(incorrect syntax|inappropriately located doctype)/.test(msg) && DECLARATION.test(src)) return doctypeForbidden(offset);
  return new ParleyError('XML_MALFORMED', `XML: ${msg} at offset ${offset}`, { offset });
}

const doctypeForbidden = (offset: number) =>
  new ParleyError('XML_DOCTYPE_FORBIDDEN', 'XML: DOCTYPE/ENTITY declarations are not accepted', { offset });

/** Parses a complete document (string or UTF-8 bytes) into its root element, on the saxes parser (strict XML 1.0 +
 *  Namespaces, docs/architecture.md "Libraries"). Limits are checked as the parser goes (before the tree grows); DOCTYPE
 *  and entity declarations are rejected, only the five predefined entities and character references are known. */
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

  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let text = '';
  let elements = 0;
  let attributes = 0;
  const flushText = () => {
    if (text && stack.length) stack[stack.length - 1]!.children.push(text);
    text = '';
  };
  parser.on('error', (e) => {
    throw saxesError(e, src, parser.position);
  });
  parser.on('doctype', () => {
    throw doctypeForbidden(parser.position);
  });
  parser.on('opentagstart', () => {
    if (stack.length + 1 > lim.maxDepth)
      throw new ParleyError('XML_TOO_DEEP', `XML nesting deeper than ${lim.maxDepth}`, { max: lim.maxDepth });
    if (++elements > lim.maxElements)
      throw new ParleyError('XML_TOO_MANY_ELEMENTS', `XML has more than ${lim.maxElements} elements`, { max: lim.maxElements });
    attributes = 0;
  });
  parser.on('attribute', () => {
    if (++attributes > lim.maxAttributes)
      throw new ParleyError('XML_TOO_MANY_ATTRIBUTES', `XML element has more than ${lim.maxAttributes} attributes`, {
        max: lim.maxAttributes,
      });
  });
  parser.on('opentag', (tag) => {
    flushText();
    const attrs: XmlAttr[] = [];
    for (const a of Object.values(tag.attributes))
      if (a.uri !== XMLNS_NS) attrs.push({ ns: a.uri, name: localName(a.local, a.name, parser.position), qname: a.name, value: a.value });
    const el: XmlElement = { ns: tag.uri, name: localName(tag.local, tag.name, parser.position), qname: tag.name, attrs, children: [] };
    if (stack.length) stack[stack.length - 1]!.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    flushText();
    stack.pop();
  });
  parser.on('text', (t) => {
    if (stack.length) text += t; // outside the root saxes allows whitespace only
  });
  parser.on('cdata', (t) => {
    text += t;
  });
  try {
    parser.write(src).close();
  } catch (e) {
    if (e instanceof ParleyError) throw e;
    throw new ParleyError('XML_MALFORMED', `XML: ${(e as Error)?.message ?? String(e)}`, undefined, { cause: e });
  }
  if (!root) throw new ParleyError('XML_MALFORMED', 'XML: no root element');
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
