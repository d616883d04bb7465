import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildMsrpOffer,
  parseMsrpMedia,
  answerMsrpOffer,
  intersectMediaTypes,
  mediaTypeMatches,
  msrpConnectsActively,
  PARLEY_KEY_MGMT_PROTOCOL,
  type MsrpLocalCapabilities,
  type MsrpAnswer,
  type MsrpReject,
  type MediaDirection,
} from './msrp-sdp';
import { parseSdp } from './sdp';
import { parleyOutcome, fuzzMutations, throwsCode } from '../formats/testing';

const crlf = (l: string[]) => l.join('\r\n') + '\r\n';
// RFC 4975 s7.1 offer (no a=setup: RFC 4975 semantics, offerer is active).
const RFC4975_OFFER = crlf([
  'v=0',
  'o=alice 2890844526 2890844527 IN IP4 alice.example.com',
  's=-',
  'c=IN IP4 alice.example.com',
  't=0 0',
  'm=message 7654 TCP/MSRP *',
  'a=accept-types:text/plain',
  'a=path:msrp://alice.example.com:7654/jshA7weztas;tcp',
]);

const BOB: MsrpLocalCapabilities = {
  endpoints: [{ transport: 'TCP/MSRP', port: 2856, path: ['msrp://127.0.0.1:2856/bob1;tcp'] }],
  acceptTypes: ['message/cpim', 'text/plain', 'application/im-iscomposing+xml'],
  acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
  maxSize: 1048576,
  sessionId: '42',
  cema: true,
};
const ok = (r: MsrpAnswer | MsrpReject): MsrpAnswer => {
  assert.ok('sdp' in r, `rejected: ${(r as MsrpReject).reason}`);
  return r;
};
const offer = (o: Partial<Parameters<typeof buildMsrpOffer>[0]> = {}) =>
  buildMsrpOffer({
    port: 2855,
    transport: 'TCP/MSRP',
    path: ['msrp://127.0.0.1:2855/alice1;tcp'],
    acceptTypes: ['message/cpim', 'text/plain'],
    acceptWrappedTypes: ['*'],
    sessionId: '7',
    ...o,
  });

test('buildMsrpOffer emits the exact expected SDP', () => {
  const sdp = buildMsrpOffer({
    port: 2855,
    transport: 'TCP/MSRP',
    path: ['msrp://127.0.0.1:2855/s1;tcp', 'msrp://127.0.0.1:40000/a1;tcp'],
    acceptTypes: ['message/cpim'],
    acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
    maxSize: 65536,
    cema: true,
    sessionId: '1234',
    keyMgmt: [{ protocol: PARLEY_KEY_MGMT_PROTOCOL, data: 'AAECAw==' }],
  });
  assert.equal(
    sdp,
    crlf([
      'v=0',
      'o=- 1234 1 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      'm=message 2855 TCP/MSRP *',
      'c=IN IP4 127.0.0.1',
      'a=accept-types:message/cpim',
      'a=accept-wrapped-types:text/plain message/imdn+xml',
      'a=max-size:65536',
      'a=path:msrp://127.0.0.1:2855/s1;tcp msrp://127.0.0.1:40000/a1;tcp',
      'a=setup:actpass',
      'a=connection:new',
      'a=msrp-cema',
      'a=key-mgmt:parley-x25519-v1 AAECAw==',
      'a=sendrecv',
    ]),
  );
  const m = parseMsrpMedia(sdp);
  assert.deepEqual(m, {
    index: 0,
    port: 2855,
    transport: 'TCP/MSRP',
    address: '127.0.0.1',
    path: ['msrp://127.0.0.1:2855/s1;tcp', 'msrp://127.0.0.1:40000/a1;tcp'],
    acceptTypes: ['message/cpim'],
    acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
    maxSize: 65536,
    setup: 'actpass',
    connection: 'new',
    cema: true,
    fingerprints: [],
    keyMgmt: [{ protocol: 'parley-x25519-v1', data: 'AAECAw==' }],
    direction: 'sendrecv',
  });
  throwsCode(() => offer({ path: [] }), 'SDP_BAD_INPUT');
  throwsCode(() => offer({ path: ['http://x'] }), 'SDP_BAD_INPUT');
  throwsCode(() => offer({ transport: 'TCP/TLS/MSRP' }), 'SDP_BAD_INPUT'); // msrp: path with TLS
  throwsCode(() => offer({ acceptTypes: [] }), 'SDP_BAD_INPUT');
  throwsCode(() => offer({ acceptTypes: ['text/plain\r\na=evil'] }), 'SDP_BAD_INPUT');
  throwsCode(() => offer({ keyMgmt: [{ protocol: 'x', data: 'not base64!' }] }), 'SDP_BAD_INPUT');
  throwsCode(() => offer({ port: 70000 }), 'SDP_BAD_INPUT');
});

test('answers the RFC 4975 offer: no a=setup means the offerer connects, answer is passive', () => {
  const a = ok(answerMsrpOffer(RFC4975_OFFER, BOB));
  assert.equal(a.remote.setup, undefined);
  assert.equal(a.local.setup, 'passive');
  assert.deepEqual(a.local.acceptTypes, ['text/plain']);
  assert.equal(a.local.cema, false); // offer lacks msrp-cema
  assert.equal(msrpConnectsActively(a.local, a.remote, false), false);
  assert.equal(msrpConnectsActively(a.remote, a.local, true), true);
  assert.match(a.sdp, /^v=0\r\no=- 42 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=message 2856 TCP\/MSRP \*\r\n/);
});

test('setup roles (RFC 6135): actpass -> active by default or as configured; active <-> passive', () => {
  const role = (setup: string | undefined, local: Partial<MsrpLocalCapabilities> = {}) =>
    ok(answerMsrpOffer(offer({ setup: setup as never }), { ...BOB, ...local })).local.setup;
  assert.equal(role('actpass'), 'active');
  assert.equal(role('actpass', { setup: 'passive' }), 'passive');
  assert.equal(role('active'), 'passive');
  assert.equal(role('passive'), 'active');
  assert.equal(role('holdconn'), 'holdconn');
  const a = ok(answerMsrpOffer(offer(), BOB));
  assert.equal(msrpConnectsActively(a.local, a.remote, false), true); // answerer active
  assert.equal(msrpConnectsActively(a.remote, a.local, true), false); // offerer waits
});

test('accept-types intersection with wildcards; 488 when nothing in common', () => {
  assert.ok(mediaTypeMatches('text/plain', '*'));
  assert.ok(mediaTypeMatches('TEXT/Plain;charset=utf-8', 'text/*'));
  assert.ok(!mediaTypeMatches('image/png', 'text/*'));
  assert.deepEqual(intersectMediaTypes(['*'], ['message/cpim', 'text/plain']), ['message/cpim', 'text/plain']);
  assert.deepEqual(intersectMediaTypes(['text/*', 'message/cpim'], ['text/plain', 'image/png', 'message/cpim']), [
    'text/plain',
    'message/cpim',
  ]);
  assert.deepEqual(intersectMediaTypes(['text/plain', 'text/html'], ['text/*']), ['text/plain', 'text/html']);
  assert.deepEqual(intersectMediaTypes(['*'], ['text/*']), ['text/*']);
  assert.deepEqual(intersectMediaTypes(['image/*'], ['text/*']), []);
  const a = ok(answerMsrpOffer(offer({ acceptTypes: ['*'] }), BOB));
  assert.deepEqual(a.local.acceptTypes, BOB.acceptTypes);
  assert.deepEqual(a.local.acceptWrappedTypes, BOB.acceptWrappedTypes); // offer wrapped '*'
  assert.deepEqual(answerMsrpOffer(offer({ acceptTypes: ['image/png'] }), BOB), { reject: 488, reason: 'no common accept type' });
  assert.deepEqual(answerMsrpOffer(offer({ acceptTypes: ['message/cpim'], acceptWrappedTypes: ['image/*'] }), BOB), {
    reject: 488,
    reason: 'no common wrapped type',
  });
});

test('transport choice, TLS fingerprints, CEMA only when both support it, connection attribute', () => {
  const tlsOffer = offer({
    transport: 'TCP/TLS/MSRP',
    path: ['msrps://127.0.0.1:2855/a;tcp'],
    fingerprints: [{ algorithm: 'SHA-256', value: 'ab:cd:ef' }],
    cema: true,
    connection: 'existing',
  });
  assert.deepEqual(parseMsrpMedia(tlsOffer).fingerprints, [{ algorithm: 'sha-256', value: 'AB:CD:EF' }]);
  assert.deepEqual(answerMsrpOffer(tlsOffer, BOB), { reject: 488, reason: 'incompatible transport TCP/TLS/MSRP' });
  const both: MsrpLocalCapabilities = {
    ...BOB,
    endpoints: [...BOB.endpoints, { transport: 'TCP/TLS/MSRP', port: 2857, path: ['msrps://127.0.0.1:2857/b;tcp'] }],
    fingerprints: [{ algorithm: 'sha-256', value: '01:02' }],
    hasExistingConnection: true,
  };
  const a = ok(answerMsrpOffer(tlsOffer, both));
  assert.equal(a.local.transport, 'TCP/TLS/MSRP');
  assert.equal(a.local.port, 2857);
  assert.deepEqual(a.local.fingerprints, [{ algorithm: 'sha-256', value: '01:02' }]);
  assert.equal(a.local.cema, true);
  assert.equal(a.local.connection, 'existing');
  assert.equal(ok(answerMsrpOffer(tlsOffer, { ...both, cema: false, hasExistingConnection: false })).local.cema, false);
  assert.equal(ok(answerMsrpOffer(tlsOffer, { ...both, hasExistingConnection: false })).local.connection, 'new');
  assert.deepEqual(ok(answerMsrpOffer(offer(), both)).local.fingerprints, []); // never on plain TCP
});

test('file transfer (RFC 5547): sendonly push -> recvonly with selector echoed; pull recvonly -> sendonly; refusal is 488', () => {
  const file = {
    selector: {
      name: 'photo.jpg',
      type: 'image/jpeg',
      size: 32349,
      hashes: [{ algorithm: 'sha-256', digest: new Uint8Array(32).fill(7) }],
    },
    transferId: 'ft-1',
    disposition: 'attachment',
    range: { start: 1, stop: '*' as const },
  };
  const push = offer({ direction: 'sendonly', acceptTypes: ['image/jpeg'], file });
  assert.deepEqual(parseMsrpMedia(push).file, file);
  const a = ok(answerMsrpOffer(push, { ...BOB, acceptTypes: ['*'] }));
  assert.equal(a.local.direction, 'recvonly');
  assert.deepEqual(a.local.file, file);
  const withIcon = ok(
    answerMsrpOffer(offer({ direction: 'sendonly', acceptTypes: ['image/jpeg'], file: { ...file, icon: 'cid:icon1@alice' } }), {
      ...BOB,
      acceptTypes: ['*'],
    }),
  );
  assert.deepEqual(withIcon.remote.file, { ...file, icon: 'cid:icon1@alice' });
  assert.deepEqual(withIcon.local.file, file); // icon not echoed
  assert.deepEqual(a.local.acceptTypes, ['image/jpeg']);
  const pull = ok(
    answerMsrpOffer(offer({ direction: 'recvonly', acceptTypes: ['*'], file: { selector: { name: 'x.bin' }, transferId: 't2' } }), BOB),
  );
  assert.equal(pull.local.direction, 'sendonly');
  assert.deepEqual(answerMsrpOffer(push, { ...BOB, acceptTypes: ['*'], acceptFileTransfer: false }), {
    reject: 488,
    reason: 'file transfer not accepted',
  });
  const dir = (d: MediaDirection, local?: MediaDirection) =>
    ok(answerMsrpOffer(offer({ direction: d }), { ...BOB, direction: local })).local.direction;
  assert.equal(dir('inactive'), 'inactive');
  assert.equal(dir('sendrecv'), 'sendrecv');
  assert.equal(dir('sendrecv', 'recvonly'), 'recvonly');
});

test('multi-stream offers: other m= lines refused with port 0, first acceptable MSRP line answered', () => {
  const o = crlf([
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 49170 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    'm=message 0 TCP/MSRP *',
    'a=accept-types:text/plain',
    'a=path:msrp://127.0.0.1:1/x;tcp',
    'm=message 2855 TCP/MSRP *',
    'a=accept-types:text/plain',
    'a=path:msrp://127.0.0.1:2855/y;tcp',
    'a=setup:actpass',
    'x=kept',
  ]);
  const a = ok(answerMsrpOffer(o, BOB));
  const s = parseSdp(a.sdp);
  assert.deepEqual(
    s.media.map((m) => [m.m.media, m.m.port, m.m.proto, m.m.fmts.join(' ')]),
    [
      ['audio', 0, 'RTP/AVP', '0'],
      ['message', 0, 'TCP/MSRP', '*'],
      ['message', 2856, 'TCP/MSRP', '*'],
    ],
  );
  assert.equal(a.remote.index, 2);
  assert.equal(a.local.index, 2);
  assert.deepEqual(answerMsrpOffer(crlf(['v=0', 'o=- 1 1 IN IP4 x', 's=-', 't=0 0', 'm=audio 1 RTP/AVP 0']), BOB), {
    reject: 488,
    reason: 'no MSRP media line',
  });
  throwsCode(() => parseMsrpMedia(crlf(['v=0', 'm=audio 1 RTP/AVP 0'])), 'SDP_NO_MSRP_MEDIA');
});

test('malformed MSRP attributes: parse errors are typed, answers turn them into 488', () => {
  const bad = (line: string) => RFC4975_OFFER + line + '\r\n';
  throwsCode(() => parseMsrpMedia(bad('a=path:msrp://x:1/y;tcp')), 'SDP_MSRP_BAD_PATH');
  throwsCode(() => parseMsrpMedia(RFC4975_OFFER.replace('a=path:msrp://', 'a=path:http://')), 'SDP_MSRP_BAD_PATH');
  throwsCode(() => parseMsrpMedia(RFC4975_OFFER.replace(/a=accept-types:text\/plain\r\n/, '')), 'SDP_MSRP_MISSING_ACCEPT_TYPES');
  throwsCode(() => parseMsrpMedia(bad('a=setup:sideways')), 'SDP_MSRP_BAD_ATTRIBUTE');
  throwsCode(() => parseMsrpMedia(bad('a=max-size:-5')), 'SDP_MSRP_BAD_ATTRIBUTE');
  throwsCode(() => parseMsrpMedia(bad('a=fingerprint:sha-256 zz')), 'SDP_MSRP_BAD_ATTRIBUTE');
  throwsCode(() => parseMsrpMedia(bad('a=key-mgmt:parley-x25519-v1')), 'SDP_MSRP_BAD_ATTRIBUTE');
  throwsCode(() => parseMsrpMedia(bad('a=sendonly\r\na=recvonly')), 'SDP_MSRP_BAD_ATTRIBUTE');
  throwsCode(() => parseMsrpMedia(bad('a=file-selector:size:x')), 'FILE_SELECTOR_MALFORMED');
  const r = answerMsrpOffer(bad('a=setup:sideways'), BOB);
  assert.ok('reject' in r && r.reject === 488 && /invalid setup/.test(r.reason));
  throwsCode(() => answerMsrpOffer('garbage', BOB), 'SDP_MALFORMED');
});

test('every truncation and random mutation of an offer yields an answer, a 488 or a ParleyError', () => {
  const o = offer({ cema: true, keyMgmt: [{ protocol: 'p', data: 'AA==' }], file: { selector: { name: 'a b.txt', size: 3 } } });
  for (let i = 0; i < o.length; i++) parleyOutcome(() => answerMsrpOffer(o.slice(0, i), BOB));
  fuzzMutations(new TextEncoder().encode(o), (b) => answerMsrpOffer(b, BOB), 500, 31);
});

test('property: buildMsrpOffer -> parseMsrpMedia preserves every option', () => {
  const type = fc.constantFrom('text/plain', 'message/cpim', 'image/*', '*', 'application/octet-stream');
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 65535 }),
      fc.boolean(),
      fc.uniqueArray(type, { minLength: 1, maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.constantFrom('actpass' as const, 'active' as const, 'passive' as const),
      fc.boolean(),
      fc.constantFrom<MediaDirection>('sendrecv', 'sendonly', 'recvonly', 'inactive'),
      fc.array(
        fc.base64String({ minLength: 4, maxLength: 40 }).filter((s) => s.length > 0),
        { maxLength: 2 },
      ),
      (port, tls, acceptTypes, maxSize, setup, cema, direction, keys) => {
        const transport = tls ? ('TCP/TLS/MSRP' as const) : ('TCP/MSRP' as const);
        const path = [`${tls ? 'msrps' : 'msrp'}://127.0.0.1:${port}/s;tcp`];
        const keyMgmt = keys.map((data) => ({ protocol: PARLEY_KEY_MGMT_PROTOCOL, data }));
        const m = parseMsrpMedia(
          buildMsrpOffer({ port, transport, path, acceptTypes, maxSize, setup, cema, direction, keyMgmt, sessionId: '1' }),
        );
        assert.deepEqual(
          {
            port: m.port,
            transport: m.transport,
            path: m.path,
            acceptTypes: m.acceptTypes,
            maxSize: m.maxSize,
            setup: m.setup,
            cema: m.cema,
            direction: m.direction,
            keyMgmt: m.keyMgmt,
          },
          { port, transport, path, acceptTypes, maxSize, setup, cema, direction, keyMgmt },
        );
      },
    ),
    { numRuns: 300 },
  );
});
