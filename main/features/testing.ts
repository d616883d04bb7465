// Test support shared by the feature folders: a FeatureContext for one lab account, built from the lower layers (what
// main/ue/account.ts does with a profile), so a feature's tests drive the feature without main/ue. Not product code.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { UeEvent } from '../../app/ipc/contract';
import { normalizeAoR } from '../security/aor';
import { securityBundle } from '../security/bundle';
import { E2EContext } from '../security/e2e';
import { insecureTestParams, PassphraseWrapper } from '../security/key-wrapper';
import { KeyStore } from '../security/keystore';
import { HistoryStore } from '../store';
import { SipUserAgent } from '../net/sip/ua';
import { accountMedia } from '../media/account-media';
import type { E2ePolicySetting, FeatureContext } from './feature';
import { PickedFiles } from './picked-files';

export interface TestAccount {
  ctx: FeatureContext;
  /** Every event the feature emitted, in order. */
  events: UeEvent[];
  /** Called with each event as it is emitted (after it was recorded). */
  onEvent: (e: UeEvent) => void;
  close(): Promise<void>;
}

/** A signed-out account context in `dir` (fresh key store and history); start `ctx.ua` to register. */
export async function openTestAccount(o: {
  dir: string;
  aor: string;
  password: string;
  proxy: string;
  caFile?: string;
  policy?: E2ePolicySetting;
}): Promise<TestAccount> {
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  const aor = normalizeAoR(o.aor);
  const ks = await KeyStore.create(join(o.dir, 'keystore.bin'), new PassphraseWrapper(`${aor} test`, insecureTestParams()), { aor });
  const store = await HistoryStore.open(join(o.dir, 'history.db'), await ks.getDataKey('history'));
  const e2e = new E2EContext(ks);
  const ua = new SipUserAgent({ aor, password: o.password, proxy: o.proxy, caFile: o.caFile });
  ua.on('error', () => {});
  const media = accountMedia(ua);
  const t: TestAccount = {
    events: [],
    onEvent: () => {},
    ctx: {
      aor,
      dir: o.dir,
      proxy: o.proxy,
      ua,
      ks,
      e2e,
      security: securityBundle(e2e),
      store,
      policy: o.policy ?? 'require',
      endpoint: media.endpoint,
      router: media.router,
      picked: new PickedFiles(),
      emit: (event, payload) => {
        const e = { event, payload } as UeEvent;
        t.events.push(e);
        t.onEvent(e);
      },
      log: () => {},
    },
    async close() {
      await media.close();
      await ua.stop().catch(() => {});
      store.close();
      await ks.close();
    },
  };
  return t;
}
