import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseImdn,
  serializeImdn,
  newImdnMessageId,
  parseImdnCpim,
  buildImdnReply,
  isImdnCpim,
  IMDN_CONTENT_TYPE,
  type ImdnNotification,
} from './imdn';
import { buildChatCpim, serializeCpim, parseCpim, cpimHeader, cpimContentHeader, createCpim } from './cpim';
import { bytes, text, everyTruncation, fuzzMutations, throwsCode } from './testing';

// RFC 5438 s8.2.1 style delivery notification.
const DELIVERY = `<?xml version="1.0" encoding="UTF-8"?>
<imdn xmlns="urn:ietf:params:xml:ns:imdn" xmlns:x="urn:example:ext">
  <message-id>34jk324j</message-id>
  <datetime>2008-04-04T12:16:49-05:00</datetime>
  <recipient-uri>im:bob@example.com</recipient-uri>
  <original-recipient-uri>im:bob@example.com</original-recipient-uri>
  <subject>Weekly sales report &amp; more</subject>
  <x:extension>ignored</x:extension>
  <delivery-notification>
    <status>
      <delivered/>
    </status>
  </delivery-notification>
</imdn>`;

const DISPLAY_CPIM = [
  'From: Bob <im:bob@example.com>',
  'To: Alice <im:alice@example.com>',
  'NS: imdn <urn:ietf:params:imdn>',
  'imdn.Message-ID: d834jied93rf',
  'DateTime: 2008-04-04T12:16:49-05:00',
  '',
  'Content-type: message/imdn+xml',
  'Content-Disposition: notification',
  '',
  '<?xml version="1.0" encoding="UTF-8"?><imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>34jk324j</message-id>' +
    '<datetime>2008-04-04T12:16:49-05:00</datetime><display-notification><status><displayed/></status></display-notification></imdn>',
].join('\r\n');

test('parses an RFC 5438 delivery notification, ignoring foreign-namespace extensions', () => {
  assert.deepEqual(parseImdn(DELIVERY), {
    messageId: '34jk324j',
    dateTime: '2008-04-04T12:16:49-05:00',
    recipientUri: 'im:bob@example.com',
    originalRecipientUri: 'im:bob@example.com',
    subject: 'Weekly sales report & more',
    kind: 'delivery',
    status: 'delivered',
  });
});

test('serializes every kind/status and round-trips', () => {
  const cases: [ImdnNotification['kind'], string][] = [
    ['delivery', 'delivered'],
    ['delivery', 'failed'],
    ['delivery', 'forbidden'],
    ['delivery', 'error'],
    ['display', 'displayed'],
    ['display', 'forbidden'],
    ['display', 'error'],
    ['processing', 'processed'],
    ['processing', 'stored'],
    ['processing', 'forbidden'],
    ['processing', 'error'],
  ];
  for (const [kind, status] of cases) {
    const n = { messageId: 'abc', dateTime: '2026-11-26T14:00:00Z', kind, status } as ImdnNotification;
    const xml = text(serializeImdn(n));
    assert.match(xml, new RegExp(`<${kind}-notification><status><${status}/></status></${kind}-notification>`));
    assert.deepEqual(parseImdn(xml), n);
  }
  throwsCode(
    () => serializeImdn({ messageId: 'a', dateTime: '2026-11-26T14:00:00Z', kind: 'display', status: 'delivered' } as never),
    'IMDN_BAD_STATUS',
  );
  throwsCode(
    () => serializeImdn({ messageId: 'a b', dateTime: '2026-11-26T14:00:00Z', kind: 'display', status: 'displayed' }),
    'IMDN_BAD_INPUT',
  );
  throwsCode(() => serializeImdn({ messageId: 'a', dateTime: 'now', kind: 'display', status: 'displayed' }), 'IMDN_BAD_INPUT');
});

test('rejects hostile and invalid documents with typed errors', () => {
  const ok = (body: string) => `<imdn xmlns="urn:ietf:params:xml:ns:imdn">${body}</imdn>`;
  const base = '<message-id>a</message-id><datetime>2008-04-04T12:16:49Z</datetime>';
  throwsCode(
    () => parseImdn('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>' + ok(base)),
    'XML_DOCTYPE_FORBIDDEN',
  );
  throwsCode(
    () => parseImdn(ok(base + '<subject>&lol2;</subject><display-notification><status><displayed/></status></display-notification>')),
    'XML_ENTITY_FORBIDDEN',
  );
  throwsCode(() => parseImdn(`<imdn xmlns="urn:wrong">${base}</imdn>`), 'IMDN_WRONG_ROOT');
  throwsCode(() => parseImdn(`<imdn>${base}</imdn>`), 'IMDN_WRONG_ROOT');
  throwsCode(
    () =>
      parseImdn(ok('<datetime>2008-04-04T12:16:49Z</datetime><display-notification><status><displayed/></status></display-notification>')),
    'IMDN_MISSING_ELEMENT',
  );
  throwsCode(() => parseImdn(ok(base)), 'IMDN_MISSING_ELEMENT');
  throwsCode(() => parseImdn(ok(base + '<display-notification/>')), 'IMDN_MISSING_ELEMENT');
  throwsCode(() => parseImdn(ok(base + '<display-notification><status><delivered/></status></display-notification>')), 'IMDN_BAD_STATUS');
  throwsCode(
    () => parseImdn(ok(base + '<display-notification><status><displayed/><error/></status></display-notification>')),
    'IMDN_BAD_STATUS',
  );
  throwsCode(
    () =>
      parseImdn(
        ok(
          base +
            '<display-notification><status><displayed/></status></display-notification><delivery-notification><status><delivered/></status></delivery-notification>',
        ),
      ),
    'IMDN_DUPLICATE_ELEMENT',
  );
  throwsCode(
    () => parseImdn(ok(base + '<message-id>b</message-id><display-notification><status><displayed/></status></display-notification>')),
    'IMDN_DUPLICATE_ELEMENT',
  );
  throwsCode(
    () =>
      parseImdn(
        ok(
          '<message-id>a</message-id><datetime>yesterday</datetime><display-notification><status><displayed/></status></display-notification>',
        ),
      ),
    'IMDN_BAD_ELEMENT',
  );
  throwsCode(() => parseImdn(ok(base + '<display-notification><status><displayed>')), 'XML_MALFORMED');
  throwsCode(() => parseImdn(ok(base + `<subject>${'x'.repeat(20_000)}</subject>`)), 'XML_TOO_LARGE');
  throwsCode(() => parseImdn(ok(base + '<a>'.repeat(20) + '</a>'.repeat(20))), 'XML_TOO_DEEP');
});

test('every truncation and random mutation of the fixture only raises ParleyError', () => {
  const b = bytes(DELIVERY);
  assert.equal(
    everyTruncation(b, (x) => parseImdn(x)),
    b.length,
  ); // every strict prefix is invalid
  fuzzMutations(b, (x) => parseImdn(x), 500, 7);
  const c = bytes(DISPLAY_CPIM);
  assert.equal(
    everyTruncation(c, (x) => parseImdnCpim(x)),
    c.length,
  );
  fuzzMutations(c, (x) => parseImdnCpim(x), 300, 8);
});

test('Message-ID generation: 128 random bits, URL-safe, injectable randomness', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newImdnMessageId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(
    newImdnMessageId(() => new Uint8Array(16).fill(255)),
    '_____________________w',
  );
  throwsCode(() => newImdnMessageId(() => new Uint8Array(4)), 'IMDN_BAD_INPUT');
});

test('parses a CPIM-wrapped display notification (RFC 5438 s8.3 layout)', () => {
  const { cpim, imdn, imdnMessageId } = parseImdnCpim(bytes(DISPLAY_CPIM));
  assert.equal(imdnMessageId, 'd834jied93rf');
  assert.deepEqual(cpim.to, [{ name: 'Alice', uri: 'im:alice@example.com' }]);
  assert.deepEqual(imdn, { messageId: '34jk324j', dateTime: '2008-04-04T12:16:49-05:00', kind: 'display', status: 'displayed' });
  throwsCode(() => parseImdnCpim(bytes(DISPLAY_CPIM.replace('message/imdn+xml', 'text/plain'))), 'IMDN_NOT_NOTIFICATION');
  throwsCode(() => parseImdnCpim(bytes(DISPLAY_CPIM.replace('Disposition: notification', 'Disposition: render'))), 'IMDN_NOT_NOTIFICATION');
  assert.equal(parseImdnCpim(bytes(DISPLAY_CPIM.replace('Content-Disposition: notification\r\n', ''))).imdn.status, 'displayed');
});

test('buildImdnReply answers a chat message: To = original From, new Message-ID, copied message-id/datetime, round-trips', () => {
  const original = parseCpim(
    serializeCpim(
      buildChatCpim({
        from: { name: 'Alice', uri: 'sip:alice@example.com' },
        to: ['sip:bob@example.com'],
        text: 'hi',
        messageId: 'orig-1',
        dateTime: '2026-11-26T14:00:00Z',
        notifications: ['positive-delivery', 'display'],
      }),
    ),
  );
  const reply = buildImdnReply(
    original,
    { from: 'sip:bob@example.com', recipientUri: 'sip:bob@example.com', kind: 'delivery', status: 'delivered' },
    '2026-11-26T14:00:01Z',
  );
  assert.ok(isImdnCpim(reply));
  assert.deepEqual(reply.to, [{ name: 'Alice', uri: 'sip:alice@example.com' }]);
  assert.equal(reply.contentType, IMDN_CONTENT_TYPE);
  assert.equal(cpimContentHeader(reply, 'Content-Disposition'), 'notification');
  const newId = cpimHeader(reply, 'imdn', 'Message-ID')!;
  assert.match(newId, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(cpimHeader(reply, 'imdn', 'Disposition-Notification'), undefined); // never request IMDNs for IMDNs
  const back = parseImdnCpim(serializeCpim(reply));
  assert.deepEqual(back.imdn, {
    messageId: 'orig-1',
    dateTime: '2026-11-26T14:00:00Z',
    recipientUri: 'sip:bob@example.com',
    kind: 'delivery',
    status: 'delivered',
  });
  assert.equal(back.imdnMessageId, newId);
  assert.deepEqual(back.cpim, reply);
  const noId = createCpim({ from: 'sip:a@x', dateTime: '2026-11-26T14:00:00Z', contentType: 'text/plain', body: 'x' });
  throwsCode(() => buildImdnReply(noId, { from: 'sip:b@x', kind: 'display', status: 'displayed' }), 'IMDN_MISSING_ELEMENT');
});

test('property: serializeImdn -> parseImdn is identity for valid values (subject escaped)', () => {
  const xmlString = fc
    .string({ maxLength: 30, unit: 'grapheme' })
    .filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s));
  fc.assert(
    fc.property(
      fc.stringMatching(/^[!-~]{1,40}$/),
      fc.option(xmlString, { nil: undefined }),
      fc.option(fc.stringMatching(/^sip:[a-z0-9.&;'%=-]{1,20}$/), { nil: undefined }),
      fc.constantFrom(['delivery', 'failed'], ['display', 'displayed'], ['processing', 'stored']),
      (messageId, subject, recipientUri, [kind, status]) => {
        const n = { messageId, dateTime: '2026-11-26T14:00:00.5+02:00', kind, status } as ImdnNotification;
        if (subject !== undefined) n.subject = subject;
        if (recipientUri !== undefined) n.recipientUri = recipientUri;
        assert.deepEqual(parseImdn(serializeImdn(n)), n);
      },
    ),
    { numRuns: 300 },
  );
});
