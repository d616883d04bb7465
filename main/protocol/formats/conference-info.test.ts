import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConferenceInfo, serializeConferenceInfo, applyConferenceInfo, connectedUsers, type ConferenceInfo } from './conference-info';
import { bytes, everyTruncation, fuzzMutations, throwsCode } from './testing';

// RFC 4575 s6.1 style full document, with an MSRP chat participant (RFC 7701).
const FULL = `<?xml version="1.0" encoding="UTF-8"?>
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sips:conf233@example.com" state="full" version="1">
  <conference-description>
    <subject>Agenda: This month's goals</subject>
    <conf-uris>
      <entry><uri>sips:conf233@example.com</uri><display-text>Conference</display-text><purpose>participation</purpose></entry>
    </conf-uris>
    <service-uris><entry><uri>http://conf233.example.com</uri><purpose>web-page</purpose></entry></service-uris>
    <maximum-user-count>50</maximum-user-count>
  </conference-description>
  <conference-state><user-count>2</user-count><active>true</active><locked>false</locked></conference-state>
  <users>
    <user entity="sip:bob@example.com" state="full">
      <display-text>Bob Hoskins</display-text>
      <endpoint entity="sip:bob@pc33.example.com">
        <display-text>Bob's Laptop</display-text>
        <status>disconnected</status>
        <disconnection-method>departed</disconnection-method>
        <disconnection-info><when>2005-03-04T20:00:00Z</when><reason>bad voice quality</reason><by>sip:mike@example.com</by></disconnection-info>
        <media id="1"><display-text>Watching the Latin Recitation</display-text><type>video</type><label>34567</label><src-id>432424</src-id><status>sendrecv</status></media>
      </endpoint>
    </user>
    <user entity="sip:alice@example.com" state="full">
      <display-text>alice-the-great</display-text>
      <roles><entry>participant</entry><entry>moderator</entry></roles>
      <endpoint entity="sip:alice@127.0.0.1:5070">
        <status>connected</status>
        <joining-method>dialed-in</joining-method>
        <joining-info><when>2005-03-04T20:00:00Z</when></joining-info>
        <media id="m1"><type>message</type><status>sendrecv</status></media>
      </endpoint>
      <x:ext xmlns:x="urn:example:ignored">extension</x:ext>
    </user>
  </users>
</conference-info>`;

const partial = (version: number, users: string, extra = '') =>
  `<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sips:conf233@example.com" state="partial" version="${version}">${extra}<users state="partial">${users}</users></conference-info>`;

test('parses a full RFC 4575 document', () => {
  const d = parseConferenceInfo(FULL);
  assert.equal(d.version, 1);
  assert.equal(d.state, 'full');
  assert.deepEqual(d.description, {
    subject: "Agenda: This month's goals",
    maximumUserCount: 50,
    confUris: [{ uri: 'sips:conf233@example.com', displayText: 'Conference', purpose: 'participation' }],
    serviceUris: [{ uri: 'http://conf233.example.com', purpose: 'web-page' }],
  });
  assert.deepEqual(d.conferenceState, { userCount: 2, active: true, locked: false });
  const [bob, alice] = d.users!.list;
  assert.equal(bob.endpoints![0].status, 'disconnected');
  assert.deepEqual(bob.endpoints![0].disconnectionInfo, {
    when: '2005-03-04T20:00:00Z',
    reason: 'bad voice quality',
    by: 'sip:mike@example.com',
  });
  assert.deepEqual(bob.endpoints![0].media![0], {
    id: '1',
    displayText: 'Watching the Latin Recitation',
    type: 'video',
    label: '34567',
    srcId: '432424',
    status: 'sendrecv',
  });
  assert.equal(alice.displayText, 'alice-the-great');
  assert.deepEqual(alice.roles, ['participant', 'moderator']);
  assert.deepEqual(parseConferenceInfo(serializeConferenceInfo(d)), d);
});

test('applies partial notifications: add, modify endpoint, delete user; versions enforced', () => {
  let v = applyConferenceInfo(undefined, parseConferenceInfo(FULL));
  assert.deepEqual(
    connectedUsers(v).map((u) => u.entity),
    ['sip:alice@example.com'],
  );
  v = applyConferenceInfo(
    v,
    parseConferenceInfo(
      partial(
        2,
        '<user entity="sip:carol@example.com"><display-text>carol</display-text><endpoint entity="sip:carol@h"><status>connected</status></endpoint></user>' +
          '<user entity="sip:alice@example.com" state="partial"><endpoint entity="sip:alice@127.0.0.1:5070" state="partial"><status>on-hold</status></endpoint></user>' +
          '<user entity="sip:bob@example.com" state="deleted"/>',
        '<conference-description state="partial"><subject>New subject</subject></conference-description>',
      ),
    ),
  );
  assert.equal(v.version, 2);
  assert.equal(v.description!.subject, 'New subject');
  assert.equal(v.description!.confUris![0].uri, 'sips:conf233@example.com'); // kept from full state
  assert.deepEqual(
    v.users.list.map((u) => u.entity),
    ['sip:alice@example.com', 'sip:carol@example.com'],
  );
  const alice = v.users.list[0];
  assert.equal(alice.displayText, 'alice-the-great');
  assert.deepEqual(alice.roles, ['participant', 'moderator']);
  assert.equal(alice.endpoints![0].status, 'on-hold');
  assert.equal(alice.endpoints![0].joiningMethod, 'dialed-in');
  assert.deepEqual(alice.endpoints![0].media, [{ id: 'm1', type: 'message', status: 'sendrecv' }]);
  assert.equal('state' in alice, false);
  // alice renames (RFC 7701 nickname in display-text) and her endpoint leaves
  v = applyConferenceInfo(
    v,
    parseConferenceInfo(
      partial(
        3,
        '<user entity="sip:alice@example.com" state="partial"><display-text>ally</display-text><endpoint entity="sip:alice@127.0.0.1:5070" state="deleted"/></user>',
      ),
    ),
  );
  assert.equal(v.users.list[0].displayText, 'ally');
  assert.equal(v.users.list[0].endpoints, undefined);
  throwsCode(() => applyConferenceInfo(v, parseConferenceInfo(partial(3, ''))), 'CONFINFO_STALE_VERSION');
  throwsCode(() => applyConferenceInfo(v, parseConferenceInfo(partial(2, ''))), 'CONFINFO_STALE_VERSION');
  throwsCode(() => applyConferenceInfo(v, parseConferenceInfo(partial(5, ''))), 'CONFINFO_VERSION_GAP');
  throwsCode(() => applyConferenceInfo(undefined, parseConferenceInfo(partial(1, ''))), 'CONFINFO_NO_BASE');
  throwsCode(
    () => applyConferenceInfo(v, parseConferenceInfo(FULL.replace('sips:conf233@', 'sips:other@').replace('version="1"', 'version="9"'))),
    'CONFINFO_ENTITY_MISMATCH',
  );
  // a newer full document resets the view after a gap; deletion empties it
  const reset = applyConferenceInfo(v, parseConferenceInfo(FULL.replace('version="1"', 'version="10"')));
  assert.equal(reset.version, 10);
  assert.equal(reset.users.list.length, 2);
  const gone = applyConferenceInfo(
    reset,
    parseConferenceInfo(
      '<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sips:conf233@example.com" state="deleted" version="11"/>',
    ),
  );
  assert.equal(gone.state, 'deleted');
  assert.deepEqual(gone.users.list, []);
  throwsCode(() => applyConferenceInfo(gone, parseConferenceInfo(partial(12, ''))), 'CONFINFO_NO_BASE');
  // users state="full" inside a partial document replaces the roster
  const replaced = applyConferenceInfo(
    reset,
    parseConferenceInfo(partial(11, '<user entity="sip:dave@x"/>').replace('users state="partial"', 'users state="full"')),
  );
  assert.deepEqual(replaced.users.list, [{ entity: 'sip:dave@x' }]);
});

test('rejects hostile and invalid documents', () => {
  const root = (inner: string, attrs = 'entity="sip:c@x" version="1"') =>
    `<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" ${attrs}>${inner}</conference-info>`;
  throwsCode(
    () => parseConferenceInfo('<!DOCTYPE c [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + root('')),
    'XML_DOCTYPE_FORBIDDEN',
  );
  throwsCode(() => parseConferenceInfo(root('<users><user entity="&b;"/></users>')), 'XML_ENTITY_FORBIDDEN');
  throwsCode(() => parseConferenceInfo(root('').replace('conference-info"', 'conference-inf0"')), 'CONFINFO_WRONG_ROOT');
  throwsCode(() => parseConferenceInfo(root('', 'entity="sip:c@x"')), 'CONFINFO_MISSING_ATTRIBUTE');
  throwsCode(() => parseConferenceInfo(root('', 'version="1"')), 'CONFINFO_MISSING_ATTRIBUTE');
  throwsCode(() => parseConferenceInfo(root('', 'entity="sip:c@x" version="-1"')), 'CONFINFO_BAD_ELEMENT');
  throwsCode(() => parseConferenceInfo(root('', 'entity="sip:c@x" version="99999999999"')), 'CONFINFO_BAD_ELEMENT');
  throwsCode(() => parseConferenceInfo(root('', 'entity="sip:c@x" version="1" state="half"')), 'CONFINFO_BAD_ATTRIBUTE');
  throwsCode(() => parseConferenceInfo(root('<users><user/></users>')), 'CONFINFO_MISSING_ATTRIBUTE');
  throwsCode(
    () =>
      parseConferenceInfo(root('<users><user entity="sip:a@x"><endpoint entity="e"><status>dancing</status></endpoint></user></users>')),
    'CONFINFO_BAD_ELEMENT',
  );
  throwsCode(
    () => parseConferenceInfo(root('<users><user entity="sip:a@x"><endpoint entity="e"><media/></endpoint></user></users>')),
    'CONFINFO_MISSING_ATTRIBUTE',
  );
  throwsCode(() => parseConferenceInfo(root('<conference-state><active>maybe</active></conference-state>')), 'CONFINFO_BAD_ELEMENT');
  throwsCode(
    () => parseConferenceInfo(root('<conference-description><conf-uris><entry/></conf-uris></conference-description>')),
    'CONFINFO_MISSING_ELEMENT',
  );
  throwsCode(() => parseConferenceInfo(root('<users>' + '<user entity="sip:u@x"/>'.repeat(2001) + '</users>')), 'CONFINFO_TOO_MANY_USERS');
  throwsCode(() => serializeConferenceInfo({ entity: 'x', version: -1, state: 'full' }), 'CONFINFO_BAD_INPUT');
  const b = bytes(FULL);
  assert.equal(
    everyTruncation(b, (x) => parseConferenceInfo(x)),
    b.length,
  );
  fuzzMutations(b, (x) => parseConferenceInfo(x), 300, 13);
});

test('property: serialize -> parse is identity for generated rosters', () => {
  const text = fc.stringMatching(/^[^\s\u0000-\u001f\ufffe\uffff](?:[^\u0000-\u001f\ufffe\uffff]{0,15}[^\s\u0000-\u001f\ufffe\uffff])?$/);
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const user = fc.record({
    entity: fc.stringMatching(/^sip:[a-z0-9]{1,8}@x$/),
    displayText: opt(text),
    roles: opt(fc.array(text, { maxLength: 3 })),
    endpoints: opt(
      fc.array(
        fc.record({
          entity: fc.stringMatching(/^sip:[a-z0-9]{1,8}@h$/),
          status: opt(fc.constantFrom('connected' as const, 'disconnected' as const, 'on-hold' as const)),
          media: opt(
            fc.array(fc.record({ id: fc.stringMatching(/^[a-z0-9]{1,4}$/), type: opt(fc.constantFrom('message', 'audio')) }), {
              minLength: 1,
              maxLength: 2,
            }),
          ),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    ),
  });
  const strip = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(strip)
      : x && typeof x === 'object' && !(x instanceof Uint8Array)
        ? Object.fromEntries(
            Object.entries(x)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => [k, strip(v)]),
          )
        : x;
  fc.assert(
    fc.property(fc.array(user, { maxLength: 5 }), fc.nat(), (users, version) => {
      const doc = strip({ entity: 'sip:conf@x', version, state: 'full', users: { list: users } }) as ConferenceInfo;
      assert.deepEqual(parseConferenceInfo(serializeConferenceInfo(doc)), doc);
    }),
    { numRuns: 200 },
  );
});
