import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink } from './file-sink';
import { Reassembler } from '../../protocol/msrp/reassembly';
import { chunkBody } from '../../protocol/msrp/chunker';
import { ParleyError } from '../../base/errors';

test('out-of-order chunks land at their offsets on disk; abort removes the partial file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msrp-sink-'));
  try {
    const body = Buffer.from('0123456789'.repeat(1000));
    const r = new Reassembler({ createSink: (info) => new FileSink(join(dir, info.messageId)) });
    let last;
    for (const c of chunkBody(body, 777).reverse()) {
      const rc = r.begin({ messageId: 'file1' }, c.byteRange);
      rc.data(c.body);
      last = rc.end(c.flag);
    }
    assert.equal(last!.kind, 'complete');
    assert.ok(readFileSync(join(dir, 'file1')).equals(body));
    const rc = r.begin({ messageId: 'file2' }, { start: 1, end: 10, total: 100 });
    rc.data(body.subarray(0, 10));
    rc.end('+');
    assert.ok(existsSync(join(dir, 'file2')));
    r.close(new ParleyError('MSRP_CONNECTION_CLOSED', 'gone'));
    assert.ok(!existsSync(join(dir, 'file2')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
