// The accessibility helper itself (e2e/a11y.ts) on small pages with known faults: each fault must be caught, and a clean
// page must pass, so an audit that passes in a spec means something.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { axeFindings, expectAccessible, keyboardWalk } from './a11y';
import { launchBrowser, type Browser } from './harness';

let browser: Browser;
let page: Page;
before(async () => {
  browser = await launchBrowser();
  page = await browser.context.newPage();
});
after(async () => {
  await browser?.close();
});

const doc = (body: string, style = '') =>
  `<!doctype html><html lang="en"><head><title>t</title><style>:focus-visible{outline:3px solid #f90} ${style}</style></head>` +
  `<body><header><h1>T</h1></header><main>${body}</main></body></html>`;

test('a clean page passes: named controls, all reachable, visible focus', async () => {
  await page.setContent(doc('<label>Name <input></label><button>Save</button><a href="#x">More</a>'));
  const r = await expectAccessible(page, 'helper-clean');
  assert.equal(r.keyboard?.reached, 3);
});

test('axe findings: an unnamed button and low contrast are serious or critical', async () => {
  await page.setContent(doc('<button></button><p style="color:#bbb;background:#fff">faint</p>'));
  const ids = (await axeFindings(page)).filter((f) => f.impact === 'serious' || f.impact === 'critical').map((f) => f.id);
  assert.ok(ids.includes('button-name'), ids.join(' '));
  assert.ok(ids.includes('color-contrast'), ids.join(' '));
  await assert.rejects(expectAccessible(page, 'helper-faults'), /serious or critical/);
});

test('keyboard: a control taken out of the Tab order is unreached; outline:none is invisible focus', async () => {
  await page.setContent(
    doc('<button>One</button><button tabindex="-1">Two</button><button class="bare">Three</button>', '.bare:focus{outline:none}'),
  );
  const k = await keyboardWalk(page);
  assert.equal(k.unreached.length, 1, JSON.stringify(k));
  assert.match(k.unreached[0]!, />Two</);
  assert.equal(k.invisibleFocus.length, 1, JSON.stringify(k));
  assert.match(k.invisibleFocus[0]!, /Three/);
});

test('keyboard: roving focus in a list counts (arrow keys move within it); a modal dialog is walked alone', async () => {
  await page.setContent(doc('<ul><li><button>A</button></li><li><button tabindex="-1">B</button></li></ul><button>Outside</button>'));
  assert.deepEqual((await keyboardWalk(page)).unreached, []);
  await page.setContent(doc('<button>Behind</button><div role="dialog" aria-modal="true" aria-label="D"><button>In</button></div>'));
  const k = await keyboardWalk(page);
  assert.equal(k.reached, 1, 'only the dialog is in scope');
  assert.match(k.escaped.join(' '), /Behind/, 'a dialog that lets Tab out is reported');
});
