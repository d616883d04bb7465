// UI development without a network: the web host over the in-memory backend with a little seeded history.
// Run: npx tsx main/hosts/web/demo.ts [port]   (build the renderer first: node scripts/build-renderer.mjs)
import { MemoryBackend } from './memory-backend';
import { startWebHost } from './server';

const backend = new MemoryBackend({ password: 'demo' });
await backend.accountConfigure({ aor: 'sip:alice@parley.test', password: 'demo', proxy: 'tls://127.0.0.1:5061', displayName: 'Alice' });
const bob = await backend.conversationsOpen({ peer: 'sip:bob@parley.test' });
for (let i = 1; i <= 120; i++) backend.receive(bob.id, `Message ${i} from Bob${i % 10 === 0 ? ' - see https://example.org/' : ''}`);
await backend.conversationsOpen({ peer: 'sip:carol@parley.test' });

const host = await startWebHost({ backend, port: Number(process.argv[2] ?? 0), log: (l) => console.error(l) });
console.log(`Parley demo (in-memory backend, password "demo") at:\n\n  ${host.url}\n`);
const stop = () => void host.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
