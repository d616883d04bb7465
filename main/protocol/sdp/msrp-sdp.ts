// MSRP media in SDP offer/answer (RFC 4975 s8, RFC 6135 setup, RFC 4145 connection, RFC 6714 CEMA, RFC 8122 fingerprint, RFC 4567 key-mgmt, RFC 5547).
import { ParleyError, isParleyError, type ErrorCode } from '../../base/errors';
import {
  parseSdp,
  serializeSdp,
  attributes,
  attrValues,
  hasAttr,
  attrLine,
  connectionFor,
  type Sdp,
  type SdpLine,
  type SdpMediaSection,
} from './sdp';
import { fileAttributesFromSdp, fileAttributesToSdp, type FileAttributes } from '../formats/file-selector';

export type MsrpTransport = 'TCP/MSRP' | 'TCP/TLS/MSRP';
export type MsrpSetup = 'active' | 'passive' | 'actpass' | 'holdconn';
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export interface SdpFingerprint {
  algorithm: string;
  value: string;
} // value: uppercase hex pairs separated by ':'
export interface KeyMgmt {
  protocol: string;
  data: string;
} // data: base64 (RFC 4567 s3.1)
export const PARLEY_KEY_MGMT_PROTOCOL = 'parley-x25519-v1';
export const MSRP_TRANSPORTS: readonly MsrpTransport[] = ['TCP/MSRP', 'TCP/TLS/MSRP'];

export interface MsrpMedia {
  index: number; // position of the m= line in the SDP
  port: number;
  transport: MsrpTransport;
  address?: string; // from the c= line in effect (informational: MSRP connects to a=path)
  path: string[];
  acceptTypes: string[];
  acceptWrappedTypes: string[];
  maxSize?: number;
  setup?: MsrpSetup; // absent: RFC 4975 behaviour (offerer is active)
  connection?: 'new' | 'existing';
  cema: boolean;
  fingerprints: SdpFingerprint[];
  keyMgmt: KeyMgmt[];
  direction: MediaDirection;
  file?: FileAttributes;
}

const DIRECTIONS: readonly MediaDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const TOKEN = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+$/;
const MEDIA_TYPE = /^(\*|[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+\/(\*|[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+)(;[^\s;]+)*)$/;
const MSRP_URI = /^msrps?:\/\/[^\s]+$/i;
const FINGERPRINT = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function err(code: ErrorCode, msg: string): never {
  throw new ParleyError(code, `MSRP SDP: ${msg}`);
}

// ---- media type matching (RFC 4975 s8.6 wildcards) ----

const base = (t: string) => t.split(';')[0].trim().toLowerCase();
/** Does `pattern` ('*', 'text/*', 'text/plain') cover media type `type`? */
export function mediaTypeMatches(type: string, pattern: string): boolean {
  const p = base(pattern),
    t = base(type);
  if (p === '*' || p === t) return true;
  if (p.endsWith('/*')) return t !== '*' && t.split('/')[0] === p.slice(0, -2);
  return false;
}
/** Types both sides accept, in `local` order, wildcards narrowed to the more specific side. */
export function intersectMediaTypes(remote: string[], local: string[]): string[] {
  const out: string[] = [];
  const add = (t: string) => {
    if (!out.some((o) => base(o) === base(t))) out.push(t);
  };
  for (const l of local)
    for (const r of remote) {
      if (mediaTypeMatches(l, r)) add(l);
      else if (mediaTypeMatches(r, l)) add(r);
    }
  return out;
}

// ---- parsing ----

function sectionToMedia(sdp: Sdp, s: SdpMediaSection, index: number): MsrpMedia {
  const transport = MSRP_TRANSPORTS.find((t) => t.toLowerCase() === s.m.proto.toLowerCase());
  if (!transport) err('SDP_MSRP_BAD_TRANSPORT', `transport ${s.m.proto} is not MSRP`);
  const lines = s.lines;
  const paths = attrValues(lines, 'path');
  if (paths.length !== 1) err('SDP_MSRP_BAD_PATH', paths.length ? 'more than one a=path' : 'missing a=path');
  const path = paths[0].trim().split(/\s+/);
  if (!path.every((u) => MSRP_URI.test(u))) err('SDP_MSRP_BAD_PATH', `invalid MSRP URI in a=path:${paths[0].slice(0, 100)}`);
  const accept = attrValues(lines, 'accept-types');
  if (!accept.length || !accept[0].trim()) err('SDP_MSRP_MISSING_ACCEPT_TYPES', 'missing a=accept-types');
  const list = (v: string[]) => v.flatMap((x) => x.trim().split(/\s+/)).filter(Boolean);
  const acceptTypes = list(accept),
    acceptWrappedTypes = list(attrValues(lines, 'accept-wrapped-types'));
  for (const t of [...acceptTypes, ...acceptWrappedTypes])
    if (!MEDIA_TYPE.test(t)) err('SDP_MSRP_BAD_ATTRIBUTE', `invalid media type ${JSON.stringify(t)}`);
  const m: MsrpMedia = {
    index,
    port: s.m.port,
    transport,
    path,
    acceptTypes,
    acceptWrappedTypes,
    cema: hasAttr(lines, 'msrp-cema'),
    fingerprints: [],
    keyMgmt: [],
    direction: 'sendrecv',
  };
  const address = connectionFor(sdp, s)?.address;
  if (address !== undefined) m.address = address;
  const max = attrValues(lines, 'max-size')[0];
  if (max !== undefined) {
    if (!/^[0-9]{1,15}$/.test(max.trim())) err('SDP_MSRP_BAD_ATTRIBUTE', `invalid max-size ${JSON.stringify(max)}`);
    m.maxSize = Number(max.trim());
  }
  const setup = attrValues(lines, 'setup')[0]?.trim().toLowerCase();
  if (setup !== undefined) {
    if (!['active', 'passive', 'actpass', 'holdconn'].includes(setup))
      err('SDP_MSRP_BAD_ATTRIBUTE', `invalid setup ${JSON.stringify(setup)}`);
    m.setup = setup as MsrpSetup;
  }
  const conn = attrValues(lines, 'connection')[0]?.trim().toLowerCase();
  if (conn !== undefined) {
    if (conn !== 'new' && conn !== 'existing') err('SDP_MSRP_BAD_ATTRIBUTE', `invalid connection ${JSON.stringify(conn)}`);
    m.connection = conn;
  }
  for (const f of attrValues(lines, 'fingerprint')) {
    const [alg, value, ...rest] = f.trim().split(/\s+/);
    if (rest.length || !alg || !TOKEN.test(alg) || !value || !FINGERPRINT.test(value))
      err('SDP_MSRP_BAD_ATTRIBUTE', `invalid fingerprint ${JSON.stringify(f.slice(0, 40))}`);
    m.fingerprints.push({ algorithm: alg.toLowerCase(), value: value.toUpperCase() });
  }
  for (const k of attrValues(lines, 'key-mgmt')) {
    const [protocol, data, ...rest] = k.trim().split(/\s+/);
    if (rest.length || !protocol || !TOKEN.test(protocol) || !data || !BASE64.test(data))
      err('SDP_MSRP_BAD_ATTRIBUTE', `invalid key-mgmt ${JSON.stringify(k.slice(0, 40))}`);
    m.keyMgmt.push({ protocol, data });
  }
  const dirs = attributes(lines).filter((a) => DIRECTIONS.includes(a.name.toLowerCase() as MediaDirection) && a.value === undefined);
  const sessionDir = attributes(sdp.session).find(
    (a) => DIRECTIONS.includes(a.name.toLowerCase() as MediaDirection) && a.value === undefined,
  );
  if (dirs.length > 1) err('SDP_MSRP_BAD_ATTRIBUTE', 'more than one direction attribute');
  m.direction = ((dirs[0] ?? sessionDir)?.name.toLowerCase() as MediaDirection) ?? 'sendrecv';
  const file = fileAttributesFromSdp(attributes(lines));
  if (file) m.file = file;
  return m;
}

const asSdp = (x: string | Uint8Array | Sdp): Sdp => (typeof x === 'string' || x instanceof Uint8Array ? parseSdp(x) : x);
const isMsrpLine = (s: SdpMediaSection) =>
  s.m.media.toLowerCase() === 'message' && s.m.port !== 0 && MSRP_TRANSPORTS.some((t) => t.toLowerCase() === s.m.proto.toLowerCase());

/** Typed description of the first active MSRP m= line (m=message, port != 0, TCP/MSRP or TCP/TLS/MSRP). */
export function parseMsrpMedia(sdp: string | Uint8Array | Sdp): MsrpMedia {
  const s = asSdp(sdp);
  const i = s.media.findIndex(isMsrpLine);
  if (i < 0) err('SDP_NO_MSRP_MEDIA', 'no active m=message line with an MSRP transport');
  return sectionToMedia(s, s.media[i], i);
}

// ---- building ----

export interface MsrpSdpOptions {
  port: number;
  transport: MsrpTransport;
  path: string[];
  acceptTypes: string[];
  acceptWrappedTypes?: string[];
  maxSize?: number;
  setup?: MsrpSetup; // offers default to actpass
  connection?: 'new' | 'existing'; // default new
  cema?: boolean;
  fingerprints?: SdpFingerprint[]; // emitted only with TCP/TLS/MSRP
  keyMgmt?: KeyMgmt[];
  direction?: MediaDirection; // default sendrecv
  file?: FileAttributes;
  address?: string; // c= and o= address, default 127.0.0.1
  sessionId?: string; // o= sess-id, default random
  sessionVersion?: number; // default 1
  username?: string; // o= username, default '-'
}

function mediaLines(o: MsrpSdpOptions): SdpLine[] {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) err('SDP_BAD_INPUT', `invalid port ${o.port}`);
  if (!MSRP_TRANSPORTS.includes(o.transport)) err('SDP_BAD_INPUT', `invalid transport ${o.transport}`);
  if (!o.path.length || !o.path.every((u) => MSRP_URI.test(u))) err('SDP_BAD_INPUT', 'path must be one or more msrp(s):// URIs');
  const own = o.path[o.path.length - 1].toLowerCase();
  if (own.startsWith('msrps:') !== (o.transport === 'TCP/TLS/MSRP')) err('SDP_BAD_INPUT', `path URI scheme does not match ${o.transport}`);
  if (!o.acceptTypes.length) err('SDP_BAD_INPUT', 'acceptTypes must not be empty');
  for (const t of [...o.acceptTypes, ...(o.acceptWrappedTypes ?? [])])
    if (!MEDIA_TYPE.test(t)) err('SDP_BAD_INPUT', `invalid media type ${JSON.stringify(t)}`);
  const a: SdpLine[] = [{ type: 'c', value: `IN ${o.address?.includes(':') ? 'IP6' : 'IP4'} ${o.address ?? '127.0.0.1'}` }];
  a.push(attrLine('accept-types', o.acceptTypes.join(' ')));
  if (o.acceptWrappedTypes?.length) a.push(attrLine('accept-wrapped-types', o.acceptWrappedTypes.join(' ')));
  if (o.maxSize !== undefined) {
    if (!Number.isSafeInteger(o.maxSize) || o.maxSize < 0) err('SDP_BAD_INPUT', 'invalid maxSize');
    a.push(attrLine('max-size', String(o.maxSize)));
  }
  a.push(attrLine('path', o.path.join(' ')));
  if (o.setup) a.push(attrLine('setup', o.setup));
  if (o.connection) a.push(attrLine('connection', o.connection));
  if (o.cema) a.push(attrLine('msrp-cema'));
  if (o.transport === 'TCP/TLS/MSRP')
    for (const f of o.fingerprints ?? []) {
      if (!TOKEN.test(f.algorithm) || !FINGERPRINT.test(f.value)) err('SDP_BAD_INPUT', 'invalid fingerprint');
      a.push(attrLine('fingerprint', `${f.algorithm.toLowerCase()} ${f.value.toUpperCase()}`));
    }
  for (const k of o.keyMgmt ?? []) {
    if (!TOKEN.test(k.protocol) || !BASE64.test(k.data)) err('SDP_BAD_INPUT', 'invalid key-mgmt');
    a.push(attrLine('key-mgmt', `${k.protocol} ${k.data}`));
  }
  if (o.file) for (const f of fileAttributesToSdp(o.file)) a.push(attrLine(f.name, f.value));
  a.push(attrLine(o.direction ?? 'sendrecv'));
  return a;
}

function sessionLines(o: { address?: string; sessionId?: string; sessionVersion?: number; username?: string }, t = '0 0'): SdpLine[] {
  const id = o.sessionId ?? String(Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(6))).readUIntBE(0, 6));
  if (!/^[0-9]{1,20}$/.test(id)) err('SDP_BAD_INPUT', 'sessionId must be digits');
  const user = o.username ?? '-';
  if (!/^\S+$/.test(user)) err('SDP_BAD_INPUT', 'invalid username');
  const addr = o.address ?? '127.0.0.1';
  if (!/^[0-9A-Za-z.:-]+$/.test(addr)) err('SDP_BAD_INPUT', `invalid address ${JSON.stringify(addr)}`);
  return [
    { type: 'v', value: '0' },
    { type: 'o', value: `${user} ${id} ${o.sessionVersion ?? 1} IN ${addr.includes(':') ? 'IP6' : 'IP4'} ${addr}` },
    { type: 's', value: '-' },
    { type: 't', value: t },
  ];
}

/** SDP offer with one MSRP m= line (setup defaults to actpass, connection to new). */
export function buildMsrpOffer(o: MsrpSdpOptions): string {
  const opts = { setup: 'actpass' as const, connection: 'new' as const, ...o };
  return serializeSdp({
    session: sessionLines(o),
    media: [{ m: { media: 'message', port: o.port, proto: o.transport, fmts: ['*'] }, lines: mediaLines(opts) }],
  });
}

// ---- answering ----

export interface MsrpLocalCapabilities {
  endpoints: { transport: MsrpTransport; port: number; path: string[] }[]; // supported transports, preferred first
  acceptTypes: string[];
  acceptWrappedTypes?: string[];
  maxSize?: number;
  cema?: boolean;
  setup?: 'active' | 'passive'; // our role when the offer says actpass (default active, RFC 6135 s4.2)
  hasExistingConnection?: boolean; // answer connection:existing when offered and true
  fingerprints?: SdpFingerprint[];
  keyMgmt?: KeyMgmt[];
  acceptFileTransfer?: boolean; // default true
  direction?: MediaDirection; // answer to a sendrecv offer (default sendrecv)
  address?: string;
  sessionId?: string;
  username?: string;
}
export type MsrpAnswer = { sdp: string; local: MsrpMedia; remote: MsrpMedia };
export type MsrpReject = { reject: 488; reason: string };

const ANSWER_SETUP: Record<string, MsrpSetup> = { active: 'passive', passive: 'active', holdconn: 'holdconn' };
const ANSWER_DIRECTION: Record<MediaDirection, MediaDirection> = {
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
  sendrecv: 'sendrecv',
};

/** RFC 5547 s8: the answer copies file-selector and file-transfer-id (and range/date/disposition); the icon cid is the offerer's body part. */
function echoFile(f: FileAttributes): FileAttributes {
  const { icon: _icon, ...rest } = f;
  return rest;
}

/**
 * Answers an SDP offer: first acceptable MSRP m= line is answered, every other m= line is refused with port 0.
 * Returns {reject: 488, reason} when nothing is acceptable; throws ParleyError (SDP_*) only for unparseable SDP.
 */
export function answerMsrpOffer(offer: string | Uint8Array | Sdp, local: MsrpLocalCapabilities): MsrpAnswer | MsrpReject {
  const sdp = asSdp(offer);
  let reason = 'no MSRP media line';
  let chosen: { remote: MsrpMedia; opts: MsrpSdpOptions } | undefined;
  for (let i = 0; i < sdp.media.length && !chosen; i++) {
    if (!isMsrpLine(sdp.media[i])) continue;
    let remote: MsrpMedia;
    try {
      remote = sectionToMedia(sdp, sdp.media[i], i);
    } catch (e) {
      if (!isParleyError(e)) throw e;
      reason = e.message;
      continue;
    }
    const ep = local.endpoints.find((x) => x.transport === remote.transport);
    if (!ep) {
      reason = `incompatible transport ${remote.transport}`;
      continue;
    }
    const types = intersectMediaTypes(remote.acceptTypes, local.acceptTypes);
    if (!types.length) {
      reason = 'no common accept type';
      continue;
    }
    const wrapped = intersectMediaTypes(remote.acceptWrappedTypes, local.acceptWrappedTypes ?? []);
    if (
      types.length === 1 &&
      base(types[0]) === 'message/cpim' &&
      remote.acceptWrappedTypes.length &&
      local.acceptWrappedTypes?.length &&
      !wrapped.length
    ) {
      reason = 'no common wrapped type';
      continue;
    }
    if (remote.file && local.acceptFileTransfer === false) {
      reason = 'file transfer not accepted';
      continue;
    }
    const setup =
      remote.setup === undefined ? 'passive' : remote.setup === 'actpass' ? (local.setup ?? 'active') : ANSWER_SETUP[remote.setup];
    const direction = remote.direction === 'sendrecv' ? (local.direction ?? 'sendrecv') : ANSWER_DIRECTION[remote.direction];
    chosen = {
      remote,
      opts: {
        port: ep.port,
        transport: ep.transport,
        path: ep.path,
        acceptTypes: types,
        acceptWrappedTypes: wrapped,
        maxSize: local.maxSize,
        setup,
        connection: remote.connection === 'existing' && local.hasExistingConnection ? 'existing' : 'new',
        cema: remote.cema && !!local.cema,
        fingerprints: local.fingerprints,
        keyMgmt: local.keyMgmt,
        direction,
        file: remote.file && echoFile(remote.file),
        address: local.address,
      },
    };
  }
  if (!chosen) return { reject: 488, reason };
  const c = chosen;
  const media = sdp.media.map((s, i) =>
    i === c.remote.index
      ? { m: { media: 'message', port: c.opts.port, proto: c.opts.transport, fmts: ['*'] }, lines: mediaLines(c.opts) }
      : { m: { ...s.m, port: 0, numPorts: undefined }, lines: [] },
  );
  const t = sdp.session.find((l) => l.type === 't')?.value ?? '0 0';
  const text = serializeSdp({
    session: sessionLines({ address: local.address, sessionId: local.sessionId, username: local.username }, t),
    media,
  });
  return { sdp: text, local: parseMsrpMedia(text), remote: c.remote };
}

/** Whether the side whose own media is `own` opens the TCP/TLS connection, given the peer's media (RFC 6135 s4, RFC 4975 s5.4). */
export function msrpConnectsActively(own: Pick<MsrpMedia, 'setup'>, peer: Pick<MsrpMedia, 'setup'>, weAreOfferer: boolean): boolean {
  if (weAreOfferer) {
    // we offered (usually actpass): the answer decides; no a=setup in the answer means the offerer is active
    if (peer.setup === 'active') return false;
    if (peer.setup === 'passive' || peer.setup === undefined) return own.setup !== 'passive';
    return own.setup === 'active';
  }
  return own.setup === 'active';
}
