import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HistoryStore } from './history';
import { matchesAll, queryTerms, words } from './text';
import { isParleyError } from '../base/errors';
import { key, tempDir } from './testutil';

const ALICE = 'sip:alice@ims.test';
const BOB = 'sip:bob@ims.test';
const t = tempDir();
let s: HistoryStore;
let conv: number;

before(async () => {
  s = await HistoryStore.open(t.file('p.db'), key(9));
  conv = s.openConversation(ALICE, { kind: 'direct', peer: BOB }).id;
});
after(() => {
  s.close();
  t.cleanup();
});

const text = fc.string({ unit: 'grapheme', maxLength: 200 });
const anyText = fc.oneof(text, fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 }));

test('property: any well-formed text body round-trips exactly; lone surrogates are refused', () => {
  fc.assert(
    fc.property(anyText, (body) => {
      const add = () =>
        s.addMessage({ conversationId: conv, direction: 'in', senderAor: BOB, mode: 'page', contentType: 'text/plain', body });
      if (!(body as string & { isWellFormed(): boolean }).isWellFormed()) {
        assert.throws(add, (e) => isParleyError(e, 'STORE_BAD_INPUT'));
        return;
      }
      assert.equal(s.getMessage(add().id).body, body);
    }),
    { numRuns: 300 },
  );
});

test('property: arbitrary queries never throw, and every hit really contains all terms', () => {
  fc.assert(
    fc.property(anyText, (q) => {
      const res = s.search(ALICE, q, { limit: 20 });
      const terms = queryTerms(q);
      for (const h of res.hits) assert.ok(matchesAll(s.getMessage(h.messageId).body as string, terms), q);
    }),
    { numRuns: 300 },
  );
});

test('property: every word of a stored message finds it (no false negatives)', () => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-zA-Z0-9éüßж]{1,12}$/), { minLength: 1, maxLength: 8 }), fc.nat(), (ws, pick) => {
      const body = `${ws.join(' ')} — marker${pick}`;
      const m = s.addMessage({ conversationId: conv, direction: 'out', senderAor: ALICE, mode: 'page', contentType: 'text/plain', body });
      const w = words(body)[pick % ws.length];
      const q = `${w} marker${pick}`;
      const ids = s.search(ALICE, q, { limit: 200 }).hits.map((h) => h.messageId);
      assert.ok(ids.includes(m.id), `${q} in ${body}`);
    }),
    { numRuns: 200 },
  );
});
