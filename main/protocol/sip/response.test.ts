// The shared SIP response pieces (main/protocol/sip/response.ts, headers.ts): reason phrases, the status line and the
// s.8.2.6.2 header copying rule used by the client, the app server and the raw test peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMPACT_HEADER_NAMES, fullHeaderName, sameHeader, tagParam, type SipHeaderList } from './headers';
import { REASON_PHRASES, reasonPhrase, responseHeaders, statusLine } from './response';

test('reason phrases: RFC 3261 s.21 wording, class phrase for unknown codes, invalid codes refused', () => {
  assert.equal(reasonPhrase(413), 'Request Entity Too Large');
  assert.equal(reasonPhrase(481), 'Call/Transaction Does Not Exist');
  assert.equal(reasonPhrase(202), 'Accepted');
  assert.equal(reasonPhrase(603), 'Decline');
  assert.deepEqual([199, 299, 399, 499, 599, 699].map(reasonPhrase), [
    'Provisional',
    'Successful',
    'Redirection',
    'Request Failure',
    'Server Failure',
    'Global Failure',
  ]);
  for (const bad of [99, 700, 200.5, NaN]) assert.throws(() => reasonPhrase(bad), RangeError);
  for (const [code, phrase] of Object.entries(REASON_PHRASES)) {
    assert.ok(Number(code) >= 100 && Number(code) <= 699, code);
    assert.doesNotMatch(phrase, /[\r\n]/);
  }
});

test('statusLine formats s.7.2 and refuses CR/LF in the reason', () => {
  assert.equal(statusLine(486), 'SIP/2.0 486 Busy Here');
  assert.equal(statusLine(400, 'Bad Request - no Via'), 'SIP/2.0 400 Bad Request - no Via');
  assert.throws(() => statusLine(200, 'OK\r\nX: injected'), RangeError);
  assert.throws(() => statusLine(1000), RangeError);
});

test('compact header names expand in any case; other names are left alone', () => {
  assert.equal(fullHeaderName('v'), 'Via');
  assert.equal(fullHeaderName('I'), 'Call-ID');
  assert.equal(fullHeaderName('Subject'), 'Subject');
  assert.equal(fullHeaderName('x-custom'), 'x-custom');
  assert.ok(sameHeader('t', 'TO') && sameHeader('call-id', 'i') && !sameHeader('To', 'From'));
  for (const [short, long] of Object.entries(COMPACT_HEADER_NAMES)) assert.equal(fullHeaderName(short.toUpperCase()), long);
});

test('tagParam reads the header parameter, not a URI parameter inside <>', () => {
  assert.equal(tagParam('"Bob" <sip:bob@x.test>;tag=a1b2'), 'a1b2');
  assert.equal(tagParam('<sip:bob@x.test;tag=inside>'), undefined);
  assert.equal(tagParam('sip:bob@x.test;tag=z9'), 'z9');
  assert.equal(tagParam('<sip:bob@x.test> ; TAG = q ;x=1'), 'q');
  assert.equal(tagParam('<sip:bob@x.test>'), undefined);
});

const INVITE: SipHeaderList = [
  ['Via', 'SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1'],
  ['v', 'SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK2'],
  ['Record-Route', '<sip:127.0.0.1;lr>'],
  ['Max-Forwards', '69'],
  ['From', '<sip:alice@x.test>;tag=f1'],
  ['t', '<sip:bob@x.test>'],
  ['Call-ID', 'c1@x'],
  ['CSeq', '1 INVITE'],
  ['Contact', '<sip:alice@10.0.0.1>'],
  ['Content-Type', 'application/sdp'],
];

test('responseHeaders copies Via (in order), From, To, Call-ID, CSeq and nothing else (s.8.2.6.2)', () => {
  assert.deepEqual(responseHeaders(INVITE, 486, 'T'), [
    ['Via', 'SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1'],
    ['v', 'SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK2'],
    ['From', '<sip:alice@x.test>;tag=f1'],
    ['t', '<sip:bob@x.test>;tag=T'],
    ['Call-ID', 'c1@x'],
    ['CSeq', '1 INVITE'],
  ]);
});

test('responseHeaders: Record-Route only in 101-299, To tag only above 100 and only when To has none', () => {
  const rr = (status: number) => responseHeaders(INVITE, status, 'T').some(([k]) => k === 'Record-Route');
  assert.deepEqual([100, 180, 200, 299, 300, 486].map(rr), [false, true, true, true, false, false]);
  const to = (hs: SipHeaderList) => hs.find(([k]) => sameHeader(k, 'To'))![1];
  assert.equal(to(responseHeaders(INVITE, 100, 'T')), '<sip:bob@x.test>', '100 Trying carries no tag');
  assert.equal(to(responseHeaders(INVITE, 200)), '<sip:bob@x.test>', 'no tag given, none added');
  const inDialog: SipHeaderList = INVITE.map(([k, v]) => [k, k === 't' ? `${v};tag=old` : v]);
  assert.equal(to(responseHeaders(inDialog, 200, 'T')), '<sip:bob@x.test>;tag=old', 'an existing tag is kept');
  assert.throws(() => responseHeaders(INVITE, 42), RangeError);
});

test('property: responseHeaders keeps exactly the copied headers, in request order, values unchanged but To', () => {
  const names = ['Via', 'v', 'From', 'f', 'To', 't', 'Call-ID', 'i', 'CSeq', 'Record-Route', 'Contact', 'X-A', 'Max-Forwards'];
  const header = fc.tuple(
    fc.constantFrom(...names),
    fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n;]/g, '')),
  );
  fc.assert(
    fc.property(fc.array(header, { maxLength: 20 }), fc.integer({ min: 100, max: 699 }), (req, status) => {
      const out = responseHeaders(req, status, 'T');
      const copied = (k: string) =>
        ['Via', 'From', 'To', 'Call-ID', 'CSeq'].some((h) => sameHeader(k, h)) ||
        (sameHeader(k, 'Record-Route') && status > 100 && status < 300);
      const expected = req.filter(([k]) => copied(k));
      assert.deepEqual(
        out.map(([k]) => k),
        expected.map(([k]) => k),
      );
      out.forEach(([k, v], i) => assert.equal(v, sameHeader(k, 'To') && status > 100 ? `${expected[i]![1]};tag=T` : expected[i]![1]));
    }),
  );
});
