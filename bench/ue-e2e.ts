// Benchmark (run: npx tsx bench/ue-e2e.ts [N]): page-mode E2E (policy require) vs plaintext
// (policy off) between two full UEs through a private lab: N-message burst until every message is 'delivered' (IMDN back),
// then 20 sequential send -> IMDN round trips. Baseline (plaintext) measured in the same run.
import { startLab } from '../network/lab';
import { makeUe, signIn } from '../main/ue/testkit';
const N = Number(process.argv[2] ?? 200);
const lab = await startLab();
async function run(policy: 'require' | 'off', user: string) {
  const a = await makeUe(undefined, { e2ePolicy: policy });
  const b = await makeUe(undefined, { e2ePolicy: policy });
  await signIn(a, lab, user);
  await signIn(b, lab, 'bob');
  const c = await a.ue.conversationsOpen({ peer: lab.aor('bob') });
  const w = await a.ue.messagesSend({ conversationId: c.id, text: 'warm-up' });
  await a.log.waitFor('message.upserted', (m) => m.id === w.messageId && m.state === 'delivered');
  const t0 = performance.now();
  const ids = new Set<string>();
  const done = new Set<string>();
  let finish = () => {};
  const all = new Promise<void>((r) => (finish = r));
  const off = a.ue.subscribe((e) => {
    if (e.event === 'message.upserted' && e.payload.state === 'delivered' && ids.has(e.payload.id)) {
      done.add(e.payload.id);
      if (done.size === N) finish();
    }
  });
  for (let i = 0; i < N; i++)
    ids.add((await a.ue.messagesSend({ conversationId: c.id, text: `message ${i} ${'x'.repeat(100)}` })).messageId);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`only ${done.size} delivered`)), 60_000)))]);
  clearTimeout(timer);
  off();
  const ms = performance.now() - t0;
  const lat: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    const r = await a.ue.messagesSend({ conversationId: c.id, text: `lat ${i}` });
    await a.log.waitFor('message.upserted', (m) => m.id === r.messageId && m.state === 'delivered');
    lat.push(performance.now() - s);
  }
  lat.sort((x, y) => x - y);
  await a.ue.close();
  await b.ue.close();
  return { ms, rate: N / (ms / 1000), p50: lat[10]! };
}
const off = await run('off', 'alice');
const on = await run('require', 'carol');
console.log(`messages: ${N} burst, then 20 sequential round trips (send -> IMDN delivered)`);
console.log(`plaintext (policy off): ${off.rate.toFixed(0)} msgs/s delivered, round trip p50 ${off.p50.toFixed(1)} ms`);
console.log(`E2E (policy require):   ${on.rate.toFixed(0)} msgs/s delivered, round trip p50 ${on.p50.toFixed(1)} ms`);
console.log(`ratio E2E/plaintext: throughput ${(on.rate / off.rate).toFixed(2)}x, latency ${(on.p50 / off.p50).toFixed(2)}x`);
await lab.stop();
