import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseIsComposing,
  serializeIsComposing,
  ComposingSender,
  ComposingReceiver,
  COMPOSING_IDLE_TIMEOUT_MS,
  COMPOSING_REFRESH_MS,
  COMPOSING_RECEIVER_DEFAULT_TIMEOUT_MS,
} from './is-composing';
import { bytes, text, everyTruncation, fuzzMutations, throwsCode } from './testing';

// RFC 3994 s7 style example.
const ACTIVE = `<?xml version="1.0" encoding="UTF-8"?>
<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="urn:ietf:params:xml:ns:im-composing iscomposing.xsd">
  <state>active</state>
  <contenttype>text/plain</contenttype>
  <refresh>90</refresh>
</isComposing>`;

test('parses the RFC 3994 example and round-trips documents', () => {
  assert.deepEqual(parseIsComposing(ACTIVE), { state: 'active', contentType: 'text/plain', refresh: 90 });
  const idle = { state: 'idle' as const, lastActive: '2026-11-26T14:00:00.000Z', contentType: 'text/plain' };
  assert.deepEqual(parseIsComposing(serializeIsComposing(idle)), idle);
  assert.equal(
    text(serializeIsComposing({ state: 'active', refresh: 60 })),
    '<?xml version="1.0" encoding="UTF-8"?>\n<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><refresh>60</refresh></isComposing>',
  );
  throwsCode(() => serializeIsComposing({ state: 'active', refresh: 0 }), 'ISCOMPOSING_BAD_INPUT');
  throwsCode(() => serializeIsComposing({ state: 'active', contentType: 'text/plain\n<x/>' }), 'ISCOMPOSING_BAD_INPUT');
});

test('rejects hostile and invalid documents', () => {
  const doc = (inner: string, ns = 'urn:ietf:params:xml:ns:im-iscomposing') => `<isComposing xmlns="${ns}">${inner}</isComposing>`;
  throwsCode(() => parseIsComposing('<!DOCTYPE x [<!ENTITY a "b">]>' + doc('<state>idle</state>')), 'XML_DOCTYPE_FORBIDDEN');
  throwsCode(() => parseIsComposing(doc('<state>&a;</state>')), 'XML_ENTITY_FORBIDDEN');
  throwsCode(() => parseIsComposing(doc('<state>idle</state>', 'urn:wrong')), 'ISCOMPOSING_WRONG_ROOT');
  throwsCode(() => parseIsComposing(doc('<refresh>5</refresh>')), 'ISCOMPOSING_MISSING_ELEMENT');
  throwsCode(() => parseIsComposing(doc('<state>typing</state>')), 'ISCOMPOSING_BAD_STATE');
  throwsCode(() => parseIsComposing(doc('<state>idle</state><state>active</state>')), 'ISCOMPOSING_DUPLICATE_ELEMENT');
  throwsCode(() => parseIsComposing(doc('<state>active</state><refresh>-1</refresh>')), 'ISCOMPOSING_BAD_ELEMENT');
  throwsCode(() => parseIsComposing(doc('<state>idle</state><lastactive>now</lastactive>')), 'ISCOMPOSING_BAD_ELEMENT');
  throwsCode(() => parseIsComposing(doc('<state>idle</state>' + ' '.repeat(5000))), 'XML_TOO_LARGE');
  const b = bytes(ACTIVE);
  assert.equal(
    everyTruncation(b, (x) => parseIsComposing(x)),
    b.length,
  );
  fuzzMutations(b, (x) => parseIsComposing(x), 400, 11);
});

test('sender: active on first keystroke, idle after 15 s without typing, refresh every 90 s while typing', () => {
  let t = 1_000_000;
  const s = new ComposingSender({ now: () => t, contentType: 'text/plain' });
  assert.equal(s.tick(), undefined);
  assert.deepEqual(s.typing(), { state: 'active', refresh: COMPOSING_REFRESH_MS / 1000, contentType: 'text/plain' });
  assert.equal(s.typing(), undefined); // already active
  assert.equal(s.nextDeadline(), t + COMPOSING_IDLE_TIMEOUT_MS);
  // keep typing every 10 s for 100 s: one refresh at 90 s, never idle
  const sent = [];
  for (let i = 1; i <= 10; i++) {
    t += 10_000;
    s.typing();
    const out = s.tick();
    if (out) sent.push({ at: i * 10_000, out });
  }
  assert.deepEqual(
    sent.map((x) => [x.at, x.out.state]),
    [[90_000, 'active']],
  );
  const lastTyped = t;
  t += COMPOSING_IDLE_TIMEOUT_MS - 1;
  assert.equal(s.tick(), undefined);
  t += 1;
  assert.deepEqual(s.tick(), { state: 'idle', lastActive: new Date(lastTyped).toISOString(), contentType: 'text/plain' });
  assert.equal(s.state, 'idle');
  assert.equal(s.nextDeadline(), undefined);
});

test('sender: sending the message goes idle silently; clearing sends idle', () => {
  let t = 0;
  const s = new ComposingSender({ now: () => t });
  s.typing();
  s.messageSent();
  assert.equal(s.state, 'idle');
  t += 60_000;
  assert.equal(s.tick(), undefined);
  assert.equal(s.typing()?.state, 'active');
  assert.equal(s.cleared()?.state, 'idle');
  assert.equal(s.cleared(), undefined);
  assert.equal(new ComposingSender({ now: () => 0, refreshMs: 1000 }).typing()?.refresh, 60); // floor of 60 s
});

test('receiver: active expires after refresh or 120 s default; message or idle ends it', () => {
  let t = 0;
  const r = new ComposingReceiver({ now: () => t });
  assert.deepEqual(r.receive({ state: 'active', contentType: 'text/plain' }), { state: 'active', contentType: 'text/plain' });
  assert.equal(r.receive({ state: 'active' }), undefined);
  assert.equal(r.nextDeadline(), COMPOSING_RECEIVER_DEFAULT_TIMEOUT_MS);
  t = COMPOSING_RECEIVER_DEFAULT_TIMEOUT_MS - 1;
  assert.equal(r.tick(), undefined);
  t += 1;
  assert.deepEqual(r.tick(), { state: 'idle' });
  r.receive({ state: 'active', refresh: 30 });
  assert.equal(r.nextDeadline(), t + 30_000);
  assert.deepEqual(r.messageReceived(), { state: 'idle' });
  assert.equal(r.messageReceived(), undefined);
  r.receive({ state: 'active' });
  assert.deepEqual(r.receive({ state: 'idle', lastActive: '2026-01-01T00:00:00Z' }), { state: 'idle', lastActive: '2026-01-01T00:00:00Z' });
  assert.equal(r.receive({ state: 'idle' }), undefined);
});
