// Test helpers shared by the MSRP integration tests.
import type { MsrpSession, SessionEvent } from './session';

const WAIT_MS = 20_000;
const listeners = new WeakMap<MsrpSession, Set<(e: SessionEvent) => void>>();
/** Resolve on the next event of this type (several waiters per session may be pending). */
export function waitFor<T extends SessionEvent['type']>(
  s: MsrpSession,
  type: T,
  pred: (e: Extract<SessionEvent, { type: T }>) => boolean = () => true,
  timeoutMs = WAIT_MS,
): Promise<Extract<SessionEvent, { type: T }>> {
  let set = listeners.get(s);
  if (!set) {
    const ls = new Set<(e: SessionEvent) => void>();
    listeners.set(s, ls);
    s.onEvent = (e) => {
      for (const l of [...ls]) l(e);
    };
    set = ls;
  }
  const ls = set;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      ls.delete(l);
      reject(new Error(`timeout waiting for ${type}`));
    }, timeoutMs);
    const l = (e: SessionEvent) => {
      if (e.type === type && pred(e as Extract<SessionEvent, { type: T }>)) {
        clearTimeout(t);
        ls.delete(l);
        resolve(e as Extract<SessionEvent, { type: T }>);
      }
    };
    ls.add(l);
  });
}
