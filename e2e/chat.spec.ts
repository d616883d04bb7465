// Two real UEs (main/ue/ue.ts) on the local lab (Kamailio over TLS), each behind its own web host, each driven in
// its own Chromium page: alice writes to bob, bob sees it live and answers; delivery states and E2E facts show up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanupRendererBuild,
  openApp,
  realUes,
  screenshot,
  startLabSession,
  READY_TIMEOUT_MS,
  type AppPage,
  type LabSession,
} from './harness';

const T = { timeout: READY_TIMEOUT_MS };
let session: LabSession;
let profiles: string;
let alice: AppPage;
let bob: AppPage;

before(async () => {
  profiles = await mkdtemp(join(tmpdir(), 'parley-e2e-profiles-'));
  session = await startLabSession({ users: ['alice', 'bob'], makeBackend: realUes(profiles) });
  alice = await openApp(session.browser.context, session.peers.alice!.host.url);
  bob = await openApp(session.browser.context, session.peers.bob!.host.url);
  for (const p of [alice, bob]) await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(T);
});
after(async () => {
  await session?.stop();
  await rm(profiles, { recursive: true, force: true });
  await cleanupRendererBuild();
});

test('alice writes to bob over the lab; bob sees it live, answers; states and security facts are shown', async () => {
  const bobAor = session.lab.aor('bob');
  await alice.page.getByRole('button', { name: 'New conversation' }).click();
  await alice.page.getByLabel('SIP address of the contact', { exact: true }).fill(bobAor);
  await alice.page.getByRole('button', { name: 'Start' }).click();
  const box = alice.page.getByLabel('Message', { exact: true });
  await box.fill('hello bob, over TLS and end-to-end');
  await box.press('Enter');
  const out = alice.page.locator('.bubble.out').filter({ hasText: 'hello bob, over TLS and end-to-end' });
  await out.locator('.state[data-state="sent"], .state[data-state="delivered"], .state[data-state="displayed"]').waitFor(T);

  await bob.page.getByRole('button', { name: /^alice/ }).click();
  const got = bob.page.locator('.bubble.in').filter({ hasText: 'hello bob, over TLS and end-to-end' });
  await got.waitFor(T);
  const e2e = await got.locator('.e2e').innerText();
  assert.match(e2e, /E2E/);

  const reply = bob.page.getByLabel('Message', { exact: true });
  await reply.fill('hi alice');
  await reply.press('Enter');
  await alice.page.locator('.bubble.in').filter({ hasText: 'hi alice' }).waitFor(T);
  // Bob read alice's message with the conversation open: alice sees a read receipt when the backend sends IMDN.
  await out.locator('.state[data-state="delivered"], .state[data-state="displayed"]').waitFor(T);
  await screenshot(alice.page, 'chat-alice');
  await screenshot(bob.page, 'chat-bob');
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});

test('both sides show the same safety number; verifying with it marks the contact verified', async () => {
  const digitsOf = async (p: AppPage, peer: string) => {
    await p.page.getByRole('button', { name: 'Security details and safety number' }).click();
    const panel = p.page.getByRole('dialog', { name: `Security: ${peer}` });
    const label = await panel.getByLabel(/^Safety number /).getAttribute('aria-label');
    return { panel, digits: (label ?? '').replace(/^Safety number /, '') };
  };
  const a = await digitsOf(alice, 'bob');
  const b = await digitsOf(bob, 'alice');
  assert.match(a.digits, /^(\d{5} )+\d{1,5}$/);
  assert.equal(a.digits, b.digits);
  // Alice types what bob reads out (wrong first, then right).
  const input = a.panel.getByLabel('Digits your contact reads out (optional)');
  await input.fill(b.digits.replace(/^\d/, (d) => String((Number(d) + 1) % 10)));
  await a.panel.getByRole('button', { name: 'Check and mark as verified' }).click();
  await a.panel.getByRole('alert').filter({ hasText: 'do not match' }).waitFor(T);
  await input.fill(b.digits);
  await a.panel.getByRole('button', { name: 'Check and mark as verified' }).click();
  await a.panel.getByText('Verified.', { exact: true }).waitFor(T);
  await a.panel.getByText('Contact verified', { exact: true }).waitFor(T);
  await screenshot(alice.page, 'chat-alice-verified');
  await a.panel.getByRole('button', { name: 'Close' }).click();
  await b.panel.getByRole('button', { name: 'Close' }).click();
  await alice.page.locator('.chat-header .sec-peer.on').waitFor(T);
});
