// File transfer in the UI over two real UEs on the lab (RFC 5547 over MSRP, end-to-end protected): alice attaches a
// file by path, bob sees the offer (name hidden until accepted), accepts, the file is saved and "Show in folder" gives
// its path; decline; bob cancels a big transfer midway and resumes it; clear errors for bad paths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { sha256File } from '../main/features/transfer/prepare';
import { writeTestFile } from '../main/features/transfer/testing';
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
let alice: AppPage;
let bob: AppPage;

const card = (p: Page, state: string, nth = -1) => {
  const l = p.locator(`.transfer[data-state="${state}"]`);
  return nth < 0 ? l.last() : l.nth(nth);
};

async function attach(p: Page, path: string): Promise<void> {
  const form = p.getByRole('form', { name: 'Send a file' });
  if (!(await form.isVisible())) await p.getByRole('button', { name: 'Attach file' }).click();
  await form.getByLabel('Path of the file to send').fill(path);
  await form.getByRole('button', { name: 'Send file' }).click();
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'parley-e2e-files-'));
  session = await startLabSession({ users: ['alice', 'bob'], makeBackend: realUes(join(root, 'profiles'), { sendFrom: root }) });
  alice = await openApp(session.browser.context, session.peers.alice!.host.url);
  bob = await openApp(session.browser.context, session.peers.bob!.host.url);
  for (const p of [alice, bob]) await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(T);
  // A conversation both ways first (keys pinned), then bob keeps it open.
  await alice.page.getByRole('button', { name: 'New conversation' }).click();
  await alice.page.getByLabel('SIP address of the contact', { exact: true }).fill(session.lab.aor('bob'));
  await alice.page.getByRole('button', { name: 'Start' }).click();
  await alice.page.getByLabel('Message', { exact: true }).fill('a file is coming');
  await alice.page.getByLabel('Message', { exact: true }).press('Enter');
  await bob.page.getByRole('button', { name: /^alice/ }).click();
  await bob.page.locator('.bubble.in').filter({ hasText: 'a file is coming' }).waitFor(T);
});
after(async () => {
  await session?.stop();
  await rm(root, { recursive: true, force: true });
  await cleanupRendererBuild();
});

test('alice sends a file by path; bob accepts; it is saved identical and "Show in folder" gives the path', async () => {
  const src = join(root, 'minutes.pdf');
  const sha = await writeTestFile(src, 200_000, 7);
  await attach(alice.page, src);
  const offer = card(bob.page, 'offered');
  await offer.waitFor(T);
  // Keys are pinned (they chatted): the real name and size arrive sealed in the offer, before accepting.
  assert.match(await offer.innerText(), /minutes\.pdf \(195\.3 KiB, application\/pdf\) · E2E/);
  assert.equal(await offer.getByRole('alert').count(), 0, 'no executable warning for a PDF');
  await card(alice.page, 'offering').filter({ hasText: 'Waiting for the contact to accept' }).waitFor(T);
  await screenshot(bob.page, 'files-offer');
  await expectAccessible(bob.page, 'transfers-offer');
  await expectAccessible(alice.page, 'transfers-send-form');
  await offer.getByRole('button', { name: 'Accept file' }).click();
  const got = card(bob.page, 'done');
  await got.filter({ hasText: 'minutes.pdf' }).waitFor(T);
  assert.match(await got.innerText(), /Received/);
  await card(alice.page, 'done').filter({ hasText: 'Sent' }).waitFor(T);
  await readmeScreenshot(bob.page, 'file-transfer');
  await got.getByRole('button', { name: 'Show in folder' }).click();
  const path = await got.locator('code').innerText();
  assert.match(path, /downloads\/minutes\.pdf$/);
  assert.equal(await sha256File(path), sha);
  await screenshot(bob.page, 'files-received');
  await expectAccessible(bob.page, 'transfers');
});

test('an executable offer is flagged; bob declines; alice sees it declined', async () => {
  const src = join(root, 'setup.exe');
  await writeTestFile(src, 5000, 3);
  await attach(alice.page, src);
  const offer = card(bob.page, 'offered');
  await offer.waitFor(T);
  await offer.getByRole('alert').filter({ hasText: 'This file can run programs on your computer' }).waitFor(T);
  await offer.getByRole('button', { name: 'Decline file' }).click();
  await card(alice.page, 'declined').filter({ hasText: 'Declined by the contact' }).waitFor(T);
  await card(bob.page, 'declined').waitFor(T);
});

test('bob cancels a big transfer midway, then resumes it to the end', async () => {
  const src = join(root, 'video.mp4');
  const sha = await writeTestFile(src, 256 * 1024 * 1024, 5);
  await attach(alice.page, src);
  const offer = card(bob.page, 'offered');
  await offer.waitFor(T);
  await offer.getByRole('button', { name: 'Accept file' }).click();
  const moving = card(bob.page, 'transferring');
  await moving.locator('progress').waitFor(T);
  await screenshot(bob.page, 'files-progress');
  await moving.getByRole('button', { name: 'Cancel transfer' }).click();
  const stopped = card(bob.page, 'cancelled');
  await stopped.waitFor(T);
  await stopped.getByRole('button', { name: 'Resume transfer' }).click();
  const done = card(bob.page, 'done').filter({ hasText: 'video.mp4' });
  await done.waitFor({ timeout: 120_000 });
  await done.getByRole('button', { name: 'Show in folder' }).click();
  assert.equal(await sha256File(await done.locator('code').innerText()), sha);
});

test('bad paths get clear errors and nothing is sent', async () => {
  await attach(alice.page, 'relative/path.txt');
  await alice.page.getByRole('form', { name: 'Send a file' }).getByRole('alert').filter({ hasText: 'Enter the full path' }).waitFor(T);
  await attach(alice.page, join(root, 'does-not-exist.txt'));
  await alice.page.getByRole('form', { name: 'Send a file' }).getByRole('alert').filter({ hasText: 'FILE_READ_FAILED' }).waitFor(T);
  await attach(alice.page, join(root, 'profiles')); // a folder under --send-from
  await alice.page.getByRole('form', { name: 'Send a file' }).getByRole('alert').filter({ hasText: 'FILE_NOT_REGULAR' }).waitFor(T);
  // outside the host's --send-from folder: main does not read it (issue 12)
  await attach(alice.page, '/etc/hostname');
  await alice.page.getByRole('form', { name: 'Send a file' }).getByRole('alert').filter({ hasText: 'FILE_NOT_PICKED' }).waitFor(T);
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});
