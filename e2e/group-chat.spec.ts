// Group chat in the UI: alice, bob and carol as three pages over real UEs, on the lab with the app server (conference
// focus). Alice creates a room inviting bob; bob joins from the invitation; carol is invited from the room's Invite
// dialog; nicknames; group messages (group E2E); a private message only its recipient sees; the participants panel
// follows joins and leaves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startConfLab } from '../main/features/conference/testing';
import {
  cleanupRendererBuild,
  openApp,
  readmeScreenshot,
  realUes,
  screenshot,
  startLabSession,
  READY_TIMEOUT_MS,
  type AppPage,
  type LabSession,
} from './harness';
import { expectAccessible } from './a11y';

const T = { timeout: READY_TIMEOUT_MS };
let session: LabSession;
let root: string;
const pages: Record<string, AppPage> = {};

const participants = (p: Page) => p.getByRole('complementary', { name: 'Participants' });
const log = (p: Page) => p.locator('.room-log');
async function say(p: Page, text: string): Promise<void> {
  const box = p.getByLabel('Group message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
  await log(p).locator('.bubble.out').filter({ hasText: text }).locator('[data-state="sent"]').waitFor(T);
}
async function acceptInvitation(p: Page): Promise<void> {
  await p
    .getByRole('group', { name: /^Invitation to / })
    .getByRole('button', { name: 'Join group chat' })
    .click();
  await p.getByRole('region', { name: /^Group chat / }).waitFor(T);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'parley-e2e-group-'));
  const users = ['alice', 'bob', 'carol'];
  session = await startLabSession({
    users,
    makeBackend: realUes(join(root, 'profiles')),
    makeLab: async () => {
      const env = await startConfLab({ users });
      return { lab: env.lab, stop: () => env.stop() };
    },
  });
  for (const u of users) {
    pages[u] = await openApp(session.browser.context, session.peers[u]!.host.url);
    await pages[u]!.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(T);
  }
});
after(async () => {
  await session?.stop();
  await rm(root, { recursive: true, force: true });
  await cleanupRendererBuild();
});

test('alice creates a group chat inviting bob; bob joins from the invitation; carol is invited from the room', async () => {
  const a = pages.alice!.page;
  const b = pages.bob!.page;
  const c = pages.carol!.page;
  await a.getByRole('button', { name: 'New group chat' }).click();
  const form = a.getByRole('form', { name: 'New group chat' });
  await form.getByLabel('People to invite (SIP addresses)').fill('not-an-address');
  await form.getByRole('button', { name: 'Create group chat' }).click();
  await a.getByRole('alert').filter({ hasText: 'Not a SIP address: not-an-address' }).waitFor(T);
  await form.getByLabel('People to invite (SIP addresses)').fill(session.lab.aor('bob'));
  await form.getByLabel('Subject (optional)').fill('Launch plan');
  await form.getByRole('button', { name: 'Create group chat' }).click();
  await a.getByRole('heading', { name: 'Launch plan' }).waitFor(T);

  await b.getByRole('group', { name: 'Invitation to Launch plan' }).waitFor(T);
  await expectAccessible(b, 'group-chat-invitation');
  assert.match(
    await b.getByRole('group', { name: 'Invitation to Launch plan' }).innerText(),
    /alice@parley\.test invites you to Launch plan/,
  );
  await acceptInvitation(b);
  for (const p of [a, b]) await participants(p).getByText('Participants (2)').waitFor(T);

  await a.getByRole('button', { name: 'Invite', exact: true }).click();
  const dlg = a.getByRole('dialog', { name: 'Invite to the group chat' });
  await dlg.waitFor(T);
  await expectAccessible(a, 'group-chat-invite-dialog');
  await dlg.getByLabel('SIP addresses to invite').fill(session.lab.aor('carol'));
  await dlg.getByRole('button', { name: 'Send invitations' }).click();
  await dlg.waitFor({ state: 'detached', ...T });
  await acceptInvitation(c);
  for (const p of [a, b, c]) await participants(p).getByText('Participants (3)').waitFor(T);
  await screenshot(c, 'group-joined');
});

test('nicknames show in the participants panel and on messages; group messages reach everyone end-to-end', async () => {
  const a = pages.alice!.page;
  const b = pages.bob!.page;
  const c = pages.carol!.page;
  await participants(a)
    .getByLabel(/^Your nickname/)
    .fill('Captain');
  await participants(a).getByRole('button', { name: 'Set nickname' }).click();
  await participants(a).getByText('Your nickname (now Captain)').waitFor(T);
  for (const p of [b, c]) await participants(p).locator('.p-name').filter({ hasText: 'Captain' }).waitFor(T);
  // Taken nicknames are refused with a clear error.
  await participants(b)
    .getByLabel(/^Your nickname/)
    .fill('Captain');
  await participants(b).getByRole('button', { name: 'Set nickname' }).click();
  await b.getByRole('alert').filter({ hasText: 'CONF_NICKNAME_TAKEN' }).waitFor(T);

  await a
    .locator('.sec-item.on')
    .filter({ hasText: /^✓ Group E2E$/ })
    .waitFor({ timeout: 30_000 });
  await say(a, 'Kick-off at ten');
  for (const p of [b, c]) {
    const got = log(p).locator('.bubble.in').filter({ hasText: 'Kick-off at ten' });
    await got.waitFor(T);
    assert.match(await got.locator('.bubble-from').innerText(), /^Captain/);
    assert.equal(await got.locator('.e2e').innerText(), 'E2E');
  }
  await say(c, 'carol here');
  await log(a).locator('.bubble.in').filter({ hasText: 'carol here' }).waitFor(T);
  await log(b).locator('.bubble.in').filter({ hasText: 'carol here' }).waitFor(T);
});

test('a private message reaches only its recipient', async () => {
  const a = pages.alice!.page;
  const b = pages.bob!.page;
  const c = pages.carol!.page;
  await participants(b).getByRole('button', { name: 'Private message to Captain' }).click();
  await b.getByRole('status').filter({ hasText: 'Private message to Captain' }).waitFor(T);
  await say(b, 'psst, only for alice');
  const got = log(a).locator('.bubble.in.private').filter({ hasText: 'psst, only for alice' });
  await got.waitFor(T);
  assert.match(await got.locator('.bubble-from').innerText(), /private to you/);
  // carol sees a later public message from bob but never the private one.
  await b.getByRole('button', { name: 'Write to everyone instead' }).click();
  await say(b, 'public again');
  await log(c).locator('.bubble.in').filter({ hasText: 'public again' }).waitFor(T);
  assert.equal(await log(c).getByText('psst, only for alice').count(), 0);
  await screenshot(a, 'group-chat');
  await readmeScreenshot(a, 'group-chat');
  await expectAccessible(a, 'group-chat');
});

test('carol leaves: the others see two participants; her room says she left', async () => {
  const a = pages.alice!.page;
  const c = pages.carol!.page;
  await c.getByRole('button', { name: 'Leave room' }).click();
  await c.getByRole('status').filter({ hasText: 'You left this room.' }).waitFor(T);
  assert.equal(await c.getByLabel('Group message', { exact: true }).isDisabled(), true);
  await participants(a).getByText('Participants (2)').waitFor(T);
  assert.deepEqual([...pages.alice!.problems, ...pages.bob!.problems, ...pages.carol!.problems], []);
});
