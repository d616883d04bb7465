import type { ConversationView, SecurityView } from '../../../app/ipc/contract';
import type { AppState } from '../shared';

export const selectSecurity = (id: string | null) => (s: AppState) => (id ? s.security.byConv[id] : undefined);
export const selectSafety = (id: string | null) => (s: AppState) => (id ? s.security.safety[id] : undefined);
export const selectPanelFor = (s: AppState) => s.security.panelFor;
export const selectVerifyResult = (id: string | null) => (s: AppState) => (id ? s.security.verifyResult[id] : undefined);

export interface SecurityFacts {
  hop: { on: boolean; text: string };
  e2e: { on: boolean; text: string };
  peer: { ok: boolean; text: string };
  sendBlocked: boolean;
}

/** Plain-language facts, keeping hop-by-hop (TLS to the first hop) apart from end-to-end and peer verification. */
export function securityFacts(v: SecurityView | undefined, summary: ConversationView['security'] | undefined): SecurityFacts | null {
  const tls = v ? v.hop.tls : summary?.tls;
  const e2e = v ? v.e2e.state : summary?.e2e;
  const peer = v ? v.peer.state : summary?.peer;
  if (tls === undefined || e2e === undefined || peer === undefined) return null;
  return {
    hop: {
      on: tls,
      text: tls ? `TLS to the network${v?.hop.verified === false ? ' (certificate not verified)' : ''}` : 'No TLS to the network',
    },
    e2e: {
      on: e2e !== 'off',
      text: e2e === 'on' ? 'End-to-end encrypted' : e2e === 'psk' ? 'End-to-end encrypted (pre-shared key)' : 'Not end-to-end encrypted',
    },
    peer: {
      ok: peer === 'verified',
      text: {
        verified: 'Contact verified',
        unverified: 'Contact not verified',
        unknown: 'No key for this contact yet',
        changed: "Contact's key changed",
      }[peer],
    },
    sendBlocked: v ? v.sendBlocked : (summary?.sendBlocked ?? false),
  };
}
