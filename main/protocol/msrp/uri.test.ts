import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMsrpUri, makeLocalUri, msrpUriEquals, newSessionId, parseMsrpUri, parsePath, tryParseMsrpUri } from './uri';
import { isParleyError } from '../../base/errors';

test('parse and serialize msrp/msrps URIs (s.9)', () => {
  const u = parseMsrpUri('msrp://atlanta.example.com:7654/jshA7weztas;tcp');
  assert.deepEqual(u, {
    scheme: 'msrp',
    user: undefined,
    host: 'atlanta.example.com',
    port: 7654,
    sessionId: 'jshA7weztas',
    transport: 'tcp',
    params: [],
  });
  assert.equal(formatMsrpUri(u), 'msrp://atlanta.example.com:7654/jshA7weztas;tcp');
  const s = parseMsrpUri('MSRPS://bob@[2001:db8::1]:9000/s+=/x;TCP;foo=bar');
  assert.equal(s.scheme, 'msrps');
  assert.equal(s.user, 'bob');
  assert.equal(s.host, '[2001:db8::1]');
  assert.equal(s.port, 9000);
  assert.equal(s.sessionId, 's+=/x');
  assert.equal(s.transport, 'tcp');
  assert.deepEqual(s.params, ['foo=bar']);
  assert.equal(formatMsrpUri(s), 'msrps://bob@[2001:db8::1]:9000/s+=/x;tcp;foo=bar');
  const relay = parseMsrpUri('msrp://127.0.0.1:2855;tcp');
  assert.equal(relay.sessionId, undefined);
  assert.equal(parseMsrpUri('msrp://[::1]/abc;tcp').host, '[::1]');
});

test('invalid URIs raise MSRP_BAD_URI', () => {
  for (const bad of [
    'sip:alice@x',
    'msrp://host:1/abc',
    'msrp://:1/a;tcp',
    'msrp://h:99999/a;tcp',
    'msrp://h/a b;tcp',
    'msrp://h/a;',
    'msrp://h/a;tcp;',
    'x'.repeat(3000),
  ]) {
    assert.throws(
      () => parseMsrpUri(bad),
      (e) => isParleyError(e, 'MSRP_BAD_URI'),
      bad,
    );
    assert.equal(tryParseMsrpUri(bad), undefined);
  }
});

test('comparison per s.6.1', () => {
  const a = 'msrp://Atlanta.Example.com:7654/jshA7weztas;tcp';
  assert.ok(msrpUriEquals(a, 'MSRP://atlanta.example.COM:7654/jshA7weztas;TCP'));
  assert.ok(msrpUriEquals(a, 'msrp://alice@atlanta.example.com:7654/jshA7weztas;tcp;x=y'), 'userinfo and params ignored');
  assert.ok(!msrpUriEquals(a, 'msrp://atlanta.example.com:7654/JSHA7WEZTAS;tcp'), 'session-id is case-sensitive');
  assert.ok(!msrpUriEquals(a, 'msrp://atlanta.example.com/jshA7weztas;tcp'), 'explicit port vs none');
  assert.ok(!msrpUriEquals(a, 'msrp://atlanta.example.com:7655/jshA7weztas;tcp'));
  assert.ok(!msrpUriEquals(a, 'msrps://atlanta.example.com:7654/jshA7weztas;tcp'));
  assert.ok(!msrpUriEquals(a, 'msrp://atlanta.example.com:7654;tcp'), 'with vs without session-id');
  assert.ok(!msrpUriEquals(a, 'msrp://atlanta.example.com:7654/jshA7weztas;sctp'));
  assert.ok(!msrpUriEquals(a, 'garbage'));
});

test('session ids carry >= 80 random bits and are valid in URIs', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const id = newSessionId();
    assert.ok(id.length * 6 >= 80);
    ids.add(id);
    const u = makeLocalUri('127.0.0.1', 2855, true, id);
    assert.equal(parseMsrpUri(formatMsrpUri(u)).sessionId, id);
  }
  assert.equal(ids.size, 200);
});

test('paths', () => {
  const p = parsePath(' msrp://r:1/a;tcp   msrp://b:2/c;tcp ');
  assert.equal(p.length, 2);
  assert.throws(
    () => parsePath('   '),
    (e) => isParleyError(e, 'MSRP_BAD_URI'),
  );
});
