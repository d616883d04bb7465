// Engine-only tests on loopback MSRP (no SIP): sizes, memory, cancel, resume after a cut connection, tampering, hash mismatch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { initCrypto, h256 } from '../../security/sodium';
import { STREAM_FULL_SEGMENT_CT } from '../../security/secret-stream';
import { isParleyError, ParleyError as PError, type ParleyError } from '../../base/errors';
import { FileSender } from './sender';
import { FileReceiver, type ReceivedFile } from './receiver';
import { PartFile } from './part-file';
import { prepareFile, type PreparedFile } from './prepare';
import { manifestFor } from './file-crypto';
import { loopbackPair, tempDir, writeTestFile, rssSampler, type LoopbackPair } from './testing';
import { sha256File } from './prepare';

const tmp = tempDir();
before(async () => {
  await initCrypto();
});
after(() => tmp.cleanup());

const MiB = 1024 * 1024;
let n = 0;

interface Run {
  pair: LoopbackPair;
  sender: FileSender;
  receiver: FileReceiver;
  sent: Promise<unknown>;
  received: Promise<ReceivedFile>;
  dl: string;
  part: PartFile;
}

/** One transfer attempt: prepared file, a fresh session pair, sender and receiver wired like the SIP layer does. */
async function start(
  f: PreparedFile,
  o: {
    prot: boolean;
    dl: string;
    resumeId?: string;
    viaProxy?: boolean;
    chunkSize?: number;
    tamper?: boolean;
    wrongHash?: boolean;
    keepOnPeerCancel?: boolean;
  },
): Promise<Run> {
  const id = o.resumeId ?? `dl${++n}${randomBytes(6).toString('hex')}`;
  const part = o.resumeId
    ? PartFile.open(o.dl, id)
    : PartFile.create(o.dl, { id, peer: 'sip:alice@parley.test', selector: { size: f.wireSize }, protected: o.prot });
  const wireStart = o.prot ? (part.bytes / MiB) * STREAM_FULL_SEGMENT_CT : part.bytes;
  const transferId = randomBytes(8).toString('hex');
  const manifestKey = h256(Buffer.from(`session-key/${transferId}`)); // stands in for session.streamKey(transferId)
  const receiver = new FileReceiver({
    part,
    wireSize: f.wireSize,
    wireStart,
    protected: o.prot,
    manifestKey: o.prot ? manifestKey : undefined,
    name: f.name,
    type: f.type,
    sha256: o.wrongHash ? '00'.repeat(32) : f.sha256,
    keepPartialOnPeerCancel: o.keepOnPeerCancel,
  });
  const pair = await loopbackPair({
    receiverSession: receiver.sessionOptions(),
    viaProxy: o.viaProxy,
    chunkSize: o.chunkSize ?? 256 * 1024,
  });
  receiver.bind(pair.receiver.session);
  if (o.tamper) {
    // flip one byte of the ciphertext in the middle of the stream, below MSRP (as a malicious relay would)
    const rs = pair.receiver.session;
    const orig = rs.receive.bind(rs);
    let seen = 0;
    let done = false;
    rs.receive = (ev) => {
      if (!done && ev.type === 'bodyPart' && seen + ev.data.length > 2 * MiB) {
        const copy = Buffer.from(ev.data);
        copy[copy.length >> 1] ^= 1;
        done = true;
        return orig({ ...ev, data: copy });
      }
      if (ev.type === 'bodyPart') seen += ev.data.length;
      return orig(ev);
    };
  }
  const sender = new FileSender({
    path: f.path,
    size: f.size,
    wireStart,
    contentType: f.type,
    protected: o.prot
      ? { fileKey: f.fileKey!, manifestKey, manifest: manifestFor({ ...f, fileKey: f.fileKey!, modified: f.modified.toUTCString() }) }
      : undefined,
  });
  const sent = sender.run(pair.sender.transport, pair.sender.session);
  sent.catch(() => {});
  return { pair, sender, receiver, sent, received: receiver.result, dl: o.dl, part };
}

/** Run fn inside the receiver's data path once `bytes` were written (deterministic mid-transfer events). */
function atBytes(r: Run, bytes: number, fn: () => void): void {
  let fired = false;
  const check = () => {
    if (!fired && r.part.bytes >= bytes) {
      fired = true;
      fn();
    }
  };
  const write = r.part.write.bind(r.part);
  r.part.write = (data) => {
    write(data);
    check(); // plain files: synchronous writes
  };
  const append = r.part.append.bind(r.part);
  r.part.append = (data) => append(data).then(check); // protected files: writes in the thread pool
}

async function roundTrip(
  size: number,
  prot: boolean,
  extra: { viaProxy?: boolean } = {},
): Promise<{ got: ReceivedFile; file: PreparedFile; progress: number }> {
  const src = path.join(tmp.dir, `src-${size}-${prot}-${++n}.bin`);
  await writeTestFile(src, size, size + 3);
  const file = await prepareFile(src, { protected: prot, name: `report ${n}.pdf` });
  const { dir: dl } = tempDir('parley-dl-', tmp.dir);
  const r = await start(file, { prot, dl, ...extra });
  let progress = 0;
  r.sender.on('progress', () => progress++);
  try {
    const [res, got] = await Promise.all([r.sent, r.received]);
    assert.equal((res as { status: string }).status, 'delivered');
    assert.equal(await sha256File(got.path), file.sha256);
    assert.equal(got.sha256, file.sha256);
    assert.equal(got.name, file.name);
    assert.equal(path.basename(got.path), file.name);
    assert.equal(got.verified, true);
    assert.deepEqual(
      readdirSync(dl).filter((x) => x.startsWith('.')),
      [],
      'no .part or sidecar left',
    );
    return { got, file, progress };
  } finally {
    await r.pair.close();
  }
}

for (const prot of [false, true]) {
  const label = prot ? 'protected' : 'plain';
  test(`${label}: empty file`, async () => {
    const { got } = await roundTrip(0, prot);
    assert.equal(readFileSync(got.path).length, 0);
  });
  test(`${label}: 1 byte`, async () => {
    const { got } = await roundTrip(1, prot);
    assert.equal(readFileSync(got.path).length, 1);
  });
  test(`${label}: exactly one segment (1 MiB) and 10 MB`, async () => {
    await roundTrip(MiB, prot);
    const { progress } = await roundTrip(10_000_000, prot);
    assert.ok(progress >= 1, 'sender saw progress from Success-Reports');
  });
}

test('200 MB plain and protected with flat memory (RSS growth < 120 MB for both ends in one process)', async () => {
  for (const prot of [false, true]) {
    global.gc?.();
    const base = process.memoryUsage().rss;
    const s = rssSampler();
    await roundTrip(200_000_000, prot);
    const peak = s.stop();
    assert.ok(peak - base < 120 * MiB, `${prot ? 'protected' : 'plain'}: RSS grew by ${((peak - base) / MiB).toFixed(0)} MiB`);
  }
});

test('an existing file of the same name is never overwritten', async () => {
  const src = path.join(tmp.dir, 'dup.txt');
  await writeTestFile(src, 5000);
  const file = await prepareFile(src, { protected: true });
  const { dir: dl } = tempDir('parley-dl-', tmp.dir);
  const paths: string[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await start(file, { prot: true, dl });
    paths.push((await r.received).path);
    await r.sent;
    await r.pair.close();
  }
  assert.deepEqual(
    paths.map((p) => path.basename(p)),
    ['dup.txt', 'dup (1).txt'],
  );
});

test('cancel from the sender: receiver sees FILE_CANCELLED_BY_PEER, partial removed (or kept when chosen)', async () => {
  for (const keep of [false, true]) {
    const src = path.join(tmp.dir, `cancel-s-${keep}.bin`);
    await writeTestFile(src, 50 * MiB);
    const file = await prepareFile(src, { protected: false });
    const { dir: dl } = tempDir('parley-dl-', tmp.dir);
    const r = await start(file, { prot: false, dl, keepOnPeerCancel: keep });
    try {
      atBytes(r, 5 * MiB, () => r.sender.cancel());
      await assert.rejects(r.sent, (e: ParleyError) => e.code === 'FILE_CANCELLED');
      await assert.rejects(r.received, (e: ParleyError) => e.code === 'FILE_CANCELLED_BY_PEER');
      assert.equal(existsSync(r.part.partPath), keep);
      assert.equal(readdirSync(dl).filter((x) => !x.startsWith('.')).length, 0, 'nothing offered to the user');
    } finally {
      await r.pair.close();
    }
  }
});

test('cancel from the receiver: session closed, sender fails, partial removed', async () => {
  const src = path.join(tmp.dir, 'cancel-r.bin');
  await writeTestFile(src, 50 * MiB);
  const file = await prepareFile(src, { protected: true });
  const { dir: dl } = tempDir('parley-dl-', tmp.dir);
  const r = await start(file, { prot: true, dl });
  try {
    atBytes(r, 5 * MiB, () => {
      r.receiver.stop(new PError('FILE_CANCELLED', 'user cancelled'), false);
      // the SIP layer sends BYE; here the receiver's transport drops the connection, as the BYE handling does
      r.pair.receiver.transport.detach(r.pair.receiver.session);
    });
    await assert.rejects(r.sent, (e: ParleyError) => isParleyError(e) && /FILE_CONNECTION_LOST|FILE_REFUSED/.test(e.code));
    await assert.rejects(r.received, (e: ParleyError) => e.code === 'FILE_CANCELLED');
    assert.equal(existsSync(r.part.partPath), false);
  } finally {
    await r.pair.close();
  }
});

for (const prot of [false, true]) {
  test(`${prot ? 'protected' : 'plain'}: TCP connection cut mid-transfer, resumed from the .part: byte-identical`, async () => {
    const src = path.join(tmp.dir, `resume-${prot}.bin`);
    const size = 30 * MiB + 12345;
    await writeTestFile(src, size, 99);
    const file = await prepareFile(src, { protected: prot, name: 'movie.mp4' });
    const { dir: dl } = tempDir('parley-dl-', tmp.dir);
    const r1 = await start(file, { prot, dl, viaProxy: true });
    try {
      // the network drops: the forwarder resets both legs and the receiver's socket is gone at once
      atBytes(r1, 12 * MiB, () => {
        r1.pair.proxy!.cut();
        void r1.pair.receiver.transport.close();
      });
      await assert.rejects(r1.received, (e: ParleyError) => e.code === 'FILE_INTERRUPTED');
      await assert.rejects(r1.sent);
    } finally {
      await r1.pair.close();
    }
    const kept = r1.part.state.id;
    const partial = PartFile.open(dl, kept);
    const have = partial.bytes;
    partial.close(true);
    assert.ok(have > 0 && have < size, `kept ${have} bytes`);
    if (prot) assert.equal(have % MiB, 0, 'protected partials end on a segment boundary');
    const r2 = await start(file, { prot, dl, resumeId: kept });
    const [res, got] = await Promise.all([r2.sent, r2.received]);
    assert.equal((res as { status: string }).status, 'delivered');
    assert.ok(readFileSync(got.path).equals(readFileSync(src)), 'resumed file is byte-identical');
    await r2.pair.close();
  });
}

test('a tampered ciphertext chunk: FILE_TAMPERED, nothing offered, partial removed, sender fails', async () => {
  const src = path.join(tmp.dir, 'tamper.bin');
  await writeTestFile(src, 8 * MiB);
  const file = await prepareFile(src, { protected: true });
  const { dir: dl } = tempDir('parley-dl-', tmp.dir);
  const r = await start(file, { prot: true, dl, tamper: true });
  await assert.rejects(r.received, (e: ParleyError) => e.code === 'FILE_TAMPERED');
  r.pair.receiver.transport.detach(r.pair.receiver.session);
  await assert.rejects(r.sent);
  assert.deepEqual(readdirSync(dl), [], 'no file, no .part');
  await r.pair.close();
});

test('plain file whose SHA-256 does not match the offer: FILE_HASH_MISMATCH, file deleted, no Success-Report', async () => {
  const src = path.join(tmp.dir, 'hash.bin');
  await writeTestFile(src, 3 * MiB);
  const file = await prepareFile(src, { protected: false });
  const { dir: dl } = tempDir('parley-dl-', tmp.dir);
  const r = await start(file, { prot: false, dl, wrongHash: true });
  await assert.rejects(r.received, (e: ParleyError) => e.code === 'FILE_HASH_MISMATCH');
  r.pair.receiver.transport.detach(r.pair.receiver.session);
  await assert.rejects(r.sent);
  assert.deepEqual(readdirSync(dl), []);
  await r.pair.close();
});

test('issue 12: a file whose name hides its type is flagged from the name it is saved under (plain and protected)', async () => {
  for (const prot of [false, true]) {
    const src = path.join(tmp.dir, `hidden-exe-${prot}.bin`);
    await writeTestFile(src, 4096, 7);
    const file = await prepareFile(src, { protected: prot, name: 'invoice.ex\u00ADe\u200B.', type: 'application/pdf' });
    const { dir: dl } = tempDir('parley-dl-', tmp.dir);
    const r = await start(file, { prot, dl });
    try {
      const [, got] = await Promise.all([r.sent, r.received]);
      assert.equal(path.basename(got.path), 'invoice.exe');
      assert.equal(got.executable, true, `protected=${prot}`);
    } finally {
      await r.pair.close();
    }
  }
});

test('protected: the sidecar state is rewritten every STATE_EVERY_BYTES, not per segment', async () => {
  const src = path.join(tmp.dir, 'state-rate.bin');
  await writeTestFile(src, 12 * MiB, 7);
  const file = await prepareFile(src, { protected: true });
  const { dir: dl } = tempDir('parley-dl-', tmp.dir);
  const r = await start(file, { prot: true, dl });
  const save = r.part.saveState.bind(r.part);
  let saves = 0;
  r.part.saveState = (extra) => {
    saves++;
    save(extra);
  };
  try {
    await Promise.all([r.sent, r.received]);
    // 12 segments: the manifest save, then one per 4 MiB (12 / 4) — never one per segment
    assert.ok(saves >= 3 && saves <= 5, `${saves} state writes`);
  } finally {
    await r.pair.close();
  }
});
