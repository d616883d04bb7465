// UeFiles over two real account contexts (key store, history, SIP UA, MSRP endpoint, INVITE router) on a private lab over TLS:
// offer -> accept -> saved file identical; decline; receiver cancels mid-way (partial kept) and resumes; sender cancels.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransferView } from '../../../app/ipc/contract';
import { startLab, type Lab } from '../../../network/lab';
import { openTestAccount, type TestAccount } from '../testing';
import type { FeatureContext } from '../feature';
import { UeFiles } from './facade';
import { sha256File } from './prepare';
import { writeTestFile } from './testing';

const WAIT_MS = 30_000;

interface Side {
  t: TestAccount;
  s: FeatureContext;
  files: UeFiles;
  views: TransferView[];
  waiters: { pred: (v: TransferView) => boolean; res: (v: TransferView) => void }[];
}

let lab: Lab;
let root: string;
let alice: Side;
let bob: Side;

async function side(user: string): Promise<Side> {
  const t = await openTestAccount({
    dir: join(root, user),
    aor: lab.aor(user),
    password: `${user}-secret`,
    proxy: lab.proxy.tls,
    caFile: lab.caFile,
  });
  await t.ctx.ua.start();
  // as the user's file dialog would (issue 12: files.send reads picked files only)
  for (const f of ['report.pdf', 'tool.sh', 'big.bin', 'later.txt']) t.ctx.picked.record(join(root, f));
  const me: Side = { t, s: t.ctx, files: null as unknown as UeFiles, views: [], waiters: [] };
  t.onEvent = (e) => {
    if (e.event !== 'transfer.upserted') return;
    const v = e.payload;
    me.views.push(v);
    for (const w of [...me.waiters])
      if (w.pred(v)) {
        me.waiters.splice(me.waiters.indexOf(w), 1);
        w.res(v);
      }
  };
  me.files = await UeFiles.start(t.ctx);
  return me;
}

function waitView(x: Side, pred: (v: TransferView) => boolean, what: string): Promise<TransferView> {
  const seen = x.views.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`timeout waiting for ${what}; last: ${JSON.stringify(x.views.at(-1))}`)), WAIT_MS);
    x.waiters.push({
      pred,
      res: (v) => {
        clearTimeout(timer);
        res(v);
      },
    });
  });
}

const convWith = (x: Side, peer: string) => String(x.s.store.openConversation(x.s.aor, { kind: 'direct', peer }).id);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'parley-files-facade-'));
  lab = await startLab({ stateDir: join(root, 'lab') });
  alice = await side('alice');
  bob = await side('bob');
});
after(async () => {
  for (const x of [alice, bob]) {
    await x?.files.stop();
    await x?.t.close();
  }
  await lab?.stop();
  await rm(root, { recursive: true, force: true });
});

test('offer -> accept: bob saves an identical file, both sides reach done with progress', async () => {
  const src = join(root, 'report.pdf');
  const sha = await writeTestFile(src, 300_000, 3);
  const { transferId } = await alice.files.send({ conversationId: convWith(alice, lab.aor('bob')), path: src });
  const offered = await waitView(bob, (v) => v.state === 'offered', 'offer at bob');
  assert.equal(offered.direction, 'in');
  assert.equal(offered.protected, true);
  assert.equal(offered.nameHidden, true, 'protected offers hide the name until accepted');
  assert.equal(offered.conversationId, convWith(bob, lab.aor('alice')));
  await bob.files.accept({ transferId: offered.id });
  const done = await waitView(bob, (v) => v.id === offered.id && v.state === 'done', 'done at bob');
  assert.equal(done.name, 'report.pdf');
  assert.equal(done.size, 300_000);
  assert.equal(done.mediaType, 'application/pdf');
  assert.equal(await sha256File(done.savedPath!), sha);
  assert.ok(done.savedPath!.startsWith(bob.files.downloadsDir));
  assert.deepEqual(await bob.files.reveal({ transferId: offered.id }), { decision: 'delegated', path: done.savedPath });
  const out = await waitView(alice, (v) => v.id === transferId && v.state === 'done', 'done at alice');
  assert.equal(out.bytes, 300_000);
  assert.ok(alice.views.some((v) => v.id === transferId && v.state === 'offering'));
  assert.equal((await alice.files.list({ conversationId: out.conversationId })).find((v) => v.id === transferId)?.state, 'done');
});

test('decline: alice sees declined with a reason', async () => {
  const src = join(root, 'tool.sh');
  await writeTestFile(src, 1000, 5);
  const { transferId } = await alice.files.send({ conversationId: convWith(alice, lab.aor('bob')), path: src });
  const offered = await waitView(
    bob,
    (v) => v.state === 'offered' && !bob.views.some((x) => x.id === v.id && x.state !== 'offered'),
    'second offer',
  );
  await bob.files.decline({ transferId: offered.id });
  const d = await waitView(alice, (v) => v.id === transferId && v.state === 'declined', 'declined at alice');
  assert.ok(d.failure && d.failure.reason.length > 0);
  await assert.rejects(bob.files.accept({ transferId: offered.id }), { code: 'FILE_BAD_STATE' });
});

test('bob cancels mid-way (partial kept), resumes, and gets the whole file', async () => {
  const src = join(root, 'big.bin');
  const sha = await writeTestFile(src, 48 * 1024 * 1024, 9);
  await alice.files.send({ conversationId: convWith(alice, lab.aor('bob')), path: src });
  const offered = await waitView(bob, (v) => v.state === 'offered' && v.size > 40 * 1024 * 1024, 'big offer');
  await bob.files.accept({ transferId: offered.id });
  await waitView(bob, (v) => v.id === offered.id && v.state === 'transferring' && v.bytes > 0, 'first bytes');
  await bob.files.cancel({ transferId: offered.id });
  const c = await waitView(bob, (v) => v.id === offered.id && v.state === 'cancelled', 'cancelled at bob');
  assert.equal(c.resumable, true);
  assert.ok(c.bytes < c.size);
  await bob.files.resume({ transferId: offered.id });
  const done = await waitView(bob, (v) => v.id === offered.id && v.state === 'done', 'resumed to done');
  assert.equal(await sha256File(done.savedPath!), sha);
  assert.equal((await readFile(done.savedPath!)).length, 48 * 1024 * 1024);
});

test('alice cancels while bob has not answered; bob sees the offer withdrawn', async () => {
  const src = join(root, 'later.txt');
  await writeTestFile(src, 2000, 11);
  const before = bob.views.length;
  const { transferId } = await alice.files.send({ conversationId: convWith(alice, lab.aor('bob')), path: src });
  const offered = await waitView(bob, (v) => v.state === 'offered' && bob.views.indexOf(v) >= before, 'offer to withdraw');
  await alice.files.cancel({ transferId });
  await waitView(alice, (v) => v.id === transferId && v.state === 'cancelled', 'cancelled at alice');
  const w = await waitView(bob, (v) => v.id === offered.id && v.state === 'cancelled', 'withdrawn at bob');
  assert.equal(w.failure?.code, 'FILE_CANCELLED_BY_PEER');
});

test('files.send reads only a file the user picked in main; UNC paths never (issue 12)', async () => {
  const c = convWith(alice, lab.aor('bob'));
  await assert.rejects(alice.files.send({ conversationId: c, path: '/etc/passwd' }), { code: 'FILE_NOT_PICKED' });
  await assert.rejects(alice.files.send({ conversationId: c, path: join(root, 'report.pdf', '..', 'alice', 'keystore.bin') }), {
    code: 'FILE_NOT_PICKED',
  });
  await assert.rejects(alice.files.send({ conversationId: c, path: '\\\\attacker.example\\share\\x' }), { code: 'FILE_UNC_PATH' });
  await assert.rejects(alice.files.send({ conversationId: c, path: '//attacker.example/share/x' }), { code: 'FILE_UNC_PATH' });
});
