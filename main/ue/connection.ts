// Pure mapping from the account file and the SIP UA's state to the account/connection views (app/ipc/views.ts).
import type { AccountView, ConnectionView } from '../../app/ipc/contract';
import type { SipStateEvent } from '../net/sip/ua';
import type { ConnectionInfo } from '../net/sip/connection-info';
import type { AccountFile } from './profile';
import type { HopFacts } from './views';

export const OFFLINE: ConnectionView = { state: 'unconfigured', transport: 'none' };

export function accountView(a: AccountFile): AccountView {
  return {
    aor: a.aor,
    proxy: a.proxy,
    localLab: a.localLab === true,
    ...(a.caFile ? { caFile: a.caFile } : {}),
    ...(a.displayName ? { displayName: a.displayName } : {}),
  };
}

export function transportOf(proxy: string): ConnectionView['transport'] {
  const m = /^(udp|tcp|tls|ws|wss):\/\//i.exec(proxy);
  if (m) return m[1]!.toLowerCase() as ConnectionView['transport'];
  if (/transport=tls/i.test(proxy) || /^sips:/i.test(proxy)) return 'tls';
  if (/transport=tcp/i.test(proxy)) return 'tcp';
  return 'udp';
}

/** The connection view for a SIP UA state change (undefined: no change to show, e.g. 'stopped'). */
export function connectionView(proxy: string, ev: SipStateEvent, info: ConnectionInfo | null): ConnectionView | undefined {
  const transport = transportOf(proxy);
  const reason = ev.error?.message.slice(0, 1024);
  switch (ev.state) {
    case 'idle':
    case 'connecting':
      return { state: 'connecting', transport };
    case 'registered': {
      const tls = tlsView(info);
      return { state: 'registered', transport, ...(tls ? { tls } : {}) };
    }
    case 'reconnecting':
    case 'unregistered':
      return { state: 'reconnecting', transport, ...(reason ? { reason } : {}) };
    case 'failed':
      return { state: 'error', transport, reason: reason ?? 'registration failed' };
    case 'stopped':
      return undefined;
  }
}

function tlsView(info: ConnectionInfo | null): ConnectionView['tls'] {
  const t = info?.tls;
  if (!t) return undefined;
  const cn = /(?:^|, )CN=([^,]+)/.exec(t.peerSubject ?? '')?.[1];
  return {
    verified: t.authorized,
    ...(t.protocol ? { version: t.protocol } : {}),
    ...(t.cipher ? { cipher: t.cipher } : {}),
    ...(cn ? { peerName: cn } : {}),
  };
}

/** The first hop's facts for the security views (no account: no transport). */
export function hopFacts(proxy: string | undefined, info: ConnectionInfo | null | undefined): HopFacts {
  const transport = proxy ? transportOf(proxy) : 'none';
  return { transport, tls: transport === 'tls' || transport === 'wss', verified: info?.tls?.authorized === true };
}
