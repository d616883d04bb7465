// `parley send-file` against the lab, received by the `listen --download-dir --accept-files` helper: JSON lines, exit codes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startLab, removeLabState, type Lab } from '../../../../network/lab';
import { SipUserAgent } from '../../../net/sip/ua';
import { accountFor } from '../../../net/sip/testing';
import { sendFileCommand } from '../commands/send-file';
import { acceptFilesForListen } from './files';
import { accountMedia, type AccountMedia } from '../../../media/account-media';
import { tempDir, writeTestFile } from '../../../features/transfer/testing';

describe('parley send-file (lab)', () => {
  let lab: Lab;
  let bobUa: SipUserAgent;
  let bobMedia: AccountMedia;
  let listener: { stop(): Promise<void> } | undefined;
  const lines: string[] = [];
  const tmp = tempDir();
  const dl = tempDir('parley-dl-');

  before(async () => {
    lab = await startLab();
    bobUa = new SipUserAgent(accountFor(lab, 'bob', 'tcp'));
    bobUa.on('error', () => {});
    await bobUa.start();
    bobMedia = accountMedia(bobUa);
  });
  after(async () => {
    await listener?.stop().catch(() => {});
    await bobMedia?.close();
    await bobUa?.stop().catch(() => {});
    tmp.cleanup();
    dl.cleanup();
    if (lab) {
      await lab.stop();
      await removeLabState(lab);
    }
  });

  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await sendFileCommand.run(
      [
        ...args,
        '--uri',
        lab.aor('alice'),
        '--password',
        'alice-secret',
        '--proxy',
        lab.proxy.tcp,
        '--ca',
        lab.caFile,
        '--profile',
        path.join(tmp.dir, 'profile'),
      ],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    return { code, out, err };
  };

  it('accepted: JSON progress lines and a delivered result; listener saves the file with its real name', async () => {
    const src = path.join(tmp.dir, 'holiday photos.zip');
    await writeTestFile(src, 6 * 1024 * 1024);
    let onSaved: (o: Record<string, unknown>) => void = () => {};
    const saved = new Promise<Record<string, unknown>>((resolve) => (onSaved = resolve));
    listener = await acceptFilesForListen(bobMedia, {
      dir: dl.dir,
      accept: true,
      json: true,
      out: (l) => {
        lines.push(l);
        const o = JSON.parse(l) as Record<string, unknown>;
        if (o.event === 'file-saved' || o.event === 'file-failed') onSaved(o);
      },
    });
    const r = await run(['bob', src, '--json']);
    const events = r.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(r.code, 0, r.out.join('\n') + r.err.join('\n'));
    const result = events.at(-1)!;
    assert.equal(result.event, 'result');
    assert.equal(result.status, 'delivered');
    assert.equal(result.protected, true);
    assert.ok(events.some((e) => e.event === 'progress' && typeof e.rate === 'number' && e.total === 6 * 1024 * 1024));
    const s = await saved;
    assert.equal(s.event, 'file-saved');
    assert.equal(path.basename(String(s.path)), 'holiday photos.zip');
    assert.ok(readFileSync(String(s.path)).equals(readFileSync(src)));
    const offer = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((o) => o.event === 'file-offer')!;
    assert.equal(offer.nameHidden, true);
  });

  it('missing file: usage error (exit 2) before any INVITE', async () => {
    await assert.rejects(run(['bob', path.join(tmp.dir, 'nope.bin')]), (e: { exitCode: number }) => e.exitCode === 2);
  });
});
