// `parley conf` against the lab + app server, run in-process (the command is registered in main/hosts/cli/index.ts by the lead).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { CliExit, EXIT } from '../exit-codes';
import { createConfCommand, invitesOf } from './conf';
import { parseArgs } from '../args';
import { MemberPool, startConfLab, until, waitEvent, type ConfLab, type Member } from '../../../features/conference/testing';
import type { ConferenceRoom } from '../../../features/conference/room';
import type { RoomMessage } from '../../../features/conference/types';

class Lines extends EventEmitter<{ line: [Record<string, unknown>] }> {
  readonly all: Array<Record<string, unknown>> = [];
  readonly err: string[] = [];
  io = {
    out: (l: string) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      this.all.push(o);
      this.emit('line', o);
    },
    err: (l: string) => void this.err.push(l),
  };
  next(pred: (o: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const have = this.all.find(pred);
    return have ? Promise.resolve(have) : waitEvent<Record<string, unknown>>(this, 'line', pred);
  }
}

describe('parley conf', () => {
  let env: ConfLab;
  const pool = new MemberPool();
  let alice: Member;
  let room: ConferenceRoom;
  const acct = (user: string) => [
    '--uri',
    env.lab.aor(user),
    '--password',
    `${user}-secret`,
    '--proxy',
    env.lab.proxy.tcp,
    '--ca',
    env.lab.caFile,
  ];

  before(async () => {
    env = await startConfLab({ users: ['alice', 'bob', 'carol'] });
    alice = await pool.create(env.lab, 'alice', { e2e: false });
    room = await alice.client.create({ subject: 'cli' });
  });
  after(async () => {
    await pool.stopAll();
    await env?.stop();
  });

  it('join --interactive --json: events as JSON lines, stdin lines sent, /nick, /msg, /leave', async () => {
    const stdin = new PassThrough();
    const out = new Lines();
    const ac = new AbortController();
    const done = createConfCommand(stdin).run(
      ['join', room.uri, '--interactive', '--json', '--plaintext', ...acct('bob')],
      out.io,
      ac.signal,
    );
    assert.equal((await out.next((o) => o.event === 'joined')).room, room.uri);
    await until(() => room.participants.some((x) => x.aor === env.lab.aor('bob')), "bob in alice's roster");

    await room.say('hi cli');
    const m = await out.next((o) => o.event === 'message' && o.text === 'hi cli');
    assert.equal(m.from, alice.aor);
    assert.equal(m.protected, false);

    const atAlice = waitEvent<RoomMessage>(room, 'message');
    stdin.write('hello from the cli\n');
    assert.equal((await atAlice).text, 'hello from the cli');

    stdin.write('/nick Bobby\n');
    await out.next((o) => o.event === 'nickname' && o.nickname === 'Bobby');
    const priv = waitEvent<RoomMessage>(room, 'message');
    stdin.write(`/msg ${alice.aor} psst\n`);
    const p = await priv;
    assert.equal(p.private, true);
    assert.equal(p.nickname, 'Bobby');

    const gone = waitEvent(room, 'participants', (c: { left: string[] }) => c.left.includes(env.lab.aor('bob')));
    stdin.write('/leave\n');
    assert.equal(await done, EXIT.OK);
    await gone;
    assert.ok(out.all.some((o) => o.event === 'left'));
  });

  it('one-shot say; nickname collision exits 4; usage errors exit 2', async () => {
    const cmd = createConfCommand(new PassThrough());
    const atAlice = waitEvent<RoomMessage>(room, 'message', (m) => m.text === 'one shot');
    const out = new Lines();
    assert.equal(await cmd.run(['say', room.uri, 'one shot', '--plaintext', '--json', ...acct('carol')], out.io), EXIT.OK);
    assert.equal((await atAlice).from, env.lab.aor('carol'));
    assert.ok(out.all.some((o) => o.event === 'sent'));

    await room.setNickname('Ace');
    await assert.rejects(
      cmd.run(['nick', room.uri, 'ace', '--plaintext', '--json', ...acct('carol')], new Lines().io),
      (e) => e instanceof CliExit && e.exitCode === EXIT.SIP_FAILURE && /CONF_NICKNAME_TAKEN/.test(e.message),
    );
    await assert.rejects(
      cmd.run(['say', room.uri, 'x', ...acct('carol')], new Lines().io),
      (e) => e instanceof CliExit && e.exitCode === EXIT.USAGE,
    );
    await assert.rejects(
      cmd.run(['join', room.uri, '--invite', 'bob', '--plaintext', ...acct('carol')], new Lines().io),
      (e) => e instanceof CliExit && e.exitCode === EXIT.USAGE,
    );
    await assert.rejects(
      cmd.run(['fly', '--plaintext', ...acct('carol')], new Lines().io),
      (e) => e instanceof CliExit && e.exitCode === EXIT.USAGE,
    );
    await assert.rejects(
      cmd.run(['join', 'sip:conf-000000000000@parley.test', '--plaintext', ...acct('carol')], new Lines().io),
      (e) => e instanceof CliExit && e.exitCode === EXIT.SIP_FAILURE && /CONF_NO_SUCH_ROOM/.test(e.message),
    );
  });

  it('--invite repeats and comma lists', () => {
    const cmd = createConfCommand();
    const p = parseArgs(['create', '--invite', 'bob', '--invite=carol,dave', '--json'], cmd.flags);
    assert.deepEqual([invitesOf(p), p.positionals, p.flags.json], [['bob', 'carol', 'dave'], ['create'], true]);
    assert.throws(
      () => parseArgs(['create', '--invite'], cmd.flags),
      (e) => e instanceof CliExit && e.exitCode === EXIT.USAGE,
    );
  });
});
