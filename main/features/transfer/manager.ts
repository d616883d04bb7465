// RFC 5547 file transfer over SIP INVITE + MSRP: push, pull/resume with a=file-range, E2E keys in a=key-mgmt, size limits,
// decline with Warning/Reason; over the account's MSRP endpoint, file offers claimed on its INVITE router
// (docs/file-transfer.md).
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { ParleyError, isParleyError } from '../../base/errors';
import type { SipUserAgent } from '../../net/sip/ua';
import type { IncomingSipRequest } from '../../net/sip/incoming';
import { parseMsrpMedia, type MsrpMedia } from '../../protocol/sdp/msrp-sdp';
import type { MsrpUri } from '../../protocol/msrp/index';
import type { MsrpEndpoint } from '../../media/endpoint';
import { ROUTE_PRIORITY } from '../../media/invite-router';
import { initCrypto } from '../../security/sodium';
import { normalizeAoR, normalizeTarget } from '../../security/aor';
import { acceptSessionOffer, type EstablishedSession } from '../../security/session-keys';
import { STREAM_FULL_SEGMENT_CT } from '../../security/secret-stream';
import { checkPeerKey } from '../../media/msrp-media';
import type { SdpDriver } from '../../media/peer-connection';
import type { E2EPolicy } from '../../media/types';
import type { MediaFeatureOptions } from '../../media/account-media';
import type { SecurityBundle } from '../../security/bundle';
import { answerFileOffer, decideLink, describeFileOffer, type FileOfferInfo } from './file-sdp';
import type { MsrpLinkContext } from '../../media/msrp-link';
import { IncomingFileOffer, IncomingFileTransfer, pullDriver, type ReceiveOptions } from './incoming';
import { OutgoingFileTransfer, wireSelector } from './outgoing';
import { PartFile } from './part-file';
import { prepareFile, type PreparedFile } from './prepare';
import { SharedFiles } from './shared-files';
import { SipLeg } from './sip-leg';
import { openPreview, type FilePreview } from './offer-preview';
import { cipherSize } from './file-crypto';

/** Offers above this are declined automatically (603, Warning FILE_TOO_LARGE) unless configured otherwise. */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024;

export interface FileTransferOptions extends MediaFeatureOptions {
  maxFileBytes?: number;
  /** Persist files we offered (path, per-file key) so peers can resume after our app restarts (JSON, mode 0600). */
  sharedFilesPath?: string;
}

export interface SendFileOptions {
  /** Protect end to end (default: true unless the policy is 'allow-plaintext' and protect is false). */
  protect?: boolean;
  /** Protected only: put a neutral name in SDP (default true); the real one travels in the sealed manifest. */
  hideName?: boolean;
  name?: string;
  type?: string;
}

export class FileTransferManager extends EventEmitter<{ offer: [IncomingFileOffer]; error: [ParleyError] }> {
  readonly ua: SipUserAgent;
  private readonly endpoint: MsrpEndpoint;
  private unroute: (() => void) | undefined;
  private started = false;
  private readonly onEndpointError = (e: ParleyError) => this.report(e);
  readonly shared: SharedFiles;

  constructor(private readonly opts: FileTransferOptions) {
    super();
    this.ua = opts.ua;
    this.endpoint = opts.endpoint;
    this.shared = new SharedFiles(opts.sharedFilesPath);
  }

  get policy(): E2EPolicy {
    return this.opts.policy ?? 'require';
  }
  get maxFileBytes(): number {
    return this.opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  async start(): Promise<void> {
    if (this.started) return;
    await initCrypto();
    await this.endpoint.open();
    this.endpoint.on('error', this.onEndpointError);
    // File offers (RFC 5547 a=file-selector); focus invitations rank above, chat sessions below.
    this.unroute = this.opts.router.add({
      name: 'file transfer',
      priority: ROUTE_PRIORITY.content,
      claims: isFileInvite,
      handle: (req) =>
        this.onInvite(req).catch((e: unknown) => {
          this.report(isParleyError(e) ? e : new ParleyError('FILE_INTERNAL', `INVITE handling failed: ${(e as Error).message}`));
          safeReply(req, 500, 'Server Internal Error');
        }),
    });
    this.started = true;
  }

  private ctx(
    secure = this.endpoint.offerSecure(!!this.opts.tls),
  ): MsrpLinkContext & { security?: SecurityBundle; secure: boolean; localUri: () => MsrpUri } {
    const ep = this.endpoint;
    return {
      transport: (s) => ep.transport(s),
      relayPath: (s) => ep.relayPath(s),
      fingerprint: (s) => ep.fingerprint(s),
      security: this.opts.security,
      secure,
      localUri: () => ep.transport(secure)!.localUri(),
    };
  }

  /** Hash the file, INVITE the target with a sendonly RFC 5547 offer; the result says delivered/declined/failed/cancelled. */
  async sendFile(target: string, path: string, o: SendFileOptions = {}): Promise<OutgoingFileTransfer> {
    if (!this.started) throw new ParleyError('FILE_NOT_STARTED', 'FileTransferManager.start() first');
    const protect = o.protect ?? true;
    if (!protect && this.policy === 'require') throw new ParleyError('E2E_REQUIRED', 'plaintext file transfer refused by policy');
    if (protect && !this.opts.security) throw new ParleyError('E2E_NO_IDENTITY', 'no identity for end-to-end protection');
    const peer = normalizeTarget(target, this.ua.account.aor);
    const file = await prepareFile(path, { protected: protect, name: o.name, type: o.type });
    const transferId = randomBytes(12).toString('base64url');
    const hideName = o.hideName ?? true;
    this.shared.add({ file, peer: normalizeAoR(peer), selectorName: wireSelector(file, transferId, hideName).name, transferId });
    const t = new OutgoingFileTransfer(file, peer, transferId, this.ctx(), { hideName, wireStart: 0 });
    t.bindLeg(SipLeg.call(this.ua, peer, t.pushDriver()));
    return t;
  }

  /** Resume an interrupted download: recvonly INVITE to the original sender with a=file-range for the missing part. */
  resume(downloadId: string, o: ReceiveOptions): IncomingFileTransfer {
    if (!this.started) throw new ParleyError('FILE_NOT_STARTED', 'FileTransferManager.start() first');
    const part = PartFile.open(o.dir, downloadId);
    const st = part.state;
    const t = new IncomingFileTransfer(
      part,
      st.peer,
      {
        wireSize: st.selector.size,
        protected: st.protected,
        name: st.name,
        type: st.type,
        sha256: st.protected ? undefined : st.selector.hash,
      },
      o,
    );
    const driver = pullDriver(t, this.ctx(), st, (link, e2e, tid) => {
      t.start(link, e2e, tid);
    });
    t.bindLeg(SipLeg.call(this.ua, st.peer, driver));
    return t;
  }

  private async onInvite(req: IncomingSipRequest): Promise<void> {
    const from = normalizeAoR(req.from);
    let remote: MsrpMedia;
    let info: FileOfferInfo;
    try {
      remote = parseMsrpMedia(req.bodyText);
      info = describeFileOffer(remote);
    } catch (e) {
      return reject(req, 488, isParleyError(e) ? e.code : 'FILE_OFFER_BAD', (e as Error).message);
    }
    if (!info.protected && this.policy === 'require')
      return reject(req, 488, 'E2E_REQUIRED', 'this user accepts only end-to-end protected files');
    const secure = remote.transport === 'TCP/TLS/MSRP';
    if (!this.endpoint.transport(secure)) return reject(req, 488, 'SDP_MSRP_BAD_TRANSPORT', `${remote.transport} not enabled`);
    if (info.kind === 'push' && info.selector.size > this.maxFileBytes) {
      return reject(
        req,
        603,
        'FILE_TOO_LARGE',
        `file of ${info.selector.size} bytes exceeds the receiver's limit of ${this.maxFileBytes} bytes`,
      );
    }
    let e2e: EstablishedSession | undefined;
    let keyMgmt;
    let preview: FilePreview | undefined;
    if (info.protected) {
      if (!this.opts.security) return reject(req, 488, 'E2E_NO_IDENTITY', 'no identity for end-to-end protection');
      try {
        const r = acceptSessionOffer(this.opts.security.identity, info.keyMgmt!, {
          expectedPeerAoR: from,
          psk: this.opts.security.psk?.(from),
        });
        await checkPeerKey(this.opts.security, r.session);
        e2e = r.session;
        keyMgmt = r.keyMgmt;
        try {
          const p = openPreview(this.opts.security.identity, req.bodyText);
          if (p && cipherSize(p.size) === info.selector.size) preview = p; // else ignored: the neutral name is shown
        } catch {
          /* a preview that does not open is ignored; the manifest decides */
        }
      } catch (e) {
        return reject(req, 488, isParleyError(e) ? e.code : 'E2E_BAD_FORMAT', (e as Error).message);
      }
    }
    const ctx = this.ctx(secure);
    const localUri = ctx.localUri();
    let answer: ReturnType<typeof answerFileOffer>;
    let link: ReturnType<typeof decideLink>;
    try {
      answer = answerFileOffer(ctx, req.bodyText, { secure, localUri, keyMgmt });
      link = decideLink(ctx, secure, localUri, answer.local, answer.remote, false);
    } catch (e) {
      e2e?.destroy();
      return reject(req, 488, isParleyError(e) ? e.code : 'SDP_NOT_ACCEPTABLE', (e as Error).message);
    }
    if (info.kind === 'pull') return this.servePull(req, from, info, answer.sdp, link, e2e);
    if (this.listenerCount('offer') === 0) {
      e2e?.destroy();
      return reject(req, 480, 'FILE_NOBODY', 'nobody is taking files right now');
    }
    const leg = SipLeg.incoming(this.ua, req.raw);
    const offer = new IncomingFileOffer(
      from,
      { ...info, preview },
      (o) => {
        let part: PartFile;
        try {
          part = PartFile.create(o.dir, {
            id: randomBytes(12).toString('base64url'),
            peer: from,
            protected: info.protected,
            selector: { name: info.selector.name, type: info.selector.type, size: info.selector.size, hash: info.sha256 },
            name: info.protected ? undefined : info.selector.name,
          });
        } catch (e) {
          e2e?.destroy();
          const err = isParleyError(e)
            ? e
            : new ParleyError('FILE_SAVE_FAILED', `cannot write to ${o.dir}: ${(e as Error).message}`, undefined, { cause: e });
          leg.hangup({ status: 480, code: 'FILE_SAVE_FAILED', message: 'the receiver cannot store the file' });
          throw err;
        }
        const t = new IncomingFileTransfer(
          part,
          from,
          {
            wireSize: info.selector.size,
            protected: info.protected,
            name: info.selector.name,
            type: info.selector.type,
            sha256: info.sha256,
            preview,
          },
          o,
        );
        t.bindLeg(leg);
        leg.answer(answerDriver(answer.sdp, link.role, () => t.start(link, e2e, info.transferId), leg));
        return t;
      },
      (code, reason) => {
        e2e?.destroy();
        leg.hangup({ status: 603, code, message: reason });
      },
    );
    leg.onEnd = () => {
      e2e?.destroy();
      offer.markCancelled();
    };
    this.emit('offer', offer);
  }

  /** The peer pulls (resumes) a file we offered it before: same selector, same peer; send the requested range. */
  private servePull(
    req: IncomingSipRequest,
    from: string,
    info: FileOfferInfo,
    answerSdp: string,
    link: ReturnType<typeof decideLink>,
    e2e: EstablishedSession | undefined,
  ): void {
    const entry = this.shared.find(from, info.selector.name ?? '', info.selector.size, info.sha256);
    if (!entry) {
      e2e?.destroy();
      return reject(req, 488, 'FILE_NOT_FOUND', 'no such file was offered to you');
    }
    if (!!entry.file.fileKey !== info.protected) {
      e2e?.destroy();
      return reject(req, 488, 'FILE_OFFER_BAD', 'protection does not match the original offer');
    }
    const wireStart = (info.range?.start ?? 1) - 1;
    if (entry.file.fileKey && wireStart % STREAM_FULL_SEGMENT_CT !== 0) {
      e2e?.destroy();
      return reject(req, 488, 'FILE_BAD_RANGE', 'protected files resume at a segment boundary');
    }
    const t = new OutgoingFileTransfer(entry.file, from, info.transferId, this.ctx(link.secure), { hideName: true, wireStart });
    const leg = SipLeg.incoming(this.ua, req.raw);
    t.bindLeg(leg);
    leg.answer(answerDriver(answerSdp, link.role, () => t.startServing(link, parseMsrpMedia(req.bodyText), e2e), leg));
  }

  /** Stop taking file offers. Transfers in flight keep their MSRP connections until the endpoint's owner closes it. */
  async stop(): Promise<void> {
    this.unroute?.();
    this.unroute = undefined;
    this.endpoint.off('error', this.onEndpointError);
    this.started = false;
  }

  private report(e: ParleyError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}

/** Answer SDP driver: a passive answerer registers its MSRP session before the 200 leaves; an active one after the ACK. */
function answerDriver(sdp: string, role: 'active' | 'passive', start: () => void, leg: SipLeg): SdpDriver {
  let started = false;
  const go = () => {
    if (!started) {
      started = true;
      start();
    }
  };
  if (role === 'active') leg.onConfirmed = go;
  return {
    createOffer: () => sdp,
    createAnswer: () => {
      if (role === 'passive') go();
      return sdp;
    },
    applyRemote: async () => {},
    close: () => {},
  };
}

function isFileInvite(req: IncomingSipRequest): boolean {
  return /^a=file-selector:/im.test(req.bodyText);
}

function safeReply(req: IncomingSipRequest, status: number, reason?: string, headers: string[] = []): void {
  try {
    if (!req.replied) req.reply(status, reason, headers);
  } catch {
    /* transaction gone */
  }
}

function reject(req: IncomingSipRequest, status: number, code: string, message: string): void {
  const text = `${code}: ${message}`.replace(/["\\\r\n]/g, "'").slice(0, 200);
  safeReply(req, status, status === 603 ? 'Decline' : status === 480 ? 'Temporarily Unavailable' : 'Not Acceptable Here', [
    `Warning: 399 parley "${text}"`,
    `Reason: SIP;cause=${status};text="${text}"`,
  ]);
}

export type { PreparedFile };
