// Accessibility checks for the Playwright specs, one call per view: `expectAccessible(page, 'chat')` runs axe-core
// (WCAG 2.x A/AA rules and axe's best practices) on the page as it is, fails on any serious or critical finding, walks
// the view with Tab to prove every control is reachable by keyboard with a visible focus indicator, and writes every
// finding (minor and moderate too) to test-results/a11y-<view>.json. A new view (settings) adds one call in its spec.
//
// Injection under the app's CSP (script-src 'self', Trusted Types): axe's source is evaluated through the DevTools
// protocol (page.evaluate of the file's text), which the page's CSP does not govern, so no context needs bypassCSP and
// the specs keep asserting zero CSP violations. The app's own scripts are untouched.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { RESULTS_DIR } from './harness';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** axe rule tags checked: WCAG 2.0/2.1/2.2 A and AA, and axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
const BLOCKING = new Set(['serious', 'critical']);
/** Tab presses per control before the walk gives up (focus traps in a widget show up as unreached controls). */
const TABS_PER_CONTROL = 3;

export interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

export interface KeyboardReport {
  /** Operable controls the Tab walk never reached (and that no roving-focus sibling stands for). */
  unreached: string[];
  /** Controls that took keyboard focus without a visible indicator (outline or box-shadow). */
  invisibleFocus: string[];
  /** Controls outside the open modal dialog that Tab reached (the dialog does not keep focus in). */
  escaped: string[];
  /** How many controls the walk focused. */
  reached: number;
}

/** Runs axe-core in the page; returns every violation (all impacts). */
export async function axeFindings(page: Page, opts: { disableRules?: string[] } = {}): Promise<Finding[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  // A string, not a function: tsx's keepNames would wrap named helpers in __name(), which the page does not have.
  const run = `(async () => {
    const rules = {};
    for (const id of ${JSON.stringify(opts.disableRules ?? [])}) rules[id] = { enabled: false };
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(AXE_TAGS)} }, rules, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + (n.failureSummary ?? '').replace(/\\s+/g, ' ').slice(0, 300)) }));
  })()`;
  return (await page.evaluate(run)) as Finding[];
}

/** Walks the view with Tab (inside the open modal dialog if there is one) and reports unreached controls and focus
 *  without a visible indicator. Controls with tabindex=-1 in a list, toolbar or similar group count as reached when
 *  another member of the group is (roving focus: arrow keys move within the group). */
export async function keyboardWalk(page: Page): Promise<KeyboardReport> {
  const count = (await page.evaluate(`(() => {
    const scope = document.querySelector('[role="dialog"][aria-modal="true"]') ?? document.body;
    const sel = 'button, a[href], input:not([type="hidden"]), select, textarea, summary, [tabindex], [contenteditable="true"]';
    const shown = (el) => !el.closest('[aria-hidden="true"], [inert]') && !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const all = [...scope.querySelectorAll(sel)].filter(shown);
    window.__kb = { scope, all, seen: new Set(), invisible: [], escaped: [] };
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    // In a modal dialog the walk starts on its first control (as the app moves focus there) and must stay inside.
    if (scope !== document.body && all[0]) all[0].focus();
    return all.length;
  })()`)) as number;
  const presses = count * TABS_PER_CONTROL + 5;
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab');
    const done = await page.evaluate(`(() => {
      const kb = window.__kb;
      const el = document.activeElement;
      if (!el || el === document.body) return false;
      if (!kb.scope.contains(el)) {
        kb.escaped.push(el.outerHTML.slice(0, 120));
        return false;
      }
      if (kb.seen.has(el)) return kb.seen.size >= kb.all.length;
      kb.seen.add(el);
      const cs = getComputedStyle(el);
      const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
      const shadow = cs.boxShadow && cs.boxShadow !== 'none';
      if (!el.matches(':focus-visible') || !(outline || shadow)) kb.invisible.push(el.outerHTML.slice(0, 120));
      return false;
    })()`);
    if (done) break;
  }
  return (await page.evaluate(`(() => {
    const kb = window.__kb;
    const group = (el) => el.closest('[role="list"], ul, ol, [role="listbox"], [role="toolbar"], [role="tablist"], [role="radiogroup"], [role="menu"], [role="grid"]');
    const unreached = kb.all.filter((el) => {
      if (kb.seen.has(el)) return false;
      if (el.getAttribute('tabindex') !== '-1') return true;
      const g = group(el);
      return !g || ![...kb.seen].some((s) => g.contains(s));
    }).map((el) => el.outerHTML.slice(0, 120));
    const r = { unreached, invisibleFocus: kb.invisible, escaped: kb.escaped, reached: kb.seen.size };
    delete window.__kb;
    return r;
  })()`)) as KeyboardReport;
}

/**
 * The per-view check: zero serious or critical axe findings, every control reachable by Tab, visible focus. Writes
 * test-results/a11y-<view>.json with all findings and the keyboard report. Leaves focus wherever the walk ended.
 */
export async function expectAccessible(
  page: Page,
  view: string,
  opts: { disableRules?: string[]; keyboard?: boolean } = {},
): Promise<{ findings: Finding[]; keyboard: KeyboardReport | null }> {
  const findings = await axeFindings(page, opts);
  const keyboard = opts.keyboard === false ? null : await keyboardWalk(page);
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `a11y-${view.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  await writeFile(file, `${JSON.stringify({ view, findings, keyboard }, null, 2)}\n`);
  const blocking = findings.filter((f) => BLOCKING.has(f.impact ?? ''));
  assert.deepEqual(
    blocking.map((f) => `${f.impact} ${f.id}: ${f.help}\n    ${f.nodes.join('\n    ')}`),
    [],
    `${view}: serious or critical accessibility findings (all findings: ${file})`,
  );
  if (keyboard) {
    assert.deepEqual(keyboard.unreached, [], `${view}: controls not reachable with Tab`);
    assert.deepEqual(keyboard.invisibleFocus, [], `${view}: keyboard focus without a visible indicator`);
    assert.deepEqual(keyboard.escaped, [], `${view}: Tab left the modal dialog`);
    assert.ok(keyboard.reached > 0, `${view}: Tab reached no control`);
  }
  return { findings, keyboard };
}
