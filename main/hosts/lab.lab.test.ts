// account.useLocalLab discovery: a running lab is found through <state>/lab.json (passwords from its subscriber table);
// a stale lab.json (dead pid) or none means "not running".
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../network/lab';
import { runningLab } from './lab';
import { labAccount } from '../ue/local-lab';
import { makeUe, type TestUe } from '../ue/testkit';

let lab: Lab | undefined;
// The shape `npm run network` writes (network/cli.ts labInfo; that module runs the lab when imported, so it is not imported).
const labInfo = (l: Lab) => ({
  domain: l.domain,
  host: l.host,
  ports: l.ports,
  caFile: l.caFile,
  proxy: l.proxy,
  relay: l.relay,
  accounts: l.accounts.map((a) => ({ user: a.user, aor: l.aor(a.user) })),
});
let ue: TestUe | undefined;
after(async () => {
  await ue?.ue.close();
  await lab?.stop();
});

test('finds the running lab from lab.json and signs in to it as the demo user', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'parley-labstate-'));
  assert.equal(await runningLab(stateDir), null, 'no lab.json');
  lab = await startLab({
    stateDir,
    accounts: [
      { user: 'alice', password: 'alice-secret' },
      { user: 'zoe', password: 'z0e-pass' },
    ],
  });
  await writeFile(join(stateDir, 'lab.json'), JSON.stringify({ ...labInfo(lab), pid: process.pid }));
  const found = await runningLab(stateDir);
  assert.ok(found);
  assert.deepEqual([found.domain, found.caFile, found.proxy.tls], [lab.domain, lab.caFile, lab.proxy.tls]);
  assert.deepEqual(labAccount(found, 'zoe'), {
    aor: 'sip:zoe@parley.test',
    password: 'z0e-pass',
    proxy: lab.proxy.tls,
    caFile: lab.caFile,
  });
  assert.throws(() => labAccount(found, 'nobody'), { code: 'LAB_NO_ACCOUNT' });
  ue = await makeUe(undefined, { labFactory: () => runningLab(stateDir).then((l) => l!) });
  const acc = await ue.ue.accountUseLocalLab({ user: 'zoe' });
  assert.deepEqual([acc.aor, acc.localLab], ['sip:zoe@parley.test', true]);
  assert.equal((await ue.ue.connectionGet({})).state, 'registered');
  await writeFile(join(stateDir, 'lab.json'), JSON.stringify({ ...labInfo(lab), pid: 2 ** 22 + 12345 }));
  assert.equal(await runningLab(stateDir), null, 'a lab.json left by a dead process is ignored');
  await rm(join(stateDir, 'lab.json'));
});
