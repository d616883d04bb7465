import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUpgrade, isWellFormedToken, newToken, offeredProtocols, tokenEquals, tokenFromProtocols, WS_PATH } from './auth';
import { resolveStatic } from '../static';

const exp = { token: newToken(), origin: 'http://127.0.0.1:4000', host: '127.0.0.1:4000' };
const good = () => ({
  url: WS_PATH,
  headers: { host: exp.host, origin: exp.origin, 'sec-websocket-protocol': `parley.v1, parley.token.${exp.token}` } as Record<
    string,
    string | undefined
  >,
});

test('tokens are 256-bit base64url and distinct', () => {
  const a = newToken();
  const b = newToken();
  assert.equal(a.length, 43);
  assert.ok(isWellFormedToken(a));
  assert.notEqual(a, b);
  assert.equal(isWellFormedToken('short'), false);
  assert.equal(isWellFormedToken('a'.repeat(20) + ' '), false);
});

test('tokenEquals: exact match only, any length', () => {
  assert.ok(tokenEquals(exp.token, exp.token));
  assert.equal(tokenEquals(exp.token + 'A', exp.token), false);
  assert.equal(tokenEquals(exp.token.slice(1), exp.token), false);
  assert.equal(tokenEquals('', exp.token), false);
  assert.equal(tokenEquals(exp.token.toLowerCase(), exp.token), exp.token === exp.token.toLowerCase());
});

test('protocol header parsing', () => {
  assert.deepEqual(offeredProtocols(' parley.v1 ,parley.token.abc'), ['parley.v1', 'parley.token.abc']);
  assert.deepEqual(offeredProtocols(undefined), []);
  assert.equal(tokenFromProtocols(['parley.v1']), null);
  assert.equal(tokenFromProtocols(['parley.v1', 'parley.token.xyz']), 'xyz');
});

test('checkUpgrade accepts only path + Host + Origin + subprotocol + token all correct', () => {
  assert.deepEqual(checkUpgrade(good(), exp), { ok: true });
  const cases: [string, (r: ReturnType<typeof good>) => void, number][] = [
    ['path', (r) => (r.url = '/other'), 404],
    ['host', (r) => (r.headers.host = 'localhost:4000'), 403],
    ['origin', (r) => (r.headers.origin = 'http://127.0.0.1:4001'), 403],
    ['origin null', (r) => (r.headers.origin = 'null'), 403],
    ['no origin', (r) => delete r.headers.origin, 403],
    ['no subprotocol', (r) => (r.headers['sec-websocket-protocol'] = `parley.token.${exp.token}`), 400],
    ['no token', (r) => (r.headers['sec-websocket-protocol'] = 'parley.v1'), 401],
    ['wrong token', (r) => (r.headers['sec-websocket-protocol'] = `parley.v1, parley.token.${newToken()}`), 401],
  ];
  for (const [name, mutate, status] of cases) {
    const r = good();
    mutate(r);
    const d = checkUpgrade(r, exp);
    assert.equal(d.ok, false, name);
    assert.equal(!d.ok && d.status, status, name);
  }
  const q = good();
  q.url = `${WS_PATH}?x=1`;
  assert.deepEqual(checkUpgrade(q, exp), { ok: true });
});

test('resolveStatic never leaves the root', () => {
  const root = '/srv/r';
  assert.equal(resolveStatic(root, '/'), '/srv/r/index.html');
  assert.equal(resolveStatic(root, '/app.js?v=1'), '/srv/r/app.js');
  for (const p of ['/../x.js', '/a/../../x.js', '/%2e%2e/x.js', '/.env.js', '/x.ts', '/a\\..\\x.js', '/x.js%00.html', '/%zz']) {
    assert.equal(resolveStatic(root, p), null, p);
  }
});
