// Runnable app server: tsx network/appserver/cli.ts --port 5090 --proxy 127.0.0.1:5060 [--host 127.0.0.1] [--domain D]
// [--peer-domain D] [--groups FILE] [--msrp-port N]
import { startAppServer } from './server';

const USAGE =
  'usage: tsx network/appserver/cli.ts --port N --proxy HOST:PORT [--host 127.0.0.1] [--domain parley.test] [--peer-domain example.test] [--groups FILE] [--msrp-port N] [--max-participants N] [--max-rooms N] [--max-message-bytes N] [--msrp-relay msrp://127.0.0.1:2855;tcp --msrp-relay-account user:password] [--msrp-tls yes] [--keys-file FILE]';

function parse(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (!a.startsWith('--') || i + 1 >= argv.length) {
      console.error(`bad argument ${a}\n${USAGE}`);
      process.exit(2);
    }
    out[a.slice(2)] = argv[++i];
  }
  return out;
}

const int = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) {
    console.error(`--${name} must be a number`);
    process.exit(2);
  }
  return Number(v);
};

const a = parse(process.argv.slice(2));
const proxy = /^([0-9.]+):(\d+)$/.exec(a.proxy ?? '');
if (!proxy || a.port === undefined) {
  console.error(USAGE);
  process.exit(2);
}
const relayAccount = a['msrp-relay-account'] ? /^([^:]+):(.+)$/.exec(a['msrp-relay-account']) : undefined;
if (a['msrp-relay'] && !relayAccount) {
  console.error('--msrp-relay needs --msrp-relay-account user:password');
  process.exit(2);
}
if (a['msrp-tls'] !== undefined && !/^(yes|no)$/.test(a['msrp-tls'])) {
  console.error('--msrp-tls takes yes or no');
  process.exit(2);
}
const server = await startAppServer({
  msrpTls: a['msrp-tls'] === 'yes',
  msrpRelay: a['msrp-relay'] && relayAccount ? { uri: a['msrp-relay'], user: relayAccount[1], password: relayAccount[2] } : undefined,
  port: int(a.port, 'port')!,
  host: a.host,
  proxy: { host: proxy[1], port: Number(proxy[2]) },
  domain: a.domain,
  peerDomains: a['peer-domain'] ? a['peer-domain'].split(',') : undefined,
  groups: a.groups,
  keys: { file: a['keys-file'] },
  msrpPort: int(a['msrp-port'], 'msrp-port'),
  limits: Object.fromEntries(
    Object.entries({
      maxParticipants: int(a['max-participants'], 'max-participants'),
      maxRooms: int(a['max-rooms'], 'max-rooms'),
      maxMessageBytes: int(a['max-message-bytes'], 'max-message-bytes'),
    }).filter(([, v]) => v !== undefined),
  ),
  log: (l) => console.log(`${new Date().toISOString()} ${l}`),
  onDeliveryReport: (r) => console.log(`${new Date().toISOString()} delivery ${JSON.stringify(r)}`),
});
console.log(
  `Parley app server on sip:${a.host ?? '127.0.0.1'}:${server.port};transport=tcp (MSRP ${server.msrpPort}${server.msrpsPort ? `, MSRPS ${server.msrpsPort}` : ''}); start the lab with --app-server-port ${server.port}`,
);
const shutdown = async () => {
  await server.stop();
  console.log('app server stopped');
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
