// JsSIP 3.13 (the UE's SIP stack) against the lab over WSS (RFC 7118): REGISTER and MESSAGE both ways.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import JsSIP from 'jssip';
import { startLab, type Lab } from './lab';
import { RawSipClient } from './testing/rawsip';

const WAIT_MS = 10000;

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, rej) => {
      t = setTimeout(() => rej(new Error(`${what}: timeout`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(t));
}

describe('JsSIP over WSS through the lab', () => {
  let lab: Lab;
  let ua: JsSIP.UA;
  let raw: RawSipClient;
  const previous = (globalThis as { WebSocket?: unknown }).WebSocket;
  before(async () => {
    lab = await startLab();
    const ca = readFileSync(lab.caFile);
    // JsSIP opens `new WebSocket(url, 'sip')` on the global: give it one that trusts the lab CA.
    class LabWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca });
      }
    }
    (globalThis as { WebSocket?: unknown }).WebSocket = LabWebSocket;
    raw = await RawSipClient.connect({ lab, transport: 'tcp', user: 'alice', password: 'alice-secret' });
    assert.equal((await raw.register()).status, 200);
  });
  after(async () => {
    ua?.stop();
    await raw.close();
    await lab.stop();
    (globalThis as { WebSocket?: unknown }).WebSocket = previous;
  });

  it('registers with digest and exchanges MESSAGEs with a raw TCP client', async () => {
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(lab.proxy.wss)],
      uri: lab.aor('bob'),
      password: 'bob-secret',
      realm: lab.domain,
      register: true,
    });
    const registered = new Promise<void>((res, rej) => {
      ua.on('registered', () => res());
      ua.on('registrationFailed', (e) => rej(new Error(String(e.cause))));
    });
    const incoming = new Promise<string>((res) =>
      ua.on('newMessage', (e: unknown) => {
        const ev = e as { originator: string; request: { body?: unknown } };
        if (ev.originator === 'remote') res(String(ev.request.body));
      }),
    );
    ua.start();
    await within(registered, 'JsSIP registration');
    assert.ok((await lab.registrations()).includes('bob@parley.test'));

    assert.equal((await raw.message(lab.aor('bob'), 'hello JsSIP')).status, 200);
    assert.equal(await within(incoming, 'JsSIP newMessage'), 'hello JsSIP');

    const got = raw.waitForRequest((m) => m.method === 'MESSAGE');
    const sent = new Promise<void>((res, rej) =>
      ua.sendMessage(lab.aor('alice'), 'hello raw', {
        eventHandlers: { succeeded: () => res(), failed: (e) => rej(new Error(String(e.cause))) },
      }),
    );
    await within(sent, 'JsSIP MESSAGE');
    assert.equal((await got).body, 'hello raw');
  });
});
