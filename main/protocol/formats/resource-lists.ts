// application/resource-lists+xml (RFC 4826 s3) with copyControl/anonymize (RFC 5364), and the URI-list MESSAGE body (RFC 5365 s4, s9).
import { ParleyError, type ErrorCode } from '../../base/errors';
import { parseXml, xmlToString, elements, child, textOf, attr, type XmlElement, type XmlOut } from './xml';
import { buildMultipart, parseMultipart, parseContentType, partHeader, type MimePart, type MultipartLimits } from './multipart';
import type { MimeHeader } from './cpim';

export const RESOURCE_LISTS_NS = 'urn:ietf:params:xml:ns:resource-lists';
export const COPY_CONTROL_NS = 'urn:ietf:params:xml:ns:copycontrol';
export const RESOURCE_LISTS_CONTENT_TYPE = 'application/resource-lists+xml';
export const RESOURCE_LISTS_MAX_BYTES = 64 * 1024;
export const RESOURCE_LISTS_MAX_ENTRIES = 100;

export type CopyControl = 'to' | 'cc' | 'bcc';
export interface ResourceListEntry {
  uri: string;
  displayName?: string;
  copyControl?: CopyControl;
  anonymize?: boolean;
}

const URI_RE = /^[^\s<>"]+:[^\s<>"]*$/;

function err(code: ErrorCode, msg: string): never {
  throw new ParleyError(code, `resource-lists: ${msg}`);
}

export function serializeResourceList(entries: ResourceListEntry[]): Uint8Array {
  if (entries.length > RESOURCE_LISTS_MAX_ENTRIES)
    err('RESOURCE_LISTS_TOO_MANY_ENTRIES', `more than ${RESOURCE_LISTS_MAX_ENTRIES} entries`);
  const seen = new Set<string>();
  const kids: XmlOut[] = entries.map((e) => {
    if (!URI_RE.test(e.uri)) err('RESOURCE_LISTS_BAD_INPUT', `invalid URI ${JSON.stringify(e.uri)}`);
    if (seen.has(e.uri)) err('RESOURCE_LISTS_BAD_INPUT', `duplicate URI ${e.uri}`);
    seen.add(e.uri);
    if (e.copyControl !== undefined && !['to', 'cc', 'bcc'].includes(e.copyControl))
      err('RESOURCE_LISTS_BAD_INPUT', `invalid copyControl ${e.copyControl}`);
    return {
      name: 'entry',
      attrs: { uri: e.uri, 'cp:copyControl': e.copyControl, 'cp:anonymize': e.anonymize === undefined ? undefined : String(e.anonymize) },
      children: [e.displayName !== undefined && { name: 'display-name', children: [e.displayName] }],
    };
  });
  return new TextEncoder().encode(
    xmlToString({
      name: 'resource-lists',
      attrs: { xmlns: RESOURCE_LISTS_NS, 'xmlns:cp': COPY_CONTROL_NS },
      children: [{ name: 'list', children: kids }],
    }),
  );
}

/** Parses a resource list, flattening nested <list>s. <entry-ref> and <external> need XCAP and are refused. */
export function parseResourceList(bytes: Uint8Array | string): ResourceListEntry[] {
  const root = parseXml(bytes, { maxBytes: RESOURCE_LISTS_MAX_BYTES, maxDepth: 12, maxElements: 2000 });
  if (root.ns !== RESOURCE_LISTS_NS || root.name !== 'resource-lists')
    err('RESOURCE_LISTS_WRONG_ROOT', `root {${root.ns}}${root.name} is not {${RESOURCE_LISTS_NS}}resource-lists`);
  const out: ResourceListEntry[] = [];
  const seen = new Set<string>();
  const walk = (list: XmlElement) => {
    for (const el of elements(list, RESOURCE_LISTS_NS)) {
      if (el.name === 'list') walk(el);
      else if (el.name === 'entry-ref' || el.name === 'external')
        err('RESOURCE_LISTS_UNSUPPORTED', `<${el.name}> references are not supported`);
      else if (el.name === 'entry') {
        const uri = attr(el, 'uri');
        if (uri === undefined) err('RESOURCE_LISTS_MISSING_ATTRIBUTE', '<entry> without uri');
        if (!URI_RE.test(uri)) err('RESOURCE_LISTS_BAD_ELEMENT', `invalid entry uri ${JSON.stringify(uri)}`);
        if (seen.has(uri)) continue; // RFC 5365 s4.1: duplicates are delivered once
        seen.add(uri);
        if (out.length >= RESOURCE_LISTS_MAX_ENTRIES)
          err('RESOURCE_LISTS_TOO_MANY_ENTRIES', `more than ${RESOURCE_LISTS_MAX_ENTRIES} entries`);
        const e: ResourceListEntry = { uri };
        const dn = child(el, RESOURCE_LISTS_NS, 'display-name');
        if (dn) e.displayName = textOf(dn);
        const cc = attr(el, 'copyControl', COPY_CONTROL_NS);
        if (cc !== undefined) {
          if (cc !== 'to' && cc !== 'cc' && cc !== 'bcc') err('RESOURCE_LISTS_BAD_ELEMENT', `invalid copyControl ${JSON.stringify(cc)}`);
          e.copyControl = cc;
        }
        const an = attr(el, 'anonymize', COPY_CONTROL_NS);
        if (an !== undefined) {
          if (!['true', 'false', '1', '0'].includes(an)) err('RESOURCE_LISTS_BAD_ELEMENT', `invalid anonymize ${JSON.stringify(an)}`);
          e.anonymize = an === 'true' || an === '1';
        }
        out.push(e);
      }
    }
  };
  const lists = elements(root, RESOURCE_LISTS_NS, 'list');
  if (!lists.length) err('RESOURCE_LISTS_MISSING_ELEMENT', 'no <list>');
  lists.forEach(walk);
  return out;
}

export interface UriListMessage {
  recipients: ResourceListEntry[];
  message: { contentType: string; headers: MimeHeader[]; body: Uint8Array }; // headers: other MIME headers of the message part
}

/**
 * Builds the multipart/mixed body of a URI-list MESSAGE (RFC 5365 s4): the message part, then the resource list with
 * Content-Disposition: recipient-list. The SIP layer must add `Require: recipient-list-message` and send it to the exploder.
 */
export function buildUriListMessage(m: UriListMessage, boundary?: string): { contentType: string; body: Uint8Array } {
  if (!m.recipients.length) err('RESOURCE_LISTS_BAD_INPUT', 'a URI-list MESSAGE needs at least one recipient');
  parseContentType(m.message.contentType);
  const parts: MimePart[] = [
    { headers: [{ name: 'Content-Type', value: m.message.contentType }, ...m.message.headers], body: m.message.body },
    {
      headers: [
        { name: 'Content-Type', value: RESOURCE_LISTS_CONTENT_TYPE },
        { name: 'Content-Disposition', value: 'recipient-list' },
      ],
      body: serializeResourceList(m.recipients),
    },
  ];
  return buildMultipart(parts, { boundary });
}

/** Parses a URI-list MESSAGE body: exactly one recipient-list part and exactly one message part. */
export function parseUriListMessage(contentType: string, body: Uint8Array, limits: Partial<MultipartLimits> = {}): UriListMessage {
  const parts = parseMultipart(body, contentType, limits);
  const isList = (p: MimePart) => (partHeader(p, 'Content-Disposition') ?? '').split(';')[0].trim().toLowerCase() === 'recipient-list';
  const lists = parts.filter(isList);
  const others = parts.filter((p) => !isList(p));
  if (lists.length !== 1) err('RESOURCE_LISTS_BAD_MESSAGE', `expected one recipient-list part, found ${lists.length}`);
  if (others.length !== 1) err('RESOURCE_LISTS_BAD_MESSAGE', `expected one message part, found ${others.length}`);
  const listCt = partHeader(lists[0], 'Content-Type');
  if (!listCt || parseContentType(listCt).subtype !== 'resource-lists+xml')
    err('RESOURCE_LISTS_BAD_MESSAGE', 'recipient-list part is not application/resource-lists+xml');
  const msgCt = partHeader(others[0], 'Content-Type') ?? 'text/plain';
  return {
    recipients: parseResourceList(lists[0].body),
    message: {
      contentType: msgCt,
      headers: others[0].headers.filter((h) => h.name.toLowerCase() !== 'content-type'),
      body: others[0].body,
    },
  };
}
