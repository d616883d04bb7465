// ChatSession without a network (a fake MSRP transport): the delivery IMDN of a message that arrives while the session
// is still connecting is sent once the session is up, exactly once, also through the UE's session transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { buildChatCpim, serializeCpim } from '../../protocol/formats/cpim';
import { parseFrames } from '../../protocol/msrp/parser';
import { serializeRequest } from '../../protocol/msrp/serializer';
import { getHeader } from '../../protocol/msrp/message';
import { parseMsrpUri } from '../../protocol/msrp/uri';
import type { MsrpSession } from '../../protocol/msrp/session';
import type { MsrpTransport } from '../../net/msrp/transport';
import type { MsrpMedia } from '../../protocol/sdp/msrp-sdp';
import type { Negotiated } from '../../media/msrp-media';
import type { ChatInbox, InboundChat } from '../feature';
import { ChatSession } from './chat-session';
import { SessionChatTransport } from './facade';
import type { ChatSessionManager, IncomingChatSession } from './manager';

const ALICE = 'sip:alice@parley.test';
const BOB = 'sip:bob@parley.test';
const LOCAL = 'msrp://127.0.0.1:7001/aliceSess;tcp';
const PEER = 'msrp://127.0.0.1:7002/bobSess;tcp';

/** A transport whose connection comes up when the test says so; every frame the session writes is kept. */
function fakeLink() {
  const written: Buffer[] = [];
  let msrp: MsrpSession | undefined;
  let up: () => void = () => {};
  const transport = {
    attach: (s: MsrpSession) => {
      msrp = s;
      s.setWriter((parts) => written.push(Buffer.concat(parts)));
      return new Promise<void>((r) => (up = r));
    },
    detach: (s: MsrpSession) => s.close(),
    drained: async () => {},
  } as unknown as MsrpTransport;
  const negotiated: Negotiated = {
    transport,
    secure: false,
    localUri: parseMsrpUri(LOCAL),
    toPath: [parseMsrpUri(PEER)],
    role: 'passive',
    cema: false,
    relayed: false,
    viaRelay: false,
    chunkSize: 4096,
    maxMessageBytes: 1024 * 1024,
    local: { path: [LOCAL] } as MsrpMedia,
    remote: { path: [PEER] } as MsrpMedia,
  };
  /** SENDs we wrote whose body is an IMDN (CPIM wrapping message/imdn+xml). */
  const imdnSends = () =>
    parseFrames(Buffer.concat(written)).frames.filter(
      (f) => f.method === 'SEND' && /message\/imdn\+xml/.test(Buffer.from(f.body ?? []).toString('utf8')),
    );
  return { negotiated, up: () => up(), msrp: () => msrp!, imdnSends };
}

/** bob's chat message asking for a positive-delivery IMDN, as an MSRP SEND to alice. */
function chatSend(text: string, messageId: string): Buffer {
  const cpim = serializeCpim(buildChatCpim({ from: BOB, to: [ALICE], text, messageId, notifications: ['positive-delivery'] }));
  return serializeRequest({
    tid: `tid${messageId}x`,
    method: 'SEND',
    toPath: [parseMsrpUri(LOCAL)],
    fromPath: [parseMsrpUri(PEER)],
    headers: [
      ['Message-ID', `msrp-${messageId}`],
      ['Byte-Range', `1-${cpim.length}/${cpim.length}`],
    ],
    contentType: 'message/cpim',
    body: cpim,
  });
}

const turns = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

test('a message received while the session is connecting gets its delivery IMDN once the session is up, exactly once', async () => {
  const link = fakeLink();
  const s = new ChatSession(ALICE, BOB, 'incoming');
  const got: string[] = [];
  s.on('message', (m) => got.push(m.text ?? ''));
  s.onNegotiated(link.negotiated, true);
  link.msrp().feed(chatSend('early words', 'm1'));
  await turns();
  assert.equal(s.state, 'connecting');
  assert.equal(link.imdnSends().length, 0, 'nothing but the 200 leaves while connecting');
  link.up();
  await s.ready();
  await turns();
  assert.deepEqual(got, ['early words']);
  const imdns = link.imdnSends();
  assert.equal(imdns.length, 1);
  assert.match(Buffer.from(imdns[0].body ?? []).toString('utf8'), /<message-id>m1<\/message-id>[\s\S]*<delivered\/>/);
  assert.equal(getHeader(imdns[0].headers, 'To-Path'), PEER);
  s.close();
});

test("the UE's session transport adds no IMDN of its own for an early message (it used to send a second one)", async () => {
  const link = fakeLink();
  const s = new ChatSession(ALICE, BOB, 'incoming');
  const mgr = new EventEmitter() as unknown as ChatSessionManager;
  const transport = new SessionChatTransport(mgr, { isBlocked: () => false, log: () => {} });
  const inbound: InboundChat[] = [];
  const inbox: ChatInbox = { message: (m) => inbound.push(m), composing: () => {}, disposition: () => {} };
  transport.setInbox(inbox);
  const incoming = {
    from: BOB,
    session: s,
    accept: async () => {
      s.onNegotiated(link.negotiated, true);
      link.msrp().feed(chatSend('first words', 'm2'));
      link.up();
      return s;
    },
    decline: () => assert.fail('not declined'),
  } as unknown as IncomingChatSession;
  (mgr as unknown as EventEmitter).emit('incoming', incoming);
  await s.ready();
  await turns(5);
  assert.deepEqual(
    inbound.map((m) => [m.peer, m.text, m.imdnMessageId]),
    [[BOB, 'first words', 'm2']],
  );
  assert.equal(link.imdnSends().length, 1);
  assert.equal(transport.hasOpen(BOB), true);
  transport.closeAll();
});
