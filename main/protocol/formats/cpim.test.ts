import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseCpim,
  serializeCpim,
  createCpim,
  buildChatCpim,
  cpimHeader,
  cpimContentHeader,
  requestedNotifications,
  encodeCpimValue,
  decodeCpimValue,
  parseCpimAddress,
  formatCpimAddress,
  IMDN_NS_URI,
} from './cpim';
import { bytes, text, everyTruncation, fuzzMutations, throwsCode } from './testing';

const crlf = (s: string) => s.replace(/\n/g, '\r\n');

// RFC 3862 s6 style example (outer MIME headers removed: they are the SIP/MSRP Content-Type).
const RFC3862 = crlf(`From: MR SANDERS <im:piglet@100akerwood.com>
To: Depressed Donkey <im:eeyore@100akerwood.com>
DateTime: 2000-12-13T13:40:00-08:00
Subject: the weather will be fine today
Subject:;lang=fr beau temps prevu pour aujourd'hui
NS: MyFeatures <mid:MessageFeatures@id.foo.com>
Require: MyFeatures.VitalMessageOption
MyFeatures.VitalMessageOption: Confirmation-requested
MyFeatures.WackyMessageOption: Use-silly-font

Content-type: text/xml; charset=utf-8
Content-ID: <1234567890@foo.com>

<body>
Here is the text of my message.
</body>
`);

// RFC 5438 s8 style chat message requesting IMDNs.
const RFC5438 = crlf(`From: Alice <im:alice@example.com>
To: Bob <im:bob@example.com>
NS: imdn <urn:ietf:params:imdn>
imdn.Message-ID: 34jk324j
DateTime: 2006-04-04T12:16:49-05:00
imdn.Disposition-Notification: positive-delivery, display

Content-type: text/plain
Content-length: 12

Hello World
`);

test('parses the RFC 3862 example: addresses, DateTime, Subject, NS, Require, prefixed and content headers', () => {
  const m = parseCpim(bytes(RFC3862));
  assert.deepEqual(m.from, { name: 'MR SANDERS', uri: 'im:piglet@100akerwood.com' });
  assert.deepEqual(m.to, [{ name: 'Depressed Donkey', uri: 'im:eeyore@100akerwood.com' }]);
  assert.equal(m.dateTime, '2000-12-13T13:40:00-08:00');
  assert.equal(m.subject, 'the weather will be fine today');
  assert.deepEqual(m.ns, { MyFeatures: 'mid:MessageFeatures@id.foo.com' });
  assert.deepEqual(m.require, ['MyFeatures.VitalMessageOption']);
  assert.equal(m.headers.length, 9);
  assert.deepEqual(m.headers[4], { name: 'Subject', params: ';lang=fr', value: "beau temps prevu pour aujourd'hui" });
  assert.equal(cpimHeader(m, 'mid:MessageFeatures@id.foo.com', 'WackyMessageOption'), 'Use-silly-font');
  assert.equal(m.contentType, 'text/xml; charset=utf-8');
  assert.equal(cpimContentHeader(m, 'content-id'), '<1234567890@foo.com>');
  assert.equal(text(m.body), '<body>\r\nHere is the text of my message.\r\n</body>\r\n');
  // serialization of a parsed message reproduces it (Content-Type spelling normalized)
  assert.equal(text(serializeCpim(m)), RFC3862.replace('Content-type', 'Content-Type'));
});

test('parses the RFC 5438 chat message and resolves imdn headers through the NS declaration', () => {
  const m = parseCpim(bytes(RFC5438));
  assert.equal(cpimHeader(m, 'imdn', 'Message-ID'), '34jk324j');
  assert.equal(cpimHeader(m, IMDN_NS_URI, 'message-id'), '34jk324j');
  assert.deepEqual(requestedNotifications(m), ['positive-delivery', 'display']);
  // a peer using another prefix for the same namespace
  const other = parseCpim(bytes(RFC5438.replace(/imdn\./g, 'x.').replace('NS: imdn', 'NS: x')));
  assert.equal(cpimHeader(other, 'imdn', 'Message-ID'), '34jk324j');
  assert.equal(cpimHeader(other, 'x', 'Message-ID'), '34jk324j');
  assert.equal(cpimHeader(other, 'urn:other', 'Message-ID'), undefined);
});

test('buildChatCpim emits the exact RFC 5438 layout and round-trips', () => {
  const m = buildChatCpim({
    from: { name: 'Alice', uri: 'sip:alice@example.com' },
    to: ['sip:bob@example.com', 'sip:carol@example.com'],
    text: 'héllo',
    messageId: 'Ab-9_x',
    dateTime: '2026-11-26T14:00:00Z',
    notifications: ['positive-delivery', 'display', 'display'],
  });
  const wire = text(serializeCpim(m));
  assert.equal(
    wire,
    crlf(`From: "Alice" <sip:alice@example.com>
To: <sip:bob@example.com>
To: <sip:carol@example.com>
NS: imdn <urn:ietf:params:imdn>
DateTime: 2026-11-26T14:00:00Z
imdn.Message-ID: Ab-9_x
imdn.Disposition-Notification: positive-delivery, display

Content-Type: text/plain;charset=utf-8

`) + 'héllo',
  );
  assert.deepEqual(parseCpim(serializeCpim(m)), m);
  throwsCode(
    () => buildChatCpim({ from: 'sip:a@b', to: [], messageId: 'x', text: 'a', content: { contentType: 'a/b', body: '' } }),
    'CPIM_BAD_INPUT',
  );
  throwsCode(() => buildChatCpim({ from: 'sip:a@b', to: [], messageId: 'a b', text: 'a' }), 'CPIM_BAD_INPUT');
  throwsCode(() => buildChatCpim({ from: 'sip:a@b', to: [], messageId: 'ab', text: 'a', dateTime: 'yesterday' }), 'CPIM_BAD_DATETIME');
});

test('binary body with CRLFCRLF, NUL and every byte value is preserved exactly', () => {
  const body = new Uint8Array(512);
  for (let i = 0; i < body.length; i++) body[i] = i % 256;
  body.set([13, 10, 13, 10], 100);
  const m = buildChatCpim({
    from: 'sip:a@x',
    to: ['sip:b@x'],
    messageId: 'm1',
    dateTime: '2026-01-01T00:00:00Z',
    content: {
      contentType: 'application/octet-stream',
      body,
      headers: [{ name: 'Content-Disposition', value: 'attachment; filename="a.bin"' }],
    },
  });
  const back = parseCpim(serializeCpim(m));
  assert.deepEqual(back.body, body);
  assert.equal(cpimContentHeader(back, 'Content-Disposition'), 'attachment; filename="a.bin"');
});

test('header value escapes (RFC 3862 s3.2) and quoted display names', () => {
  assert.equal(encodeCpimValue('a\nb\\c\u0001'), 'a\\nb\\\\c\\u0001');
  assert.equal(decodeCpimValue('a\\nb\\\\c\\u0001\\q'), 'a\nb\\c\u0001\\q');
  const a = { name: 'Bob "the" \\ <Builder>\n', uri: 'sip:bob@x' };
  assert.deepEqual(parseCpimAddress(formatCpimAddress(a)), a);
  assert.deepEqual(parseCpimAddress('Winnie the Pooh <im:pooh@100akerwood.com>'), {
    name: 'Winnie the Pooh',
    uri: 'im:pooh@100akerwood.com',
  });
  assert.deepEqual(parseCpimAddress('sip:bare@x'), { uri: 'sip:bare@x' });
  throwsCode(() => parseCpimAddress('"unterminated <sip:a@b>'), 'CPIM_BAD_ADDRESS');
  throwsCode(() => parseCpimAddress('Bob <not a uri>'), 'CPIM_BAD_ADDRESS');
  throwsCode(() => formatCpimAddress({ uri: 'sip:a@b>\r\nTo: <sip:evil@x' }), 'CPIM_BAD_ADDRESS');
});

test('header injection is impossible: values are escaped, raw control characters are refused', () => {
  const m = createCpim({
    subject: 'hi\r\nimdn.Message-ID: forged',
    headers: [{ name: 'imdn.X', value: 'a\r\n\r\nContent-Type: evil' }],
    contentType: 'text/plain',
    body: 'x',
  });
  const back = parseCpim(serializeCpim(m));
  assert.equal(back.subject, 'hi\r\nimdn.Message-ID: forged');
  assert.equal(back.headers.length, 2);
  assert.equal(back.contentType, 'text/plain');
  throwsCode(() => serializeCpim({ ...m, headers: [{ name: 'X', value: 'a\nb' }], subject: undefined }), 'CPIM_BAD_HEADER');
  throwsCode(() => serializeCpim({ ...m, contentType: 'text/plain\r\nX: y' }), 'CPIM_BAD_HEADER');
  throwsCode(() => serializeCpim({ ...m, contentHeaders: [{ name: 'Content-Type', value: 'a/b' }] }), 'CPIM_BAD_HEADER');
  throwsCode(() => serializeCpim({ ...m, subject: 'changed' }), 'CPIM_INCONSISTENT');
  throwsCode(() => createCpim({ ns: { 'bad prefix': 'urn:x' }, contentType: 'a/b', body: '' }), 'CPIM_BAD_HEADER');
});

test('a Buffer input (e.g. from a socket) yields a plain Uint8Array body that does not alias it', () => {
  const buf = Buffer.from(RFC5438);
  const m = parseCpim(buf);
  assert.equal(Object.getPrototypeOf(m.body), Uint8Array.prototype);
  buf.fill(0);
  assert.equal(text(m.body), 'Hello World\r\n');
});

test('tolerates LF-only line endings and folded MIME headers', () => {
  const m = parseCpim(bytes('From: <sip:a@x>\nTo: <sip:b@x>\n\nContent-Type: text/plain;\n charset=utf-8\n\nbody'));
  assert.equal(m.contentType, 'text/plain; charset=utf-8');
  assert.equal(text(m.body), 'body');
});

test('rejects malformed input with typed errors', () => {
  throwsCode(() => parseCpim(bytes('From: <sip:a@x>\r\n\r\nContent-ID: <x>\r\n\r\nbody')), 'CPIM_MISSING_CONTENT_TYPE');
  throwsCode(() => parseCpim(bytes('From: <sip:a@x>\r\n\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n')), 'CPIM_BAD_HEADER');
  throwsCode(() => parseCpim(bytes('DateTime: 13/12/2000\r\n\r\nContent-Type: a/b\r\n\r\n')), 'CPIM_BAD_DATETIME');
  throwsCode(() => parseCpim(bytes('From <sip:a@x>\r\n\r\nContent-Type: a/b\r\n\r\n')), 'CPIM_BAD_HEADER');
  throwsCode(() => parseCpim(bytes('From: <sip:a@x>\r\nFrom: <sip:b@x>\r\n\r\nContent-Type: a/b\r\n\r\n')), 'CPIM_BAD_HEADER');
  throwsCode(() => parseCpim(bytes('To: Bob <>\r\n\r\nContent-Type: a/b\r\n\r\n')), 'CPIM_BAD_ADDRESS');
  throwsCode(() => parseCpim(bytes('NS: <no-close\r\n\r\nContent-Type: a/b\r\n\r\n')), 'CPIM_BAD_HEADER');
  throwsCode(() => parseCpim(Uint8Array.from([...bytes('Subject: '), 0xc3, 0x28, 13, 10, 13, 10])), 'CPIM_BAD_ENCODING');
  throwsCode(() => parseCpim(bytes('From: <sip:a@x>\r\n')), 'CPIM_TRUNCATED');
  throwsCode(() => parseCpim(bytes('From: <sip:a@x>\r\n\r\nContent-Type: a/b\r\n')), 'CPIM_TRUNCATED');
  throwsCode(() => parseCpim(new Uint8Array(0)), 'CPIM_TRUNCATED');
});

test('limits: header block size, header count, recipients, body size', () => {
  const long = 'Subject: ' + 'x'.repeat(20_000) + '\r\n\r\nContent-Type: a/b\r\n\r\n';
  throwsCode(() => parseCpim(bytes(long)), 'CPIM_HEADER_TOO_LARGE');
  throwsCode(() => parseCpim(bytes('Subject: ' + 'x'.repeat(20_000))), 'CPIM_HEADER_TOO_LARGE'); // no newline at all
  throwsCode(() => parseCpim(bytes('X: y\r\n'.repeat(101) + '\r\nContent-Type: a/b\r\n\r\n')), 'CPIM_TOO_MANY_HEADERS');
  throwsCode(
    () => parseCpim(bytes('To: <sip:a@x>\r\n'.repeat(3) + '\r\nContent-Type: a/b\r\n\r\n'), { maxRecipients: 2 }),
    'CPIM_TOO_MANY_RECIPIENTS',
  );
  const m = createCpim({ contentType: 'a/b', body: new Uint8Array(2000) });
  throwsCode(() => parseCpim(serializeCpim(m), { maxBodyBytes: 1000 }), 'CPIM_BODY_TOO_LARGE');
  throwsCode(() => serializeCpim(m, { maxBodyBytes: 1000 }), 'CPIM_BODY_TOO_LARGE');
  assert.equal(parseCpim(serializeCpim(m), { maxBodyBytes: 2000 }).body.length, 2000);
});

test('every truncation of every fixture is a ParleyError or a valid shorter message; header truncations are rejected', () => {
  for (const f of [RFC3862, RFC5438]) {
    const b = bytes(f);
    const rejected = everyTruncation(b, (x) => parseCpim(x));
    const headerEnd = f.indexOf('\r\n\r\n', f.indexOf('\r\n\r\n') + 4) + 4;
    assert.ok(rejected >= headerEnd, `only ${rejected} of ${headerEnd} header truncations rejected`);
  }
});

test('random mutations only raise ParleyError', () => {
  fuzzMutations(bytes(RFC3862), (b) => parseCpim(b), 400, 1);
  fuzzMutations(bytes(RFC5438), (b) => parseCpim(b), 400, 2);
});

test('property: createCpim -> serialize -> parse is identity', () => {
  const uri = fc.stringMatching(/^(sip|im|tel):[a-z0-9.+@%-]{1,20}$/);
  const address = fc
    .record({ name: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }), uri })
    .map((a) => (a.name ? a : { uri: a.uri }));
  fc.assert(
    fc.property(
      fc.option(address, { nil: undefined }),
      fc.array(address, { maxLength: 4 }),
      fc.array(address, { maxLength: 2 }),
      fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
      fc.array(
        fc.record({
          name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}\.[A-Za-z][A-Za-z0-9-]{0,10}$/),
          value: fc.string({ maxLength: 30 }),
        }),
        { maxLength: 4 },
      ),
      fc.uint8Array({ maxLength: 200 }),
      (from, to, cc, subject, headers, body) => {
        const m = createCpim({
          from,
          to,
          cc,
          subject,
          headers,
          ns: { imdn: IMDN_NS_URI },
          dateTime: '2026-11-26T14:00:00.123+01:00',
          contentType: 'application/x',
          body,
        });
        const back = parseCpim(serializeCpim(m));
        assert.deepEqual(back, m);
        for (const h of headers)
          assert.equal(
            cpimHeader(back, h.name.split('.')[0], h.name.split('.')[1]),
            headers.find((x) => x.name.toLowerCase() === h.name.toLowerCase())!.value,
          );
      },
    ),
    { numRuns: 300 },
  );
});
