// Smoke: the real renderer bundle in Debian's Chromium against the web host, over an in-test UeBackend (MemoryBackend).
// Proves: CSP holds (header + meta, no violations), the WebSocket opens only with the token and our Origin, the account
// form validates, the chat/security UI works end to end through the contract, and screenshots are written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { MemoryBackend } from '../main/hosts/web/memory-backend';
import {
  cleanupRendererBuild,
  launchBrowser,
  openApp,
  screenshot,
  startPeer,
  unnamedControls,
  READY_TIMEOUT_MS,
  RESULTS_DIR,
  type Browser,
  type Peer,
} from './harness';
import { expectAccessible } from './a11y';

let browser: Browser;
let peer: Peer;
let backend: MemoryBackend;
const hostLog: string[] = [];

before(async () => {
  backend = new MemoryBackend({ password: 'alice-secret' });
  peer = await startPeer('alice', backend, (l) => hostLog.push(l));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await peer?.host.close();
  await cleanupRendererBuild();
});

const T = { timeout: READY_TIMEOUT_MS };

test('the page loads under the CSP (header and meta) with no violations or console errors', async () => {
  const resp = await fetch(peer.host.origin + '/');
  const csp = resp.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /require-trusted-types-for 'script'/);
  const html = await resp.text();
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);

  const app = await openApp(browser.context, peer.host.url);
  await app.page.getByRole('heading', { name: 'Set up your account' }).waitFor(T);
  await app.page.getByRole('status').filter({ hasText: 'Not signed in' }).waitFor(T);
  assert.equal(peer.host.clientCount(), 1);
  // The token left the address bar.
  assert.equal(new URL(app.page.url()).hash, '');
  // An inline script is refused by the CSP (the check itself must produce a violation).
  const blocked = await app.page.evaluate(() => {
    try {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.appendChild(s);
    } catch {
      return 'threw';
    }
    return (window as unknown as { __inline?: number }).__inline === 1 ? 'ran' : 'blocked';
  });
  assert.notEqual(blocked, 'ran');
  const violations = await app.cspViolations();
  assert.ok(violations.length >= 1, 'the inline script attempt should be reported as a violation');
  assert.ok(
    violations.every((v) => /script|trusted-types/.test(v)),
    violations.join('\n'),
  );
  assert.deepEqual(
    app.problems.filter((p) => !/Content Security Policy|TrustedScript|Trusted Type/.test(p)),
    [],
  );
  assert.deepEqual(await unnamedControls(app.page), []);
  await expectAccessible(app.page, 'account-setup');
  await screenshot(app.page, 'smoke-setup');
  await app.page.close();
});

test('the WebSocket connects only with the token: a wrong token is refused and the UI says so', async () => {
  const before = peer.host.stats();
  const page = await browser.context.newPage();
  await page.goto(`${peer.host.origin}/#token=${'x'.repeat(43)}`);
  await page.getByRole('status').filter({ hasText: 'refused the connection' }).waitFor(T);
  const after = peer.host.stats();
  assert.equal(after.accepted, before.accepted, 'no connection with a wrong token');
  assert.ok(after.refused > before.refused);
  assert.ok(hostLog.some((l) => l.includes('wrong token')));
  await page.close();
  const noToken = await browser.context.newPage();
  await noToken.goto(`${peer.host.origin}/`);
  await noToken.getByRole('status').filter({ hasText: 'No access token' }).waitFor(T);
  await noToken.close();
});

test('a page from another origin holding the right token is refused (Origin check)', async () => {
  const evil: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><title>pending</title><script>
      const ws = new WebSocket('ws://127.0.0.1:${peer.host.port}/ipc', ['parley.v1', 'parley.token.${peer.host.token}']);
      ws.onopen = () => { document.title = 'opened'; };
      ws.onerror = () => { document.title = 'refused'; };
    </script>`);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  const port = (evil.address() as { port: number }).port;
  const page = await browser.context.newPage();
  const logBefore = hostLog.length;
  const acceptedBefore = peer.host.stats().accepted;
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => document.title !== 'pending', undefined, T);
  assert.equal(await page.title(), 'refused');
  assert.equal(peer.host.stats().accepted, acceptedBefore);
  assert.ok(hostLog.slice(logBefore).some((l) => l.includes('wrong or missing Origin')));
  await page.close();
  evil.closeAllConnections();
  await new Promise<void>((r) => evil.close(() => r()));
});

async function fill(page: Page, label: string, value: string) {
  await page.getByLabel(label, { exact: true }).fill(value);
}

test('the account form validates input, shows backend errors, then signs in', async () => {
  const app = await openApp(browser.context, peer.host.url);
  const { page } = app;
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('SIP address is required').waitFor(T);
  await page.getByText('Password is required').waitFor(T);
  await page.getByText('Outbound proxy is required').waitFor(T);
  assert.equal(await page.getByLabel('SIP address', { exact: true }).getAttribute('aria-invalid'), 'true');

  await fill(page, 'SIP address', 'alice@parley.test');
  await fill(page, 'Password', 'wrong');
  await fill(page, 'Outbound proxy', 'http://127.0.0.1');
  await fill(page, 'CA certificate file (optional)', 'relative/ca.pem');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Enter a SIP address like sip:alice@example.com').waitFor(T);
  await page.getByText(/Enter the outbound proxy like/).waitFor(T);
  await page.getByText('Enter an absolute path to a PEM file, or leave it empty').waitFor(T);
  assert.equal(backend.calls.filter((c) => c.method === 'accountConfigure').length, 0, 'invalid input must not reach main');

  await fill(page, 'SIP address', 'sip:alice@parley.test');
  await fill(page, 'Outbound proxy', 'tls://127.0.0.1:5061');
  await fill(page, 'CA certificate file (optional)', '');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'SIP_AUTH_FAILED' }).waitFor(T);
  await page.getByRole('status').filter({ hasText: 'Connection error: Registration refused' }).waitFor(T);
  await screenshot(page, 'smoke-setup-errors');

  await fill(page, 'Password', 'alice-secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor(T);
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(T);
  assert.deepEqual(app.problems, []);
  await page.close();
});

test('chat: new conversation, send with state label, incoming link as a button, security panel, key change banner', async () => {
  const app = await openApp(browser.context, peer.host.url);
  const { page } = app;
  await page.getByRole('button', { name: 'New conversation' }).click();
  await fill(page, 'SIP address of the contact', 'bob');
  await page.getByRole('button', { name: 'Start' }).click();
  await page.getByText('Enter a SIP address like sip:bob@example.com').waitFor(T);
  await fill(page, 'SIP address of the contact', 'sip:bob@parley.test');
  await page.getByRole('button', { name: 'Start' }).click();
  const chat = page.getByRole('region', { name: 'Conversation with bob' });
  await chat.waitFor(T);

  const box = page.getByLabel('Message', { exact: true });
  await box.fill('first line');
  await box.press('Shift+Enter');
  await box.pressSequentially('second <b>line</b>');
  await box.press('Enter');
  const bubble = page.locator('.bubble.out').filter({ hasText: 'second <b>line</b>' });
  await bubble.waitFor(T);
  assert.equal(await bubble.locator('b').count(), 0, 'message text must never become HTML');
  assert.equal(await bubble.locator('.bubble-text').innerText(), 'first line\nsecond <b>line</b>');
  await bubble.locator('.state[data-state="delivered"]').filter({ hasText: 'Delivered' }).waitFor(T);
  await bubble.getByText('page', { exact: true }).waitFor(T);
  assert.equal(await box.inputValue(), '');

  const conv = [...backend.conversations.values()][0]!;
  backend.receive(conv.id, 'see https://example.org/docs?x=1 and javascript:alert(1)');
  const incoming = page.locator('.bubble.in').last();
  await incoming.getByRole('button', { name: 'Open link https://example.org/docs?x=1' }).click();
  const dialog = page.getByRole('dialog', { name: 'Open link?' });
  await dialog.getByText('https://example.org/docs?x=1').waitFor(T);
  assert.equal(await incoming.getByRole('button').count(), 1, 'javascript: is not a link');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  backend.typing(conv.id, true);
  await page.getByText('bob is typing…').waitFor(T);
  await screenshot(page, 'smoke-chat');
  await expectAccessible(page, 'chat');

  await page.getByRole('button', { name: 'Security details and safety number' }).click();
  const panel = page.getByRole('dialog', { name: 'Security: bob' });
  await panel.getByText('End-to-end encrypted', { exact: true }).waitFor(T);
  await panel.getByText('TLS to the network', { exact: true }).waitFor(T);
  await panel.getByLabel(/^Safety number 12345 67890/).waitFor(T);
  const qr = panel.getByRole('img', { name: /QR code of the safety number/ });
  assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
  assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'QR image decodes');
  assert.deepEqual(await unnamedControls(page), [], 'chat view with the security panel open');
  await expectAccessible(page, 'security-panel');
  await panel.getByRole('button', { name: 'They match: mark as verified' }).click();
  await panel.getByText('Verified.', { exact: true }).waitFor(T);
  await screenshot(page, 'smoke-security');
  await panel.getByRole('button', { name: 'Close' }).click();

  backend.changePeerKey(conv.id);
  await page.getByRole('alert').filter({ hasText: "bob's security key changed." }).waitFor(T);
  assert.equal(await box.isDisabled(), true);
  await screenshot(page, 'smoke-key-changed');
  await page.getByRole('button', { name: 'Accept new key' }).click();
  await page.waitForFunction(() => !(document.querySelector('.composer textarea') as HTMLTextAreaElement).disabled, undefined, T);

  await page.getByRole('button', { name: /^Theme: system/ }).click();
  await page.getByRole('button', { name: /^Theme: light/ }).click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await screenshot(page, 'smoke-dark');
  await expectAccessible(page, 'chat-dark', { keyboard: false });
  assert.deepEqual(app.problems, []);
  assert.deepEqual(await app.cspViolations(), []);
  for (const f of ['smoke-setup', 'smoke-chat', 'smoke-security', 'smoke-dark']) {
    assert.ok((await stat(join(RESULTS_DIR, `${f}.png`))).size > 1000, f);
  }
  await page.close();
});

test('history: the list is windowed and older pages load on scroll-up until the beginning', async () => {
  const c = await backend.conversationsOpen({ peer: 'sip:carol@parley.test' });
  for (let i = 0; i < 300; i++) backend.receive(c.id, `history line ${i}${i % 7 === 3 ? '\nwith a second line' : ''}`);
  const app = await openApp(browser.context, peer.host.url);
  const { page } = app;
  await page.waitForFunction(() => document.title === '(300) Parley', undefined, T);
  await page.getByRole('button', { name: /^carol\s*, 300 unread/ }).click();
  await page.waitForFunction(() => document.title === 'Parley', undefined, T);
  const log = page.getByRole('log', { name: 'Messages with carol' });
  await log.getByText('history line 299', { exact: true }).waitFor(T);
  const rendered = await log.locator('.bubble').count();
  assert.ok(rendered > 5 && rendered < 100, `windowed: ${rendered} bubbles rendered of 300`);
  // Scroll to the top until the first message is rendered; each step waits for the DOM to change, never for time.
  const first = log.getByText('history line 0', { exact: true });
  let steps = 0;
  for (; steps < 40 && (await first.count()) === 0; steps++) {
    const firstKey = await log.locator('.vlist-item').first().getAttribute('data-key');
    await log.evaluate((el) => el.scrollTo(0, 0));
    await page.waitForFunction((k) => document.querySelector('.vlist .vlist-item')?.getAttribute('data-key') !== k, firstKey, T);
  }
  assert.ok(steps >= 5, `300 messages in pages of 50 need several loads (took ${steps})`);
  await log.getByText('Beginning of the conversation').waitFor(T);
  await log.getByText('history line 0', { exact: true }).waitFor(T);
  assert.ok((await log.locator('.bubble').count()) < 150, 'still windowed at the top');
  await screenshot(page, 'smoke-history-top');
  assert.deepEqual(app.problems, []);
  await page.close();
});

test('keyboard: arrows move between conversations, Enter opens, Escape closes a dialog and returns focus', async () => {
  const app = await openApp(browser.context, peer.host.url);
  const { page } = app;
  const rows = page.getByRole('list', { name: 'Conversation list' }).getByRole('button');
  await rows.first().waitFor(T);
  await expectAccessible(page, 'conversation-list');
  await rows.first().focus();
  // A row is named by its content: the title text node comes first.
  const firstName = await rows.first().evaluate((el) => el.querySelector('.conv-title')?.firstChild?.textContent ?? '');
  await page.keyboard.press('ArrowDown');
  const focusedName = await page.evaluate(() => document.activeElement?.querySelector('.conv-title')?.firstChild?.textContent ?? '');
  assert.notEqual(focusedName, firstName);
  assert.equal(focusedName, await rows.nth(1).evaluate((el) => el.querySelector('.conv-title')?.firstChild?.textContent ?? ''));
  await page.keyboard.press('Enter');
  const title = focusedName;
  await page.getByRole('region', { name: `Conversation with ${title}` }).waitFor(T);
  const secButton = page.getByRole('button', { name: 'Security details and safety number' });
  await secButton.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: `Security: ${title}` });
  await dialog.waitFor(T);
  assert.equal(await page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]')), true, 'focus moves into the dialog');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached', ...T });
  assert.equal(await secButton.evaluate((el) => el === document.activeElement), true, 'focus returns to the opener');
  assert.deepEqual(await unnamedControls(page), []);
  await page.close();
});

test('update banner: progress, then "ready to install" with Restart / Later; the web host does not update itself', async () => {
  const app = await openApp(browser.context, peer.host.url);
  const { page } = app;
  // The web host answers update.get with `unsupported`: no banner.
  assert.equal(await page.locator('.update-banner').count(), 0);
  const banner = page.getByRole('status', { name: 'Application update' });
  backend.hub.emit('update.changed', { state: 'downloading', current: '0.1.0', version: '0.2.0', percent: 40 });
  await banner.filter({ hasText: 'Downloading Parley 0.2.0… 40%' }).waitFor(T);
  backend.hub.emit('update.changed', { state: 'ready', current: '0.1.0', version: '0.2.0' });
  await banner.filter({ hasText: 'Parley 0.2.0 is ready to install.' }).waitFor(T);
  await expectAccessible(page, 'update-banner');
  await screenshot(page, 'smoke-update-ready');
  await banner.getByRole('button', { name: 'Restart to update' }).click();
  await page.getByRole('alert').filter({ hasText: 'UPDATE_UNSUPPORTED' }).waitFor(T);
  await banner.getByRole('button', { name: 'Later' }).click();
  await banner.waitFor({ state: 'detached', ...T });
  assert.deepEqual(app.problems, []);
  await page.close();
});
