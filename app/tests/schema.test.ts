import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  array,
  boolean,
  check,
  lazy,
  literal,
  nul,
  nullable,
  number,
  object,
  optional,
  parse,
  SchemaError,
  string,
  union,
  type Schema,
} from '../ipc/schema';

const issuesOf = (s: Schema, v: unknown) => {
  const r = check(s, v);
  assert.equal(r.ok, false, `expected ${JSON.stringify(v)} to be rejected`);
  return r.ok ? [] : r.issues;
};

test('string: type, bounds and pattern', () => {
  const s = string({ min: 1, max: 5, pattern: /^[a-z]+$/, patternName: 'word' });
  assert.deepEqual(check(s, 'abc'), { ok: true, value: 'abc' });
  assert.equal(issuesOf(s, 3)[0]!.message, 'expected a string');
  assert.equal(issuesOf(s, '')[0]!.message, 'must not be empty');
  assert.equal(issuesOf(s, 'abcdef')[0]!.message, 'longer than 5 characters');
  assert.equal(issuesOf(s, 'ABC')[0]!.message, 'not a valid word');
});

test('string: global cap applies without an explicit max', () => {
  assert.equal(check(string(), 'x'.repeat(1_000_001)).ok, false);
});

test('number: finite, integer, range', () => {
  const n = number({ integer: true, min: 1, max: 10 });
  assert.equal(check(n, 5).ok, true);
  for (const bad of [0, 11, 1.5, NaN, Infinity, '5', null]) assert.equal(check(n, bad).ok, false, String(bad));
});

test('boolean, null, literal', () => {
  assert.equal(check(boolean(), true).ok, true);
  assert.equal(check(boolean(), 'true').ok, false);
  assert.equal(check(nul(), null).ok, true);
  assert.equal(check(nul(), undefined).ok, false);
  const l = literal('a', 'b', 3);
  assert.equal(check(l, 'b').ok, true);
  assert.equal(check(l, 3).ok, true);
  assert.match(issuesOf(l, 'c')[0]!.message, /one of "a", "b", 3/);
});

test('object: strict, required, optional, fresh output', () => {
  const o = object({ a: string(), b: optional(number()) });
  assert.deepEqual(check(o, { a: 'x' }), { ok: true, value: { a: 'x' } });
  assert.deepEqual(check(o, { a: 'x', b: undefined }), { ok: true, value: { a: 'x' } });
  const extra = issuesOf(o, { a: 'x', evil: 1 });
  assert.deepEqual(extra, [{ path: '/evil', message: 'unknown key' }]);
  assert.deepEqual(issuesOf(o, {}), [{ path: '/a', message: 'required' }]);
  assert.deepEqual(
    issuesOf(o, { a: 1, b: 'no' }).map((i) => i.path),
    ['/a', '/b'],
  );
  const input = { a: 'x' };
  const r = check(o, input);
  assert.ok(r.ok && r.value !== input);
});

test('object: rejects arrays, null, class instances and __proto__ tricks', () => {
  const o = object({ a: optional(string()) });
  for (const bad of [null, [], new Date(), 'x', 1]) assert.equal(check(o, bad).ok, false);
  const polluted = JSON.parse('{"__proto__": {"admin": true}}');
  assert.deepEqual(issuesOf(o, polluted), [{ path: '/__proto__', message: 'unknown key' }]);
  assert.equal(check(o, Object.create(null)).ok, true);
});

test('array: max items and per-item paths', () => {
  const a = array(number(), { max: 3 });
  assert.equal(check(a, [1, 2, 3]).ok, true);
  assert.equal(issuesOf(a, [1, 2, 3, 4])[0]!.message, 'more than 3 items');
  assert.deepEqual(issuesOf(a, [1, 'x', 2]), [{ path: '/1', message: 'expected a finite number' }]);
  assert.equal(check(a, 'nope').ok, false);
});

test('issues are capped', () => {
  const a = array(number());
  const r = check(
    a,
    Array.from({ length: 500 }, () => 'x'),
  );
  assert.ok(!r.ok && r.issues.length === 20);
});

test('union: first match wins, otherwise one summarised issue', () => {
  const u = union(object({ kind: literal('a'), n: number() }), object({ kind: literal('b'), s: string() }));
  assert.deepEqual(check(u, { kind: 'b', s: 'x' }), { ok: true, value: { kind: 'b', s: 'x' } });
  const is = issuesOf(u, { kind: 'c' });
  assert.equal(is.length, 1);
  assert.match(is[0]!.message, /matches no alternative/);
});

test('nullable and lazy', () => {
  type Tree = { v: number; kids?: Tree[] };
  const tree: Schema<Tree> = lazy(() => object({ v: number(), kids: optional(array(tree, { max: 4 })) }));
  assert.equal(check(tree, { v: 1, kids: [{ v: 2 }, { v: 3, kids: [] }] }).ok, true);
  assert.equal(check(tree, { v: 1, kids: [{ v: 'x' }] }).ok, false);
  assert.equal(check(nullable(number()), null).ok, true);
});

test('parse throws SchemaError with a stable code and a path', () => {
  assert.throws(
    () => parse(object({ a: string() }), { a: 2 }, 'request'),
    (e: unknown) => e instanceof SchemaError && e.code === 'IPC_BAD_PAYLOAD' && /request: \/a expected a string/.test(e.message),
  );
});

test('property: objects never leak unknown keys; any JSON value either validates or yields issues', () => {
  const o = object({ a: optional(string({ max: 10 })), n: optional(number()) });
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const r = check(o, v);
      if (r.ok) {
        for (const k of Object.keys(r.value)) assert.ok(k === 'a' || k === 'n');
      } else {
        assert.ok(r.issues.length > 0);
      }
    }),
  );
});

test('one issue per value: the first failed check of a value is its only issue (the account form relies on it)', () => {
  const s = string({ min: 1, max: 5, pattern: /^[a-z]+$/, patternName: 'word' });
  assert.deepEqual(issuesOf(s, ''), [{ path: '', message: 'must not be empty' }]);
  assert.deepEqual(issuesOf(number({ integer: true, min: 1 }), 0.5), [{ path: '', message: 'expected an integer' }]);
  const o = object({ a: s, b: s });
  assert.deepEqual(issuesOf(o, { a: '', b: 'ABCDEFG' }), [
    { path: '/a', message: 'must not be empty' },
    { path: '/b', message: 'longer than 5 characters' },
  ]);
});

test('nested paths and arrays of objects; the output holds declared keys only, at every depth', () => {
  const o = object({ list: array(object({ x: number() }), { max: 3 }) });
  assert.deepEqual(issuesOf(o, { list: [{ x: 1 }, { x: 'y' }, { x: 2, y: 3 }] }), [
    { path: '/list/1/x', message: 'expected a finite number' },
    { path: '/list/2/y', message: 'unknown key' },
  ]);
  const r = check(object({ inner: object({ k: optional(string()) }) }), { inner: { k: undefined } });
  assert.deepEqual(r, { ok: true, value: { inner: {} } });
  assert.ok(r.ok && !Object.prototype.hasOwnProperty.call(r.value.inner, 'k'));
  assert.deepEqual(
    issuesOf(
      array(string()),
      Array.from({ length: 10_001 }, () => ''),
    ),
    [{ path: '', message: 'more than 10000 items' }],
  );
});
