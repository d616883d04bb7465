import type { AppState } from '../shared';

export const selectAccount = (s: AppState) => s.account.view;
export const selectAccountState = (s: AppState) => s.account;
export const selectConnection = (s: AppState) => s.connection;
export const selectLink = (s: AppState) => s.link;
/** The set-up screen shows until an account exists (and the first load finished). */
export const selectNeedsSetup = (s: AppState) => s.account.loaded && s.account.view === null;

const LABELS = {
  unconfigured: 'Not signed in',
  connecting: 'Connecting…',
  registered: 'Connected',
  reconnecting: 'Reconnecting…',
  error: 'Connection error',
} as const;

export function connectionLabel(c: AppState['connection']): string {
  const base = LABELS[c.state];
  const withReason = c.reason && (c.state === 'error' || c.state === 'reconnecting') ? `${base}: ${c.reason}` : base;
  if (c.state !== 'reconnecting' || c.retryAt === undefined) return withReason;
  const at = new Date(c.retryAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return `${withReason} (next attempt at ${at})`;
}
