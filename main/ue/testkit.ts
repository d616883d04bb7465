// Test helpers for UE integration tests: a manual clock, an event recorder with bounded waits, UEs on a lab.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventChannel, EventPayload, UeEvent } from '../../app/ipc/contract';
import { insecureTestParams } from '../security/key-wrapper';
import { createUe, type CreateUeOptions, type Ue } from './ue';
import { FakeClock } from '../base/clock';

export const WAIT_MS = 20_000;

/** Time that moves only when told to (plus real time, so network timestamps stay sane); timers fire on advance(). */
export class ManualClock extends FakeClock {
  constructor() {
    super(Date.now);
  }
}

/** Records every event of a UE; waitFor() resolves with the first past or future event matching. */
export class EventLog {
  readonly events: UeEvent[] = [];
  readonly logs: string[] = [];
  #waiters = new Set<() => void>();
  readonly unsubscribe: () => void;
  constructor(ue: Ue) {
    this.unsubscribe = ue.subscribe((e) => {
      this.events.push(e);
      for (const w of [...this.#waiters]) w();
    });
  }
  log = (line: string): void => {
    this.logs.push(line);
    for (const w of [...this.#waiters]) w();
  };
  of<E extends EventChannel>(event: E): EventPayload<E>[] {
    return this.events.filter((e) => e.event === event).map((e) => e.payload as EventPayload<E>);
  }
  waitFor<E extends EventChannel>(
    event: E,
    pred: (p: EventPayload<E>) => boolean,
    what: string = event,
    ms = WAIT_MS,
  ): Promise<EventPayload<E>> {
    return this.#wait(() => this.of(event).find(pred), what, ms);
  }
  waitForLog(re: RegExp, ms = WAIT_MS): Promise<string> {
    return this.#wait(() => this.logs.find((l) => re.test(l)), `log ${re}`, ms);
  }
  #wait<T>(probe: () => T | undefined, what: string, ms: number): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no ${what} within ${ms} ms`));
      }, ms);
      this.#waiters.add(check);
    });
  }
}

export interface WireRecord {
  dir: 'in' | 'out';
  peer: string;
  contentType: string;
  body: string;
}

export interface TestUe {
  ue: Ue;
  log: EventLog;
  wire: WireRecord[];
  clock: ManualClock;
  profileDir: string;
}

/** A UE with a passphrase-wrapped key store (fast Argon2 parameters), fast SIP reconnects and a wire tap. */
export async function makeUe(profileDir?: string, extra: Partial<CreateUeOptions> = {}): Promise<TestUe> {
  const dir = profileDir ?? (await mkdtemp(join(tmpdir(), 'parley-ue-')));
  const clock = new ManualClock();
  const wire: WireRecord[] = [];
  let log: EventLog | null = null;
  const early: string[] = [];
  const ue = await createUe({
    profileDir: dir,
    passphrase: 'test passphrase',
    argon2: insecureTestParams(),
    now: clock.now,
    clock,
    env: {},
    sip: { keepAliveIntervalMs: 0, reconnectMinSeconds: 1, reconnectMaxSeconds: 2 },
    wireTap: (d, m) => wire.push({ dir: d, ...m }),
    log: (l) => (log ? log.log(l) : early.push(l)),
    ...extra,
  });
  log = new EventLog(ue);
  for (const l of early) log.log(l);
  return { ue, log, wire, clock, profileDir: dir };
}

export interface LabForUe {
  caFile: string;
  aor(user: string): string;
  proxy: { tls: string };
}

export async function signIn(t: TestUe, lab: LabForUe, user: string): Promise<void> {
  await t.ue.accountConfigure({ aor: lab.aor(user), password: `${user}-secret`, proxy: lab.proxy.tls, caFile: lab.caFile });
}
