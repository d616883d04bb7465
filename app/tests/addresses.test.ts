// Issue 12, hole 4: one bad item never fails a whole list (conversations.list, room.upserted), addresses are judged with
// the same rule where they enter (main/security/aor.ts peerAddress) as at the IPC boundary (SIP_URI_RE), and text from
// others is shown without invisible or reordering characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEvent, dispatchInvoke, type ShellHandlers } from '../ipc/dispatch';
import { SIP_URI_RE, type ConversationView, type RoomView, type UeBackend } from '../ipc/contract';
import { array, check, list, string } from '../ipc/schema';
import { plainText } from '../ipc/text';
import { peerFromProtocolUrl } from '../trust';
import { isPeerAddress, normalizeAoR } from '../../main/security/aor';

const conv = (id: string, peer: string): ConversationView => ({
  id,
  kind: 'direct',
  peer,
  title: 'x',
  unread: 0,
  blocked: false,
  security: { tls: true, e2e: 'on', peer: 'unverified', sendBlocked: false },
  updatedAt: 1,
});

test('list(): a bad item is left out and reported; limits still fail the value; array() still fails whole', () => {
  const s = list(string({ max: 3 }), { max: 4 });
  const r = check(s, ['ab', 'toolong', 'cd']);
  assert.equal(r.ok, true);
  assert.deepEqual(r.ok && r.value, ['ab', 'cd']);
  assert.deepEqual(r.ok && r.dropped, [{ path: '/1', message: 'longer than 3 characters' }]);
  assert.equal(check(s, ['a', 'b', 'c', 'd', 'e']).ok, false);
  assert.equal(check(array(string({ max: 3 })), ['ab', 'toolong']).ok, false);
  const clean = check(s, ['a']);
  assert.equal(clean.ok && 'dropped' in clean, false);
});

test('conversations.list answers every good conversation when one has an address that cannot be shown', async () => {
  const items = [
    conv('1', 'sip:bob@parley.test'),
    conv('2', 'sip:parley.test'),
    conv('3', `sip:${'u'.repeat(129)}@parley.test`),
    conv('4', 'sip:carol@parley.test'),
  ];
  const backend = { conversationsList: async () => items } as unknown as UeBackend;
  const logs: string[] = [];
  const r = await dispatchInvoke(backend, {} as ShellHandlers, 'conversations.list', {}, { log: (l) => logs.push(l) });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(r.ok && (r.result as ConversationView[]).map((c) => c.id), ['1', '4']);
  assert.match(logs.join('\n'), /conversations\.list: left out 2 item\(s\).*\/1\/peer/);
});

test('room.upserted keeps the room and leaves out a participant whose address cannot be shown', () => {
  const room: RoomView = {
    id: 'r1',
    uri: 'sip:conf-1@parley.test',
    state: 'joined',
    participants: [
      { aor: 'sip:alice@parley.test', isMe: true },
      { aor: 'sip:parley.test', isMe: false },
      { aor: 'sip:bob@parley.test', isMe: false, nickname: 'bad\u0007nick' },
      { aor: 'sip:carol@parley.test', isMe: false },
    ],
    e2e: 'on',
    allKeyed: false,
    at: 1,
  };
  const logs: string[] = [];
  const e = checkEvent({ event: 'room.upserted', payload: room }, { log: (l) => logs.push(l) });
  assert.ok(e);
  assert.deepEqual(
    (e.payload as RoomView).participants.map((p) => p.aor),
    ['sip:alice@parley.test', 'sip:carol@parley.test'],
  );
  assert.match(logs[0], /room\.upserted: left out 2 item\(s\)/);
});

test('peerAddress (where messages enter) accepts exactly what the IPC contract can show', () => {
  const corpus = [
    'sip:bob@parley.test',
    'sips:bob@parley.test:5061',
    'sip:bob@127.0.0.1:5070',
    'sip:parley.test',
    'sip:@parley.test',
    `sip:${'u'.repeat(128)}@parley.test`,
    `sip:${'u'.repeat(129)}@parley.test`,
    'sip:a@b@parley.test',
    'sip:b\u0001b@parley.test',
    'sip:ali\u202Eecb@parley.test',
    'sip:bob\u200B@parley.test',
    'sip:bob@[::1]',
    'tel:+4930123',
    'tel:+49-30-123',
    `tel:+${'1'.repeat(33)}`,
  ];
  for (const input of corpus) {
    if (isPeerAddress(input)) {
      assert.ok(SIP_URI_RE.test(normalizeAoR(input)), `${input} passes entry but not the contract`);
    }
  }
  assert.deepEqual(corpus.filter(isPeerAddress), [
    'sip:bob@parley.test',
    'sips:bob@parley.test:5061',
    'sip:bob@127.0.0.1:5070',
    `sip:${'u'.repeat(128)}@parley.test`,
    'sip:bob@[::1]',
    'tel:+4930123',
    'tel:+49-30-123',
  ]);
});

test('an im: link whose address hides a bidi override or a zero-width character opens nothing', () => {
  assert.equal(peerFromProtocolUrl('im:alice@parley.test'), 'sip:alice@parley.test');
  assert.equal(peerFromProtocolUrl('im:ali%E2%80%AEecb@parley.test'), null);
  assert.equal(peerFromProtocolUrl('sip:bob%E2%80%8B@parley.test'), null);
});

test('plainText strips bidi overrides, isolates, zero-width and other invisible characters', () => {
  assert.equal(plainText('invoice\u202Efdp.exe'), 'invoicefdp.exe');
  assert.equal(plainText('a\u2066b\u2069c\u200Bd\u00ADe\u061Cf\u3164g\u{E0041}h\uFEFFi'), 'abcdefghi');
  assert.equal(plainText('  two\u2028lines\tand\n spaces '), 'two lines and spaces');
  assert.equal(plainText('é'.normalize('NFD')), 'é');
  assert.equal([...plainText('😀'.repeat(70), 64)].length, 64);
});
