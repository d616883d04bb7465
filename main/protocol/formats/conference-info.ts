// application/conference-info+xml full/partial documents and partial-state merging (RFC 4575 s5, s4.6); nicknames per RFC 7701 (see docs/wire-formats.md).
import { ParleyError, type ErrorCode } from '../../base/errors';
import { parseXml, xmlToString, elements, child, textOf, attr, type XmlElement, type XmlOut } from './xml';

export const CONFINFO_NS = 'urn:ietf:params:xml:ns:conference-info';
export const CONFINFO_CONTENT_TYPE = 'application/conference-info+xml';
export const CONFINFO_MAX_BYTES = 1024 * 1024;
export const CONFINFO_MAX_USERS = 2000;

export type ElementState = 'full' | 'partial' | 'deleted';
export type EndpointStatus =
  'pending' | 'dialing-out' | 'dialing-in' | 'alerting' | 'on-hold' | 'connected' | 'muted-via-focus' | 'disconnecting' | 'disconnected';
const ENDPOINT_STATUSES: readonly string[] = [
  'pending',
  'dialing-out',
  'dialing-in',
  'alerting',
  'on-hold',
  'connected',
  'muted-via-focus',
  'disconnecting',
  'disconnected',
];

export interface ConfUri {
  uri: string;
  displayText?: string;
  purpose?: string;
}
export interface ConfExecution {
  when?: string;
  reason?: string;
  by?: string;
}
export interface ConfMedia {
  id: string;
  displayText?: string;
  type?: string;
  label?: string;
  srcId?: string;
  status?: string;
}
export interface ConfEndpoint {
  entity: string;
  state?: ElementState;
  displayText?: string;
  status?: EndpointStatus;
  joiningMethod?: string;
  joiningInfo?: ConfExecution;
  disconnectionMethod?: string;
  disconnectionInfo?: ConfExecution;
  media?: ConfMedia[];
}
export interface ConfUser {
  entity: string;
  state?: ElementState;
  displayText?: string; // RFC 7701: the participant's chat nickname is shown here by the focus (see docs/wire-formats.md)
  roles?: string[];
  languages?: string;
  endpoints?: ConfEndpoint[];
}
export interface ConfDescription {
  state?: ElementState;
  displayText?: string;
  subject?: string;
  freeText?: string;
  confUris?: ConfUri[];
  serviceUris?: ConfUri[];
  maximumUserCount?: number;
}
export interface ConfState {
  state?: ElementState;
  userCount?: number;
  active?: boolean;
  locked?: boolean;
}
export interface ConferenceInfo {
  entity: string;
  version: number;
  state: ElementState;
  description?: ConfDescription;
  conferenceState?: ConfState;
  users?: { state?: ElementState; list: ConfUser[] };
}
/** Merged view kept by a subscriber: always a full document (state 'full' or 'deleted'), users without per-element state. */
export type ConferenceView = ConferenceInfo & { users: { list: ConfUser[] } };

function err(code: ErrorCode, msg: string, details?: Record<string, unknown>): never {
  throw new ParleyError(code, `conference-info: ${msg}`, details);
}

// ---- parsing ----

const txt = (el: XmlElement, name: string): string | undefined => {
  const c = child(el, CONFINFO_NS, name);
  return c ? textOf(c).trim() : undefined;
};
function stateOf(el: XmlElement): ElementState | undefined {
  const s = attr(el, 'state');
  if (s === undefined) return undefined;
  if (s !== 'full' && s !== 'partial' && s !== 'deleted')
    err('CONFINFO_BAD_ATTRIBUTE', `invalid state ${JSON.stringify(s)} on <${el.name}>`);
  return s;
}
function uint(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(v) || Number(v) > 0xffffffff) err('CONFINFO_BAD_ELEMENT', `invalid ${what} ${JSON.stringify(v)}`);
  return Number(v);
}
function bool(v: string | undefined, what: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (!['true', 'false', '1', '0'].includes(v)) err('CONFINFO_BAD_ELEMENT', `invalid boolean ${what}`);
  return v === 'true' || v === '1';
}
const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

function uris(el: XmlElement | undefined): ConfUri[] | undefined {
  if (!el) return undefined;
  return elements(el, CONFINFO_NS, 'entry').map((e) => {
    const uri = txt(e, 'uri');
    if (!uri) err('CONFINFO_MISSING_ELEMENT', `<${el.name}> entry without <uri>`);
    return clean({ uri, displayText: txt(e, 'display-text'), purpose: txt(e, 'purpose') });
  });
}
function execution(el: XmlElement | undefined): ConfExecution | undefined {
  return el && clean({ when: txt(el, 'when'), reason: txt(el, 'reason'), by: txt(el, 'by') });
}
function endpoint(el: XmlElement): ConfEndpoint {
  const entity = attr(el, 'entity');
  if (!entity) err('CONFINFO_MISSING_ATTRIBUTE', '<endpoint> without entity');
  const status = txt(el, 'status');
  if (status !== undefined && !ENDPOINT_STATUSES.includes(status))
    err('CONFINFO_BAD_ELEMENT', `invalid endpoint status ${JSON.stringify(status)}`);
  const media = elements(el, CONFINFO_NS, 'media').map((m) => {
    const id = attr(m, 'id');
    if (!id) err('CONFINFO_MISSING_ATTRIBUTE', '<media> without id');
    return clean({
      id,
      displayText: txt(m, 'display-text'),
      type: txt(m, 'type'),
      label: txt(m, 'label'),
      srcId: txt(m, 'src-id'),
      status: txt(m, 'status'),
    });
  });
  return clean({
    entity,
    state: stateOf(el),
    displayText: txt(el, 'display-text'),
    status: status as EndpointStatus | undefined,
    joiningMethod: txt(el, 'joining-method'),
    joiningInfo: execution(child(el, CONFINFO_NS, 'joining-info')),
    disconnectionMethod: txt(el, 'disconnection-method'),
    disconnectionInfo: execution(child(el, CONFINFO_NS, 'disconnection-info')),
    media: media.length ? media : undefined,
  });
}
function user(el: XmlElement): ConfUser {
  const entity = attr(el, 'entity');
  if (!entity) err('CONFINFO_MISSING_ATTRIBUTE', '<user> without entity');
  const roles = child(el, CONFINFO_NS, 'roles');
  const eps = elements(el, CONFINFO_NS, 'endpoint').map(endpoint);
  return clean({
    entity,
    state: stateOf(el),
    displayText: txt(el, 'display-text'),
    roles: roles && elements(roles, CONFINFO_NS, 'entry').map((r) => textOf(r).trim()),
    languages: txt(el, 'languages'),
    endpoints: eps.length ? eps : undefined,
  });
}

export function parseConferenceInfo(bytes: Uint8Array | string): ConferenceInfo {
  const root = parseXml(bytes, { maxBytes: CONFINFO_MAX_BYTES, maxDepth: 16, maxElements: 100_000 });
  if (root.ns !== CONFINFO_NS || root.name !== 'conference-info')
    err('CONFINFO_WRONG_ROOT', `root {${root.ns}}${root.name} is not {${CONFINFO_NS}}conference-info`);
  const entity = attr(root, 'entity');
  if (!entity) err('CONFINFO_MISSING_ATTRIBUTE', 'conference-info without entity');
  const version = uint(attr(root, 'version'), 'version');
  if (version === undefined) err('CONFINFO_MISSING_ATTRIBUTE', 'conference-info without version');
  const doc: ConferenceInfo = { entity, version, state: stateOf(root) ?? 'full' };
  const d = child(root, CONFINFO_NS, 'conference-description');
  if (d) {
    doc.description = clean({
      state: stateOf(d),
      displayText: txt(d, 'display-text'),
      subject: txt(d, 'subject'),
      freeText: txt(d, 'free-text'),
      confUris: uris(child(d, CONFINFO_NS, 'conf-uris')),
      serviceUris: uris(child(d, CONFINFO_NS, 'service-uris')),
      maximumUserCount: uint(txt(d, 'maximum-user-count'), 'maximum-user-count'),
    });
  }
  const s = child(root, CONFINFO_NS, 'conference-state');
  if (s)
    doc.conferenceState = clean({
      state: stateOf(s),
      userCount: uint(txt(s, 'user-count'), 'user-count'),
      active: bool(txt(s, 'active'), 'active'),
      locked: bool(txt(s, 'locked'), 'locked'),
    });
  const u = child(root, CONFINFO_NS, 'users');
  if (u) {
    const list = elements(u, CONFINFO_NS, 'user');
    if (list.length > CONFINFO_MAX_USERS) err('CONFINFO_TOO_MANY_USERS', `more than ${CONFINFO_MAX_USERS} users`);
    doc.users = clean({ state: stateOf(u), list: list.map(user) });
  }
  return doc;
}

// ---- serialization ----

const t = (name: string, v: string | number | boolean | undefined): XmlOut | undefined =>
  v === undefined ? undefined : { name, children: [String(v)] };
const uriList = (name: string, l?: ConfUri[]): XmlOut | undefined =>
  l && {
    name,
    children: l.map((e) => ({ name: 'entry', children: [t('uri', e.uri), t('display-text', e.displayText), t('purpose', e.purpose)] })),
  };
const exec = (name: string, x?: ConfExecution): XmlOut | undefined =>
  x && { name, children: [t('when', x.when), t('reason', x.reason), t('by', x.by)] };

export function serializeConferenceInfo(doc: ConferenceInfo): Uint8Array {
  if (!Number.isInteger(doc.version) || doc.version < 0 || doc.version > 0xffffffff)
    err('CONFINFO_BAD_INPUT', 'version must be an unsigned 32-bit integer');
  for (const u of doc.users?.list ?? [])
    for (const e of u.endpoints ?? []) {
      if (e.status !== undefined && !ENDPOINT_STATUSES.includes(e.status)) err('CONFINFO_BAD_INPUT', `invalid endpoint status ${e.status}`);
    }
  const d = doc.description,
    s = doc.conferenceState;
  return new TextEncoder().encode(
    xmlToString({
      name: 'conference-info',
      attrs: { xmlns: CONFINFO_NS, entity: doc.entity, state: doc.state, version: String(doc.version) },
      children: [
        d && {
          name: 'conference-description',
          attrs: { state: d.state },
          children: [
            t('display-text', d.displayText),
            t('subject', d.subject),
            t('free-text', d.freeText),
            uriList('conf-uris', d.confUris),
            uriList('service-uris', d.serviceUris),
            t('maximum-user-count', d.maximumUserCount),
          ],
        },
        s && {
          name: 'conference-state',
          attrs: { state: s.state },
          children: [t('user-count', s.userCount), t('active', s.active), t('locked', s.locked)],
        },
        doc.users && {
          name: 'users',
          attrs: { state: doc.users.state },
          children: doc.users.list.map((u) => ({
            name: 'user',
            attrs: { entity: u.entity, state: u.state },
            children: [
              t('display-text', u.displayText),
              u.roles && { name: 'roles', children: u.roles.map((r) => ({ name: 'entry', children: [r] })) },
              t('languages', u.languages),
              ...(u.endpoints ?? []).map((e): XmlOut => ({
                name: 'endpoint',
                attrs: { entity: e.entity, state: e.state },
                children: [
                  t('display-text', e.displayText),
                  t('status', e.status),
                  t('joining-method', e.joiningMethod),
                  exec('joining-info', e.joiningInfo),
                  t('disconnection-method', e.disconnectionMethod),
                  exec('disconnection-info', e.disconnectionInfo),
                  ...(e.media ?? []).map((m): XmlOut => ({
                    name: 'media',
                    attrs: { id: m.id },
                    children: [
                      t('display-text', m.displayText),
                      t('type', m.type),
                      t('label', m.label),
                      t('src-id', m.srcId),
                      t('status', m.status),
                    ],
                  })),
                ],
              })),
            ],
          })),
        },
      ],
    }),
  );
}

// ---- merging (RFC 4575 s4.6) ----

function byKey<T>(prev: T[] | undefined, next: T[], key: (x: T) => string, merge: (p: T | undefined, n: T) => T | undefined): T[] {
  const out = [...(prev ?? [])];
  for (const n of next) {
    const i = out.findIndex((p) => key(p) === key(n));
    const m = merge(i >= 0 ? out[i] : undefined, n);
    if (i >= 0) {
      if (m) out[i] = m;
      else out.splice(i, 1);
    } else if (m) out.push(m);
  }
  return out;
}
function mergeEndpoint(prev: ConfEndpoint | undefined, e: ConfEndpoint): ConfEndpoint | undefined {
  if (e.state === 'deleted') return undefined;
  const { state, media, ...rest } = e;
  if (!prev || state !== 'partial') return clean({ ...rest, media });
  return clean({
    ...prev,
    ...rest,
    media: media
      ? byKey(
          prev.media,
          media,
          (m) => m.id,
          (_p, n) => n,
        )
      : prev.media,
  });
}
function mergeUser(prev: ConfUser | undefined, u: ConfUser): ConfUser | undefined {
  if (u.state === 'deleted') return undefined;
  const { state, endpoints, ...rest } = u;
  if (!prev || state !== 'partial') {
    const eps = (endpoints ?? []).map((e) => mergeEndpoint(undefined, e)).filter((e): e is ConfEndpoint => !!e);
    return clean({ ...rest, endpoints: eps.length ? eps : undefined });
  }
  const eps = endpoints ? byKey(prev.endpoints, endpoints, (e) => e.entity, mergeEndpoint) : prev.endpoints;
  return clean({ ...prev, ...rest, endpoints: eps?.length ? eps : undefined });
}
function mergeFlat<T extends { state?: ElementState }>(prev: T | undefined, n: T | undefined): T | undefined {
  if (!n) return prev;
  const { state, ...rest } = n;
  if (state === 'deleted') return undefined;
  return (state === 'partial' && prev ? { ...prev, ...rest } : rest) as T;
}

/**
 * Applies a received document to the subscriber's view (RFC 4575 s4.6). A full document replaces the view; a partial one
 * must carry exactly the next version. Throws CONFINFO_STALE_VERSION (duplicate/out-of-order: drop it),
 * CONFINFO_VERSION_GAP or CONFINFO_NO_BASE (state lost: refresh the subscription to get a full document).
 */
export function applyConferenceInfo(prev: ConferenceView | undefined, doc: ConferenceInfo): ConferenceView {
  if (prev && prev.entity !== doc.entity) err('CONFINFO_ENTITY_MISMATCH', `document for ${doc.entity} applied to ${prev.entity}`);
  if (prev && doc.version <= prev.version)
    err('CONFINFO_STALE_VERSION', `version ${doc.version} is not newer than ${prev.version}`, {
      version: doc.version,
      current: prev.version,
    });
  if (doc.state === 'deleted') return { entity: doc.entity, version: doc.version, state: 'deleted', users: { list: [] } };
  if (doc.state === 'full') {
    const view: ConferenceView = { entity: doc.entity, version: doc.version, state: 'full', users: { list: [] } };
    const d = mergeFlat(undefined, doc.description);
    if (d) view.description = d;
    const s = mergeFlat(undefined, doc.conferenceState);
    if (s) view.conferenceState = s;
    view.users.list = byKey([], doc.users?.list ?? [], (u) => u.entity, mergeUser);
    return view;
  }
  if (!prev || prev.state === 'deleted') err('CONFINFO_NO_BASE', 'partial document without a full state to apply it to');
  if (doc.version !== prev.version + 1)
    err('CONFINFO_VERSION_GAP', `version ${doc.version} skips after ${prev.version}`, { version: doc.version, current: prev.version });
  const view: ConferenceView = { ...prev, version: doc.version, users: { list: prev.users.list } };
  const d = mergeFlat(prev.description, doc.description);
  if (d) view.description = d;
  else delete view.description;
  const s = mergeFlat(prev.conferenceState, doc.conferenceState);
  if (s) view.conferenceState = s;
  else delete view.conferenceState;
  if (doc.users) {
    const base = doc.users.state === 'partial' ? prev.users.list : [];
    view.users = { list: byKey(base, doc.users.list, (u) => u.entity, mergeUser) };
  }
  return view;
}

/** Participants currently connected with at least one endpoint (or with no endpoint information). */
export function connectedUsers(view: ConferenceView): ConfUser[] {
  return view.users.list.filter(
    (u) =>
      !u.endpoints?.length ||
      u.endpoints.some(
        (e) => e.status === undefined || e.status === 'connected' || e.status === 'on-hold' || e.status === 'muted-via-focus',
      ),
  );
}
