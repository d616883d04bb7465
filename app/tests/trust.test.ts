import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrustedSender, notificationText, peerFromProtocolUrl, protocolUrlFromArgv } from '../trust';
import { safeStorageWrapper, type SafeStorageLike } from '../keywrapper';

test('isTrustedSender: only the top frame of app://parley', () => {
  assert.equal(isTrustedSender({ url: 'app://parley/index.html', parent: null }), true);
  assert.equal(isTrustedSender({ url: 'app://parley/index.html', parent: {} }), false);
  for (const url of [
    'file:///index.html',
    'app://evil/index.html',
    'app://parley.evil/x',
    'https://parley/x',
    'app://user@parley/x',
    'app://parley:81/x',
    'about:blank',
    'garbage',
  ]) {
    assert.equal(isTrustedSender({ url, parent: null }), false, url);
  }
  assert.equal(isTrustedSender(null), false);
});

test('peerFromProtocolUrl: sip/sips/im open a conversation; headers and params are dropped; junk is refused', () => {
  assert.equal(peerFromProtocolUrl('sip:bob@example.com'), 'sip:bob@example.com');
  assert.equal(peerFromProtocolUrl('SIPS:bob@example.com;transport=tls'), 'sips:bob@example.com');
  assert.equal(peerFromProtocolUrl('im:bob@example.com'), 'sip:bob@example.com');
  assert.equal(peerFromProtocolUrl('sip:bob@example.com?body=hello&subject=x'), 'sip:bob@example.com');
  assert.equal(peerFromProtocolUrl('sip:bob%40x@example.com'), null);
  assert.equal(peerFromProtocolUrl('sip:example.com'), null);
  assert.equal(peerFromProtocolUrl('https://example.com'), null);
  assert.equal(peerFromProtocolUrl('sip:%zz@example.com'), null);
  assert.equal(peerFromProtocolUrl('sip:' + 'a'.repeat(600) + '@x.com'), null);
});

test('protocolUrlFromArgv finds the link argument, ignoring argv[0]', () => {
  assert.equal(protocolUrlFromArgv(['/usr/bin/parley', '--flag', 'im:bob@x.test']), 'im:bob@x.test');
  assert.equal(protocolUrlFromArgv(['sip:self@x']), null);
});

test('notificationText escapes markup, strips controls, truncates', () => {
  assert.equal(notificationText('<b>hi</b> & \u0007bye'), '&lt;b&gt;hi&lt;/b&gt; &amp; bye');
  assert.equal(notificationText('x'.repeat(200), 10), 'x'.repeat(9) + '…');
});

function fakeSafeStorage(backend = 'gnome_libsecret'): SafeStorageLike {
  const k = 0x5a;
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => backend,
    encryptString: (s) => Buffer.from(Buffer.from(s, 'utf8').map((b) => b ^ k)),
    decryptString: (b) => {
      if (b[0] === 0) throw new Error('decrypt failed');
      return Buffer.from(b.map((x) => x ^ k)).toString('utf8');
    },
  };
}

test('safeStorage wrapper: round trip, id 2, typed failures', async () => {
  const w = safeStorageWrapper(fakeSafeStorage(), 'linux')!;
  assert.equal(w.id, 2);
  const key = new Uint8Array(32).map((_, i) => i);
  const blob = await w.wrap(key);
  assert.notDeepEqual(Buffer.from(blob).subarray(0, 32), Buffer.from(key));
  assert.deepEqual(await w.unwrap(blob), key);
  await assert.rejects(w.wrap(new Uint8Array(16)), { code: 'KEYSTORE_WRAP_FAILED' });
  await assert.rejects(w.unwrap(new Uint8Array([0, 1, 2])), { code: 'KEYSTORE_UNWRAP_FAILED' });
  const other = new Uint8Array(Buffer.from('not-our-format').map((b) => b ^ 0x5a));
  await assert.rejects(w.unwrap(other), { code: 'KEYSTORE_UNWRAP_FAILED' });
});

test('safeStorage wrapper refuses obfuscation-only backends and unavailable storage', () => {
  assert.equal(safeStorageWrapper(fakeSafeStorage('basic_text'), 'linux'), null);
  assert.equal(safeStorageWrapper(fakeSafeStorage('unknown'), 'linux'), null);
  assert.notEqual(safeStorageWrapper(fakeSafeStorage('basic_text'), 'darwin'), null);
  assert.equal(safeStorageWrapper({ ...fakeSafeStorage(), isEncryptionAvailable: () => false }, 'win32'), null);
});
