// Our side sends a file: an RFC 5547 push (our sendonly INVITE) or serving the peer's pull/resume (its recvonly INVITE,
// a=file-range), with the sealed manifest under session.streamKey(file-transfer-id) when protected (docs/file-transfer.md).
import type { DeliveryResult } from '../../base/delivery';
import { EventEmitter } from 'node:events';
import { ParleyError, isParleyError } from '../../base/errors';
import { parseMsrpMedia, type MsrpMedia } from '../../protocol/sdp/msrp-sdp';
import type { MsrpSession, MsrpUri } from '../../protocol/msrp/index';
import { SessionOffer, type EstablishedSession } from '../../security/session-keys';
import { normalizeAoR } from '../../security/aor';
import { checkPeerKey } from '../../media/msrp-media';
import type { SdpDriver } from '../../media/peer-connection';
import type { SecurityBundle } from '../../security/bundle';
import { manifestFor } from './file-crypto';
import { buildFileOffer, decideLink, sha256Selector, type FileLink } from './file-sdp';
import type { MsrpLinkContext } from '../../media/msrp-link';
import { attachFileSession, createFileSession, onSessionClosed } from './link';
import type { PreparedFile } from './prepare';
import type { TransferProgress } from './progress';
import { FileSender } from './sender';
import type { LegEnd, SipLeg } from './sip-leg';
import { sealPreview, withPreview } from './offer-preview';

/** The receiver's pinned identity key, when we have one (the preview is sealed to it). */
function pinnedKeyOf(sec: SecurityBundle | undefined, peer: string): Uint8Array | undefined {
  try {
    return sec?.peers.pinnedKey(normalizeAoR(peer));
  } catch {
    return undefined;
  }
}

/**
 * A file's result: 'delivered' (the receiver's final Success-Report covered it), 'sent' (every chunk acknowledged, no
 * report seen), 'declined' (code = the SIP status of the refused INVITE: 603, 488 ...), 'failed' or 'cancelled';
 * errorCode = the peer's (FILE_TOO_LARGE, FILE_DECLINED, FILE_HASH_MISMATCH ...) or ours.
 */
export type FileDelivery = DeliveryResult & {
  status: 'delivered' | 'sent' | 'declined' | 'failed' | 'cancelled';
  transferId: string;
  bytes: number;
  protected: boolean;
};

/** The protected parts of an offer (wire name, no hash, ciphertext size) or the plain ones. */
export function wireSelector(f: PreparedFile, transferId: string, hideName: boolean) {
  if (f.fileKey) {
    return { name: hideName ? `parley-${transferId}.bin` : f.name, type: 'application/vnd.parley.file-stream', size: f.wireSize };
  }
  return { name: f.name, type: f.type, size: f.size, hashes: [sha256Selector(f.sha256)] };
}

/** How long a sender whose MSRP connection dropped waits for the receiver's BYE to learn the reason. */
export const BYE_REASON_GRACE_MS = 2000;

export class OutgoingFileTransfer extends EventEmitter<{ progress: [TransferProgress]; accepted: []; done: [FileDelivery] }> {
  readonly result: Promise<FileDelivery>;
  private resolve!: (o: FileDelivery) => void;
  private sender: FileSender | undefined;
  private session: MsrpSession | undefined;
  private e2e: EstablishedSession | undefined;
  private leg: SipLeg | undefined;
  private ended: LegEnd | undefined;
  private endWaiters: Array<() => void> = [];
  private finished = false;
  private keyOffer: SessionOffer | undefined;
  private offerSdp: string | undefined;
  closedDriver = false;

  constructor(
    readonly file: PreparedFile,
    readonly peer: string,
    readonly transferId: string,
    private readonly ctx: MsrpLinkContext & { security?: SecurityBundle; secure: boolean; localUri: () => MsrpUri },
    private readonly o: { hideName: boolean; wireStart: number },
  ) {
    super();
    this.result = new Promise((r) => (this.resolve = r));
  }

  get protected(): boolean {
    return !!this.file.fileKey;
  }

  /** @internal */
  bindLeg(leg: SipLeg): void {
    this.leg = leg;
    leg.onEnd = (e) => this.onLegEnd(e);
  }

  /** Cancel: '#' on MSRP if data flows, then BYE (or CANCEL before the answer). */
  cancel(): void {
    const err = new ParleyError('FILE_CANCELLED', 'cancelled by the sender');
    this.sender?.cancel(err);
    this.leg?.hangup({ code: err.code, message: err.message, status: 487 });
    this.finish({ status: 'cancelled', errorCode: err.code, reason: err.message });
  }

  /** SdpDriver for our push INVITE. */
  pushDriver(): SdpDriver {
    const localUri = this.ctx.localUri();
    return {
      createOffer: () => {
        if (this.offerSdp) return this.offerSdp;
        if (this.protected) {
          if (!this.ctx.security) throw new ParleyError('E2E_NO_IDENTITY', 'protected transfer without an identity');
          this.keyOffer = new SessionOffer(this.ctx.security.identity);
        }
        const f = this.file;
        this.offerSdp = buildFileOffer(this.ctx, {
          secure: this.ctx.secure,
          localUri,
          direction: 'sendonly',
          keyMgmt: this.keyOffer?.keyMgmt,
          acceptTypes: this.protected ? ['application/vnd.parley.file-manifest', 'application/vnd.parley.file-stream'] : [f.type],
          file: {
            selector: wireSelector(f, this.transferId, this.o.hideName),
            transferId: this.transferId,
            disposition: 'attachment',
            date: this.protected ? undefined : { modification: f.modified.toUTCString().replace(/GMT$/, '+0000') },
          },
        });
        const pk = this.protected && this.o.hideName ? pinnedKeyOf(this.ctx.security, this.peer) : undefined;
        if (pk) this.offerSdp = withPreview(this.offerSdp, sealPreview(pk, { name: f.name, type: f.type, size: f.size, sha256: f.sha256 }));
        return this.offerSdp;
      },
      createAnswer: () => {
        throw new ParleyError('SESSION_UNSUPPORTED', 're-INVITE offers are not supported on file transfers');
      },
      applyRemote: async (type, sdp) => {
        if (type !== 'answer' || this.session) return;
        try {
          const remote = parseMsrpMedia(sdp);
          const local = parseMsrpMedia(this.offerSdp!);
          if (remote.direction !== 'recvonly')
            throw new ParleyError('FILE_BAD_ANSWER', `answer direction ${remote.direction}, expected recvonly`);
          if (this.keyOffer) {
            const km = remote.keyMgmt.find((k) => k.protocol === 'parley-x25519-v1');
            if (!km) throw new ParleyError('E2E_REQUIRED', 'the receiver answered without a=key-mgmt');
            const aor = normalizeAoR(this.peer);
            this.e2e = this.keyOffer.complete(km, { expectedPeerAoR: aor, psk: this.ctx.security!.psk?.(aor) });
            await checkPeerKey(this.ctx.security!, this.e2e);
          }
          this.start(decideLink(this.ctx, this.ctx.secure, localUri, local, remote, true), remote);
        } catch (e) {
          this.keyOffer?.destroy();
          const err = isParleyError(e) ? e : new ParleyError('FILE_BAD_ANSWER', String(e));
          this.finish({ status: 'failed', errorCode: err.code, reason: err.message });
          throw err;
        }
      },
      close: () => {
        this.closedDriver = true;
        this.keyOffer?.destroy();
      },
    };
  }

  /** @internal serving a pull: the answer was built by the manager (keys from acceptSessionOffer). */
  startServing(link: FileLink, remote: MsrpMedia, e2e: EstablishedSession | undefined): void {
    this.e2e = e2e;
    this.start(link, remote);
  }

  private start(link: FileLink, _remote: MsrpMedia): void {
    const session = createFileSession(link);
    this.session = session;
    onSessionClosed(session, (r) => this.sender?.cancel(new ParleyError('FILE_CONNECTION_LOST', `MSRP connection lost: ${r.message}`)));
    const f = this.file;
    const manifestKey = this.e2e?.streamKey(this.transferId);
    this.sender = new FileSender({
      path: f.path,
      size: f.size,
      wireStart: this.o.wireStart,
      contentType: f.type,
      protected:
        f.fileKey && manifestKey
          ? { fileKey: f.fileKey, manifestKey, manifest: manifestFor({ ...f, fileKey: f.fileKey, modified: f.modified.toISOString() }) }
          : undefined,
    });
    this.sender.on('progress', (p) => this.emit('progress', p));
    const attached = attachFileSession(link, session);
    void (async () => {
      try {
        await attached;
        this.emit('accepted');
        const r = await this.sender!.run(link.transport, session);
        this.finish({ status: r.status, bytes: f.size });
        this.leg?.hangup();
      } catch (e) {
        let err = isParleyError(e) ? e : new ParleyError('FILE_SEND_FAILED', String(e));
        // The receiver may have closed MSRP right after its BYE carrying the reason (e.g. FILE_TAMPERED): the two travel on
        // different connections, so give the BYE a moment to arrive and report its reason instead of a bare connection loss.
        if (err.code === 'FILE_CONNECTION_LOST') {
          const end = await this.legEnd(BYE_REASON_GRACE_MS);
          if (end?.code)
            err = new ParleyError(end.code === 'FILE_CANCELLED' ? 'FILE_CANCELLED_BY_PEER' : end.code, end.text ?? err.message);
        }
        this.leg?.hangup({ code: err.code, message: err.message });
        const cancelled = err.code === 'FILE_CANCELLED' || err.code === 'FILE_CANCELLED_BY_PEER';
        this.finish({ status: cancelled ? 'cancelled' : 'failed', errorCode: err.code, reason: err.message });
      } finally {
        link.transport.detach(session);
        this.e2e?.destroy();
      }
    })();
  }

  /** The leg's end (BYE with its Reason), waiting up to `ms` for it; undefined if it did not end in time. */
  private legEnd(ms: number): Promise<LegEnd | undefined> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(this.ended), ms);
      t.unref();
      this.endWaiters.push(() => {
        clearTimeout(t);
        resolve(this.ended);
      });
    });
  }

  private onLegEnd(e: LegEnd): void {
    this.ended = e;
    for (const w of this.endWaiters.splice(0)) w();
    if (this.finished) return;
    if (!e.established) {
      const declined = e.status === 603 || e.status === 488 || e.status === 486 || e.status === 480;
      this.finish({
        status: e.cancelled && e.by === 'local' ? 'cancelled' : declined ? 'declined' : 'failed',
        code: e.status,
        errorCode: e.code ?? (e.status === 603 ? 'FILE_DECLINED' : e.status ? 'FILE_REJECTED' : 'FILE_INVITE_FAILED'),
        reason: e.text,
      });
      return;
    }
    // BYE from the receiver before our Success-Report: stop sending; its Reason text says why
    const code = !e.code || e.code === 'FILE_CANCELLED' ? 'FILE_CANCELLED_BY_PEER' : e.code;
    const err = new ParleyError(code, e.text ?? 'the receiver ended the transfer');
    if (this.sender && !e.code) this.sender.peerEnded(err);
    else if (this.sender) this.sender.cancel(err);
    else this.finish({ status: 'failed', errorCode: err.code, reason: err.message });
  }

  private finish(o: Omit<FileDelivery, 'transferId' | 'bytes' | 'protected'> & { bytes?: number }): void {
    if (this.finished) return;
    this.finished = true;
    const out: FileDelivery = { transferId: this.transferId, protected: this.protected, bytes: 0, ...o };
    this.resolve(out);
    this.emit('done', out);
  }
}
