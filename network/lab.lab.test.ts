// Lab lifecycle: startLab on free ports, stop, restart keeping msilo, certificates, app-server hook, start failures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { existsSync, readFileSync } from 'node:fs';
import { freePorts, startLab, type Lab } from './lab';
import { RawSipClient, frameStream, header, parseSipBytes, serialize } from './testing/rawsip';

function kamailioRunning(stateDir: string): boolean {
  try {
    return (
      execFileSync('pgrep', ['-f', '--', `-Y ${stateDir}/run`])
        .toString()
        .trim().length > 0
    );
  } catch {
    return false;
  }
}

describe('lab lifecycle', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    await lab.stop();
  });

  it('exposes the API shape with distinct free ports and 127.0.0.1 URIs', () => {
    const ports = Object.values(lab.ports);
    assert.equal(new Set(ports).size, 6);
    assert.equal(lab.proxy.tcp, `tcp://127.0.0.1:${lab.ports.sip}`);
    assert.equal(lab.proxy.wss, `wss://127.0.0.1:${lab.ports.wss}`);
    assert.equal(lab.relay.tls, `msrps://127.0.0.1:${lab.ports.msrps};tcp`);
    assert.equal(lab.aor('alice'), 'sip:alice@parley.test');
    assert.deepEqual(
      lab.accounts.map((a) => a.user),
      ['alice', 'bob', 'carol'],
    );
  });

  it('serves a certificate for 127.0.0.1 and the domain that chains to caFile', async () => {
    for (const servername of [undefined, 'parley.test']) {
      const s = tlsConnect({ host: '127.0.0.1', port: lab.ports.tls, ca: readFileSync(lab.caFile), servername });
      await new Promise<void>((res, rej) => {
        s.once('secureConnect', () => res());
        s.once('error', rej);
      });
      assert.ok(s.authorized);
      s.destroy();
    }
    const wrongCa = tlsConnect({ host: '127.0.0.1', port: lab.ports.tls });
    await assert.rejects(
      new Promise((res, rej) => {
        wrongCa.once('secureConnect', res);
        wrongCa.once('error', rej);
      }),
    );
    wrongCa.destroy();
  });

  it('keeps msilo contents across restart() and lists registrations', async () => {
    const a = await RawSipClient.connect({ lab, transport: 'tcp', user: 'alice', password: 'alice-secret' });
    assert.equal((await a.register()).status, 200);
    assert.deepEqual(await lab.registrations(), ['alice@parley.test']);
    assert.equal((await a.message(lab.aor('carol'), 'survives restarts')).status, 202);
    await a.close();
    await lab.restart();
    assert.deepEqual(await lab.registrations(), []);
    const c = await RawSipClient.connect({ lab, transport: 'tcp', user: 'carol', password: 'carol-secret' });
    const got = c.waitForRequest((m) => m.method === 'MESSAGE');
    assert.equal((await c.register()).status, 200);
    assert.equal((await got).body, 'survives restarts');
    await c.close();
  });

  it('stop() terminates every Kamailio process of the lab', async () => {
    const other = await startLab();
    assert.ok(kamailioRunning(other.stateDir));
    const t0 = Date.now();
    await other.stop();
    // Bounded: SIGTERM, then SIGKILL of the process group after STOP_TIMEOUT_MS (5 s) if a worker is stuck (tcp_send_timeout).
    assert.ok(Date.now() - t0 < 8000, `stop took ${Date.now() - t0} ms`);
    assert.equal(kamailioRunning(other.stateDir), false);
    assert.equal(existsSync(other.stateDir), false, 'temporary state dir removed');
  });

  it("fails with a clear error and Kamailio's log when a port is taken", async () => {
    const [busy] = await freePorts(1);
    const conns = new Set<Socket>();
    const blocker: Server = createServer((c) => {
      conns.add(c);
      c.on('close', () => conns.delete(c));
    });
    await new Promise<void>((r) => blocker.listen(busy, '127.0.0.1', () => r()));
    try {
      await assert.rejects(startLab({ ports: { tls: busy }, startTimeoutMs: 5000 }), (e: Error) => {
        assert.match(e.message, /did not become ready/);
        assert.match(e.message, /Last log lines:[\s\S]*(bind|Address already in use)/i);
        return true;
      });
    } finally {
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});

describe('lab application-server hook', () => {
  let lab: Lab;
  let server: Server;
  const received: string[] = [];
  before(async () => {
    const [port] = await freePorts(1);
    server = createServer((s: Socket) => {
      let rest: Buffer = Buffer.alloc(0);
      s.on('data', (d) => {
        const f = frameStream(Buffer.concat([rest, d]));
        rest = f.rest;
        for (const raw of f.messages) {
          const m = parseSipBytes(raw);
          if (!m.method) continue;
          received.push(`${m.method} ${m.uri}`);
          const hs = m.headers.filter(([k]) => /^(via|from|call-id|cseq)$/i.test(k));
          hs.push(['To', `${header(m, 'To')};tag=appsrv`]);
          s.write(serialize('SIP/2.0 200 OK', hs));
        }
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    lab = await startLab({ appServerPort: port });
  });
  after(async () => {
    await lab.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends conf-/chat-/list/group- users and conf-factory to the app server over TCP', async () => {
    const a = await RawSipClient.connect({ lab, transport: 'udp', user: 'alice', password: 'alice-secret' });
    for (const user of ['conf-factory', 'chat-42', 'list-friends', 'group-x']) {
      const res = await a.message(`sip:${user}@${lab.domain}`, 'hello app server');
      assert.equal(res.status, 200, user);
    }
    assert.deepEqual(
      received,
      ['conf-factory', 'chat-42', 'list-friends', 'group-x'].map((u) => `MESSAGE sip:${u}@parley.test`),
    );
    assert.equal((await a.message(lab.aor('notconf'), 'x')).status, 404);
    // only for the home domain: a service user elsewhere is not ours to serve (and not relayed either)
    assert.equal((await a.message('sip:conf-factory@example.test', 'x')).status, 403);
    assert.equal(received.length, 4);
    await a.close();
  });
});

describe('lab shared memory under bursts', () => {
  let lab: Lab;
  const clients: RawSipClient[] = [];
  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await lab.stop();
  });

  const shm = async (field: string): Promise<number> => Number(new RegExp(`${field}:\\s*(\\d+)`).exec(await lab.rpc('core.shmmem'))?.[1]);

  it('uses a 256 MB pool by default and shmMb when given', async () => {
    assert.equal(await shm('total'), 256 * 1024 * 1024);
    const small = await startLab({ shmMb: 32 });
    try {
      assert.equal(Number(/total:\s*(\d+)/.exec(await small.rpc('core.shmmem'))?.[1]), 32 * 1024 * 1024);
    } finally {
      await small.stop();
    }
    await assert.rejects(startLab({ shmMb: 1 }), RangeError);
  });

  it('answers every MESSAGE of four back-to-back 1,000-message rounds (8,000 transactions with the 407 challenges)', async () => {
    const a = await RawSipClient.connect({ lab, transport: 'tcp', user: 'alice', password: 'alice-secret' });
    const b = await RawSipClient.connect({ lab, transport: 'tcp', user: 'bob', password: 'bob-secret' });
    clients.push(a, b);
    assert.equal((await a.register()).status, 200);
    assert.equal((await b.register()).status, 200);
    for (let round = 0; round < 4; round++) {
      const codes = new Map<number, number>();
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < 1000) {
            next++;
            const r = await a.message(lab.aor('bob'), 'x'.repeat(100));
            codes.set(r.status ?? 0, (codes.get(r.status ?? 0) ?? 0) + 1);
          }
        }),
      );
      assert.deepEqual([...codes], [[200, 1000]], `round ${round}: ${JSON.stringify([...codes])}`);
    }
    // 64 MB (the old -m) would be exhausted by now: the transactions of the last rounds are still held (wait timer).
    assert.ok((await shm('real_used')) > 48 * 1024 * 1024, 'the burst really held more than 48 MB of shared memory');
  });
});
