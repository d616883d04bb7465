// Test helpers for SIP lab tests: start UAs against a lab and wait on events with bounded timeouts.
import type { EventEmitter } from 'node:events';
import { SipUserAgent, type SipAccount } from './ua';

export const EVENT_TIMEOUT_MS = 15_000;

export interface LabLike {
  caFile: string;
  aor(user: string): string;
  proxy: { tcp: string; tls: string; ws: string; wss: string };
}

export type ProxyKind = 'tcp' | 'tls' | 'ws' | 'wss';

export function accountFor(lab: LabLike, user: string, kind: ProxyKind, extra: Partial<SipAccount> = {}): SipAccount {
  return { aor: lab.aor(user), password: `${user}-secret`, proxy: lab.proxy[kind], caFile: lab.caFile, keepAliveIntervalMs: 0, ...extra };
}

/** Resolves with the first event `name` whose payload satisfies pred; rejects after timeoutMs. */
export function nextEvent<T>(
  em: EventEmitter,
  name: string,
  pred: (v: T) => boolean = () => true,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      em.off(name, on);
      reject(new Error(`no matching '${name}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (v: T) => {
      if (!pred(v)) return;
      clearTimeout(t);
      em.off(name, on);
      resolve(v);
    };
    em.on(name, on);
  });
}

/** Tracks UAs created in a test file so after() can stop them all. */
export class UaPool {
  private readonly uas: SipUserAgent[] = [];
  create(account: SipAccount): SipUserAgent {
    const ua = new SipUserAgent(account);
    ua.on('error', () => {});
    this.uas.push(ua);
    return ua;
  }
  async stopAll(): Promise<void> {
    await Promise.all(this.uas.splice(0).map((u) => u.stop().catch(() => {})));
  }
}
