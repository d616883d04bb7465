// The MSRP flags `parley chat` and `parley send-file` share, and the relay (RFC 4976) they configure on the account's
// MSRP endpoint (docs/cli.md).
import { readFileSync } from 'node:fs';
import type { RelayConfig } from '../../media/types';
import type { FlagSpecs, Parsed } from './args';

/** RFC 4975 s.15.5 default MSRP port: a relay on the proxy's host unless --relay-uri says otherwise. */
export const DEFAULT_RELAY_PORT = 2855;

export const MSRP_FLAGS: FlagSpecs = {
  relay: { type: 'boolean', help: 'use the MSRP relay (RFC 4976) with the account credentials (default msrp://<proxy host>:2855;tcp)' },
  'relay-uri': { type: 'string', arg: 'URI', help: 'relay URI, e.g. msrps://127.0.0.1:2856;tcp (implies --relay)' },
  tls: { type: 'boolean', help: 'msrps (TCP/TLS/MSRP with a=fingerprint) instead of msrp on direct connections' },
};

/** Relay URI for --relay: explicit, else msrp://<proxy host>:2855;tcp (msrps on a tls/wss proxy). */
export function defaultRelayUri(proxy: string): string {
  const m = /^(\w+):\/\/(\[[^\]]+\]|[^:/]+)/.exec(proxy);
  const secure = /^(tls|wss)$/i.test(m?.[1] ?? '');
  return `${secure ? 'msrps' : 'msrp'}://${m?.[2] ?? '127.0.0.1'}:${DEFAULT_RELAY_PORT + (secure ? 1 : 0)};tcp`;
}

/** The relay --relay / --relay-uri ask for (none without them); an msrps relay is checked against the account's --ca. */
export function relayFromFlags(p: Parsed, acc: { proxy: string; caFile?: string }): RelayConfig | undefined {
  const uri = p.flags['relay-uri'] as string | undefined;
  if (!p.flags.relay && !uri) return undefined;
  return { uri: uri ?? defaultRelayUri(acc.proxy), ca: acc.caFile ? readFileSync(acc.caFile, 'utf8') : undefined };
}
