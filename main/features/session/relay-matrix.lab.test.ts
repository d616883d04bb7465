// Chat sessions through every MSRP path of the lab (issue 11, defect 1): {direct, relayed} caller x {direct, relayed}
// callee x {msrp, msrps}, a message each way in every session, arrival asserted at the other side and 'delivered' (the
// peer's Success-Report came back) at the sender. One lab and one party per role for the whole matrix.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startLab, removeLabState, type Lab } from '../../../network/lab';
import { PartyPool, acceptNext, nextEvent, type Party } from './testing';
import type { ChatMessage, ClosedEvent } from './types';

/** Bound for every wait in here: a lost frame must fail in seconds, naming the combination and the direction. */
const WAIT_MS = 8_000;

type Kind = { relayed: boolean; secure: boolean };
const label = (k: Kind) => `${k.relayed ? 'relayed' : 'direct'}`;
/** Caller and callee users per (relayed, secure): distinct accounts so both sides of a combination may be of one kind. */
const USERS: Record<'caller' | 'callee', string[]> = {
  caller: ['alice', 'bob', 'carol', 'dave'],
  callee: ['erin', 'frank', 'grace', 'heidi'],
};
const slot = (k: Kind) => (k.relayed ? 2 : 0) + (k.secure ? 1 : 0);

describe('chat sessions: {direct, relayed} x {direct, relayed} x {msrp, msrps} through the lab', () => {
  let lab: Lab;
  const pool = new PartyPool();
  const parties = new Map<string, Party>();

  before(async () => {
    lab = await startLab({ accounts: [...USERS.caller, ...USERS.callee].map((user) => ({ user, password: `${user}-secret` })) });
    const ca = readFileSync(lab.caFile, 'utf8');
    const made: Promise<void>[] = [];
    for (const role of ['caller', 'callee'] as const)
      for (const relayed of [false, true])
        for (const secure of [false, true]) {
          const user = USERS[role][slot({ relayed, secure })];
          const relay = relayed ? { uri: secure ? lab.relay.tls : lab.relay.tcp, ca } : undefined;
          made.push(pool.create(lab, user, { relay, tls: secure }).then((p) => void parties.set(user, p)));
        }
    await Promise.all(made);
  });
  after(async () => {
    await pool.stopAll();
    if (lab) {
      await lab.stop();
      await removeLabState(lab);
    }
  });

  for (const secure of [false, true])
    for (const callerRelayed of [false, true])
      for (const calleeRelayed of [false, true]) {
        const caller: Kind = { relayed: callerRelayed, secure };
        const callee: Kind = { relayed: calleeRelayed, secure };
        const name = `${label(caller)} caller -> ${label(callee)} callee over ${secure ? 'msrps' : 'msrp'}`;
        it(`${name}: a message each way arrives, both 'delivered'`, async () => {
          const from = parties.get(USERS.caller[slot(caller)])!;
          const to = parties.get(USERS.callee[slot(callee)])!;
          const [a, b] = await Promise.all([from.mgr.open(to.aor, { timeoutMs: WAIT_MS }), acceptNext(to)]);
          try {
            for (const s of [a, b]) {
              assert.equal(s.info.transport, secure ? 'msrps' : 'msrp');
              assert.equal(s.info.relayed, callerRelayed || calleeRelayed);
              assert.equal(s.info.protected, true);
            }
            for (const [src, dst, dir] of [
              [a, b, 'caller -> callee'],
              [b, a, 'callee -> caller'],
            ] as const) {
              const text = `${name}, ${dir}`;
              const got = nextEvent<ChatMessage>(dst, 'message', (m) => m.text === text, WAIT_MS).catch(() => {
                throw new Error(`${dir}: the message never arrived`);
              });
              const out = await src.send(text);
              assert.equal(out.status, 'delivered', `${dir}: ${JSON.stringify(out)}`);
              assert.equal((await got).protected, true);
            }
          } finally {
            const closed = nextEvent<ClosedEvent>(b, 'closed', () => true, WAIT_MS);
            a.close();
            assert.equal((await closed).reason, 'bye-remote');
          }
        });
      }
});
