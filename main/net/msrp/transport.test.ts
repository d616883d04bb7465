// Two endpoints in one process over real loopback sockets (TCP, TLS with a=fingerprint checks).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MsrpTransport, WRITE_BUFFER_HIGH_WATER } from './transport';
import { MsrpSession } from '../../protocol/msrp/session';
import { isParleyError } from '../../base/errors';
import { certFingerprint } from './tls-cert';
import { waitFor } from '../../protocol/msrp/helpers.test-data';

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 2654435761) >>> 24;
  return b;
}

async function* pieces(buf: Buffer, size: number): AsyncIterable<Buffer> {
  for (let o = 0; o < buf.length; o += size) yield buf.subarray(o, o + size);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('MSRP transport (loopback)', () => {
  const transports: MsrpTransport[] = [];
  const mk = (o: ConstructorParameters<typeof MsrpTransport>[0] = {}) => {
    const t = new MsrpTransport(o);
    transports.push(t);
    return t;
  };
  after(async () => {
    await Promise.all(transports.map((t) => t.close()));
  });

  async function connectPair(secure: boolean, bOpts: Partial<ConstructorParameters<typeof MsrpSession>[0]> = {}) {
    const ta = mk({ tls: secure });
    const tb = mk({ tls: secure });
    await tb.listen();
    const aUri = ta.localUri();
    const bUri = tb.localUri();
    const a = new MsrpSession({ localUri: aUri, toPath: [bUri] });
    const b = new MsrpSession({ localUri: bUri, toPath: [aUri], ...bOpts });
    const fpA = secure ? `sha-256 ${certFingerprint((await ta.certificate()).cert)}` : undefined;
    const fpB = secure ? `sha-256 ${certFingerprint((await tb.certificate()).cert)}` : undefined;
    await Promise.all([
      tb.attach(b, { role: 'passive', remoteFingerprint: fpA }),
      ta.attach(a, { role: 'active', remoteFingerprint: fpB }),
    ]);
    return { ta, tb, a, b };
  }

  for (const secure of [false, true]) {
    it(`5 MB message byte for byte over ${secure ? 'TLS (fingerprint-verified)' : 'TCP'}`, async () => {
      const { ta, a, b } = await connectPair(secure);
      const body = pattern(5 * 1024 * 1024);
      const got = waitFor(b, 'message');
      const sent = waitFor(a, 'sent');
      const delivered = waitFor(a, 'delivered');
      const id = await ta.sendStream(
        a,
        pieces(body, 100_000),
        { contentType: 'application/octet-stream', successReport: true },
        body.length,
      );
      const m = await got;
      assert.equal(m.messageId, id);
      assert.equal(m.totalBytes, body.length);
      assert.equal(sha(m.body!), sha(body));
      await sent;
      assert.equal((await delivered).messageId, id);
      // and back, with an unknown total
      const back = waitFor(a, 'message');
      const tb2 = transports.at(-1)!;
      await tb2.sendStream(b, pieces(Buffer.from('pong'.repeat(1000)), 333), { contentType: 'text/plain' });
      assert.equal((await back).body!.toString(), 'pong'.repeat(1000));
    });
  }

  it('streams with backpressure: the socket write buffer stays bounded while 48 MiB go through', async () => {
    const ta = mk();
    const tb = mk();
    await tb.listen();
    const aUri = ta.localUri();
    const bUri = tb.localUri();
    let received = 0;
    const a = new MsrpSession({ localUri: aUri, toPath: [bUri] });
    const b = new MsrpSession({
      localUri: bUri,
      toPath: [aUri],
      createSink: () => ({ write: (_o, d) => void (received += d.length), end() {}, abort() {} }),
    });
    await Promise.all([tb.attach(b, { role: 'passive' }), ta.attach(a, { role: 'active' })]);
    const total = 48 * 1024 * 1024;
    const piece = Buffer.alloc(1024 * 1024, 0x33);
    let maxQueued = 0;
    const socketOf = () => [...(ta as unknown as { conns: Set<{ socket: { writableLength: number } }> }).conns][0].socket;
    async function* src() {
      for (let o = 0; o < total; o += piece.length) {
        maxQueued = Math.max(maxQueued, socketOf().writableLength);
        yield piece;
      }
    }
    const done = waitFor(b, 'message');
    await ta.sendStream(a, src(), { contentType: 'application/octet-stream' }, total);
    const m = await done;
    assert.equal(m.totalBytes, total);
    assert.equal(received, total);
    assert.ok(maxQueued <= WRITE_BUFFER_HIGH_WATER + 2 * piece.length, `queued up to ${maxQueued} bytes`);
  });

  it('refuses a TLS peer whose certificate does not match a=fingerprint', async () => {
    const ta = mk({ tls: true });
    const tb = mk({ tls: true });
    const other = mk({ tls: true });
    await tb.listen();
    const a = new MsrpSession({ localUri: ta.localUri(), toPath: [tb.localUri()] });
    const wrong = `sha-256 ${certFingerprint((await other.certificate()).cert)}`;
    await assert.rejects(ta.attach(a, { role: 'active', remoteFingerprint: wrong }), (e) => isParleyError(e, 'MSRP_FINGERPRINT_MISMATCH'));
  });

  it('passive side answers 481 when the connecting peer has the wrong fingerprint', async () => {
    const ta = mk({ tls: true });
    const tb = mk({ tls: true, connectTimeoutMs: 3000 });
    const other = mk({ tls: true });
    await tb.listen();
    const aUri = ta.localUri();
    const bUri = tb.localUri();
    const a = new MsrpSession({ localUri: aUri, toPath: [bUri] });
    const b = new MsrpSession({ localUri: bUri, toPath: [aUri] });
    const fpB = `sha-256 ${certFingerprint((await tb.certificate()).cert)}`;
    const wrongA = `sha-256 ${certFingerprint((await other.certificate()).cert)}`;
    const passive = tb.attach(b, { role: 'passive', remoteFingerprint: wrongA });
    await assert.rejects(
      ta.attach(a, { role: 'active', remoteFingerprint: fpB }),
      (e) => isParleyError(e, 'MSRP_BIND_FAILED') && e.details?.status === 481,
    );
    await assert.rejects(passive, (e) => isParleyError(e, 'MSRP_CONNECT_TIMEOUT'));
  });

  it('interrupted message: the receiver sees aborted, then a later message arrives normally', async () => {
    const { a, b } = await connectPair(false);
    const aborted = waitFor(b, 'aborted');
    const o = a.startMessage({ contentType: 'text/plain' }, 1_000_000);
    o.write(pattern(200_000));
    o.abort();
    const ev = await aborted;
    assert.equal(ev.messageId, o.messageId);
    const next = waitFor(b, 'message');
    a.send({ contentType: 'text/plain', body: Buffer.from('after abort') });
    assert.equal((await next).body!.toString(), 'after abort');
  });

  it('failure reporting: 413 for an oversize message, 415 for a refused type, nothing for Failure-Report: no', async () => {
    const { a, b } = await connectPair(false, { maxMessageBytes: 100_000, acceptTypes: ['text/plain'] });
    const failed = waitFor(a, 'sendFailed');
    a.send({ contentType: 'text/plain', body: pattern(300_000) });
    assert.equal((await failed).status, 413);
    const f415 = waitFor(a, 'sendFailed');
    a.send({ contentType: 'image/png', body: Buffer.from('x') });
    assert.equal((await f415).status, 415);
    const quiet = waitFor(b, 'message');
    const sent = waitFor(a, 'sent');
    a.send({ contentType: 'text/plain', body: Buffer.from('fire and forget'), failureReport: 'no' });
    await sent;
    assert.equal((await quiet).body!.toString(), 'fire and forget');
  });

  it('sessions to the same authority share one connection and are dispatched by session-id', async () => {
    const ta = mk();
    const tb = mk();
    await tb.listen();
    const pairs = [0, 1, 2].map(() => {
      const aUri = ta.localUri();
      const bUri = tb.localUri();
      return { a: new MsrpSession({ localUri: aUri, toPath: [bUri] }), b: new MsrpSession({ localUri: bUri, toPath: [aUri] }) };
    });
    for (const p of pairs) await Promise.all([tb.attach(p.b, { role: 'passive' }), ta.attach(p.a, { role: 'active' })]);
    assert.equal(ta.connectionCount, 1);
    assert.equal(tb.connectionCount, 1);
    const got = pairs.map((p) => waitFor(p.b, 'message'));
    pairs.forEach((p, i) => p.a.send({ contentType: 'text/plain', body: Buffer.from(`to session ${i}`) }));
    assert.deepEqual(
      (await Promise.all(got)).map((m) => m.body!.toString()),
      ['to session 0', 'to session 1', 'to session 2'],
    );
    ta.detach(pairs[0].a);
    assert.equal(ta.connectionCount, 1, 'still used by the other sessions');
    ta.detach(pairs[1].a);
    ta.detach(pairs[2].a);
    assert.equal(ta.connectionCount, 0);
  });
  it('holdInput stops reading the connection (the sender backs up) until released', async () => {
    let got = 0;
    const { ta, a, b } = await connectPair(false, {
      createSink: () => ({ write: (_o: number, d: Buffer) => void (got += d.length), end() {}, abort() {} }),
    });
    const release = b.holdInput();
    const body = pattern(32 * 1024 * 1024);
    const sending = ta.sendStream(a, pieces(body, 1024 * 1024), { contentType: 'application/octet-stream' }, body.length);
    let sent = false;
    void sending.then(() => (sent = true));
    const arrived = waitFor(b, 'message');
    await new Promise((r) => setTimeout(r, 300)); // observation window for a negative assertion (nothing may arrive)
    assert.ok(got < 8 * 1024 * 1024, `received ${got} bytes while held`);
    assert.equal(sent, false, 'the sender is held back by TCP flow control');
    release();
    await sending;
    await arrived;
    assert.equal(got, body.length);
  });
});
