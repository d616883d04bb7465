import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { StreamSipSocket, parseStreamUrl } from './tcp-socket';

const EVENT_TIMEOUT_MS = 5000;

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, j) => setTimeout(() => j(new Error(`timeout waiting for ${what}`)), EVENT_TIMEOUT_MS).unref()),
  ]);
}

async function server(onConn: (s: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

function connected(sock: StreamSipSocket): Promise<void> {
  return bounded(
    new Promise((r) => {
      sock.onconnect = () => r();
      sock.connect();
    }),
    'connect',
  );
}

const MSG = (n: number) => {
  const body = `hé ${n}`;
  return `MESSAGE sip:a@b SIP/2.0\r\nCall-ID: ${n}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

test('parseStreamUrl and sip_uri/via_transport', () => {
  assert.deepEqual(parseStreamUrl('tls://127.0.0.1:5061'), { tls: true, host: '127.0.0.1', port: 5061 });
  assert.throws(() => parseStreamUrl('udp://127.0.0.1:5060'), { code: 'SIP_BAD_PROXY_URL' });
  const s = new StreamSipSocket({ url: 'tcp://127.0.0.1:5060' });
  assert.equal(s.via_transport, 'TCP');
  assert.equal(s.sip_uri, 'sip:127.0.0.1:5060;transport=tcp');
});

test('delivers one whole message per ondata from a chunked stream, answers pings, exposes raw bytes', async () => {
  const pongs: string[] = [];
  const srv = await server((s) => {
    s.on('data', (d) => pongs.push(d.toString()));
    const all = Buffer.from(MSG(1) + '\r\n\r\n' + MSG(2));
    // Dribble the bytes in three odd pieces.
    s.write(all.subarray(0, 7));
    setImmediate(() => {
      s.write(all.subarray(7, 60));
      setImmediate(() => s.write(all.subarray(60)));
    });
  });
  const sock = new StreamSipSocket({ url: `tcp://127.0.0.1:${srv.port}`, keepAliveIntervalMs: 0 });
  const got: string[] = [];
  const raws: number[] = [];
  const two = new Promise<void>((r) => {
    sock.ondata = (m) => {
      got.push(m);
      raws.push(sock.lastMessage?.bodyOffset ?? -1);
      if (got.length === 2) r();
    };
  });
  await connected(sock);
  assert.equal(sock.connectionInfo?.transport, 'TCP');
  await bounded(two, 'two messages');
  assert.deepEqual(got, [MSG(1), MSG(2)]);
  assert.equal(raws[0], MSG(1).indexOf('\r\n\r\n') + 4);
  assert.equal(sock.lastMessage, null, 'raw bytes are only visible during ondata');
  await bounded(
    (async () => {
      while (!pongs.join('').includes('\r\n')) await new Promise((r) => setImmediate(r));
    })(),
    'pong',
  );
  assert.equal(pongs.join(''), '\r\n');
  sock.disconnect();
  await srv.close();
});

test('keep-alive: pings are sent; an answered ping keeps the connection, silence kills it (SIP_KEEPALIVE_TIMEOUT)', async () => {
  let answer = true;
  let pings = 0;
  let onPing: () => void = () => {};
  const srv = await server((s) =>
    s.on('data', (d) => {
      if (d.toString() === '\r\n\r\n') {
        pings++;
        onPing();
        if (answer) s.write('\r\n');
      }
    }),
  );
  const sock = new StreamSipSocket({ url: `tcp://127.0.0.1:${srv.port}`, keepAliveIntervalMs: 30, pongTimeoutMs: 60 });
  const errors: string[] = [];
  await connected(sock);
  await bounded(
    new Promise<void>((r) => {
      onPing = () => {
        if (pings >= 3) r();
      };
    }),
    'three pings',
  );
  assert.ok(sock.isConnected(), 'answered pings keep the connection');
  answer = false;
  const down = new Promise<boolean>((r) => {
    sock.ondisconnect = (err) => r(err);
  });
  assert.equal(await bounded(down, 'disconnect'), true);
  errors.push(sock.lastError?.code ?? '');
  assert.deepEqual(errors, ['SIP_KEEPALIVE_TIMEOUT']);
  assert.equal(sock.isConnected(), false);
  await srv.close();
});

test('a framing error from the peer closes the connection with a typed error', async () => {
  const srv = await server((s) => s.write('SIP/2.0 200 OK\r\nContent-Length: nope\r\n\r\n'));
  const reported: string[] = [];
  const sock = new StreamSipSocket({ url: `tcp://127.0.0.1:${srv.port}`, keepAliveIntervalMs: 0, onError: (e) => reported.push(e.code) });
  const down = new Promise<boolean>((r) => {
    sock.ondisconnect = (err) => r(err);
  });
  sock.ondata = () => assert.fail('no message may be delivered');
  await connected(sock);
  assert.equal(await bounded(down, 'disconnect'), true);
  assert.deepEqual(reported, ['SIP_BAD_CONTENT_LENGTH']);
  await srv.close();
});

test('refused connection: SIP_CONNECT_FAILED, ondisconnect(error=true)', async () => {
  const srv = await server(() => {});
  const port = srv.port;
  await srv.close();
  const sock = new StreamSipSocket({ url: `tcp://127.0.0.1:${port}`, keepAliveIntervalMs: 0 });
  const down = new Promise<boolean>((r) => {
    sock.ondisconnect = (err) => r(err);
  });
  sock.connect();
  assert.equal(await bounded(down, 'disconnect'), true);
  assert.equal(sock.lastError?.code, 'SIP_CONNECT_FAILED');
  assert.equal(sock.lastError?.details?.errno, 'ECONNREFUSED');
});

test('an exception thrown by the consumer does not escape the socket callback', async () => {
  const srv = await server((s) => s.write(MSG(7) + MSG(8)));
  const reported: string[] = [];
  const sock = new StreamSipSocket({ url: `tcp://127.0.0.1:${srv.port}`, keepAliveIntervalMs: 0, onError: (e) => reported.push(e.code) });
  let calls = 0;
  const both = new Promise<void>((r) => {
    sock.ondata = () => {
      calls++;
      if (calls === 2) r();
      throw new Error('boom');
    };
  });
  await connected(sock);
  await bounded(both, 'both messages');
  assert.deepEqual(reported, ['SIP_INTERNAL_ERROR', 'SIP_INTERNAL_ERROR']);
  assert.ok(sock.isConnected());
  sock.disconnect();
  await srv.close();
});
