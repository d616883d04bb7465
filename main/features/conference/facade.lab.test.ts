// UeConference over real account contexts (key store, E2E context, SIP UA, MSRP endpoint, INVITE router) on the lab with
// the app server (focus): create inviting bob, invitation accepted, roster, nickname (and a taken one), group message,
// private message, leave; events carry the views the renderer shows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventChannel, EventPayload, UeEvent } from '../../../app/ipc/contract';
import { startConfLab, type ConfLab } from './testing';
import { openTestAccount, type TestAccount } from '../testing';
import { UeConference } from './facade';

const WAIT_MS = 20_000;

interface Side {
  t: TestAccount;
  conf: UeConference;
  events: UeEvent[];
  waiters: { pred: (e: UeEvent) => boolean; res: (e: UeEvent) => void }[];
}

let env: ConfLab;
let root: string;
let alice: Side;
let bob: Side;

async function side(user: string): Promise<Side> {
  const t = await openTestAccount({ dir: join(root, user), aor: env.lab.aor(user), password: `${user}-secret`, proxy: env.lab.proxy.tcp });
  await t.ctx.ua.start();
  const me: Side = { t, conf: null as unknown as UeConference, events: t.events, waiters: [] };
  t.onEvent = (e) => {
    for (const w of [...me.waiters])
      if (w.pred(e)) {
        me.waiters.splice(me.waiters.indexOf(w), 1);
        w.res(e);
      }
  };
  me.conf = await UeConference.start(t.ctx);
  return me;
}

function waitFor<E extends EventChannel>(x: Side, event: E, pred: (p: EventPayload<E>) => boolean, what: string): Promise<EventPayload<E>> {
  type P = EventPayload<E>;
  const match = (e: UeEvent) => e.event === event && pred(e.payload as P);
  const seen = x.events.find(match);
  if (seen) return Promise.resolve(seen.payload as P);
  return new Promise<P>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`timeout: ${what}`)), WAIT_MS);
    x.waiters.push({
      pred: match,
      res: (e) => {
        clearTimeout(t);
        res(e.payload as P);
      },
    });
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'parley-conf-facade-'));
  env = await startConfLab({ users: ['alice', 'bob', 'carol'] });
  alice = await side('alice');
  bob = await side('bob');
});
after(async () => {
  for (const x of [alice, bob]) {
    await x?.conf.stop();
    await x?.t.close();
  }
  await env?.stop();
  await rm(root, { recursive: true, force: true });
});

test('create inviting bob; bob accepts; both see the roster; group and private messages; nicknames; leave', async () => {
  const room = await alice.conf.create({ participants: [env.lab.aor('bob')], subject: 'Launch' });
  assert.equal(room.state, 'joined');
  assert.match(room.uri, /^sip:conf-/);
  const inv = await waitFor(bob, 'room.invitation', (v) => v.state === 'pending', 'invitation at bob');
  assert.equal(inv.room, room.uri);
  assert.equal(inv.inviter, env.lab.aor('alice'));
  assert.equal(inv.subject, 'Launch');
  const broom = await bob.conf.accept({ invitationId: inv.id });
  await assert.rejects(bob.conf.decline({ invitationId: inv.id }), { code: 'CONF_BAD_STATE' });
  const both = (v: { participants: { aor: string }[] }) => v.participants.length === 2;
  await waitFor(alice, 'room.upserted', (v) => v.id === room.id && both(v), 'alice sees bob');
  await waitFor(bob, 'room.upserted', (v) => v.id === broom.id && both(v) && v.e2e === 'on', 'bob sees both, E2E');

  await alice.conf.nick({ roomId: room.id, nickname: 'Al' });
  await waitFor(bob, 'room.upserted', (v) => v.participants.some((p) => p.nickname === 'Al'), 'nickname at bob');
  await assert.rejects(bob.conf.nick({ roomId: broom.id, nickname: 'Al' }), { code: 'CONF_NICKNAME_TAKEN' });

  await waitFor(alice, 'room.upserted', (v) => v.id === room.id && v.allKeyed, 'keys exchanged');
  const { messageId } = await alice.conf.send({ roomId: room.id, text: 'hello room' });
  await waitFor(alice, 'room.message', (m) => m.id === messageId && m.state === 'sent', 'sent');
  const got = await waitFor(bob, 'room.message', (m) => m.text === 'hello room', 'group message at bob');
  assert.equal(got.from, env.lab.aor('alice'));
  assert.equal(got.private, false);
  assert.equal(got.protected, true);
  assert.equal(got.nickname, 'Al');

  await bob.conf.sendPrivate({ roomId: broom.id, to: env.lab.aor('alice'), text: 'just for you' });
  const p = await waitFor(alice, 'room.message', (m) => m.text === 'just for you', 'private at alice');
  assert.equal(p.private, true);
  assert.equal(p.from, env.lab.aor('bob'));
  assert.deepEqual(
    (await alice.conf.messages({ roomId: room.id })).map((m) => m.text),
    ['hello room', 'just for you'],
  );

  await bob.conf.leave({ roomId: broom.id });
  await waitFor(bob, 'room.upserted', (v) => v.id === broom.id && v.state === 'left', 'bob left');
  await waitFor(alice, 'room.upserted', (v) => v.id === room.id && v.participants.length === 1, 'alice alone');
  await assert.rejects(bob.conf.send({ roomId: broom.id, text: 'too late' }), { code: 'CONF_NOT_IN_ROOM' });
});

test('join by URI and decline an invitation', async () => {
  const room = await alice.conf.create({ participants: [env.lab.aor('bob')] });
  const inv = await waitFor(bob, 'room.invitation', (v) => v.state === 'pending' && v.room === room.uri, 'second invitation');
  await bob.conf.decline({ invitationId: inv.id });
  await waitFor(bob, 'room.invitation', (v) => v.id === inv.id && v.state === 'declined', 'declined');
  const joined = await bob.conf.join({ room: room.uri });
  assert.equal(joined.uri, room.uri);
  await waitFor(alice, 'room.upserted', (v) => v.id === room.id && v.participants.length === 2, 'bob joined by URI');
  assert.equal((await bob.conf.list()).filter((r) => r.state === 'joined').length, 1);
});
