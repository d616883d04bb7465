// The account's MSRP endpoint on loopback (no relay, no lab): one open for every caller, msrp + msrps listeners with a
// fingerprint, the offer scheme, close() and a fresh open afterwards; a failing relay AUTH leaves nothing open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { MsrpEndpoint } from './endpoint';

test('open() is shared by concurrent callers; listeners for msrp and msrps; close() and reopen', async () => {
  const ep = new MsrpEndpoint({ aor: 'sip:alice@parley.test', password: 'x' });
  assert.equal(ep.transport(false), undefined);
  await Promise.all([ep.open(), ep.open(), ep.open()]);
  const plain = ep.transport(false)!;
  const tls = ep.transport(true)!;
  assert.ok(plain.port > 0 && tls.port > 0 && plain.port !== tls.port);
  assert.equal(ep.transport(false), plain, 'the same transport for every feature');
  assert.match(ep.fingerprint(true) ?? '', /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(ep.fingerprint(false), undefined);
  assert.equal(ep.relayPath(false), undefined);
  assert.deepEqual([ep.relayed, ep.offerSecure(false), ep.offerSecure(true)], [false, false, true]);
  await ep.close();
  assert.equal(ep.transport(false), undefined);
  await ep.open();
  assert.ok(ep.transport(false)!.port > 0);
  await ep.close();
});

test('a relay that does not answer AUTH: open() rejects and closes the listeners; the relay decides the offer scheme', async () => {
  const silent = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const ep = new MsrpEndpoint({ aor: 'sip:alice@parley.test', password: 'x', relay: { uri: `msrp://127.0.0.1:${port};tcp` } });
    assert.deepEqual([ep.relayed, ep.relaySecure, ep.offerSecure(true)], [true, false, false]);
    await assert.rejects(ep.open());
    assert.equal(ep.transport(false), undefined);
    assert.equal(ep.transport(true), undefined);
    await ep.close();
  } finally {
    await new Promise<void>((r) => silent.close(() => r()));
  }
});
