// SipEndpoint against the real lab: the proxy link is bootstrapped with an OPTIONS when the AS speaks first,
// responses match client transactions, an INVITE ringing too long is CANCELled (487) and ACKed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, freePorts, type Lab } from '../../lab';
import { RawSipClient, header } from '../../testing/rawsip';
import { usePatchedLabCfg } from '../lab-patch';
import { SipEndpoint } from './endpoint';
import { getHeader, type SipRequest, type SipResponse } from './message';

describe('SIP endpoint behind the lab proxy', () => {
  let lab: Lab;
  let ep: SipEndpoint;
  let alice: RawSipClient;
  const seen: string[] = [];
  let unpatch = () => {};

  before(async () => {
    unpatch = usePatchedLabCfg();
    const [port] = await freePorts(1);
    lab = await startLab({ appServerPort: port });
    ep = new SipEndpoint({ port, proxy: { host: '127.0.0.1', port: lab.ports.sip }, bootstrapUri: `sip:conf-factory@${lab.domain}` });
    ep.onRequest = (req, r) => {
      seen.push(req.method);
      if (req.method !== 'ACK') r.respond(200);
    };
    await ep.listen();
    alice = await RawSipClient.connect({
      lab,
      transport: 'tcp',
      user: 'alice',
      password: 'alice-secret',
      autoReply: (m) => (m.method === 'INVITE' ? 180 : 200),
    });
    assert.equal((await alice.register()).status, 200);
  });
  after(async () => {
    await ep?.close();
    await alice?.close();
    await lab?.stop();
    unpatch();
  });

  const send = (req: SipRequest, ringTimeoutMs?: number) =>
    new Promise<{ final: SipResponse; provisional: number[] }>((resolve) => {
      const provisional: number[] = [];
      ep.send(
        req,
        { onProvisional: (r) => provisional.push(r.status), onFinal: (final) => resolve({ final, provisional }) },
        { ringTimeoutMs },
      );
    });
  const request = (method: string, body = ''): SipRequest => ({
    kind: 'request',
    method,
    uri: lab.aor('alice'),
    body: Buffer.from(body),
    headers: [
      ['Max-Forwards', '70'],
      ['From', `<sip:list@${lab.domain}>;tag=t${Math.random().toString(16).slice(2, 8)}`],
      ['To', `<${lab.aor('alice')}>`],
      ['Call-ID', `ep-${Math.random().toString(16).slice(2)}`],
      ['CSeq', `1 ${method}`],
      ['Contact', `<sip:list@127.0.0.1:${ep.listenPort};transport=tcp>`],
      ...(body ? [['Content-Type', 'text/plain'] as [string, string]] : []),
    ],
  });

  it('bootstraps the proxy link and delivers an out-of-dialog MESSAGE as a trusted element', async () => {
    const { final } = await send(request('MESSAGE', 'from the endpoint'));
    assert.equal(final.status, 200);
    assert.ok(seen.includes('OPTIONS'), 'the proxy relayed our bootstrap OPTIONS back to us');
    const m = await alice.waitForRequest((x) => x.method === 'MESSAGE');
    assert.equal(m.body, 'from the endpoint');
    assert.match(header(m, 'From') ?? '', /sip:list@parley\.test/);
  });

  it('CANCELs an INVITE that rings longer than the ring timeout; the 487 completes it', async () => {
    const inviteSeen = alice.waitForRequest((x) => x.method === 'INVITE');
    const pending = send(request('INVITE', 'v=0\r\n'), 300);
    const inv = await inviteSeen;
    await alice.waitForRequest((x) => x.method === 'CANCEL' && header(x, 'Call-ID') === header(inv, 'Call-ID'));
    alice.reply(inv, 487, 'Request Terminated');
    const { final, provisional } = await pending;
    assert.deepEqual([provisional.includes(180), final.status], [true, 487]);
    assert.equal(getHeader(final, 'Call-ID'), header(inv, 'Call-ID'));
  });
});
