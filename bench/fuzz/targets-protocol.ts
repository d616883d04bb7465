// Fuzz targets for the sans-IO protocol cores: SIP framer, MSRP parser + session reassembly, SDP (MSRP and RFC 5547),
// CPIM, IMDN, is-composing, conference-info, resource lists, multipart, page-mode content decoding.
import { createHash } from 'node:crypto';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { SipStreamFramer } from '../../main/protocol/sip/stream-framer';
import { decodeBody, decodeContentEncoding } from '../../main/protocol/sip/message-body';
import { MsrpParser } from '../../main/protocol/msrp/parser';
import { MsrpSession } from '../../main/protocol/msrp/session';
import { FakeClock } from '../../main/base/clock';
import { parsePath } from '../../main/protocol/msrp/uri';
import { FIXTURES as MSRP_FIXTURES } from '../../main/protocol/msrp/fixtures.test-data';
import { parseSdp } from '../../main/protocol/sdp/sdp';
import { answerMsrpOffer, buildMsrpOffer, parseMsrpMedia, type MsrpLocalCapabilities } from '../../main/protocol/sdp/msrp-sdp';
import { parseFileDate, parseFileRange, parseFileSelector } from '../../main/protocol/formats/file-selector';
import { buildChatCpim, parseCpim, requestedNotifications, serializeCpim } from '../../main/protocol/formats/cpim';
import { isImdnCpim, parseImdn, parseImdnCpim, serializeImdn } from '../../main/protocol/formats/imdn';
import { parseIsComposing } from '../../main/protocol/formats/is-composing';
import { applyConferenceInfo, parseConferenceInfo } from '../../main/protocol/formats/conference-info';
import { buildUriListMessage, parseResourceList, parseUriListMessage } from '../../main/protocol/formats/resource-lists';
import { buildMultipart, parseMultipart } from '../../main/protocol/formats/multipart';
import { ParleyError } from '../../main/base/errors';
import type { FuzzTarget } from './engine';

const enc = new TextEncoder();
const dec = new TextDecoder();
const u8 = (s: string) => enc.encode(s);
const crlf = (s: string) => u8(s.replace(/\n/g, '\r\n'));
/** Two-part inputs: `first` line, then the rest (mutations may move the split, which is fine). */
const twoParts = (b: Uint8Array): [string, Uint8Array] => {
  const nl = b.indexOf(0x0a);
  return nl < 0 ? ['', b] : [dec.decode(b.subarray(0, nl)), b.subarray(nl + 1)];
};
/** Runs one of several parsers applied to the same input: a typed refusal is fine, anything else propagates. */
export function typed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ParleyError)) throw e;
  }
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 12);

const SIP_MESSAGE = crlf(`MESSAGE sip:bob@parley.test SIP/2.0
Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK776asdhds
From: "Alice" <sip:alice@parley.test>;tag=1928301774
To: <sip:bob@parley.test>
Call-ID: a84b4c76e66710@pc33
CSeq: 1 MESSAGE
Content-Type: text/plain;charset=utf-8
Content-Length: 12

hello there!`);

/** What feeding `pieces` produced, as text; with `fail`, the framing error is thrown (a typed refusal) instead. */
function framerSummary(pieces: Uint8Array[], fail = false): string {
  const f = new SipStreamFramer({ maxHeaderBytes: 4096, maxBodyBytes: 16 * 1024 });
  const out: string[] = [];
  for (const p of pieces) {
    const r = f.push(p);
    for (const e of r.events) out.push(e.type === 'message' ? `m:${e.bodyOffset}:${e.contentLength}:${sha(e.bytes)}` : e.type);
    if (r.error) {
      if (fail) throw r.error;
      out.push(`error:${r.error.code}`);
      break;
    }
  }
  return out.join(',');
}

export const sipFramer: FuzzTarget = {
  name: 'sip-framer',
  fixtures: [
    SIP_MESSAGE,
    u8('\r\n\r\n'),
    crlf('SIP/2.0 200 OK\nVia: x\nl: 0\n\n'),
    new Uint8Array([...SIP_MESSAGE, 13, 10, ...SIP_MESSAGE]),
  ],
  run: (b) => framerSummary([b], true),
  stream: (pieces) => framerSummary(pieces),
};

const LOCAL = 'msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp';
const PEER = 'msrp://atlanta.example.com:7654/jshA7weztas;tcp';

function msrpSummary(pieces: Uint8Array[], fail = false): string {
  const out: string[] = [];
  const s = new MsrpSession({ localUri: LOCAL, toPath: [PEER], clock: new FakeClock(), maxSessionBytes: 256 * 1024 });
  s.setWriter((parts) => {
    const line = Buffer.concat(parts).toString('latin1').split('\r\n')[0];
    out.push(`w:${line.replace(/^MSRP \S+ (REPORT|SEND)/, 'MSRP * $1')}`);
  });
  s.onEvent = (e) => {
    if (e.type === 'message') out.push(`msg:${e.messageId}:${e.totalBytes}:${e.body ? sha(e.body) : '-'}`);
    else if (e.type === 'chunk') out.push(`chunk:${e.messageId}:${e.receivedBytes}`);
    else if (e.type === 'error') out.push(`err:${e.error.code}:${e.fatal}`);
    else if (e.type === 'nickname') e.respond(200);
    else out.push(e.type);
  };
  const p = new MsrpParser({ bufferBodyBytes: 512, maxHeaderBytes: 4096, maxBodyBytes: 1024 * 1024 });
  for (const piece of pieces) {
    for (const ev of p.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength))) {
      if (ev.type === 'error') {
        if (fail) throw ev.error;
        out.push(`fatal:${ev.error.code}`);
        return out.join(',');
      }
      s.receive(ev);
    }
  }
  return out.join(',');
}

export const msrp: FuzzTarget = {
  name: 'msrp-parser+reassembly',
  fixtures: MSRP_FIXTURES.map((f) => new Uint8Array(f.bytes)),
  run: (b) => {
    typed(() => parsePath(dec.decode(b.subarray(0, 512))));
    return msrpSummary([b], true);
  },
  stream: (pieces) => msrpSummary(pieces),
};

const OFFER = buildMsrpOffer({
  address: '127.0.0.1',
  cema: true,
  maxSize: 65536,
  port: 2855,
  transport: 'TCP/TLS/MSRP',
  path: ['msrps://127.0.0.1:2855/abcd;tcp'],
  acceptTypes: ['message/cpim', 'text/plain'],
  acceptWrappedTypes: ['*'],
  setup: 'actpass',
  fingerprints: [{ algorithm: 'sha-256', value: 'AB:'.repeat(31) + 'AB' }],
  keyMgmt: [{ protocol: 'parley-x25519-v1', data: 'AAAA' }],
});
const FILE_OFFER = crlf(`v=0
o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com
s=-
c=IN IP4 127.0.0.1
t=0 0
m=message 7654 TCP/MSRP *
i=This is my latest picture
a=sendonly
a=accept-types:message/cpim
a=accept-wrapped-types:*
a=path:msrp://127.0.0.1:7654/jshA7we;tcp
a=file-selector:name:"My cool picture.jpg" type:image/jpeg size:32349 hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E
a=file-transfer-id:vBnG916bdberum2fFEABR1FR3ExZMUrd
a=file-disposition:attachment
a=file-date:creation:"Mon, 15 May 2006 15:01:31 +0300"
a=file-icon:cid:id2@alicepc.example.com
a=file-range:1-32349
`);
const LOCAL_CAPS: MsrpLocalCapabilities = {
  endpoints: [{ transport: 'TCP/MSRP', port: 2856, path: ['msrp://127.0.0.1:2856/efgh;tcp'] }],
  acceptTypes: ['*'],
};

export const sdp: FuzzTarget = {
  name: 'sdp+rfc5547',
  fixtures: [
    u8(OFFER),
    FILE_OFFER,
    u8('sname:"a b.txt" type:text/plain size:10 hash:sha-256:' + 'AA:'.repeat(31) + 'AA'),
    u8('r1-*'),
    u8('dcreation:"Mon, 15 May 2006 15:01:31 +0300" modification:"Mon, 15 May 2006 15:01:31 +0300"'),
  ],
  run: (b) => {
    // RFC 5547 attribute values on their own, by a one-letter prefix; anything else is an SDP body
    const text = dec.decode(b.subarray(1));
    if (b[0] === 0x73) return parseFileSelector(text);
    if (b[0] === 0x72) return parseFileRange(text);
    if (b[0] === 0x64) return parseFileDate(text);
    const s = parseSdp(b);
    typed(() => parseMsrpMedia(s));
    return answerMsrpOffer(s, LOCAL_CAPS);
  },
};

const imdnOf = (kind: 'delivery' | 'display', status: 'delivered' | 'displayed' | 'failed') =>
  serializeImdn({
    messageId: 'Abc123',
    dateTime: '2026-12-01T10:00:00.000Z',
    recipientUri: 'sip:bob@parley.test',
    originalRecipientUri: 'sip:bob@parley.test',
    kind,
    status,
  } as Parameters<typeof serializeImdn>[0]);
export const imdn: FuzzTarget = {
  name: 'imdn',
  fixtures: [imdnOf('delivery', 'delivered'), imdnOf('display', 'displayed'), imdnOf('delivery', 'failed')],
  run: (b) => parseImdn(b),
};
const CPIM = serializeCpim(
  buildChatCpim({
    from: { uri: 'sip:alice@parley.test', name: 'Alice "A" Ω' },
    to: ['sip:bob@parley.test'],
    messageId: 'Abc123_-.~',
    text: 'hello\r\nthere',
    notifications: ['positive-delivery', 'display'],
    subject: 'hi',
  }),
);
const imdnCpim = serializeCpim(
  buildChatCpim({
    from: 'sip:bob@parley.test',
    to: ['sip:alice@parley.test'],
    messageId: 'n1',
    content: { contentType: 'message/imdn+xml', body: imdnOf('display', 'displayed') },
  }),
);
export const cpim: FuzzTarget = {
  name: 'cpim',
  fixtures: [
    CPIM,
    imdnCpim,
    crlf('From: <sip:a@x>\nTo: <sip:b@x>\nNS: imdn <urn:ietf:params:imdn>\nimdn.Message-ID: 1\n\nContent-Type: text/plain\n\nhi'),
  ],
  run: (b) => {
    const m = parseCpim(b, { maxBodyBytes: 64 * 1024 });
    requestedNotifications(m);
    if (isImdnCpim(m)) parseImdnCpim(b);
    return m;
  },
};

const COMPOSING = u8(`<?xml version="1.0" encoding="UTF-8"?>
<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><contenttype>text/plain</contenttype><lastactive>2026-12-01T10:00:00Z</lastactive><refresh>90</refresh></isComposing>`);
export const isComposing: FuzzTarget = { name: 'is-composing', fixtures: [COMPOSING], run: (b) => parseIsComposing(b) };

const CONF = u8(`<?xml version="1.0" encoding="UTF-8"?>
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:conf-1@parley.test" state="full" version="3">
 <conference-description><subject>Team</subject><maximum-user-count>50</maximum-user-count></conference-description>
 <conference-state><user-count>2</user-count><active>true</active><locked>false</locked></conference-state>
 <users>
  <user entity="sip:alice@parley.test" state="full"><display-text>alice</display-text><roles><entry>participant</entry></roles>
   <endpoint entity="sip:alice@127.0.0.1:5070"><status>connected</status><joining-method>dialed-in</joining-method>
    <joining-info><when>2026-12-01T10:00:00Z</when></joining-info><media id="m1"><type>message</type><status>sendrecv</status></media></endpoint>
  </user>
  <user entity="sip:bob@parley.test" state="partial"><endpoint entity="sip:bob@1.2.3.4"><status>disconnected</status><disconnection-method>departed</disconnection-method></endpoint></user>
 </users>
</conference-info>`);
export const conferenceInfo: FuzzTarget = {
  name: 'conference-info',
  fixtures: [CONF],
  run: (b) => applyConferenceInfo(undefined, parseConferenceInfo(b)),
};

const LIST = buildUriListMessage(
  {
    recipients: [
      { uri: 'sip:alice@parley.test', displayName: 'Alice' },
      { uri: 'sip:bob@parley.test', copyControl: 'bcc' },
    ],
    message: { contentType: 'message/cpim', headers: [], body: CPIM },
  },
  'boundary42',
);
export const resourceLists: FuzzTarget = {
  name: 'resource-lists',
  fixtures: [new Uint8Array([...u8(`${LIST.contentType}\n`), ...LIST.body])],
  run: (b) => {
    const [ct, body] = twoParts(b);
    typed(() => parseResourceList(body));
    return parseUriListMessage(ct, body);
  },
};

const MULTI = buildMultipart(
  [
    { headers: [{ name: 'Content-Type', value: 'text/plain' }], body: u8('one') },
    {
      headers: [
        { name: 'Content-Type', value: 'application/resource-lists+xml' },
        { name: 'Content-Disposition', value: 'recipient-list' },
      ],
      body: u8('<x/>'),
    },
  ],
  { boundary: 'b0undary' },
);
export const multipart: FuzzTarget = {
  name: 'multipart',
  fixtures: [new Uint8Array([...u8(`${MULTI.contentType}\n`), ...MULTI.body])],
  run: (b) => {
    const [ct, body] = twoParts(b);
    return parseMultipart(body, ct);
  },
};

const PLAIN = u8('From: <sip:a@x>\r\nTo: <sip:b@x>\r\n\r\nContent-Type: text/plain\r\n\r\nhello '.repeat(8));
const CODINGS = ['gzip', 'deflate', 'gzip, deflate', 'identity', 'x-gzip', 'br'];
export const contentDecoding: FuzzTarget = {
  name: 'content-decoding',
  fixtures: [
    new Uint8Array([0, ...gzipSync(PLAIN)]),
    new Uint8Array([1, ...deflateSync(PLAIN)]),
    new Uint8Array([1, ...deflateRawSync(PLAIN)]),
    new Uint8Array([2, ...deflateSync(gzipSync(PLAIN))]),
    new Uint8Array([1, ...deflateSync(new Uint8Array(65_000))]), // just under the limit: mutations cross it
    new Uint8Array([7, ...u8(Buffer.from(gzipSync(PLAIN)).toString('base64'))]), // base64 transfer encoding, then gzip
  ],
  run: async (b) => {
    const sel = b[0] ?? 0;
    let body = b.subarray(1);
    if (sel >= CODINGS.length) body = decodeBody(body, sel % 2 ? 'base64' : 'quoted-printable');
    return decodeContentEncoding(body, sel >= CODINGS.length ? 'gzip' : CODINGS[sel], 64 * 1024);
  },
};

export const PROTOCOL_TARGETS: FuzzTarget[] = [
  sipFramer,
  msrp,
  sdp,
  cpim,
  imdn,
  isComposing,
  conferenceInfo,
  resourceLists,
  multipart,
  contentDecoding,
];
