// The prekey directory sip:keys@parley.test behind the real lab proxy: publish, fetch, status, errors, and an offline
// first contact that receives its first message from msilo, sealed with the fetched bundle (issue #14).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startLab, freePorts, type Lab } from '../lab';
import { RawSipClient, header, type SipMessage } from '../testing/rawsip';
import { startAppServer, type AppServer } from './server';
import { usePatchedLabCfg } from './lab-patch';
import { LocalIdentity } from '../../main/security/identity';
import { PeerRatchets, memoryRatchetPersistence } from '../../main/security/peer-ratchets';
import {
  PREKEYS_CONTENT_TYPE,
  encodeDirectoryRequest,
  parseDirectoryReply,
  newRequestId,
  type DirectoryRequest,
  type DirectoryReply,
} from '../../main/protocol/formats/prekeys';
import { parseBundle } from '../../main/security/prekeys';
import { E2E_CONTENT_TYPE, encodeEnvelopeBody, decodeEnvelopeBody } from '../../main/security/envelope';
import { initCrypto, utf8 } from '../../main/security/sodium';

const USERS = ['alice', 'bob', 'carol'];
const debug = (l: string): void => {
  if (process.env.AS_DEBUG) console.error(l);
};

describe('prekey directory behind the lab proxy', () => {
  let lab: Lab;
  let as: AppServer;
  let asPort: number;
  const c: Record<string, RawSipClient> = {};
  const ids: Record<string, LocalIdentity> = {};
  const pr: Record<string, PeerRatchets> = {};
  let unpatch = () => {};
  const keysUri = () => `sip:keys@${lab.domain}`;

  /** Send a directory request; resolve with the final response and (for 200) the reply MESSAGE from sip:keys@. */
  async function ask(who: string, q: DirectoryRequest): Promise<{ res: SipMessage; reply?: DirectoryReply }> {
    const replyMsg = c[who].waitForRequest(
      (m) => m.method === 'MESSAGE' && (header(m, 'From') ?? '').includes(keysUri()) && m.body.includes(q.id),
    );
    const res = await c[who].request('MESSAGE', keysUri(), { body: encodeDirectoryRequest(q), contentType: PREKEYS_CONTENT_TYPE });
    if (res.status !== 200) {
      replyMsg.catch(() => {});
      return { res };
    }
    const m = await replyMsg;
    assert.match(header(m, 'Content-Type') ?? '', /application\/vnd\.parley\.prekeys\+json/);
    return { res, reply: parseDirectoryReply(m.body) };
  }

  before(async () => {
    await initCrypto();
    unpatch = usePatchedLabCfg();
    [asPort] = await freePorts(1);
    lab = await startLab({ appServerPort: asPort, log: debug, accounts: USERS.map((u) => ({ user: u, password: `${u}-secret` })) });
    as = await startAppServer({
      port: asPort,
      proxy: { host: '127.0.0.1', port: lab.ports.sip },
      domain: lab.domain,
      log: debug,
      keys: { file: join(lab.stateDir, 'keys.json') },
    });
    for (const u of USERS) {
      c[u] = await RawSipClient.connect({ lab, transport: 'tcp', user: u, password: `${u}-secret` });
      assert.equal((await c[u].register()).status, 200);
      ids[u] = LocalIdentity.generate(lab.aor(u));
      pr[u] = await PeerRatchets.open({ me: ids[u], persistence: memoryRatchetPersistence() });
    }
  });
  after(async () => {
    await as?.stop();
    await Promise.all(Object.values(c).map((x) => x.close()));
    await lab?.stop();
    unpatch();
  });

  it('publish and status through the proxy; fetch gives one one-time prekey per fetch, then the signed prekey alone', async () => {
    const pub = await pr.bob.publication(2);
    const p = await ask('bob', {
      v: 1,
      op: 'publish',
      id: newRequestId(),
      bundle: pub.bundle,
      oneTime: pub.oneTime,
      replaceOneTime: false,
    });
    assert.equal(p.res.status, 200);
    assert.deepEqual(p.reply, { v: 1, op: 'publish', re: p.reply!.re, oneTimeCount: 2 });
    const s = await ask('bob', { v: 1, op: 'status', id: newRequestId() });
    assert.equal(s.reply!.op === 'status' && s.reply!.oneTimeCount, 2);
    const f1 = await ask('carol', { v: 1, op: 'fetch', id: newRequestId(), aor: lab.aor('bob') });
    assert.ok(f1.reply!.op === 'fetch' && f1.reply!.oneTime, 'carol got a one-time prekey');
    assert.equal(parseBundle(f1.reply!.op === 'fetch' ? f1.reply!.bundle : new Uint8Array()).aor, lab.aor('bob'));
    const f2 = await ask('carol', { v: 1, op: 'fetch', id: newRequestId(), aor: lab.aor('bob') });
    assert.equal(f2.reply!.op === 'fetch' && f2.reply!.oneTime, null, 'no second one for the same requester');
    const left = await ask('bob', { v: 1, op: 'status', id: newRequestId() });
    assert.equal(left.reply!.op === 'status' && left.reply!.oneTimeCount, 1);
  });

  it('refusals: a bundle for another AoR 403, nothing published 404, wrong type 415, bad body 400, other method 405', async () => {
    const alicePub = await pr.alice.publication(0);
    const forged = await ask('carol', {
      v: 1,
      op: 'publish',
      id: newRequestId(),
      bundle: alicePub.bundle,
      oneTime: [],
      replaceOneTime: false,
    });
    assert.equal(forged.res.status, 403);
    const none = await ask('alice', { v: 1, op: 'fetch', id: newRequestId(), aor: 'sip:nobody@parley.test' });
    assert.equal(none.res.status, 404);
    assert.match(header(none.res, 'Warning') ?? '', /published no prekeys/);
    assert.equal((await c.alice.message(keysUri(), 'hi')).status, 415);
    const bad = await c.alice.request('MESSAGE', keysUri(), { body: '{"v":1,"op":"fetch"}', contentType: PREKEYS_CONTENT_TYPE });
    assert.equal(bad.status, 400);
    assert.equal((await c.alice.request('OPTIONS', keysUri())).status, 200);
    assert.equal(
      (
        await c.alice.request('SUBSCRIBE', keysUri(), {
          extra: [
            ['Event', 'x'],
            ['Expires', '60'],
          ],
        })
      ).status,
      405,
    );
  });

  it('offline first contact: alice fetches, seals at once, msilo stores it, bob reads it sealed on REGISTER', async () => {
    // bob publishes fresh one-time prekeys, then goes offline
    const pub = await pr.bob.publication(3);
    assert.equal(
      (await ask('bob', { v: 1, op: 'publish', id: newRequestId(), bundle: pub.bundle, oneTime: pub.oneTime, replaceOneTime: true })).reply!
        .op,
      'publish',
    );
    await c.bob.close();
    const f = await ask('alice', { v: 1, op: 'fetch', id: newRequestId(), aor: lab.aor('bob') });
    const fr = f.reply!;
    assert.ok(fr.op === 'fetch');
    await pr.alice.startSession({ bundle: fr.bundle, oneTime: fr.oneTime }, { aor: lab.aor('bob') });
    const env = await pr.alice.seal({
      recipients: [lab.aor('bob')],
      messageId: 'first-1',
      dateTime: Date.now(),
      plaintext: utf8('hello, first contact'),
    });
    const res = await c.alice.request('MESSAGE', lab.aor('bob'), { body: encodeEnvelopeBody(env), contentType: E2E_CONTENT_TYPE });
    assert.equal(res.status, 202, 'stored by msilo');
    c.bob = await RawSipClient.connect({ lab, transport: 'tcp', user: 'bob', password: 'bob-secret' });
    const dumped = c.bob.waitForRequest((m) => m.method === 'MESSAGE' && (header(m, 'From') ?? '').includes('alice'));
    assert.equal((await c.bob.register()).status, 200);
    const m = await dumped;
    assert.match(header(m, 'Content-Type') ?? '', /application\/vnd\.parley\.e2e/);
    const opened = await pr.bob.open(decodeEnvelopeBody(m.body));
    assert.equal(new TextDecoder().decode(opened.plaintext), 'hello, first contact');
    assert.equal(opened.firstMessage, true);
    assert.equal(opened.senderAoR, lab.aor('alice'));
  });

  it('the directory survives an app server restart (file in the lab state dir)', async () => {
    const before = (await ask('bob', { v: 1, op: 'status', id: newRequestId() })).reply!;
    await as.stop();
    as = await startAppServer({
      port: asPort,
      proxy: { host: '127.0.0.1', port: lab.ports.sip },
      domain: lab.domain,
      log: debug,
      keys: { file: join(lab.stateDir, 'keys.json') },
    });
    const after = (await ask('bob', { v: 1, op: 'status', id: newRequestId() })).reply!;
    assert.equal(after.op === 'status' && after.oneTimeCount, before.op === 'status' && before.oneTimeCount);
  });
});
