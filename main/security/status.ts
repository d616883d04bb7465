// Conversation security status from observed facts: a compact struct and a one-line summary for the UI (docs/security.md s.8).
import type { PeerKeyState } from './peers';

export type E2EMode = 'on' | 'psk' | 'psk-only' | 'off';
export type HopProtocol = 'tls' | 'wss' | 'msrps' | 'tcp' | 'udp' | 'ws' | 'msrp';

export interface HopFact {
  /** What the hop is, for the summary: 'proxy', 'relay', 'focus', 'peer', ... */
  hop: string;
  protocol: HopProtocol;
  /** Server certificate verified against a trusted CA (default true for TLS protocols). */
  certificateVerified?: boolean;
}

export interface SecurityFacts {
  e2e: E2EMode;
  /** One state for a 1:1 conversation, one per member for a group. */
  peerKeyStates: PeerKeyState[];
  /** Transport per hop this client can see (its own first hop, relays it connects to). */
  hops: HopFact[];
  /** Messages in the conversation received or sent without end-to-end protection. */
  unprotectedMessages?: number;
}

export type SecurityLevel = 'verified' | 'encrypted' | 'warning' | 'unprotected';

export interface SecurityStatus {
  level: SecurityLevel;
  e2e: E2EMode;
  keyState: PeerKeyState | 'mixed';
  transport: 'tls' | 'partial' | 'none' | 'unknown';
  unprotectedMessages: number;
  /** False while a peer key change awaits confirmation (PeerKeys.assertCanSend would throw). */
  canSend: boolean;
  summary: string;
}

const SECURE: ReadonlySet<HopProtocol> = new Set(['tls', 'wss', 'msrps']);

function aggregateKeys(states: PeerKeyState[]): PeerKeyState | 'mixed' {
  if (states.length === 0) return 'unknown';
  if (states.includes('changed')) return 'changed';
  if (states.every((s) => s === states[0])) return states[0];
  return 'mixed';
}

function hopSecure(h: HopFact): boolean {
  return SECURE.has(h.protocol) && h.certificateVerified !== false;
}

/** Pure: facts -> status. */
export function computeSecurityStatus(f: SecurityFacts): SecurityStatus {
  const keyState = aggregateKeys(f.peerKeyStates);
  const unprotectedMessages = Math.max(0, f.unprotectedMessages ?? 0);
  const secureHops = f.hops.filter(hopSecure);
  const transport = f.hops.length === 0 ? 'unknown' : secureHops.length === f.hops.length ? 'tls' : secureHops.length ? 'partial' : 'none';
  const canSend = keyState !== 'changed';

  let level: SecurityLevel;
  if (f.e2e === 'off') level = 'unprotected';
  else if (keyState === 'changed' || unprotectedMessages > 0) level = 'warning';
  else if (keyState === 'verified') level = 'verified';
  else level = 'encrypted';

  const parts: string[] = [];
  if (f.e2e === 'off') parts.push('Not end-to-end encrypted');
  else if (f.e2e === 'psk') parts.push('End-to-end encrypted + shared passphrase');
  else if (f.e2e === 'psk-only') parts.push('End-to-end encrypted with shared passphrase');
  else parts.push('End-to-end encrypted');

  const keyText: Record<PeerKeyState | 'mixed', string> = {
    verified: f.peerKeyStates.length > 1 ? 'all keys verified' : 'key verified',
    unverified: f.peerKeyStates.length > 1 ? 'keys not verified' : 'key not verified',
    unknown: 'key unknown',
    changed: 'KEY CHANGED: confirm before sending',
    mixed: `${f.peerKeyStates.filter((s) => s === 'verified').length} of ${f.peerKeyStates.length} keys verified`,
  };
  if (f.e2e !== 'off' || keyState === 'changed') parts.push(keyText[keyState]);

  if (transport === 'unknown') parts.push('transport unknown');
  else if (transport === 'none') parts.push('no TLS');
  else {
    const names = (list: HopFact[]) => [...new Set(list.map((h) => h.hop))].join(', ');
    const insecure = f.hops.filter((h) => !hopSecure(h));
    parts.push(transport === 'tls' ? `TLS to ${names(f.hops)}` : `TLS to ${names(secureHops)}, not to ${names(insecure)}`);
  }
  if (unprotectedMessages > 0) parts.push(`${unprotectedMessages} unprotected message${unprotectedMessages === 1 ? '' : 's'}`);

  return { level, e2e: f.e2e, keyState, transport, unprotectedMessages, canSend, summary: parts.join(' · ') };
}
