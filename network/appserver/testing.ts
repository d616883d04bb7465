// Test helpers for the app server against the real lab: MSRP chat participants driven by raw SIP (not product code).
import { MsrpSession, formatMsrpUri, type SessionEvent } from '../../main/protocol/msrp';
import { MsrpRelayClient, MsrpTransport, certFingerprint } from '../../main/net/msrp';
import { answerMsrpOffer, buildMsrpOffer, parseMsrpMedia } from '../../main/protocol/sdp/msrp-sdp';
import { buildChatCpim, parseCpim, serializeCpim, type CpimAddress, type CpimMessage } from '../../main/protocol/formats/cpim';
import { header, headers, serialize, type RawSipClient, type SipMessage } from '../testing/rawsip';
import { WaitQueue } from '../testing/wait-queue';

export const WAIT_MS = 8000;

/** Collects events of an MSRP session and lets tests wait for them. */
export class Inbox {
  readonly #events = new WaitQueue<SessionEvent>();
  push(e: SessionEvent): void {
    this.#events.push(e);
  }
  wait(pred: (e: SessionEvent) => boolean, what: string, ms = WAIT_MS): Promise<SessionEvent> {
    return this.#events.take(pred, ms, what);
  }
  /** Next chat message (CPIM parsed). */
  async message(ms = WAIT_MS): Promise<CpimMessage> {
    const e = await this.wait((x) => x.type === 'message', 'MSRP message', ms);
    return parseCpim((e as Extract<SessionEvent, { type: 'message' }>).body!);
  }
  messagesNow(): number {
    return this.#events.kept.filter((e) => e.type === 'message').length;
  }
}

export interface ChatLeg {
  session: MsrpSession;
  inbox: Inbox;
  transport: MsrpTransport;
  dialog: SipMessage;
  roomUri: string;
}

const ROOM_TYPES = { acceptTypes: ['message/cpim'], acceptWrappedTypes: ['*'] };

function session(local: ReturnType<MsrpTransport['localUri']>, path: string[], inbox: Inbox): MsrpSession {
  const s = new MsrpSession({ localUri: local, toPath: path });
  s.onEvent = (e) => inbox.push(e);
  return s;
}

/** Room URI from the focus's Contact (user part = room id) in the home domain. */
export function roomUriOf(m: SipMessage, domain: string): string {
  const c = header(m, 'Contact') ?? '';
  const user = /<sips?:([^@>]+)@/.exec(c)?.[1];
  if (!user) throw new Error(`no room in Contact ${c}`);
  return `sip:${user}@${domain}`;
}

/** INVITE the factory or a room with an MSRP offer (optionally with a recipient list), ACK, connect. */
export async function joinRoom(
  c: RawSipClient,
  ruri: string,
  domain: string,
  o: {
    multipart?: (sdp: string) => { contentType: string; body: string };
    subject?: string;
    /** Reach the focus through the lab's MSRP relay (RFC 4976): AUTH first, Use-Path in our a=path. */
    relay?: { uri: string; user: string; password: string };
    /** Offer TCP/TLS/MSRP with our a=fingerprint and pin the focus's certificate by its a=fingerprint. */
    tls?: boolean;
  } = {},
): Promise<ChatLeg | SipMessage> {
  const transport = new MsrpTransport({ tls: !!o.tls });
  const local = transport.localUri();
  const fingerprints = o.tls ? [{ algorithm: 'sha-256', value: certFingerprint((await transport.certificate()).cert) }] : undefined;
  let usePath: string[] = [];
  if (o.relay) {
    const rc = new MsrpRelayClient(transport, { relayUri: o.relay.uri, username: o.relay.user, password: o.relay.password });
    usePath = (await rc.authenticate()).usePath.map(formatMsrpUri);
  }
  const sdp = buildMsrpOffer({
    port: 9,
    transport: o.tls ? 'TCP/TLS/MSRP' : 'TCP/MSRP',
    path: [...usePath, formatMsrpUri(local)],
    fingerprints,
    ...ROOM_TYPES,
  });
  const b = o.multipart ? o.multipart(sdp) : { contentType: 'application/sdp', body: sdp };
  const res = await c.request('INVITE', ruri, {
    body: b.body,
    contentType: b.contentType,
    extra: o.subject ? [['Subject', o.subject]] : [],
  });
  if (res.status !== 200) {
    await transport.close();
    return res;
  }
  await c.inDialog('ACK', res);
  const inbox = new Inbox();
  const answer = parseMsrpMedia(res.body);
  const s = session(local, [...usePath, ...answer.path], inbox);
  const fp = answer.fingerprints[0];
  await transport.attach(s, {
    role: 'active',
    viaRelay: !!o.relay,
    remoteFingerprint: o.tls && fp ? `${fp.algorithm} ${fp.value}` : undefined,
  });
  return { session: s, inbox, transport, dialog: res, roomUri: roomUriOf(res, domain) };
}

/** Answer an INVITE from the focus (the client's autoReply sent 180 already): 200 with an MSRP answer, connect actively. */
export async function acceptInvitation(c: RawSipClient, inv: SipMessage, domain: string, o: { passive?: boolean } = {}): Promise<ChatLeg> {
  const transport = new MsrpTransport();
  const port = o.passive ? await transport.listen() : 9;
  const local = transport.localUri();
  const a = answerMsrpOffer(inv.body, {
    endpoints: [{ transport: 'TCP/MSRP', port, path: [formatMsrpUri(local)] }],
    ...ROOM_TYPES,
    setup: o.passive ? 'passive' : 'active',
  });
  if ('reject' in a) throw new Error(a.reason);
  const tag = 'inv' + Math.random().toString(16).slice(2, 8);
  const hs: Array<[string, string]> = [
    ...headers(inv, 'Via').map((v): [string, string] => ['Via', v]),
    ...headers(inv, 'Record-Route').map((v): [string, string] => ['Record-Route', v]),
    ['From', header(inv, 'From')!],
    ['To', `${header(inv, 'To')};tag=${tag}`],
    ['Call-ID', header(inv, 'Call-ID')!],
    ['CSeq', header(inv, 'CSeq')!],
    ['Contact', c.contact],
    ['Content-Type', 'application/sdp'],
  ];
  const inbox = new Inbox();
  const s = session(local, a.remote.path, inbox);
  const attached = transport.attach(s, { role: o.passive ? 'passive' : 'active' }); // passive: listening before the 200 leaves
  c.sendRaw(serialize('SIP/2.0 200 OK', hs, a.sdp));
  await attached;
  return { session: s, inbox, transport, dialog: inv, roomUri: roomUriOf(inv, domain) };
}

export function sendChat(leg: ChatLeg, from: string, to: Array<string | CpimAddress>, text: string, contentType?: string): string {
  const id = 'm' + Math.random().toString(36).slice(2, 12);
  const cpim = contentType
    ? buildChatCpim({ from, to, content: { contentType, body: text }, messageId: id })
    : buildChatCpim({ from, to, text, messageId: id });
  leg.session.send({ contentType: 'message/cpim', body: serializeCpim(cpim) });
  return id;
}
