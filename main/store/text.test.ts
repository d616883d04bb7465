import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexKeys, matchesAll, queryTerms, snippet, termKey, words, MAX_WORD_CHARS } from './text';
import { MAX_SEARCH_TERMS } from './limits';

test('words are case- and accent-insensitive letter/digit runs', () => {
  assert.deepEqual(words('Café, CAFE! naïve 42x'), ['cafe', 'cafe', 'naive', '42x']);
  assert.deepEqual(words('cafe\u0301'), ['cafe']);
  assert.equal(words('a'.repeat(500))[0].length, MAX_WORD_CHARS);
});

test('index keys: short words whole, longer words by 3/5/8 prefixes', () => {
  assert.deepEqual(indexKeys('hi hi'), ['hi']);
  assert.deepEqual(indexKeys('meeting'), ['mee', 'meeti']);
  assert.deepEqual(indexKeys('tomorrows'), ['tom', 'tomor', 'tomorrow']);
});

test('termKey picks the longest indexed prefix the term covers', () => {
  assert.equal(termKey('hi'), 'hi');
  assert.equal(termKey('meet'), 'mee');
  assert.equal(termKey('meeti'), 'meeti');
  assert.equal(termKey('tomorrowland'), 'tomorrow');
});

test('query terms strip FTS syntax and hostile characters', () => {
  assert.deepEqual(queryTerms('"foo" * NEAR(bar, baz) OR -qux: ^col'), ['foo', 'near', 'bar', 'baz', 'or', 'qux', 'col']);
  assert.deepEqual(queryTerms('\u0000\'";--'), []);
  assert.equal(queryTerms('a b c d e f g h i j k l').length, MAX_SEARCH_TERMS);
  assert.deepEqual(queryTerms('x'.repeat(100_000)).length, 1);
});

test('matchesAll: prefix semantics from 3 characters, whole words below', () => {
  assert.ok(matchesAll('See you at the meeting', ['meet', 'you']));
  assert.equal(matchesAll('See you at the meeting', ['meat']), false);
  assert.equal(matchesAll('high noon', ['hi']), false);
  assert.ok(matchesAll('hi there', ['hi']));
});

test('snippet centres on the first hit and marks cuts', () => {
  const text = 'lorem '.repeat(50) + 'needle ' + 'ipsum '.repeat(50);
  const s = snippet(text, ['needle']);
  assert.ok(s.includes('needle'));
  assert.ok(s.startsWith('…') && s.endsWith('…'));
  assert.equal(snippet('short text', ['short']), 'short text');
});
