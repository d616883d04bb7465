// msilo counters of a running lab (Kamailio statistics over the ctl socket), for tests that must know a MESSAGE was
// stored for later delivery before they bring its recipient online.
import type { Lab } from '../lab';

export const SILO_WAIT_MS = 10_000;
const POLL_MS = 25;

/** msilo:stored_messages and msilo:dumped_messages since the lab started. */
export async function siloCounters(lab: Pick<Lab, 'rpc'>): Promise<{ stored: number; dumped: number }> {
  const out = await lab.rpc('stats.get_statistics', 'msilo:');
  const n = (name: string) => Number(new RegExp(`msilo:${name}\\s*=\\s*(\\d+)`).exec(out)?.[1] ?? NaN);
  return { stored: n('stored_messages'), dumped: n('dumped_messages') };
}

/** Resolves once the lab has stored at least `count` messages in total; rejects after `ms`. */
export async function waitForStored(lab: Pick<Lab, 'rpc' | 'domain'>, count: number, ms = SILO_WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { stored } = await siloCounters(lab);
    if (stored >= count) return;
    if (Date.now() > deadline) throw new Error(`${lab.domain}: ${stored} message(s) stored by msilo, expected ${count} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
