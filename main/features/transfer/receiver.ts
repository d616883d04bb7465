// Receiving one RFC 5547 file over an MSRP session: MSRP body -> (secretstream open) -> '.part' file, partial Success-Reports
// (RFC 4975 s.7.1.2) for the sender's progress, SHA-256 check before the final rename (docs/file-transfer.md s.3, s.5).
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { ParleyError, isParleyError } from '../../base/errors';
import {
  MemorySink,
  formatByteRange,
  type MessageSink,
  type MsrpSession,
  type MsrpSessionOptions,
  type IncomingMessageInfo,
} from '../../protocol/msrp/index';
import { STREAM_SEGMENT_SIZE, STREAM_FULL_SEGMENT_CT } from '../../security/secret-stream';
import {
  MANIFEST_CONTENT_TYPE,
  PROTECTED_FILE_CONTENT_TYPE,
  OPEN_AHEAD_SEGMENTS,
  SegmentOpener,
  cipherSize,
  openManifest,
  type FileManifest,
} from './file-crypto';
import type { PartFile } from './part-file';
import { ProgressMeter, type TransferProgress } from './progress';
import { isExecutableType } from './sanitize';
import { onSessionEvent } from './session-events';

/** The receiver sends a partial Success-Report after at least this many new bytes (sender progress granularity). */
export const REPORT_EVERY_BYTES = 2 * 1024 * 1024;
/** Sidecar state is rewritten after at least this many new bytes (a crash loses at most this much; stops save it exactly). */
export const STATE_EVERY_BYTES = 4 * 1024 * 1024;

export interface ReceiverOptions {
  part: PartFile;
  /** Wire size of the whole file (SDP file-selector size: ciphertext size when protected). */
  wireSize: number;
  /** 0-based wire offset that byte 1 of this MSRP message stands for (a=file-range start - 1). */
  wireStart: number;
  protected: boolean;
  /** Protected: session.streamKey(file-transfer-id), opens the manifest. */
  manifestKey?: Uint8Array;
  /** Plain: file name and SHA-256 (hex) from the SDP file-selector. */
  name?: string;
  type?: string;
  sha256?: string;
  /** Keep the .part (for resume) when the sender cancels ('#'); default false. Connection losses always keep it. */
  keepPartialOnPeerCancel?: boolean;
}

export interface ReceivedFile {
  path: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  /** The SHA-256 was checked against the sender's (false only for plain offers without hash). */
  verified: boolean;
  executable: boolean;
  protected: boolean;
}

export interface ReceiverEvents {
  manifest: [FileManifest];
  progress: [TransferProgress];
  done: [ReceivedFile];
  /** Ended without a file: cancelled, interrupted (partial kept) or failed (FILE_TAMPERED, FILE_HASH_MISMATCH ...). */
  failed: [{ error: ParleyError; keptPartial: boolean }];
}

export class FileReceiver extends EventEmitter<ReceiverEvents> {
  private session: MsrpSession | undefined;
  private manifest: (FileManifest & { fileKey: Uint8Array }) | undefined;
  private opener: SegmentOpener | undefined;
  private fileMessageId: string | undefined;
  private wireReceived = 0; // bytes of this MSRP message handled
  private lastReport = 0;
  private lastState = 0;
  private meter: ProgressMeter | undefined;
  private finished = false;
  private release: (() => void) | undefined; // holds the MSRP connection's input while segments are opening
  private settle: { resolve(): void; reject(e: ParleyError): void } | undefined;
  /** Resolves with the saved file; rejects with the reason there is none. */
  readonly result: Promise<ReceivedFile>;

  constructor(private readonly o: ReceiverOptions) {
    super();
    if (o.protected && !o.manifestKey) throw new ParleyError('FILE_BAD_STATE', 'protected receive without a manifest key');
    if (o.protected && o.wireStart % STREAM_FULL_SEGMENT_CT !== 0)
      throw new ParleyError('FILE_BAD_RANGE', 'protected resume must start at a segment boundary');
    this.result = new Promise((resolve, reject) => {
      this.once('done', resolve);
      this.once('failed', (f) => reject(f.error));
    });
    this.result.catch(() => {});
    if (!o.protected) this.meter = new ProgressMeter(o.wireSize);
  }

  get bytes(): number {
    return this.o.part.bytes;
  }

  /** Options for the MsrpSession carrying this file (sink factory, types, size limit). */
  sessionOptions(): Pick<MsrpSessionOptions, 'createSink' | 'acceptTypes' | 'maxMessageBytes'> {
    return {
      createSink: (info) => this.createSink(info),
      acceptTypes: this.o.protected ? [MANIFEST_CONTENT_TYPE, PROTECTED_FILE_CONTENT_TYPE] : ['*'],
      maxMessageBytes: Math.max(this.o.wireSize - this.o.wireStart, 4096),
    };
  }

  /** Listen to the session (manifest message, aborts). */
  bind(session: MsrpSession): void {
    this.session = session;
    onSessionEvent(session, (e) => {
      if (e.type !== 'message' || e.contentType?.split(';')[0].trim().toLowerCase() !== MANIFEST_CONTENT_TYPE) return;
      const body = e.body ?? (e.sink instanceof MemorySink ? e.sink.body : undefined); // our createSink: body stays in the sink
      if (body) this.onManifest(body);
    });
  }

  private createSink(info: IncomingMessageInfo): MessageSink {
    const ct = info.contentType?.split(';')[0].trim().toLowerCase();
    // the manifest, and the empty binding SEND of the active side (no Content-Type), stay in memory
    if (ct === MANIFEST_CONTENT_TYPE || ct === undefined) return new MemorySink();
    if (this.fileMessageId !== undefined || this.finished) {
      return { write() {}, end() {}, abort() {} }; // only one file per session; extra messages are ignored
    }
    this.fileMessageId = info.messageId;
    if (info.totalBytes !== undefined && info.totalBytes !== this.o.wireSize - this.o.wireStart) {
      this.fail(
        new ParleyError('FILE_SIZE_MISMATCH', `message of ${info.totalBytes} bytes, expected ${this.o.wireSize - this.o.wireStart}`),
        false,
      );
    }
    // the session sends the final Success-Report only once the file is verified and saved (RFC 4975 s.7.1.2 semantics)
    const settled = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    settled.catch(() => {});
    return {
      write: (offset, data) => this.onData(offset, data),
      end: (total) => this.onEnd(total),
      abort: (reason) => this.onAbort(reason),
      settled,
    };
  }

  private onManifest(sealed: Buffer): void {
    if (!this.o.protected || this.manifest || this.finished) return;
    try {
      const m = openManifest(this.o.manifestKey!, sealed);
      if (cipherSize(m.size) !== this.o.wireSize)
        throw new ParleyError('FILE_MANIFEST_BAD', 'manifest size does not match the offered size');
      const st = this.o.part.state;
      if (st.sha256 && st.sha256 !== m.sha256)
        throw new ParleyError('FILE_CHANGED', 'the sender offers a different file than the partial one');
      this.manifest = m;
      this.opener = new SegmentOpener(
        m.fileKey,
        m.size,
        this.o.wireStart / STREAM_FULL_SEGMENT_CT,
        (plain) => this.onPlain(plain),
        (e) => this.fail(asTamper(e), false),
      );
      this.meter = new ProgressMeter(m.size);
      this.o.part.saveState({ name: m.name, type: m.type, plainSize: m.size, sha256: m.sha256 });
      const { key: _k, fileKey: _f, ...pub } = m;
      this.emit('manifest', { ...pub, key: '' });
    } catch (e) {
      this.fail(asTamper(e), false);
    }
  }

  private onData(offset: number, data: Buffer): void {
    if (this.finished) return;
    // in-order delivery on one connection; a retransmitted overlap is trimmed, a gap is refused
    if (offset + data.length <= this.wireReceived) return;
    if (offset > this.wireReceived) return this.fail(new ParleyError('FILE_OUT_OF_ORDER', `gap at byte ${this.wireReceived}`), true);
    const piece = data.subarray(this.wireReceived - offset);
    try {
      if (this.o.protected) {
        if (!this.opener) throw new ParleyError('E2E_TAMPERED', 'file data before the sealed manifest');
        this.opener.push(piece);
        // bounded memory: stop reading the connection while the pool is behind
        if (this.opener.inFlight >= OPEN_AHEAD_SEGMENTS && !this.release) this.release = this.session?.holdInput();
      } else {
        this.o.part.write(piece);
        if (this.o.part.bytes - this.lastState >= STATE_EVERY_BYTES) {
          this.lastState = this.o.part.bytes;
          this.o.part.saveState();
        }
      }
    } catch (e) {
      return this.fail(asTamper(e), false);
    }
    this.wireReceived += piece.length;
    if (!this.o.protected) this.progress();
    if (this.wireReceived - this.lastReport >= REPORT_EVERY_BYTES) this.sendPartialReport();
  }

  /** A verified segment's plaintext, in order: hashed here, written in the thread pool (the event loop stays free). */
  private async onPlain(plain: Uint8Array): Promise<void> {
    if (this.finished) return;
    await this.o.part.append(plain);
    if (this.finished) return;
    if (this.o.part.bytes - this.lastState >= STATE_EVERY_BYTES) {
      this.lastState = this.o.part.bytes; // segment-aligned: whole segments only
      this.o.part.saveState();
    }
    if (this.release && this.opener!.inFlight <= OPEN_AHEAD_SEGMENTS) this.resumeInput(); // this one still counts
    this.progress();
  }

  private progress(): void {
    const p = this.meter?.update(this.o.part.bytes);
    if (p) this.emit('progress', p);
  }

  private resumeInput(): void {
    const r = this.release;
    this.release = undefined;
    r?.();
  }

  /** RFC 4975 s.7.1.2: a REPORT covering what arrived so far, so the sender can show progress. */
  private sendPartialReport(): void {
    this.lastReport = this.wireReceived;
    const total = this.o.wireSize - this.o.wireStart;
    if (!this.session || !this.fileMessageId || this.wireReceived >= total) return;
    this.session.request('REPORT', [
      ['Message-ID', this.fileMessageId],
      ['Byte-Range', formatByteRange({ start: 1, end: this.wireReceived, total })],
      ['Status', '000 200 OK'],
    ]);
  }

  private onEnd(_total: number): void {
    if (this.finished) return;
    if (!this.o.protected) return this.complete();
    if (!this.opener?.done || !this.manifest)
      return this.fail(asTamper(new ParleyError('E2E_TAMPERED', 'stream ended before its final segment')), false);
    this.opener.settled().then(
      () => this.complete(),
      () => {}, // fail() already ran
    );
  }

  private complete(): void {
    if (this.finished) return;
    try {
      let name: string;
      let type: string;
      let sha: string | undefined;
      if (this.manifest) ({ name, type, sha256: sha } = this.manifest);
      else {
        if (this.o.part.bytes !== this.o.wireSize)
          throw new ParleyError('FILE_SIZE_MISMATCH', `got ${this.o.part.bytes} of ${this.o.wireSize} bytes`);
        name = this.o.name ?? 'file';
        type = this.o.type ?? 'application/octet-stream';
        sha = this.o.sha256;
      }
      const saved = this.o.part.finalize(sha, name);
      this.finished = true;
      this.resumeInput();
      const p = this.meter?.update(this.o.part.bytes);
      if (p) this.emit('progress', p);
      this.settle?.resolve();
      this.emit('done', {
        path: saved.path,
        name,
        type,
        size: this.o.part.bytes,
        sha256: saved.sha256,
        verified: saved.verified,
        executable: isExecutableType(basename(saved.path), type), // the name it was saved under
        protected: this.o.protected,
      });
    } catch (e) {
      // finalize already removed the file on FILE_HASH_MISMATCH; the session must not confirm delivery
      this.fail(asTamper(e), false);
    }
  }

  private onAbort(reason: ParleyError): void {
    if (this.finished) return;
    if (reason.code === 'MSRP_MESSAGE_ABORTED') {
      this.fail(new ParleyError('FILE_CANCELLED_BY_PEER', 'the sender cancelled the transfer'), !!this.o.keepPartialOnPeerCancel);
    } else this.fail(new ParleyError('FILE_INTERRUPTED', `transfer interrupted: ${reason.message}`, { cause: reason.code }), true);
  }

  /** The session or the SIP dialog ended (BYE, connection loss) or the user cancelled. */
  stop(error: ParleyError, keepPartial: boolean): void {
    this.fail(error, keepPartial);
  }

  private fail(error: ParleyError, keepPartial: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.resumeInput();
    this.settle?.reject(error);
    const writing = this.o.part.writing;
    let closed: Promise<void> = Promise.resolve();
    try {
      closed = this.o.part.close(keepPartial && error.code !== 'FILE_HASH_MISMATCH').catch(() => {});
    } catch {
      /* best effort */
    }
    // stop the session before it confirms the message with a Success-Report
    if (!keepPartial || isParleyError(error, 'FILE_TAMPERED') || isParleyError(error, 'FILE_HASH_MISMATCH')) this.session?.close(error);
    const emit = () => this.emit('failed', { error, keptPartial: keepPartial });
    if (writing)
      void closed.then(emit); // the .part is settled (saved or removed) before anyone hears of the failure
    else emit();
  }
}

function asTamper(e: unknown): ParleyError {
  if (isParleyError(e, 'E2E_TAMPERED'))
    return new ParleyError('FILE_TAMPERED', `protected file failed authentication: ${e.message}`, e.details, { cause: e });
  return isParleyError(e) ? e : new ParleyError('FILE_RECEIVE_FAILED', String(e), undefined, { cause: e });
}

/** Bytes of plaintext a protected resume at `wireStart` skips (for progress display). */
export function plainOffsetOf(wireStart: number): number {
  return (wireStart / STREAM_FULL_SEGMENT_CT) * STREAM_SEGMENT_SIZE;
}
