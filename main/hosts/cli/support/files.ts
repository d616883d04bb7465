// CLI glue for RFC 5547 transfers (parley send-file / parley listen --download-dir): manager from CLI options, JSON lines.
import { ephemeralSecurity } from '../../../security/bundle';
import type { AccountMedia } from '../../../media/account-media';
import type { SecurityBundle } from '../../../security/bundle';
import { FileTransferManager } from '../../../features/transfer/manager';
import type { IncomingFileOffer } from '../../../features/transfer/incoming';

export interface CliTransferOptions {
  tls?: boolean;
  plain?: boolean;
  maxFileBytes?: number;
  /** The profile's identity and pins; without them a per-run identity with in-memory pins is used (like `parley chat`). */
  security?: SecurityBundle;
}

/** A transfer manager on the UA's endpoint and router (the relay, if any, is the endpoint's). */
export async function cliTransferManager(m: AccountMedia, o: CliTransferOptions): Promise<FileTransferManager> {
  const security = o.security ?? (await ephemeralSecurity(m.ua.account.aor));
  const mgr = new FileTransferManager({
    ua: m.ua,
    endpoint: m.endpoint,
    router: m.router,
    security,
    policy: o.plain ? 'allow-plaintext' : 'require',
    tls: o.tls,
    maxFileBytes: o.maxFileBytes,
  });
  await mgr.start();
  return mgr;
}

/**
 * For `parley listen --download-dir DIR [--accept-files]`: print every file offer; with accept, save into DIR and print
 * progress and the result; without, decline (603 FILE_DECLINED "not accepting files"). Returns stop().
 */
export async function acceptFilesForListen(
  m: AccountMedia,
  o: CliTransferOptions & { dir: string; accept: boolean; json: boolean; out: (line: string) => void },
): Promise<{ stop(): Promise<void> }> {
  const mgr = await cliTransferManager(m, o);
  const line = (obj: Record<string, unknown>, human: string) => o.out(o.json ? JSON.stringify(obj) : human);
  mgr.on('offer', (offer: IncomingFileOffer) => {
    const info = {
      from: offer.from,
      name: offer.name,
      nameHidden: offer.nameHidden,
      size: offer.size,
      type: offer.type,
      hash: offer.hash,
      protected: offer.protected,
      executable: offer.executable,
    };
    line(
      { event: 'file-offer', ...info },
      `file offer from ${offer.from}: ${offer.name} (${offer.size} bytes${offer.protected ? ', end-to-end encrypted' : ', NOT encrypted'})`,
    );
    if (!o.accept) {
      offer.decline('not accepting files');
      line({ event: 'file-declined', from: offer.from }, '  declined (run with --accept-files to accept)');
      return;
    }
    const t = offer.accept({ dir: o.dir });
    t.on('progress', (p) =>
      line({ event: 'file-progress', id: t.downloadId, ...p }, `  ${p.bytes}/${p.total} bytes, ${(p.rate / 1e6).toFixed(1)} MB/s`),
    );
    t.result.then(
      (f) =>
        line(
          { event: 'file-saved', id: t.downloadId, ...f },
          `  saved ${f.path} (${f.size} bytes, sha-256 ${f.verified ? 'verified' : 'NOT checked'})${f.executable ? ' WARNING: executable file type' : ''}`,
        ),
      (e: { code?: string; message: string }) =>
        line({ event: 'file-failed', id: t.downloadId, code: e.code, reason: e.message }, `  failed ${e.code}: ${e.message}`),
    );
  });
  return { stop: () => mgr.stop() };
}
