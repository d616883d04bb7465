// message/imdn+xml notifications and their CPIM wrapping (RFC 5438 s6.3, s7, s9); Message-ID generation (s6.3, >= 128 random bits here).
import { ParleyError, type ErrorCode } from '../../base/errors';
import { parseXml, xmlToString, child, elements, textOf, type XmlElement, type XmlOut } from './xml';
import {
  createCpim,
  parseCpim,
  cpimHeader,
  cpimContentHeader,
  IMDN_NS_URI,
  type CpimAddress,
  type CpimMessage,
  type CpimLimits,
} from './cpim';

export const IMDN_XML_NS = 'urn:ietf:params:xml:ns:imdn';
export const IMDN_CONTENT_TYPE = 'message/imdn+xml';
export const IMDN_MAX_BYTES = 16 * 1024;
export const IMDN_MESSAGE_ID_BYTES = 16; // 128 random bits, base64url -> 22 characters

export type DeliveryStatus = 'delivered' | 'failed' | 'forbidden' | 'error';
export type DisplayStatus = 'displayed' | 'forbidden' | 'error';
export type ProcessingStatus = 'processed' | 'stored' | 'forbidden' | 'error';
export type ImdnKind = 'delivery' | 'display' | 'processing';

export interface ImdnCommon {
  messageId: string; // Message-ID of the message being reported on
  dateTime: string; // DateTime of that message (RFC 3339)
  recipientUri?: string;
  originalRecipientUri?: string;
  subject?: string;
}
export type ImdnNotification = ImdnCommon &
  (
    | { kind: 'delivery'; status: DeliveryStatus }
    | { kind: 'display'; status: DisplayStatus }
    | { kind: 'processing'; status: ProcessingStatus }
  );

const STATUSES: Record<ImdnKind, readonly string[]> = {
  delivery: ['delivered', 'failed', 'forbidden', 'error'],
  display: ['displayed', 'forbidden', 'error'],
  processing: ['processed', 'stored', 'forbidden', 'error'],
};
const MESSAGE_ID_RE = /^[\x21-\x7e]{1,256}$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const URI_RE = /^[^\s<>"]+:[^\s<>"]*$/;

function err(code: ErrorCode, msg: string, details?: Record<string, unknown>): never {
  throw new ParleyError(code, `IMDN: ${msg}`, details);
}

/** New URL-safe IMDN Message-ID: 128 random bits, base64url without padding (22 chars). `random` is injectable for tests. */
export function newImdnMessageId(random: (n: number) => Uint8Array = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n))): string {
  const b = random(IMDN_MESSAGE_ID_BYTES);
  if (b.length < IMDN_MESSAGE_ID_BYTES) err('IMDN_BAD_INPUT', 'random source returned too few bytes');
  return Buffer.from(b.subarray(0, IMDN_MESSAGE_ID_BYTES)).toString('base64url');
}

function validate(n: ImdnNotification): void {
  if (!MESSAGE_ID_RE.test(n.messageId)) err('IMDN_BAD_INPUT', `invalid message-id ${JSON.stringify(n.messageId)}`);
  if (!DATETIME_RE.test(n.dateTime)) err('IMDN_BAD_INPUT', `invalid datetime ${JSON.stringify(n.dateTime)}`);
  for (const u of [n.recipientUri, n.originalRecipientUri])
    if (u !== undefined && !URI_RE.test(u)) err('IMDN_BAD_INPUT', `invalid URI ${JSON.stringify(u)}`);
  if (!STATUSES[n.kind]?.includes(n.status)) err('IMDN_BAD_STATUS', `status ${n.status} is not valid for ${n.kind}-notification`);
}

/** Serializes a notification document (RFC 5438 s9). */
export function serializeImdn(n: ImdnNotification): Uint8Array {
  validate(n);
  const el = (name: string, v?: string): XmlOut | undefined => (v === undefined ? undefined : { name, children: [v] });
  const doc: XmlOut = {
    name: 'imdn',
    attrs: { xmlns: IMDN_XML_NS },
    children: [
      el('message-id', n.messageId),
      el('datetime', n.dateTime),
      el('recipient-uri', n.recipientUri),
      el('original-recipient-uri', n.originalRecipientUri),
      el('subject', n.subject),
      { name: `${n.kind}-notification`, children: [{ name: 'status', children: [{ name: n.status }] }] },
    ],
  };
  return new TextEncoder().encode(xmlToString(doc));
}

function one(root: XmlElement, name: string, required: true): string;
function one(root: XmlElement, name: string, required: false): string | undefined;
function one(root: XmlElement, name: string, required: boolean): string | undefined {
  const found = elements(root, IMDN_XML_NS, name);
  if (found.length > 1) err('IMDN_DUPLICATE_ELEMENT', `more than one <${name}>`);
  if (!found.length) return required ? err('IMDN_MISSING_ELEMENT', `<${name}> is required`) : undefined;
  if (elements(found[0]).length) err('IMDN_BAD_ELEMENT', `<${name}> must contain text only`);
  return textOf(found[0]);
}

/** Parses a message/imdn+xml document. Unknown elements in other namespaces are ignored (schema extension points). */
export function parseImdn(bytes: Uint8Array | string): ImdnNotification {
  const root = parseXml(bytes, { maxBytes: IMDN_MAX_BYTES, maxDepth: 8, maxElements: 200 });
  if (root.name !== 'imdn' || root.ns !== IMDN_XML_NS)
    err('IMDN_WRONG_ROOT', `root element {${root.ns}}${root.name} is not {${IMDN_XML_NS}}imdn`);
  const common: ImdnCommon = { messageId: one(root, 'message-id', true).trim(), dateTime: one(root, 'datetime', true).trim() };
  const rec = one(root, 'recipient-uri', false);
  if (rec !== undefined) common.recipientUri = rec.trim();
  const orig = one(root, 'original-recipient-uri', false);
  if (orig !== undefined) common.originalRecipientUri = orig.trim();
  const subject = one(root, 'subject', false);
  if (subject !== undefined) common.subject = subject;
  const notes = (['delivery', 'display', 'processing'] as const).flatMap((k) =>
    elements(root, IMDN_XML_NS, `${k}-notification`).map((e) => [k, e] as const),
  );
  if (notes.length === 0) err('IMDN_MISSING_ELEMENT', 'no delivery-, display- or processing-notification element');
  if (notes.length > 1) err('IMDN_DUPLICATE_ELEMENT', 'more than one notification element');
  const [kind, el] = notes[0];
  const status = child(el, IMDN_XML_NS, 'status');
  if (!status) err('IMDN_MISSING_ELEMENT', `<${kind}-notification> has no <status>`);
  const values = elements(status, IMDN_XML_NS).filter((e) => STATUSES[kind].includes(e.name));
  if (values.length !== 1) err('IMDN_BAD_STATUS', `<status> of ${kind}-notification must hold exactly one of ${STATUSES[kind].join(', ')}`);
  const n = { ...common, kind, status: values[0].name } as ImdnNotification;
  if (!MESSAGE_ID_RE.test(n.messageId)) err('IMDN_BAD_ELEMENT', 'invalid <message-id>');
  if (!DATETIME_RE.test(n.dateTime)) err('IMDN_BAD_ELEMENT', 'invalid <datetime>');
  return n;
}

export interface ImdnCpimInit {
  from: CpimAddress | string; // the notifying recipient
  to: CpimAddress | string; // the sender of the original message
  notification: ImdnNotification;
  messageId?: string; // new imdn.Message-ID of the IMDN itself; generated when absent
  dateTime?: string; // defaults to now
}

/** Wraps a notification in CPIM (RFC 5438 s7.1.1.1): NS imdn, new imdn.Message-ID, DateTime, Content-Disposition: notification. */
export function buildImdnCpim(o: ImdnCpimInit): CpimMessage {
  const messageId = o.messageId ?? newImdnMessageId();
  if (!MESSAGE_ID_RE.test(messageId)) err('IMDN_BAD_INPUT', `invalid message id ${JSON.stringify(messageId)}`);
  const body = serializeImdn(o.notification);
  return createCpim({
    from: o.from,
    to: [o.to],
    ns: { imdn: IMDN_NS_URI },
    dateTime: o.dateTime ?? new Date().toISOString(),
    headers: [{ name: 'imdn.Message-ID', value: messageId }],
    contentType: IMDN_CONTENT_TYPE,
    contentHeaders: [{ name: 'Content-Disposition', value: 'notification' }],
    body,
  });
}

/** Builds the IMDN answering a received chat CPIM message (To = its From, message-id/datetime copied from it). */
export function buildImdnReply(
  original: CpimMessage,
  o: { from: CpimAddress | string; recipientUri?: string; originalRecipientUri?: string } & (
    | { kind: 'delivery'; status: DeliveryStatus }
    | { kind: 'display'; status: DisplayStatus }
    | { kind: 'processing'; status: ProcessingStatus }
  ),
  now?: string,
): CpimMessage {
  const id = cpimHeader(original, IMDN_NS_URI, 'Message-ID');
  if (!id) err('IMDN_MISSING_ELEMENT', 'original message has no imdn.Message-ID');
  if (!original.from) err('IMDN_MISSING_ELEMENT', 'original message has no From');
  if (!original.dateTime) err('IMDN_MISSING_ELEMENT', 'original message has no DateTime (RFC 5438 s6.3)');
  const notification = {
    messageId: id,
    dateTime: original.dateTime,
    recipientUri: o.recipientUri,
    originalRecipientUri: o.originalRecipientUri,
    kind: o.kind,
    status: o.status,
  } as ImdnNotification;
  for (const k of ['recipientUri', 'originalRecipientUri'] as const) if (notification[k] === undefined) delete notification[k];
  return buildImdnCpim({ from: o.from, to: original.from, notification, dateTime: now });
}

export function isImdnCpim(m: Pick<CpimMessage, 'contentType'>): boolean {
  return m.contentType.split(';')[0].trim().toLowerCase() === IMDN_CONTENT_TYPE;
}

/** Parses a CPIM-wrapped IMDN. Content-Disposition: notification is emitted by us but tolerated when missing. */
export function parseImdnCpim(
  bytes: Uint8Array,
  limits: Partial<CpimLimits> = {},
): { cpim: CpimMessage; imdn: ImdnNotification; imdnMessageId?: string } {
  const cpim = parseCpim(bytes, { maxBodyBytes: IMDN_MAX_BYTES, ...limits });
  if (!isImdnCpim(cpim)) err('IMDN_NOT_NOTIFICATION', `content type ${cpim.contentType} is not ${IMDN_CONTENT_TYPE}`);
  const disp = cpimContentHeader(cpim, 'Content-Disposition');
  if (disp !== undefined && disp.split(';')[0].trim().toLowerCase() !== 'notification')
    err('IMDN_NOT_NOTIFICATION', `Content-Disposition ${disp} is not notification`);
  return { cpim, imdn: parseImdn(cpim.body), imdnMessageId: cpimHeader(cpim, IMDN_NS_URI, 'Message-ID') };
}
