// Our side receives a file: the peer's RFC 5547 push (its sendonly INVITE, accepted or declined by the user before any
// byte flows) or our own pull/resume (our recvonly INVITE with a=file-range) (docs/file-transfer.md s.2, s.5).
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { ParleyError, isParleyError } from '../../base/errors';
import { parseMsrpMedia, type MsrpMedia } from '../../protocol/sdp/msrp-sdp';
import type { MsrpSession, MsrpUri } from '../../protocol/msrp/index';
import { SessionOffer, type EstablishedSession } from '../../security/session-keys';
import { normalizeAoR } from '../../security/aor';
import { STREAM_FULL_SEGMENT_CT, STREAM_SEGMENT_SIZE } from '../../security/secret-stream';
import { checkPeerKey } from '../../media/msrp-media';
import type { SdpDriver } from '../../media/peer-connection';
import type { SecurityBundle } from '../../security/bundle';
import { buildFileOffer, decideLink, PROTECTED_ACCEPT_TYPES, type FileLink, type FileOfferInfo } from './file-sdp';
import type { MsrpLinkContext } from '../../media/msrp-link';
import { attachFileSession, createFileSession, onSessionClosed } from './link';
import { type PartFile, type PartState } from './part-file';
import type { TransferProgress } from './progress';
import { FileReceiver, type ReceivedFile } from './receiver';
import { isExecutableType } from './sanitize';
import type { LegEnd, SipLeg } from './sip-leg';
import type { FileManifest } from './file-crypto';
import type { FilePreview } from './offer-preview';

/** After the file is saved, how long the receiver waits for the sender's BYE before sending its own. */
export const RECEIVER_BYE_GRACE_MS = 5000;

export interface ReceiveOptions {
  /** Downloads folder (must exist). */
  dir: string;
  /** Keep the .part when the sender cancels (default false); interruptions always keep it for resume. */
  keepPartialOnPeerCancel?: boolean;
}

export class IncomingFileTransfer extends EventEmitter<{
  progress: [TransferProgress];
  manifest: [FileManifest];
  done: [ReceivedFile];
  failed: [ParleyError];
}> {
  readonly result: Promise<ReceivedFile>;
  private resolveR!: (f: ReceivedFile) => void;
  private rejectR!: (e: ParleyError) => void;
  private receiver: FileReceiver | undefined;
  private session: MsrpSession | undefined;
  private leg: SipLeg | undefined;
  private finished = false;
  private link: FileLink | undefined;

  constructor(
    readonly part: PartFile,
    readonly peer: string,
    readonly info: { wireSize: number; protected: boolean; name?: string; type?: string; sha256?: string; preview?: FilePreview },
    private readonly o: ReceiveOptions,
  ) {
    super();
    this.result = new Promise((res, rej) => {
      this.resolveR = res;
      this.rejectR = rej;
    });
    this.result.catch(() => {});
  }

  /** Local id of the download (resume with manager.resume(id, dir)). */
  get downloadId(): string {
    return this.part.state.id;
  }

  /** Wire offset this attempt starts at (segment-aligned for protected files). */
  get wireStart(): number {
    return this.info.protected ? (this.part.bytes / STREAM_SEGMENT_SIZE) * STREAM_FULL_SEGMENT_CT : this.part.bytes;
  }

  /** @internal */
  bindLeg(leg: SipLeg): void {
    this.leg = leg;
    leg.onEnd = (e) => this.onLegEnd(e);
  }

  /** Stop receiving: BYE with Reason FILE_CANCELLED; the partial file is kept for a later resume or removed. */
  cancel(o: { keepPartial?: boolean } = {}): void {
    const err = new ParleyError('FILE_CANCELLED', 'cancelled by the receiver');
    this.fail(err, !!o.keepPartial);
  }

  /** @internal negotiation done: the receiver and its MSRP session (passive: registered before our SDP leaves). */
  start(link: FileLink, e2e: EstablishedSession | undefined, transferId: string): void {
    const receiver = new FileReceiver({
      part: this.part,
      wireSize: this.info.wireSize,
      wireStart: this.wireStart,
      protected: this.info.protected,
      manifestKey: e2e?.streamKey(transferId),
      name: this.info.name,
      type: this.info.type,
      sha256: this.info.sha256,
      keepPartialOnPeerCancel: this.o.keepPartialOnPeerCancel,
    });
    e2e?.destroy(); // only the manifest key was needed
    this.receiver = receiver;
    this.link = link;
    const session = createFileSession(link, receiver.sessionOptions());
    this.session = session;
    receiver.bind(session);
    receiver.on('progress', (p) => this.emit('progress', p));
    receiver.on('manifest', (m) => {
      const p = this.info.preview;
      if (p && (p.name !== m.name || p.sha256 !== m.sha256 || p.size !== m.size || p.type !== m.type)) {
        return this.fail(
          new ParleyError('FILE_TAMPERED', 'the file preview in the INVITE does not match the authenticated manifest'),
          false,
        );
      }
      this.emit('manifest', m);
    });
    receiver.on('done', (f) => {
      this.finished = true;
      this.resolveR(f);
      this.emit('done', f);
      // the sender hangs up once our final Success-Report arrived (it may travel behind relays); BYE ourselves only if it does not
      const t = setTimeout(() => this.leg?.hangup(), RECEIVER_BYE_GRACE_MS);
      t.unref();
      const end = () => {
        clearTimeout(t);
        link.transport.detach(session);
      };
      if (this.leg) this.leg.onEnd = end;
      else setImmediate(end);
    });
    receiver.on('failed', ({ error }) => this.fail(error, false, true));
    onSessionClosed(session, (r) => receiver.stop(new ParleyError('FILE_INTERRUPTED', `MSRP connection lost: ${r.message}`), true));
    attachFileSession(link, session).catch((e: unknown) =>
      this.fail(isParleyError(e) ? e : new ParleyError('MSRP_CONNECT_FAILED', String(e)), true),
    );
  }

  private onLegEnd(e: LegEnd): void {
    if (this.finished) return;
    if (!e.established) {
      const err = new ParleyError(
        e.code ?? (e.cancelled ? 'FILE_CANCELLED_BY_PEER' : 'FILE_REJECTED'),
        e.text ?? 'the transfer did not start',
        { status: e.status },
      );
      return this.fail(err, true);
    }
    // BYE before the file was complete: interrupted (partial kept for resume) unless the peer said it cancelled
    const code = e.code ?? 'FILE_INTERRUPTED';
    const keep = code !== 'FILE_CANCELLED' || !!this.o.keepPartialOnPeerCancel;
    this.fail(new ParleyError(code === 'FILE_CANCELLED' ? 'FILE_CANCELLED_BY_PEER' : code, e.text ?? 'the sender ended the session'), keep);
  }

  private fail(err: ParleyError, keepPartial: boolean, fromReceiver = false): void {
    if (this.finished) return;
    this.finished = true;
    if (!fromReceiver) {
      if (this.receiver) this.receiver.stop(err, keepPartial);
      else {
        try {
          this.part.close(keepPartial);
        } catch {
          /* best effort */
        }
      }
    }
    this.leg?.hangup({ code: err.code, message: err.message, status: err.code === 'FILE_CANCELLED' ? 487 : 500 });
    const s = this.session;
    const link = this.link;
    if (s && link) setImmediate(() => link.transport.detach(s));
    this.rejectR(err);
    this.emit('failed', err);
  }
}

/** A ringing push offer: accept (into a folder) or decline; nothing flows before accept. */
export class IncomingFileOffer extends EventEmitter<{ cancelled: [] }> {
  private settled = false;
  constructor(
    readonly from: string,
    readonly info: FileOfferInfo & { preview?: FilePreview },
    private readonly accepter: (o: ReceiveOptions) => IncomingFileTransfer,
    private readonly decliner: (code: string, reason: string) => void,
  ) {
    super();
  }
  /** Name as offered in SDP (a neutral 'parley-<id>.bin' when the sender hid it; the real name is in the encrypted manifest). */
  get name(): string {
    return this.info.preview?.name ?? this.info.selector.name ?? 'file';
  }
  /** The real name is not known before accepting (no sealed preview: the sender had no pinned key for us). */
  get nameHidden(): boolean {
    return this.info.protected && !this.info.preview && /^parley-[A-Za-z0-9_-]+\.bin$/.test(this.name);
  }
  /** Protected offers: name/type/size/hash came in the sealed preview (verified against the manifest after accepting). */
  get preview(): FilePreview | undefined {
    return this.info.preview;
  }
  /** Plaintext size when known (plain offers, or protected offers with a preview). */
  get plainSize(): number | undefined {
    return this.info.preview?.size ?? (this.info.protected ? undefined : this.info.selector.size);
  }
  /** Bytes on the wire (ciphertext size for protected offers: plaintext is ~0.03 % smaller). */
  get size(): number {
    return this.info.selector.size;
  }
  get type(): string | undefined {
    return this.info.preview?.type ?? this.info.selector.type;
  }
  get hash(): string | undefined {
    return this.info.preview?.sha256 ?? this.info.sha256;
  }
  get protected(): boolean {
    return this.info.protected;
  }
  get executable(): boolean {
    return !this.nameHidden && isExecutableType(this.name, this.type);
  }
  get pending(): boolean {
    return !this.settled;
  }
  accept(o: ReceiveOptions): IncomingFileTransfer {
    if (this.settled) throw new ParleyError('FILE_BAD_STATE', 'offer already accepted, declined or cancelled');
    this.settled = true;
    return this.accepter(o);
  }
  decline(reason = 'declined by the user', code = 'FILE_DECLINED'): void {
    if (this.settled) return;
    this.settled = true;
    this.decliner(code, reason);
  }
  /** @internal */
  markCancelled(): void {
    if (this.settled) return;
    this.settled = true;
    this.emit('cancelled');
  }
}

/** Our recvonly offer to pull (resume) a file: same selector as the original offer, a=file-range for what is missing. */
export function pullDriver(
  t: IncomingFileTransfer,
  ctx: MsrpLinkContext & { security?: SecurityBundle; secure: boolean; localUri: () => MsrpUri },
  st: PartState,
  onNegotiated: (link: FileLink, e2e: EstablishedSession | undefined, transferId: string) => void,
): SdpDriver & { failure?: ParleyError } {
  const localUri = ctx.localUri();
  const transferId = randomBytes(12).toString('base64url');
  let keyOffer: SessionOffer | undefined;
  let offerSdp: string | undefined;
  let done = false;
  const d: SdpDriver & { failure?: ParleyError } = {
    createOffer: () => {
      if (offerSdp) return offerSdp;
      if (st.protected) {
        if (!ctx.security) throw new ParleyError('E2E_NO_IDENTITY', 'protected resume without an identity');
        keyOffer = new SessionOffer(ctx.security.identity);
      }
      const sel = st.selector;
      offerSdp = buildFileOffer(ctx, {
        secure: ctx.secure,
        localUri,
        direction: 'recvonly',
        keyMgmt: keyOffer?.keyMgmt,
        acceptTypes: st.protected ? PROTECTED_ACCEPT_TYPES : [sel.type ?? '*'],
        file: {
          selector: {
            name: sel.name,
            type: sel.type,
            size: sel.size,
            hashes: sel.hash ? [{ algorithm: 'sha-256', digest: Buffer.from(sel.hash, 'hex') }] : undefined,
          },
          transferId,
          range: { start: t.wireStart + 1, stop: sel.size },
        },
      });
      return offerSdp;
    },
    createAnswer: () => {
      throw new ParleyError('SESSION_UNSUPPORTED', 're-INVITE offers are not supported on file transfers');
    },
    applyRemote: async (type, sdp) => {
      if (type !== 'answer' || done) return;
      try {
        const remote: MsrpMedia = parseMsrpMedia(sdp);
        const local = parseMsrpMedia(offerSdp!);
        if (remote.direction !== 'sendonly')
          throw new ParleyError('FILE_BAD_ANSWER', `answer direction ${remote.direction}, expected sendonly`);
        let e2e: EstablishedSession | undefined;
        if (keyOffer) {
          const km = remote.keyMgmt.find((k) => k.protocol === 'parley-x25519-v1');
          if (!km) throw new ParleyError('E2E_REQUIRED', 'the sender answered without a=key-mgmt');
          const aor = normalizeAoR(st.peer);
          e2e = keyOffer.complete(km, { expectedPeerAoR: aor, psk: ctx.security!.psk?.(aor) });
          await checkPeerKey(ctx.security!, e2e);
        }
        done = true;
        onNegotiated(decideLink(ctx, ctx.secure, localUri, local, remote, true), e2e, transferId);
      } catch (e) {
        keyOffer?.destroy();
        d.failure = isParleyError(e) ? e : new ParleyError('FILE_BAD_ANSWER', String(e));
        throw d.failure;
      }
    },
    close: () => keyOffer?.destroy(),
  };
  return d;
}
