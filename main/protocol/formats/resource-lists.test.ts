import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseResourceList,
  serializeResourceList,
  buildUriListMessage,
  parseUriListMessage,
  type ResourceListEntry,
} from './resource-lists';
import { parseMultipart, partHeader } from './multipart';
import { bytes, text, everyTruncation, fuzzMutations, throwsCode } from './testing';

// RFC 5365 s9 / RFC 5364 style list.
const LIST = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"
                xmlns:cp="urn:ietf:params:xml:ns:copycontrol">
  <list>
    <entry uri="sip:bill@example.com" cp:copyControl="to"/>
    <entry uri="sip:randy@example.net" cp:copyControl="to" cp:anonymize="true"/>
    <entry uri="sip:eddy@example.com" cp:copyControl="to" cp:anonymize="true"/>
    <entry uri="sip:joe@example.org" cp:copyControl="cc"/>
    <entry uri="sip:carol@example.net" cp:copyControl="cc" cp:anonymize="true"/>
    <entry uri="sip:ted@example.net" cp:copyControl="bcc"/>
    <entry uri="sip:andy@example.com" cp:copyControl="bcc"/>
    <list><entry uri="sip:nested@example.com"><display-name>Nested &amp; Co</display-name></entry></list>
    <entry uri="sip:bill@example.com" cp:copyControl="cc"/>
  </list>
</resource-lists>`;

test('parses the RFC 5365 list: copyControl, anonymize, nested lists, duplicate URIs once', () => {
  const l = parseResourceList(LIST);
  assert.equal(l.length, 8);
  assert.deepEqual(l[0], { uri: 'sip:bill@example.com', copyControl: 'to' });
  assert.deepEqual(l[1], { uri: 'sip:randy@example.net', copyControl: 'to', anonymize: true });
  assert.deepEqual(l[5], { uri: 'sip:ted@example.net', copyControl: 'bcc' });
  assert.deepEqual(l[7], { uri: 'sip:nested@example.com', displayName: 'Nested & Co' });
});

test('rejects hostile and invalid lists', () => {
  const wrap = (s: string, ns = 'urn:ietf:params:xml:ns:resource-lists') =>
    `<resource-lists xmlns="${ns}" xmlns:cp="urn:ietf:params:xml:ns:copycontrol">${s}</resource-lists>`;
  throwsCode(() => parseResourceList('<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + wrap('<list/>')), 'XML_DOCTYPE_FORBIDDEN');
  throwsCode(() => parseResourceList(wrap('<list><entry uri="&e;"/></list>')), 'XML_ENTITY_FORBIDDEN');
  throwsCode(() => parseResourceList(wrap('<list/>', 'urn:other')), 'RESOURCE_LISTS_WRONG_ROOT');
  throwsCode(() => parseResourceList(wrap('')), 'RESOURCE_LISTS_MISSING_ELEMENT');
  throwsCode(() => parseResourceList(wrap('<list><entry/></list>')), 'RESOURCE_LISTS_MISSING_ATTRIBUTE');
  throwsCode(() => parseResourceList(wrap('<list><entry uri="not a uri"/></list>')), 'RESOURCE_LISTS_BAD_ELEMENT');
  throwsCode(() => parseResourceList(wrap('<list><entry uri="sip:a@b" cp:copyControl="everyone"/></list>')), 'RESOURCE_LISTS_BAD_ELEMENT');
  throwsCode(() => parseResourceList(wrap('<list><entry uri="sip:a@b" cp:anonymize="yes"/></list>')), 'RESOURCE_LISTS_BAD_ELEMENT');
  throwsCode(() => parseResourceList(wrap('<list><entry-ref ref="x"/></list>')), 'RESOURCE_LISTS_UNSUPPORTED');
  throwsCode(
    () => parseResourceList(wrap('<list>' + Array.from({ length: 101 }, (_, i) => `<entry uri="sip:u${i}@x"/>`).join('') + '</list>')),
    'RESOURCE_LISTS_TOO_MANY_ENTRIES',
  );
  throwsCode(() => serializeResourceList([{ uri: 'sip:a@b' }, { uri: 'sip:a@b' }]), 'RESOURCE_LISTS_BAD_INPUT');
  throwsCode(() => serializeResourceList([{ uri: 'sip:a@b" evil="1' }]), 'RESOURCE_LISTS_BAD_INPUT');
  const b = bytes(LIST);
  assert.equal(
    everyTruncation(b, (x) => parseResourceList(x)),
    b.length,
  );
  fuzzMutations(b, (x) => parseResourceList(x), 400, 9);
});

test('URI-list MESSAGE (RFC 5365 s4): build, exact layout, parse back', () => {
  const recipients: ResourceListEntry[] = [
    { uri: 'sip:bob@example.com', copyControl: 'to' },
    { uri: 'sip:carol@example.com', copyControl: 'bcc' },
  ];
  const built = buildUriListMessage(
    {
      recipients,
      message: { contentType: 'message/cpim', headers: [], body: bytes('From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\n\r\nhi') },
    },
    'bnd',
  );
  assert.equal(built.contentType, 'multipart/mixed;boundary=bnd');
  const parts = parseMultipart(built.body, built.contentType);
  assert.equal(partHeader(parts[1], 'Content-Disposition'), 'recipient-list');
  assert.equal(partHeader(parts[1], 'Content-Type'), 'application/resource-lists+xml');
  assert.ok(text(built.body).startsWith('--bnd\r\nContent-Type: message/cpim\r\n\r\nFrom: <sip:a@x>'));
  const back = parseUriListMessage(built.contentType, built.body);
  assert.deepEqual(back.recipients, recipients);
  assert.equal(back.message.contentType, 'message/cpim');
  assert.equal(text(back.message.body), 'From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\n\r\nhi');
  throwsCode(
    () => buildUriListMessage({ recipients: [], message: { contentType: 'text/plain', headers: [], body: bytes('x') } }),
    'RESOURCE_LISTS_BAD_INPUT',
  );
  const noList = '--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--';
  throwsCode(() => parseUriListMessage('multipart/mixed;boundary=b', bytes(noList)), 'RESOURCE_LISTS_BAD_MESSAGE');
  const wrongType =
    '--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/xml\r\nContent-Disposition: recipient-list\r\n\r\n<x/>\r\n--b--';
  throwsCode(() => parseUriListMessage('multipart/mixed;boundary=b', bytes(wrongType)), 'RESOURCE_LISTS_BAD_MESSAGE');
  everyTruncation(built.body, (x) => parseUriListMessage(built.contentType, x));
});

test('property: serialize -> parse is identity for valid entries', () => {
  const entry = fc
    .record({
      uri: fc.stringMatching(/^sip:[a-z0-9&'<>.]{1,12}@x$/).filter((u) => !/[<>]/.test(u)),
      displayName: fc.option(fc.stringMatching(/^[^\u0000-\u001f\ufffe\uffff]{0,20}$/), { nil: undefined }),
      copyControl: fc.option(fc.constantFrom('to' as const, 'cc' as const, 'bcc' as const), { nil: undefined }),
      anonymize: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as ResourceListEntry);
  fc.assert(
    fc.property(fc.uniqueArray(entry, { selector: (e) => e.uri, maxLength: 8 }), (entries) => {
      assert.deepEqual(parseResourceList(serializeResourceList(entries)), entries);
    }),
    { numRuns: 200 },
  );
});
