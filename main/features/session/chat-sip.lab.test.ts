// SIP edges of chat sessions through the lab Kamailio: decline (603), CANCEL, 488 for non-MSRP and unacceptable offers,
// E2E policy (require / allow-plaintext), PEER_KEY_CHANGED, MSRP failure responses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, removeLabState, type Lab } from '../../../network/lab';
import { isParleyError } from '../../base/errors';
import { buildMsrpOffer } from '../../protocol/sdp/msrp-sdp';
import { DRIVER_KEY, withWebRtcGlobals, type SdpDriver } from '../../media/peer-connection';
import { PartyPool, acceptNext, nextEvent, pattern, type Party } from './testing';
import { ephemeralSecurity } from '../../security/bundle';
import type { IncomingChatSession } from './manager';
import type { RtcSession } from '../../media/rtc-session';
import type { ChatMessage, ClosedEvent } from './types';

const AUDIO_SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

describe('chat session SIP edges', () => {
  let lab: Lab;
  const pool = new PartyPool();
  let alice: Party;
  let bob: Party;
  before(async () => {
    lab = await startLab();
    await lab.addAccount('dave', 'dave-secret');
    alice = await pool.create(lab, 'alice');
    bob = await pool.create(lab, 'bob');
  });
  after(async () => {
    await pool.stopAll();
    if (lab) {
      await lab.stop();
      await removeLabState(lab);
    }
  });

  it('decline answers 603: open() rejects SESSION_DECLINED', async () => {
    const inc = nextEvent<IncomingChatSession>(bob.mgr, 'incoming');
    const opening = alice.mgr.open(lab.aor('bob'));
    const i = await inc;
    assert.equal(i.from, lab.aor('alice'));
    assert.equal(i.protected, true);
    i.decline();
    await assert.rejects(opening, (e) => isParleyError(e, 'SESSION_DECLINED') && e.details?.status === 603);
    assert.equal(i.session.closed?.reason, 'declined');
  });

  it('CANCEL before the answer: open() rejects SESSION_CANCELLED and the callee sees cancelled', async () => {
    const inc = nextEvent<IncomingChatSession>(bob.mgr, 'incoming');
    const ac = new AbortController();
    const opening = alice.mgr.open(lab.aor('bob'), { signal: ac.signal });
    const i = await inc;
    const cancelled = nextEvent(i, 'cancelled');
    ac.abort();
    await assert.rejects(opening, (e) => isParleyError(e, 'SESSION_CANCELLED'));
    await cancelled;
    assert.equal(i.pending, false);
    await assert.rejects(i.accept(), (e) => isParleyError(e, 'SESSION_BAD_STATE'));
  });

  it('488 for an INVITE with audio SDP (not MSRP), with the reason in a Warning header', async () => {
    const driver: SdpDriver = { createOffer: () => AUDIO_SDP, createAnswer: () => AUDIO_SDP, applyRemote: async () => {}, close: () => {} };
    const rtc = withWebRtcGlobals(() =>
      (alice.ua.jssip as unknown as { call(t: string, o: object): RtcSession }).call(lab.aor('bob'), {
        pcConfig: { [DRIVER_KEY]: driver },
        mediaConstraints: { audio: false, video: false },
      }),
    );
    const failed = await nextEvent<{ message: { status_code: number; getHeader(n: string): string } }>(rtc as never, 'failed');
    assert.equal(failed.message.status_code, 488);
    assert.match(failed.message.getHeader('Warning'), /SDP_NOT_ACCEPTABLE|SDP_NO_MSRP_MEDIA/);
  });

  it('judges odd INVITEs without crashing: no body 488, non-SDP 415, garbage SDP 488, missing key-mgmt 488 E2E_REQUIRED', async () => {
    const req = (ct: string | undefined, body: string) => ({
      header: (n: string) => (n.toLowerCase() === 'content-type' ? ct : undefined),
      body: new TextEncoder().encode(body),
      bodyText: body,
      from: lab.aor('carol'),
    });
    const j = (r: Awaited<ReturnType<typeof bob.mgr.judgeInvite>>) => ('status' in r ? [r.status, r.headers.join()] : ['accepted', '']);
    assert.equal(j(await bob.mgr.judgeInvite(req(undefined, '')))[0], 488);
    assert.deepEqual(j(await bob.mgr.judgeInvite(req('text/plain', 'hello'))), [415, 'Accept: application/sdp']);
    const garbage = j(await bob.mgr.judgeInvite(req('application/sdp', 'v=0\r\nthis is not sdp\r\n')));
    assert.equal(garbage[0], 488);
    assert.match(String(garbage[1]), /SDP_MALFORMED/);
    const noKey = buildMsrpOffer({
      port: 9,
      transport: 'TCP/MSRP',
      path: ['msrp://127.0.0.1:9/abc;tcp'],
      acceptTypes: ['message/cpim'],
      acceptWrappedTypes: ['text/plain'],
    });
    const r = j(await bob.mgr.judgeInvite(req('application/sdp', noKey)));
    assert.equal(r[0], 488);
    assert.match(String(r[1]), /E2E_REQUIRED/);
    assert.equal(j(await bob.mgr.judgeInvite(req('application/sdp', AUDIO_SDP)))[0], 488);
  });

  it("policy: a client without key agreement is refused by 'require' (488) and gets an unprotected session with 'allow-plaintext'", async () => {
    const carol = await pool.create(lab, 'carol', { security: null, policy: 'allow-plaintext' }); // a client with no E2E at all
    await assert.rejects(
      carol.mgr.open(lab.aor('bob')),
      (e) => isParleyError(e, 'SESSION_REJECTED') && e.details?.status === 488 && e.details?.peerCode === 'E2E_REQUIRED',
    );
    const dave = await pool.create(lab, 'dave', { policy: 'allow-plaintext' });
    const [c, d] = await Promise.all([carol.mgr.open(lab.aor('dave')), acceptNext(dave)]);
    assert.equal(c.protected, false);
    assert.equal(d.protected, false);
    const got = nextEvent<ChatMessage>(d, 'message');
    assert.equal((await c.send('in the clear')).status, 'delivered');
    const m = await got;
    assert.equal(m.text, 'in the clear');
    assert.equal(m.protected, false);
    const closed = nextEvent<ClosedEvent>(c, 'closed');
    c.close();
    await closed;
  });

  it('MSRP failure response: 413 from the receiver gives a failed outcome with the code; the session continues', async () => {
    const dave = await pool.create(lab, 'dave', { maxMessageBytes: 100_000 });
    const [a, d] = await Promise.all([alice.mgr.open(lab.aor('dave')), acceptNext(dave)]);
    const out = await a.send({ contentType: 'application/octet-stream', body: pattern(300_000) });
    assert.equal(out.status, 'failed');
    assert.equal(out.code, 413);
    assert.equal(out.errorCode, 'MSRP_SEND_FAILED');
    const got = nextEvent<ChatMessage>(d, 'message');
    assert.equal((await a.send('small one')).status, 'delivered');
    assert.equal((await got).text, 'small one');
    a.close();
    await nextEvent(d, 'closed');
    await pool.stop(dave);
  });

  it('PEER_KEY_CHANGED: a pinned peer presenting another identity key is refused in both directions', async () => {
    const [a1, b1] = await Promise.all([alice.mgr.open(lab.aor('bob')), acceptNext(bob)]);
    assert.equal(a1.info.peerKeyState, 'unverified');
    a1.close();
    await nextEvent(b1, 'closed');
    await pool.stop(bob);
    const newBob = await pool.create(lab, 'bob', { security: await ephemeralSecurity(lab.aor('bob')) });
    newBob.mgr.on('incoming', (i) => void i.accept().catch(() => {}));
    await assert.rejects(alice.mgr.open(lab.aor('bob')), (e) => isParleyError(e, 'PEER_KEY_CHANGED') && e.details?.aor === lab.aor('bob'));
    await assert.rejects(
      newBob.mgr.open(lab.aor('alice')),
      (e) => isParleyError(e, 'SESSION_REJECTED') && e.details?.peerCode === 'PEER_KEY_CHANGED',
    );
    bob = newBob;
  });
});
