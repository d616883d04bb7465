// List server (RFC 5365 URI-list MESSAGE) and group PSI against the real lab: online delivery, msilo for offline, copy control.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, freePorts, type Lab } from '../lab';
import { RawSipClient, header } from '../testing/rawsip';
import { buildUriListMessage, parseResourceList } from '../../main/protocol/formats/resource-lists';
import { parseMultipart, partHeader } from '../../main/protocol/formats/multipart';
import { startAppServer, type AppServer, type DeliveryReport } from './server';
import { usePatchedLabCfg } from './lab-patch';

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const debug = (l: string): void => {
  if (process.env.AS_DEBUG) console.error(l);
};

describe('list server and group PSI behind the lab proxy', () => {
  let lab: Lab;
  let as: AppServer;
  const c: Record<string, RawSipClient> = {};
  const reports: DeliveryReport[] = [];
  const reportWaiters: Array<(r: DeliveryReport) => void> = [];
  const nextReport = () =>
    new Promise<DeliveryReport>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no delivery report')), 8000);
      reportWaiters.push((r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
  let unpatch = () => {};

  before(async () => {
    unpatch = usePatchedLabCfg();
    const [asPort] = await freePorts(1);
    lab = await startLab({ appServerPort: asPort, log: debug, accounts: USERS.map((u) => ({ user: u, password: `${u}-secret` })) });
    as = await startAppServer({
      port: asPort,
      proxy: { host: '127.0.0.1', port: lab.ports.sip },
      domain: lab.domain,
      log: debug,
      groups: { team: { members: ['sip:alice@parley.test', 'sip:bob@parley.test', 'sip:carol@parley.test'] } },
      limits: { maxRecipients: 5 },
      onDeliveryReport: (r) => {
        const w = reportWaiters.shift();
        if (w) w(r);
        else reports.push(r);
      },
    });
    for (const u of USERS) c[u] = await RawSipClient.connect({ lab, transport: 'tcp', user: u, password: `${u}-secret` });
    for (const u of ['alice', 'bob', 'carol']) assert.equal((await c[u].register()).status, 200);
  });
  after(async () => {
    await as?.stop();
    await Promise.all(Object.values(c).map((x) => x.close()));
    await lab?.stop();
    unpatch();
  });

  it('URI-list MESSAGE: 202, copies to two online recipients (bcc hidden, anonymized entry masked), offline one stored by msilo', async () => {
    const m = buildUriListMessage({
      recipients: [
        { uri: lab.aor('bob') },
        { uri: lab.aor('carol'), copyControl: 'cc', anonymize: true },
        { uri: lab.aor('dave'), copyControl: 'bcc' },
      ],
      message: { contentType: 'text/plain;charset=utf-8', headers: [], body: Buffer.from('to the list') },
    });
    const report = nextReport();
    const res = await c.alice.request('MESSAGE', `sip:list@${lab.domain}`, {
      body: Buffer.from(m.body).toString(),
      contentType: m.contentType,
      extra: [['Require', 'recipient-list-message']],
    });
    assert.equal(res.status, 202);
    for (const u of ['bob', 'carol']) {
      const got = await c[u].waitForRequest((x) => x.method === 'MESSAGE');
      assert.match(header(got, 'From') ?? '', /<sip:alice@parley\.test>/);
      assert.match(header(got, 'P-Asserted-Identity') ?? '', /alice@parley\.test/);
      const parts = parseMultipart(Buffer.from(got.body), header(got, 'Content-Type')!);
      assert.equal(Buffer.from(parts[0].body).toString(), 'to the list');
      assert.match(partHeader(parts[1], 'Content-Disposition') ?? '', /^recipient-list-history/);
      const history = parseResourceList(parts[1].body).map((e) => e.uri);
      assert.deepEqual(history, [lab.aor('bob'), 'sip:anonymous@anonymous.invalid']); // dave (bcc) hidden, carol anonymized
    }
    const r = await report;
    assert.deepEqual(r.results.map((x) => [x.recipient.replace(/@.*/, ''), x.outcome]).sort(), [
      ['sip:bob', 'delivered'],
      ['sip:carol', 'delivered'],
      ['sip:dave', 'stored'],
    ]);
    // dave comes online: msilo delivers the stored copy, still from alice
    const dump = c.dave.waitForRequest((x) => x.method === 'MESSAGE');
    assert.equal((await c.dave.register()).status, 200);
    const late = await dump;
    assert.match(header(late, 'From') ?? '', /alice@parley\.test/);
    assert.match(late.body, /to the list/);
  });

  it('URI-list errors: no Require -> 403, bad body -> 400, too many recipients -> 403 with Warning', async () => {
    const ok = buildUriListMessage({
      recipients: [{ uri: lab.aor('bob') }],
      message: { contentType: 'text/plain', headers: [], body: Buffer.from('x') },
    });
    const noReq = await c.alice.request('MESSAGE', `sip:list@${lab.domain}`, {
      body: Buffer.from(ok.body).toString(),
      contentType: ok.contentType,
    });
    assert.equal(noReq.status, 403);
    assert.match(header(noReq, 'Warning') ?? '', /Require: recipient-list-message/);
    const bad = await c.alice.request('MESSAGE', `sip:list@${lab.domain}`, {
      body: 'not multipart',
      contentType: 'text/plain',
      extra: [['Require', 'recipient-list-message']],
    });
    assert.equal(bad.status, 400);
    const many = buildUriListMessage({
      recipients: ['a', 'b', 'c', 'd', 'e', 'f'].map((u) => ({ uri: `sip:${u}@parley.test` })),
      message: { contentType: 'text/plain', headers: [], body: Buffer.from('x') },
    });
    const tooMany = await c.alice.request('MESSAGE', `sip:list@${lab.domain}`, {
      body: Buffer.from(many.body).toString(),
      contentType: many.contentType,
      extra: [['Require', 'recipient-list-message']],
    });
    assert.equal(tooMany.status, 403);
    assert.match(header(tooMany, 'Warning') ?? '', /too many recipients \(max 5\)/);
  });

  it('group PSI: members except the sender get the MESSAGE; non-members are refused', async () => {
    const report = nextReport();
    const res = await c.bob.message(`sip:group-team@${lab.domain}`, 'hi team');
    assert.equal(res.status, 202);
    for (const u of ['alice', 'carol']) {
      const got = await c[u].waitForRequest((x) => x.method === 'MESSAGE' && x.body === 'hi team');
      assert.match(header(got, 'From') ?? '', /<sip:bob@parley\.test>/);
      assert.match(header(got, 'To') ?? '', /group-team@parley\.test/);
    }
    const r = await report;
    assert.deepEqual(
      r.results.map((x) => x.outcome),
      ['delivered', 'delivered'],
    );
    await assert.rejects(c.bob.waitForRequest((x) => x.method === 'MESSAGE', 300)); // the sender got no copy
    const stranger = await c.erin.message(`sip:group-team@${lab.domain}`, 'let me in');
    assert.equal(stranger.status, 403);
    // a client-supplied P-Asserted-Identity is not believed (the lab proxy does not police it): erin stays erin
    const forged = await c.erin.request('MESSAGE', `sip:group-team@${lab.domain}`, {
      body: 'i am alice',
      contentType: 'text/plain',
      extra: [['P-Asserted-Identity', `<${lab.aor('alice')}>`]],
    });
    assert.equal(forged.status, 403);
    assert.match(header(forged, 'Warning') ?? '', /erin@parley\.test is not a member/);
    assert.equal((await c.alice.message(`sip:group-nope@${lab.domain}`, 'x')).status, 404);
  });
});
