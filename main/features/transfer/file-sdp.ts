// RFC 5547 push (sendonly) and pull (recvonly) offers/answers over MSRP SDP (RFC 4975 s.8, RFC 6135, RFC 4976 paths,
// RFC 4567 key-mgmt), plus the connection decisions both ends derive from offer + answer (docs/file-transfer.md s.2).
import { ParleyError } from '../../base/errors';
import { answerMsrpOffer, buildMsrpOffer, PARLEY_KEY_MGMT_PROTOCOL, type KeyMgmt, type MsrpMedia } from '../../protocol/sdp/msrp-sdp';
import type { FileAttributes, FileRange, FileSelector } from '../../protocol/formats/file-selector';
import { formatHashHex } from '../../protocol/formats/file-selector';
import type { MsrpUri } from '../../protocol/msrp/index';
import { RELAY_CHUNK_SIZE } from '../../net/msrp/index';
import {
  decideMsrpLink,
  offerFingerprints,
  pathOf,
  sdpAddress,
  sdpTransportOf,
  type MsrpLink,
  type MsrpLinkContext,
} from '../../media/msrp-link';
import { MANIFEST_CONTENT_TYPE, PROTECTED_FILE_CONTENT_TYPE } from './file-crypto';

/** MSRP chunk size on direct connections (fewer transactions than the 64 KiB chat default; see bench/file-transfer.ts). */
export const DIRECT_CHUNK_SIZE = 256 * 1024;
export const PROTECTED_ACCEPT_TYPES = [MANIFEST_CONTENT_TYPE, PROTECTED_FILE_CONTENT_TYPE];

export interface FileOfferSpec {
  secure: boolean;
  localUri: MsrpUri;
  direction: 'sendonly' | 'recvonly';
  file: FileAttributes;
  keyMgmt?: KeyMgmt;
  /** a=accept-types (protected: manifest + stream types; plain push: the file type). */
  acceptTypes: string[];
}

export function buildFileOffer(ctx: MsrpLinkContext, s: FileOfferSpec): string {
  return buildMsrpOffer({
    port: s.localUri.port ?? 9,
    transport: sdpTransportOf(s.secure),
    path: pathOf(ctx, s.secure, s.localUri),
    acceptTypes: s.acceptTypes,
    setup: 'actpass',
    cema: true,
    fingerprints: offerFingerprints(ctx, s.secure),
    keyMgmt: s.keyMgmt ? [s.keyMgmt] : [],
    direction: s.direction,
    file: s.file,
    address: sdpAddress(s.localUri),
  });
}

/** What an incoming file offer asks for. */
export interface FileOfferInfo {
  /** 'push': the peer sends us a file (its offer is sendonly); 'pull': it asks us for one (recvonly). */
  kind: 'push' | 'pull';
  selector: FileSelector & { size: number };
  transferId: string;
  range?: FileRange;
  protected: boolean;
  keyMgmt?: KeyMgmt;
  disposition?: string;
  date?: FileAttributes['date'];
  /** sha-256 of the selector as lowercase hex, when present. */
  sha256?: string;
}

/** Validate the RFC 5547 part of an offer (FILE_OFFER_BAD: 488). */
export function describeFileOffer(remote: MsrpMedia): FileOfferInfo {
  const f = remote.file;
  const bad = (w: string): never => {
    throw new ParleyError('FILE_OFFER_BAD', `file offer: ${w}`);
  };
  if (!f?.selector) bad('no a=file-selector');
  if (!f!.transferId) bad('no a=file-transfer-id');
  if (remote.direction !== 'sendonly' && remote.direction !== 'recvonly') bad(`direction ${remote.direction} (need sendonly or recvonly)`);
  const sel = f!.selector!;
  if (sel.size === undefined) bad('file-selector without size');
  const km = remote.keyMgmt.find((k) => k.protocol === PARLEY_KEY_MGMT_PROTOCOL);
  const isProtected =
    (!!km && remote.acceptTypes.some((t) => t.toLowerCase() === PROTECTED_FILE_CONTENT_TYPE)) || sel.type === PROTECTED_FILE_CONTENT_TYPE;
  if (isProtected && !km) bad('protected file offer without a=key-mgmt');
  const h = sel.hashes?.find((x) => x.algorithm === 'sha-256');
  if (f!.range && f!.range.stop !== '*' && f!.range.stop > sel.size!) bad('file-range beyond the file size');
  return {
    kind: remote.direction === 'sendonly' ? 'push' : 'pull',
    selector: { ...sel, size: sel.size! },
    transferId: f!.transferId!,
    range: f!.range,
    protected: isProtected,
    keyMgmt: km,
    disposition: f!.disposition,
    date: f!.date,
    sha256: h ? Buffer.from(h.digest).toString('hex') : undefined,
  };
}

export function sha256Selector(hex: string): { algorithm: string; digest: Uint8Array } {
  return { algorithm: 'sha-256', digest: Buffer.from(hex, 'hex') };
}
export { formatHashHex };

/** Our answer to a file offer (direction flips; file attributes echoed, RFC 5547 s.8). */
export function answerFileOffer(
  ctx: MsrpLinkContext,
  offerSdp: string,
  o: { secure: boolean; localUri: MsrpUri; keyMgmt?: KeyMgmt },
): { sdp: string; local: MsrpMedia; remote: MsrpMedia } {
  const ans = answerMsrpOffer(offerSdp, {
    endpoints: [{ transport: sdpTransportOf(o.secure), port: o.localUri.port ?? 9, path: pathOf(ctx, o.secure, o.localUri) }],
    acceptTypes: ['*'],
    cema: true,
    fingerprints: offerFingerprints(ctx, o.secure),
    keyMgmt: o.keyMgmt ? [o.keyMgmt] : [],
    address: sdpAddress(o.localUri),
  });
  if ('reject' in ans) throw new ParleyError('SDP_NOT_ACCEPTABLE', ans.reason);
  return ans;
}

/** Connection decisions from our media and the peer's (the rules of every MSRP feature, main/media/msrp-link.ts). */
export interface FileLink extends MsrpLink {
  chunkSize: number;
}

export function decideLink(
  ctx: MsrpLinkContext,
  secure: boolean,
  localUri: MsrpUri,
  local: MsrpMedia,
  remote: MsrpMedia,
  weOffered: boolean,
): FileLink {
  const transport = ctx.transport(secure);
  if (!transport) throw new ParleyError('SDP_MSRP_BAD_TRANSPORT', `${secure ? 'msrps' : 'msrp'} is not enabled`);
  const link = decideMsrpLink(ctx, { secure, transport, localUri, local, remote, weOffered });
  return { ...link, chunkSize: link.relayed ? RELAY_CHUNK_SIZE : DIRECT_CHUNK_SIZE };
}
