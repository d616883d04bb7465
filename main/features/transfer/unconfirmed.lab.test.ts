// A file that reaches no one is a failure at the sender, never 'sent' (issue 11, defect 1): a relay stand-in between
// sender and receiver answers the first chunk 200 hop by hop and loses it; every chunk is acknowledged, the receiver
// never completes, no final Success-Report comes, and the sender fails with FILE_UNCONFIRMED after its report wait.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { MsrpSession, type SessionEvent } from '../../protocol/msrp/index';
import { MsrpTransport } from '../../net/msrp/index';
import { isParleyError } from '../../base/errors';
import { CapturingProxy } from '../session/tcp-proxy.test-data';
import { FileSender } from './sender';
import { tempDir, writeTestFile } from './testing';

const tmp = tempDir();
after(() => tmp.cleanup());

test('a chunk lost after its 200: FILE_UNCONFIRMED at the sender once the report wait ends, not sent', async () => {
  const size = 150 * 1024; // three 64 KiB chunks
  const src = path.join(tmp.dir, 'lost.bin');
  await writeTestFile(src, size, 5);
  const ts = new MsrpTransport();
  const tr = new MsrpTransport();
  await tr.listen();
  const proxy = new CapturingProxy(tr.port);
  try {
    const su = ts.localUri();
    const ru = tr.localUri();
    const ss = new MsrpSession({ localUri: su, toPath: [{ ...ru, port: await proxy.listen() }], chunkSize: 64 * 1024, cema: true });
    const rs = new MsrpSession({ localUri: ru, toPath: [su], cema: true, acceptTypes: ['*'] });
    const seen: SessionEvent['type'][] = [];
    rs.onEvent = (e) => void seen.push(e.type);
    const passive = tr.attach(rs, { role: 'passive' });
    await ts.attach(ss, { role: 'active' });
    await passive;

    proxy.dropNext('application/octet-stream');
    const sender = new FileSender({ path: src, size, wireStart: 0, reportTimeoutMs: 500 });
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no outcome within 5 s of sending')), 5_000);
    });
    await assert.rejects(
      Promise.race([sender.run(ts, ss), bound]).finally(() => clearTimeout(timer)),
      (e) => isParleyError(e, 'FILE_UNCONFIRMED'),
      'every chunk got a 200, yet without the final report the transfer failed',
    );
    assert.ok(Date.now() - t0 < 5_000, `failed after the report wait (${Date.now() - t0} ms)`);
    assert.equal(sender.acked, true, 'all chunks were acknowledged');
    assert.equal(proxy.dropped, 1);
    assert.ok(!seen.includes('message'), 'the receiver never got the whole file');
  } finally {
    await proxy.close();
    await ts.close();
    await tr.close();
  }
});
