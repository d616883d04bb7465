// Chat-room fan-out through the conference focus: N participants (Parley ConferenceClients, one process) in one room,
// latency of one message to all (p50/p99 per delivery and until the last member has it) and messages/s the focus
// sustains, beside one-to-one MSRP session latency measured in the same run (same lab, same machine).
// Run: npx tsx bench/conference.ts [--members 50] [--messages 200] [--burst 1000] [--window 20] [--e2e]
import { startConfLab, MemberPool, type Member } from '../main/features/conference/testing';
import { PartyPool, acceptNext } from '../main/features/session/testing';
import type { ConferenceRoom } from '../main/features/conference/room';
import type { RoomMessage } from '../main/features/conference/types';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const MEMBERS = Number(arg('members', '50'));
const MESSAGES = Number(arg('messages', '200'));
const BURST = Number(arg('burst', '1000'));
const WINDOW = Number(arg('window', '20'));
const E2E = process.argv.includes('--e2e');
const WARMUP = 20;
const SETTLE_TIMEOUT_MS = 600_000;

const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
const fmt = (x: number) => x.toFixed(2);

async function until(cond: () => boolean, what: string, ms = SETTLE_TIMEOUT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const users = Array.from({ length: MEMBERS }, (_, i) => `p${String(i).padStart(2, '0')}`);
const env = await startConfLab({ users: [...users, 'solo1', 'solo2'], maxParticipants: MEMBERS });
const pool = new MemberPool();
const parties = new PartyPool();
try {
  const t0 = performance.now();
  const members: Member[] = [];
  for (const u of users) members.push(await pool.create(env.lab, u, { e2e: E2E }));
  if (E2E) {
    // identity keys already discovered (in-room key discovery is measured by the tests, not here)
    for (const a of members)
      for (const b of members) if (a !== b) await a.security!.peers.observe(b.aor, b.security!.identity.publicKey, 'key-response');
  }
  const rooms: ConferenceRoom[] = [await members[0].client.create({ subject: 'bench' })];
  for (const m of members.slice(1)) rooms.push(await m.client.join(rooms[0].uri));
  await until(() => rooms.every((r) => r.participants.length === MEMBERS), 'full rosters');
  const joinS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  if (E2E) {
    const progress = setInterval(() => {
      const keyed = rooms.filter((r) => r.security().allKeyed).length;
      const missing = rooms.reduce((n, r) => n + r.security().members.filter((m) => !m.haveTheirKey || !m.theyHaveOurKey).length, 0);
      console.error(
        `  keys: ${keyed}/${MEMBERS} members complete, ${missing} member-pairs missing, ${((performance.now() - t1) / 1000).toFixed(0)} s`,
      );
    }, 5000);
    try {
      await until(() => rooms.every((r) => r.security().allKeyed), 'all sender keys distributed');
    } finally {
      clearInterval(progress);
    }
  }
  const keyS = (performance.now() - t1) / 1000;

  // ---- latency: one message at a time from rotating senders, time to every other member
  const per: number[] = [];
  const toAll: number[] = [];
  let current: { id: string; sent: number; left: number; last: number; resolve: () => void } | undefined;
  for (const r of rooms)
    r.on('message', (m: RoomMessage) => {
      const c = current;
      if (!c || m.text !== c.id) return;
      const now = performance.now();
      per.push(now - c.sent);
      c.last = now;
      if (--c.left === 0) c.resolve();
    });
  for (let i = 0; i < WARMUP + MESSAGES; i++) {
    const sender = rooms[i % MEMBERS];
    const id = `lat-${i}`;
    const done = new Promise<void>((resolve) => (current = { id, sent: performance.now(), left: MEMBERS - 1, last: 0, resolve }));
    const sent = current!.sent;
    const r = await sender.say(id);
    if (r.status !== 'sent') throw new Error(`send failed: ${r.reason}`);
    await done;
    if (i === WARMUP - 1) per.length = 0;
    if (i >= WARMUP) toAll.push(current!.last - sent);
  }
  current = undefined;
  const perS = [...per].sort((a, b) => a - b);
  const allS = [...toAll].sort((a, b) => a - b);

  // ---- throughput: BURST messages from 5 senders, WINDOW in flight each, until every member has every message
  let delivered = 0;
  const expect = BURST * (MEMBERS - 1);
  let allIn!: () => void;
  const finished = new Promise<void>((r) => (allIn = r));
  for (const r of rooms)
    r.on('message', (m: RoomMessage) => {
      if (m.text?.startsWith('tp-') && ++delivered === expect) allIn();
    });
  const senders = rooms.slice(0, 5);
  let next = 0;
  const t2 = performance.now();
  await Promise.all(
    senders.flatMap((s) =>
      Array.from({ length: WINDOW }, async () => {
        while (next < BURST) {
          const i = next++;
          const r = await s.say(`tp-${i}`);
          if (r.status !== 'sent') throw new Error(`send failed: ${r.reason}`);
        }
      }),
    ),
  );
  await Promise.race([finished, until(() => delivered >= expect, 'burst delivered', 300_000)]);
  const tpS = (performance.now() - t2) / 1000;

  // ---- baseline: one-to-one MSRP session (ChatSessionManager, direct TCP), same run
  const a = await parties.create(env.lab, 'solo1', E2E ? {} : { policy: 'allow-plaintext', security: undefined });
  const b = await parties.create(env.lab, 'solo2', E2E ? {} : { policy: 'allow-plaintext', security: undefined });
  const incoming = acceptNext(b);
  const sa = await a.mgr.open(b.aor);
  const sb = await incoming;
  const one: number[] = [];
  for (let i = 0; i < WARMUP + MESSAGES; i++) {
    const got = new Promise<void>((resolve) => sb.once('message', () => resolve()));
    const s = performance.now();
    await sa.send(`one-${i}`, { notifications: [], successReport: false });
    await got;
    if (i >= WARMUP) one.push(performance.now() - s);
  }
  const oneS = one.sort((x, y) => x - y);

  const mode = E2E ? 'group E2E (sender keys)' : 'plaintext CPIM';
  console.log(
    `conference bench: ${MEMBERS} members in one room (${mode}), focus = network/appserver behind Kamailio, all clients in one Node process, 2 cores`,
  );
  console.log(
    `room set-up: ${fmt(joinS)} s to join ${MEMBERS} members${E2E ? `, then ${fmt(keyS)} s until every member holds every sender key` : ''}`,
  );
  console.log('');
  console.log('latency (ms)                                   p50      p99');
  console.log(`one-to-one MSRP session (baseline)        ${fmt(pct(oneS, 50)).padStart(8)} ${fmt(pct(oneS, 99)).padStart(8)}`);
  console.log(
    `room: per delivery (${MEMBERS - 1} per message)       ${fmt(pct(perS, 50)).padStart(8)} ${fmt(pct(perS, 99)).padStart(8)}   ratio p50 ${fmt(pct(perS, 50) / pct(oneS, 50))}x`,
  );
  console.log(
    `room: until all ${MEMBERS - 1} members have it      ${fmt(pct(allS, 50)).padStart(8)} ${fmt(pct(allS, 99)).padStart(8)}   ratio p50 ${fmt(pct(allS, 50) / pct(oneS, 50))}x`,
  );
  console.log('');
  const rate = BURST / tpS;
  console.log(
    `focus throughput: ${BURST} messages from 5 senders (window ${WINDOW} each) fanned out to ${MEMBERS - 1} members in ${fmt(tpS)} s`,
  );
  console.log(`  = ${rate.toFixed(0)} messages/s into the room, ${(rate * (MEMBERS - 1)).toFixed(0)} deliveries/s out of the focus`);
  console.log(`  one-to-one session baseline: ${(1000 / pct(oneS, 50)).toFixed(0)} messages/s sequential (1 / p50)`);
} finally {
  await parties.stopAll();
  await pool.stopAll();
  await env.stop();
}
