// Offer/answer of the MSRP media without sockets: SDP contents, relay paths, key-mgmt, refusals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MsrpTransport } from '../net/msrp/transport';
import { parseMsrpUri } from '../protocol/msrp/uri';
import { parseMsrpMedia, buildMsrpOffer } from '../protocol/sdp/msrp-sdp';
import { fingerprintAttribute } from '../net/msrp/tls-cert';
import { isParleyError } from '../base/errors';
import { OfferMedia, prepareAnswer, DIRECT_CHUNK_SIZE, AnswerMedia, type MediaContext, type Negotiated } from './msrp-media';
import { ephemeralSecurity } from '../security/bundle';
import { DRIVER_KEY, MsrpPeerConnection, withWebRtcGlobals } from './peer-connection';

describe('session media (SDP offer/answer)', () => {
  const tcp = new MsrpTransport();
  const tls = new MsrpTransport({ tls: true });
  let fp = '';
  before(async () => {
    await tcp.listen();
    await tls.listen();
    fp = fingerprintAttribute((await tls.certificate()).cert);
  });
  after(async () => {
    await tcp.close();
    await tls.close();
  });
  const ctx = async (aor: string, o: Partial<MediaContext> = {}): Promise<MediaContext> => ({
    transport: (s) => (s ? tls : tcp),
    relayPath: () => undefined,
    fingerprint: (s) => (s ? fp : undefined),
    offerSecure: false,
    security: await ephemeralSecurity(aor),
    policy: 'require',
    ...o,
  });

  it('offer: a=path, accept-types, wrapped types, setup actpass, msrp-cema, max-size, key-mgmt; relay Use-Path first', async () => {
    const relay = [parseMsrpUri('msrp://127.0.0.1:2855/relaysid;tcp')];
    const m = new OfferMedia(await ctx('sip:alice@parley.test', { relayPath: () => relay }), 'sip:bob@parley.test');
    const sdp = m.createOffer();
    const media = parseMsrpMedia(sdp);
    assert.equal(media.path.length, 2);
    assert.equal(media.path[0], 'msrp://127.0.0.1:2855/relaysid;tcp');
    assert.match(media.path[1], new RegExp(`^msrp://127\\.0\\.0\\.1:${tcp.port}/[^;]+;tcp$`));
    assert.ok(media.acceptTypes.includes('message/cpim') && media.acceptTypes.includes('application/vnd.parley.msrp-e2e'));
    assert.deepEqual(media.acceptWrappedTypes, ['text/plain', 'message/imdn+xml', 'application/im-iscomposing+xml']);
    assert.equal(media.setup, 'actpass');
    assert.equal(media.cema, true);
    assert.equal(media.keyMgmt[0].protocol, 'parley-x25519-v1');
    assert.equal(m.createOffer(), sdp, 're-offer repeats the same media');
  });

  it('msrps offers carry our a=fingerprint; the answer completes E2E, pins TOFU and picks roles', async () => {
    const off = new OfferMedia(await ctx('sip:alice@parley.test', { offerSecure: true }), 'sip:bob@parley.test');
    const offer = off.createOffer();
    assert.equal(parseMsrpMedia(offer).fingerprints[0].value, fp.replace('sha-256 ', ''));
    const ans = await prepareAnswer(await ctx('sip:bob@parley.test'), offer, 'sip:alice@parley.test');
    assert.ok(ans instanceof AnswerMedia);
    assert.equal(ans.negotiated.peerKeyState, 'unverified');
    assert.equal(ans.negotiated.role, 'active', 'answerer connects (RFC 6135 preference)');
    assert.equal(ans.negotiated.chunkSize, DIRECT_CHUNK_SIZE);
    let got: Negotiated | undefined;
    off.onNegotiated = (n) => (got = n);
    await off.applyRemote('answer', ans.answerSdp);
    assert.equal(got?.role, 'passive');
    assert.ok(got?.e2e && ans.negotiated.e2e);
    const sealed = got.e2e.cipher.seal(new TextEncoder().encode('x'));
    assert.equal(new TextDecoder().decode(ans.negotiated.e2e.cipher.open(sealed)), 'x');
    assert.match(got.remoteFingerprint ?? '', /^sha-256 /);
  });

  it("refusals: no key-mgmt under 'require' (E2E_REQUIRED), answers without key-mgmt, unknown transports", async () => {
    const plainOffer = buildMsrpOffer({
      port: 9,
      transport: 'TCP/MSRP',
      path: ['msrp://127.0.0.1:9/x;tcp'],
      acceptTypes: ['message/cpim'],
    });
    const r = await prepareAnswer(await ctx('sip:bob@parley.test'), plainOffer, 'sip:carol@parley.test');
    assert.ok(!(r instanceof AnswerMedia) && r.code === 'E2E_REQUIRED' && r.status === 488);
    const ok = await prepareAnswer(await ctx('sip:bob@parley.test', { policy: 'allow-plaintext' }), plainOffer, 'sip:carol@parley.test');
    assert.ok(ok instanceof AnswerMedia && ok.negotiated.e2e === undefined);
    const off = new OfferMedia(await ctx('sip:alice@parley.test'), 'sip:carol@parley.test');
    off.createOffer();
    await assert.rejects(off.applyRemote('answer', ok.answerSdp), (e) => isParleyError(e, 'E2E_REQUIRED'));
    assert.equal(off.failure?.code, 'E2E_REQUIRED');
    const noTls = await prepareAnswer(
      await ctx('sip:bob@parley.test', { transport: (s) => (s ? undefined : tcp) }),
      buildMsrpOffer({ port: 9, transport: 'TCP/TLS/MSRP', path: ['msrps://127.0.0.1:9/x;tcp'], acceptTypes: ['message/cpim'] }),
      'sip:carol@parley.test',
    );
    assert.ok(!(noTls instanceof AnswerMedia) && noTls.code === 'SDP_MSRP_BAD_TRANSPORT');
    await assert.rejects(
      async () => new OfferMedia({ ...(await ctx('sip:a@x')), security: undefined }, 'sip:b@x'),
      (e) => isParleyError(e, 'E2E_NO_IDENTITY'),
    );
  });

  it('the RTCPeerConnection stand-in runs offer/answer through a driver and restores the globals', async () => {
    const g = globalThis as { window?: unknown; RTCPeerConnection?: unknown };
    assert.equal(g.window, undefined);
    const off = new OfferMedia(await ctx('sip:alice@parley.test'), 'sip:bob@parley.test');
    const pc = withWebRtcGlobals(() => {
      assert.equal((g.window as { RTCPeerConnection: unknown }).RTCPeerConnection, MsrpPeerConnection);
      return new (g.RTCPeerConnection as typeof MsrpPeerConnection)({ [DRIVER_KEY]: off });
    });
    assert.equal(g.window, undefined);
    assert.equal(g.RTCPeerConnection, undefined);
    const d = await pc.createOffer();
    await pc.setLocalDescription(d);
    assert.equal(pc.signalingState, 'have-local-offer');
    assert.equal(pc.iceGatheringState, 'complete');
    await assert.rejects(pc.setRemoteDescription({ type: 'answer', sdp: 'v=0\r\n' }), (e) => isParleyError(e));
    pc.close();
    assert.equal(pc.signalingState, 'closed');
    assert.ok(off.closed);
    assert.throws(
      () => new MsrpPeerConnection({}),
      (e) => isParleyError(e, 'SESSION_NO_DRIVER'),
    );
    assert.throws(
      () => pc.addTrack(),
      (e) => isParleyError(e, 'SESSION_NO_MEDIA_TRACKS'),
    );
  });
});
