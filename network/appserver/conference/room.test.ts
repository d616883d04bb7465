// Room logic: RFC 7701 nicknames (423/425), private vs. public routing with the CPIM From overwritten, RFC 4575 documents.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildChatCpim, parseCpim, serializeCpim, type CpimAddress } from '../../../main/protocol/formats/cpim';
import { applyConferenceInfo, parseConferenceInfo, serializeConferenceInfo } from '../../../main/protocol/formats/conference-info';
import { Room } from './room';

const URI = 'sip:conf-1@parley.test';
function room(max = 5): Room {
  const r = new Room('conf-1', URI, 'sip:alice@parley.test', 'Subject', max, 0);
  for (const [k, u] of [
    ['a', 'alice'],
    ['b', 'bob'],
    ['c', 'carol'],
  ])
    r.join({ key: k, aor: `sip:${u}@parley.test`, joinedAt: 0, joiningMethod: 'dialed-in' });
  return r;
}
const msg = (from: string, to: Array<string | CpimAddress>, text = 'hi') => buildChatCpim({ from, to, text, messageId: 'm1' });

describe('Room', () => {
  it('nicknames: unique case-insensitively across users (425), invalid ones refused (423)', () => {
    const r = room();
    assert.deepEqual(r.setNickname('a', 'Ally'), { ok: true, changed: true });
    assert.deepEqual(r.setNickname('b', 'ALLY'), { ok: false, status: 425, reason: 'Nickname already in use' });
    assert.equal((r.setNickname('b', '   ') as { status: number }).status, 423);
    assert.equal((r.setNickname('b', 'x'.repeat(33)) as { status: number }).status, 423);
    assert.equal((r.setNickname('b', 'bad\u0007') as { status: number }).status, 423);
    assert.deepEqual(r.setNickname('a', 'Ally'), { ok: true, changed: false });
    assert.deepEqual(r.setNickname('b', 'Bobby'), { ok: true, changed: true });
  });

  it('public message: everyone but the sender, CPIM From replaced by the authenticated identity, body untouched', () => {
    const r = room();
    r.setNickname('a', 'Ally');
    const forged = msg('sip:mallory@evil.test', [URI], 'secret ciphertext');
    const res = r.route('a', forged);
    assert.ok(res.ok);
    assert.equal(res.private, false);
    assert.deepEqual(res.deliveries.map((d) => d.key).sort(), ['b', 'c']);
    const out = parseCpim(serializeCpim(res.deliveries[0].cpim));
    assert.deepEqual(out.from, { name: 'Ally', uri: 'sip:alice@parley.test' });
    assert.equal(Buffer.from(out.body).toString(), 'secret ciphertext');
    assert.equal(out.to[0].uri, URI);
  });

  it('private message: only to the named participant (by AoR or nickname); unknown target refused', () => {
    const r = room();
    r.setNickname('c', 'Caz');
    const byAor = r.route('a', msg('sip:alice@parley.test', ['sip:bob@parley.test']));
    assert.ok(byAor.ok && byAor.private);
    assert.deepEqual(byAor.ok && byAor.deliveries.map((d) => d.key), ['b']);
    const byNick = r.route('a', msg('sip:alice@parley.test', [{ name: 'caz', uri: 'sip:caz@conf-1.invalid' }]));
    assert.deepEqual(byNick.ok && byNick.deliveries.map((d) => d.key), ['c']);
    const nobody = r.route('a', msg('sip:alice@parley.test', ['sip:dora@parley.test']));
    assert.equal(nobody.ok, false);
    assert.equal(!nobody.ok && nobody.status, 403);
  });

  it('conference-info: full then partial documents merge to the room state (nickname as display-text)', () => {
    const r = room();
    let view = applyConferenceInfo(undefined, parseConferenceInfo(serializeConferenceInfo(r.fullState(1))));
    assert.equal(view.users.list.length, 3);
    r.setNickname('b', 'Bobby');
    r.leave('c', 1);
    view = applyConferenceInfo(
      view,
      parseConferenceInfo(serializeConferenceInfo(r.partialState(2, ['sip:bob@parley.test', 'sip:carol@parley.test']))),
    );
    assert.deepEqual(
      view.users.list.map((u) => [u.entity, u.displayText]),
      [
        ['sip:alice@parley.test', undefined],
        ['sip:bob@parley.test', 'Bobby'],
      ],
    );
    assert.equal(view.conferenceState?.userCount, 2);
    assert.equal(view.description?.confUris?.[0].purpose, 'grouptextchat');
    assert.equal(parseConferenceInfo(serializeConferenceInfo(r.endedState(3))).state, 'deleted');
  });

  it('capacity and membership', () => {
    const r = room(3);
    assert.equal(r.full, true);
    assert.equal(r.mayObserve('sip:dora@parley.test'), false);
    r.invited.add('sip:dora@parley.test');
    assert.equal(r.mayObserve('sip:dora@parley.test'), true);
    assert.equal(r.leave('a', 5).userGone, true);
    assert.equal(r.full, false);
  });
});
