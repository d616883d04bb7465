import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serializeConferenceInfo, type ConferenceInfo, type ConfUser } from '../../protocol/formats/conference-info';
import { Roster } from './roster';
import { isFocusContact, roomUriFromContact } from './focus-leg';

const ROOM = 'sip:conf-abc@parley.test';
const ME = 'sip:alice@parley.test';
const user = (name: string, nick?: string): ConfUser => ({
  entity: `sip:${name}@parley.test`,
  state: 'full',
  ...(nick ? { displayText: nick } : {}),
  roles: ['participant'],
  endpoints: [{ entity: `sip:${name}@parley.test`, status: 'connected' }],
});
const full = (version: number, names: string[]): Uint8Array =>
  serializeConferenceInfo({ entity: ROOM, version, state: 'full', users: { list: names.map((n) => user(n)) } });
const partial = (version: number, users: ConfUser[]): Uint8Array =>
  serializeConferenceInfo({ entity: ROOM, version, state: 'partial', users: { state: 'partial', list: users } } satisfies ConferenceInfo);
const gone = (name: string): ConfUser => ({ entity: `sip:${name}@parley.test`, state: 'deleted' });

describe('Roster (RFC 4575 versions and partial state)', () => {
  it('full state, then partial joins, nickname changes and leaves, with the diff of each', () => {
    const r = new Roster(ROOM, ME);
    const a = r.apply(full(1, ['alice', 'bob']));
    assert.equal(a.kind, 'applied');
    assert.deepEqual(a.kind === 'applied' && a.change.joined.map((p) => p.aor), ['sip:alice@parley.test', 'sip:bob@parley.test']);
    assert.equal(a.kind === 'applied' && a.change.full, true);
    assert.deepEqual(r.others, ['sip:bob@parley.test']);
    assert.equal(r.get(ME)?.isMe, true);

    const b = r.apply(partial(2, [user('carol')]));
    assert.deepEqual(b.kind === 'applied' && b.change.joined.map((p) => p.aor), ['sip:carol@parley.test']);
    const c = r.apply(partial(3, [user('bob', 'Bobby')]));
    assert.deepEqual(c.kind === 'applied' && c.change.changed.map((p) => p.nickname), ['Bobby']);
    assert.equal(r.byNickname('bobby')?.aor, 'sip:bob@parley.test');
    const d = r.apply(partial(4, [gone('carol')]));
    assert.deepEqual(d.kind === 'applied' && d.change.left, ['sip:carol@parley.test']);
    assert.deepEqual(r.participants.map((p) => p.aor).sort(), ['sip:alice@parley.test', 'sip:bob@parley.test']);
  });

  it('a duplicate or older version is ignored; a gap or a partial without base asks for a resync', () => {
    const r = new Roster(ROOM, ME);
    assert.equal(r.apply(partial(1, [user('bob')])).kind, 'resync');
    r.apply(full(1, ['alice']));
    assert.equal(r.apply(full(1, ['alice', 'bob'])).kind, 'stale');
    const gap = r.apply(partial(3, [user('bob')]));
    assert.equal(gap.kind, 'resync');
    assert.equal(gap.kind === 'resync' && gap.error.code, 'CONFINFO_VERSION_GAP');
    assert.equal(r.has('sip:bob@parley.test'), false);
    // a new subscription restarts the version space; the resync's full state only reports real differences
    r.resetVersions();
    const again = r.apply(full(1, ['alice', 'bob']));
    assert.deepEqual(again.kind === 'applied' && again.change.joined.map((p) => p.aor), ['sip:bob@parley.test']);
  });

  it('malformed documents ask for a resync instead of throwing; a deleted conference ends the roster', () => {
    const r = new Roster(ROOM, ME);
    for (const bad of ['', '<conference-info', '<x/>', 'not xml at all']) assert.equal(r.apply(bad).kind, 'resync');
    const other = r.apply(
      serializeConferenceInfo({ entity: 'sip:conf-other@parley.test', version: 1, state: 'full', users: { list: [user('mallory')] } }),
    );
    assert.equal(other.kind === 'resync' && other.error.code, 'CONFINFO_ENTITY_MISMATCH');
    assert.equal(r.has('sip:mallory@parley.test'), false);
    r.apply(full(1, ['alice', 'bob']));
    assert.equal(r.apply(serializeConferenceInfo({ entity: ROOM, version: 2, state: 'deleted' })).kind, 'ended');
    assert.equal(r.participants.length, 0);
  });

  it('disconnected endpoints do not count as present', () => {
    const r = new Roster(ROOM, ME);
    r.apply(full(1, ['alice']));
    const u = user('bob');
    u.endpoints![0].status = 'disconnected';
    const res = r.apply(partial(2, [u]));
    assert.deepEqual(res.kind === 'applied' && res.change.joined, []);
  });
});

describe('focus Contact (RFC 4579 s.5)', () => {
  it('recognises isfocus only as a Contact parameter and derives the room URI', () => {
    assert.equal(isFocusContact('<sip:conf-1a@127.0.0.1:5090;transport=tcp>;isfocus'), true);
    assert.equal(isFocusContact('<sip:conf-1a@127.0.0.1;transport=tcp>;expires=60;isfocus'), true);
    assert.equal(isFocusContact('<sip:conf-1a@127.0.0.1;isfocus>'), false);
    assert.equal(isFocusContact('<sip:bob@127.0.0.1>;+sip.isfocusx'), false);
    assert.equal(isFocusContact(undefined), false);
    assert.equal(roomUriFromContact('<sip:conf-1a@127.0.0.1:5090;transport=tcp>;isfocus', 'parley.test'), 'sip:conf-1a@parley.test');
    assert.equal(roomUriFromContact('garbage', 'parley.test'), undefined);
  });

  it('a user whose entity cannot be shown (no user part, a user part over 128 characters) is left out (issue 12)', () => {
    const r = new Roster(ROOM, ME);
    const odd = (entity: string): ConfUser => ({ ...user('x'), entity, endpoints: [{ entity, status: 'connected' }] });
    const a = r.apply(
      serializeConferenceInfo({
        entity: ROOM,
        version: 1,
        state: 'full',
        users: { list: [user('alice'), odd('sip:parley.test'), odd(`sip:${'u'.repeat(129)}@parley.test`), user('bob')] },
      }),
    );
    assert.deepEqual(a.kind === 'applied' && a.change.joined.map((p) => p.aor), ['sip:alice@parley.test', 'sip:bob@parley.test']);
    assert.deepEqual(r.others, ['sip:bob@parley.test']);
  });
});
