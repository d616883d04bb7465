// File transfer for the UE (RFC 5547 push/pull over MSRP, main/features/transfer/): the files.* channels and
// transfer.upserted views. One FileTransferManager per signed-in account, on the account's MSRP endpoint; its route on
// the account's INVITE router takes the file offers.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ParleyError } from '../../base/errors';
import type { DeliveryResult } from '../../base/delivery';
import type { Req, Res, TransferState, TransferView } from '../../../app/ipc/contract';
import { plainText } from '../../../app/ipc/text';
import { safeAoR } from '../../security/aor';
import { msrpOptions, type FeatureContext } from '../feature';
import { isExecutableType } from './sanitize';
import { FileTransferManager } from './manager';
import type { IncomingFileOffer, IncomingFileTransfer } from './incoming';
import type { OutgoingFileTransfer } from './outgoing';
import type { TransferProgress } from './progress';

export const DOWNLOADS_DIR = 'downloads';
export const SHARED_FILES = 'shared-files.json';
/** Transfers kept in memory per account (oldest finished ones are dropped first). */
export const MAX_TRANSFERS = 500;

interface Entry {
  view: TransferView;
  offer?: IncomingFileOffer;
  incoming?: IncomingFileTransfer;
  outgoing?: OutgoingFileTransfer;
  downloadId?: string;
}

let seq = 0;

export class UeFiles {
  readonly #entries = new Map<string, Entry>();
  readonly downloadsDir: string;

  private constructor(
    private readonly s: FeatureContext,
    readonly mgr: FileTransferManager,
  ) {
    this.downloadsDir = join(s.dir, DOWNLOADS_DIR);
    mgr.on('offer', (o) => this.#onOffer(o));
    mgr.on('error', (e) => s.log(`files: ${e.code}: ${e.message}`));
  }

  /** Starts file transfer for a signed-in account. */
  static async start(s: FeatureContext): Promise<UeFiles> {
    await mkdir(join(s.dir, DOWNLOADS_DIR), { recursive: true, mode: 0o700 });
    const mgr = new FileTransferManager({
      ...msrpOptions(s),
      tls: /^(tls|wss):|transport=tls/i.test(s.proxy),
      sharedFilesPath: join(s.dir, SHARED_FILES),
    });
    await mgr.start();
    return new UeFiles(s, mgr);
  }

  async send(req: Req<'files.send'>): Promise<Res<'files.send'>> {
    const c = this.s.store.getConversation(Number(req.conversationId));
    if (c.kind !== 'direct') throw new ParleyError('FILE_GROUP_UNSUPPORTED', 'files go to one contact at a time');
    if (this.s.store.contacts.isBlocked(this.s.aor, c.peer)) throw new ParleyError('CONTACT_BLOCKED', 'you blocked this contact');
    // the renderer names the path; main reads it only if the user picked it in main (issue 12)
    const path = this.s.picked.assertPickedFile(req.path);
    const t = await this.mgr.sendFile(c.peer, path, { protect: this.s.policy !== 'off' });
    const e = this.#add({
      id: t.transferId,
      conversationId: String(c.id),
      peer: c.peer,
      direction: 'out',
      name: t.file.name.slice(0, 255) || 'file',
      nameHidden: false,
      size: t.file.size,
      mediaType: t.file.type,
      state: 'offering',
      bytes: 0,
      rate: 0,
      executable: false,
      protected: !!t.file.fileKey,
      resumable: false,
      at: Date.now(),
    });
    e.outgoing = t;
    t.on('accepted', () => this.#update(e, { state: 'transferring' }));
    t.on('progress', (p) => this.#progress(e, p));
    t.on('done', (o) => this.#outDone(e, o));
    return { transferId: t.transferId };
  }

  async accept(req: Req<'files.accept'>): Promise<null> {
    const e = this.#get(req.transferId);
    if (!e.offer || e.view.state !== 'offered') throw new ParleyError('FILE_BAD_STATE', 'no offer waiting for an answer');
    this.#bindIncoming(e, e.offer.accept({ dir: this.downloadsDir }));
    this.#update(e, { state: 'transferring' });
    return null;
  }

  async decline(req: Req<'files.decline'>): Promise<null> {
    const e = this.#get(req.transferId);
    if (!e.offer || e.view.state !== 'offered') throw new ParleyError('FILE_BAD_STATE', 'no offer waiting for an answer');
    e.offer.decline();
    this.#update(e, { state: 'declined' });
    return null;
  }

  async cancel(req: Req<'files.cancel'>): Promise<null> {
    const e = this.#get(req.transferId);
    if (e.view.state !== 'transferring' && e.view.state !== 'offering')
      throw new ParleyError('FILE_BAD_STATE', `nothing to cancel (${e.view.state})`);
    if (e.outgoing) e.outgoing.cancel();
    else e.incoming?.cancel({ keepPartial: true });
    return null;
  }

  async resume(req: Req<'files.resume'>): Promise<null> {
    const e = this.#get(req.transferId);
    if (!e.view.resumable || !e.downloadId) throw new ParleyError('FILE_NOT_RESUMABLE', 'this transfer cannot be resumed');
    this.#bindIncoming(e, this.mgr.resume(e.downloadId, { dir: this.downloadsDir }));
    this.#update(e, { state: 'transferring', resumable: false, failure: undefined });
    return null;
  }

  async list(req: Req<'files.list'>): Promise<Res<'files.list'>> {
    return [...this.#entries.values()].map((e) => e.view).filter((v) => v.conversationId === req.conversationId);
  }

  /** The web host cannot open a file manager: answer the path (Electron answers this channel in its shell). */
  async reveal(req: Req<'files.reveal'>): Promise<Res<'files.reveal'>> {
    const e = this.#get(req.transferId);
    if (!e.view.savedPath) throw new ParleyError('FILE_NOT_SAVED', 'the file has not been saved');
    return { decision: 'delegated', path: e.view.savedPath };
  }

  async stop(): Promise<void> {
    for (const e of this.#entries.values()) {
      if (e.view.state === 'offered') e.offer?.decline('the receiver signed out', 'FILE_UNAVAILABLE');
      if (e.view.state === 'transferring') {
        if (e.outgoing) e.outgoing.cancel();
        else e.incoming?.cancel({ keepPartial: true });
      }
    }
    this.mgr.removeAllListeners('offer');
    await this.mgr.stop();
  }

  // ---- internals

  #onOffer(o: IncomingFileOffer): void {
    const peer = safeAoR(o.from);
    if (this.s.store.contacts.isBlocked(this.s.aor, peer)) return o.decline('blocked', 'CONTACT_BLOCKED');
    const c = this.s.store.openConversation(this.s.aor, { kind: 'direct', peer });
    const e = this.#add({
      id: `in-${Date.now().toString(36)}-${(++seq).toString(36)}`,
      conversationId: String(c.id),
      peer,
      direction: 'in',
      name: plainText(o.name, 255) || 'file',
      nameHidden: o.nameHidden,
      size: o.plainSize ?? o.size,
      mediaType: o.type?.slice(0, 128),
      state: 'offered',
      bytes: 0,
      rate: 0,
      executable: o.executable,
      protected: o.protected,
      resumable: false,
      at: Date.now(),
    });
    e.offer = o;
    o.on('cancelled', () => {
      if (e.view.state === 'offered')
        this.#update(e, { state: 'cancelled', failure: { code: 'FILE_CANCELLED_BY_PEER', reason: 'the sender withdrew the offer' } });
    });
  }

  #bindIncoming(e: Entry, t: IncomingFileTransfer): void {
    e.incoming = t;
    e.downloadId = t.downloadId;
    t.on('manifest', (m) =>
      this.#update(e, {
        name: plainText(m.name, 255) || e.view.name,
        nameHidden: false,
        size: m.size,
        mediaType: m.type?.slice(0, 128),
        executable: isExecutableType(m.name, m.type),
      }),
    );
    t.on('progress', (p) => this.#progress(e, p));
    t.on('done', (f) =>
      this.#update(e, {
        state: 'done',
        bytes: f.size,
        size: f.size,
        name: plainText(f.name, 255) || 'file',
        nameHidden: false,
        savedPath: f.path,
        executable: f.executable,
        rate: 0,
        etaSeconds: undefined,
      }),
    );
    t.on('failed', (err) => {
      // Ours (partial kept): cancelled, resumable. The sender's: cancelled. Integrity: failed. Anything else: interrupted.
      const byUs = err.code === 'FILE_CANCELLED';
      const bad = err.code === 'FILE_HASH_MISMATCH' || err.code === 'FILE_TAMPERED';
      const state: TransferState = byUs || err.code === 'FILE_CANCELLED_BY_PEER' ? 'cancelled' : bad ? 'failed' : 'interrupted';
      this.#update(e, {
        state,
        resumable: byUs || state === 'interrupted',
        failure: { code: err.code, reason: err.message.slice(0, 1024) },
        rate: 0,
        etaSeconds: undefined,
      });
    });
  }

  #outDone(e: Entry, o: DeliveryResult): void {
    const state: TransferState = o.status === 'delivered' || o.status === 'sent' ? 'done' : fileState(o.status);
    this.#update(e, {
      state,
      rate: 0,
      etaSeconds: undefined,
      bytes: state === 'done' ? e.view.size : e.view.bytes,
      failure:
        state === 'done' ? undefined : { code: o.errorCode ?? 'FILE_FAILED', reason: (o.reason ?? describeOutcome(o)).slice(0, 1024) },
    });
  }

  #progress(e: Entry, p: TransferProgress): void {
    this.#update(e, {
      bytes: Math.min(p.bytes, Math.max(p.total, e.view.size)),
      rate: Math.round(p.rate),
      etaSeconds: p.etaSeconds === null ? undefined : Math.ceil(p.etaSeconds),
    });
  }

  #add(v: TransferView): Entry {
    const e: Entry = { view: v };
    this.#entries.set(v.id, e);
    if (this.#entries.size > MAX_TRANSFERS) {
      for (const [k, x] of this.#entries) {
        if (x.view.state !== 'transferring' && x.view.state !== 'offered' && x.view.state !== 'offering') {
          this.#entries.delete(k);
          break;
        }
      }
    }
    this.s.emit('transfer.upserted', v);
    return e;
  }

  #update(e: Entry, patch: Partial<TransferView>): void {
    const v = { ...e.view, ...patch };
    for (const k of Object.keys(v) as (keyof TransferView)[]) if (v[k] === undefined) delete v[k];
    e.view = v;
    this.s.emit('transfer.upserted', v);
  }

  #get(id: string): Entry {
    const e = this.#entries.get(id);
    if (!e) throw new ParleyError('FILE_TRANSFER_NOT_FOUND', 'no such transfer');
    return e;
  }
}

function describeOutcome(o: DeliveryResult): string {
  if (o.status === 'declined') return o.code ? `declined by the receiver (${o.code})` : 'declined by the receiver';
  if (o.status === 'cancelled') return 'cancelled';
  return 'the transfer failed';
}

/** A finished outgoing transfer's view state (sent/delivered are 'done'). */
function fileState(s: DeliveryResult['status']): TransferState {
  return s === 'declined' || s === 'cancelled' ? s : 'failed';
}
