// One signed-in account of the UE: key store, history, E2E context and security bundle, SIP UA, page messaging with the
// secure layer, and the account's one MSRP endpoint and one INVITE router that every feature shares (docs/ue.md).
import { join } from 'node:path';
import type { EventChannel, EventPayload } from '../../app/ipc/contract';
import { ParleyError } from '../base/errors';
import { normalizeAoR, safeAoR } from '../security/aor';
import { E2EContext } from '../security/e2e';
import { securityBundle, type SecurityBundle } from '../security/bundle';
import type { KeyStore } from '../security/keystore';
import { HistoryStore } from '../store';
import { SipUserAgent } from '../net/sip/ua';
import type { MsrpEndpoint } from '../media/endpoint';
import type { InviteRouter } from '../media/invite-router';
import { accountMedia } from '../media/account-media';
import type { RelayConfig } from '../media/types';
import type { E2ePolicySetting, FeatureContext } from '../features/feature';
import { PageMessagingService, type BlockList } from '../features/page/page-messaging';
import { SecurePage, SECURE_ACCEPT_TYPES, type WireTap } from '../features/page/secure-page';
import type { PickedFiles } from '../features/picked-files';
import {
  HISTORY_FILE,
  accountDir,
  loadSipPassword,
  openAccountKeyStore,
  type AccountFile,
  type KeyProtection,
  type WrapperChoice,
} from './profile';

export interface Account {
  /** Normalized AoR (the store's account key). */
  aor: string;
  account: AccountFile;
  dir: string;
  ks: KeyStore;
  e2e: E2EContext;
  /** Identity, pins, PSKs and replay cache as the features take them (built once here). */
  security: SecurityBundle;
  store: HistoryStore;
  ua: SipUserAgent;
  page: PageMessagingService;
  secure: SecurePage;
  /** The account's MSRP listeners and relay binding, shared by the features (opened by the first that needs it). */
  endpoint: MsrpEndpoint;
  /** The account's INVITE router (the UA's one INVITE hook); features add their routes. */
  router: InviteRouter;
  policy: E2ePolicySetting;
  protection: KeyProtection;
  close(): Promise<void>;
}

/** MSRP settings of the account's endpoint (the CLI's --relay; the UE itself uses none by default). */
export interface MsrpSettings {
  relay?: RelayConfig;
  /** Bind/advertise host of the MSRP listeners (default 127.0.0.1). */
  host?: string;
}

export interface OpenAccountOptions {
  profileDir: string;
  account: AccountFile;
  /** Given on account.configure; otherwise the sealed one from secrets.bin is used. */
  password?: string;
  wrapper: WrapperChoice;
  now: () => number;
  defaultPolicy: E2ePolicySetting;
  tap?: WireTap;
  /** Extra SipAccount settings (tests: faster reconnects, no keep-alives). */
  sip?: { reconnectMinSeconds?: number; reconnectMaxSeconds?: number; keepAliveIntervalMs?: number };
  msrp?: MsrpSettings;
  log?: (line: string) => void;
}

export async function openAccount(o: OpenAccountOptions): Promise<Account> {
  const aor = normalizeAoR(o.account.aor);
  const dir = accountDir(o.profileDir, aor);
  const ks = await openAccountKeyStore(dir, aor, o.wrapper.wrapper, o.now());
  const closers: (() => Promise<void> | void)[] = [() => ks.close()];
  const undo = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    if (ks.identity().aor !== aor)
      throw new ParleyError('PROFILE_KEYSTORE_MISMATCH', `key store in ${dir} belongs to ${ks.identity().aor}`);
    const password = o.password ?? (await loadSipPassword(dir, ks));
    if (password === null) throw new ParleyError('ACCOUNT_NO_PASSWORD', 'no saved password for this account: configure it again');
    const store = await HistoryStore.open(join(dir, HISTORY_FILE), await ks.getDataKey('history'), { now: o.now });
    closers.push(() => store.close());
    const e2e = new E2EContext(ks, { now: o.now });
    const ua = new SipUserAgent({
      aor,
      password,
      proxy: o.account.proxy,
      caFile: o.account.caFile,
      displayName: o.account.displayName,
      ...o.sip,
    });
    ua.on('error', () => {});
    closers.push(() => ua.stop());
    const blockList: BlockList = { isBlocked: (_acc, sender) => store.contacts.isBlocked(aor, safeAoR(sender)) };
    const page = new PageMessagingService(ua, { policy: { accept: SECURE_ACCEPT_TYPES }, blockList });
    closers.push(() => page.close());
    const secure = new SecurePage(page, e2e, aor, o.now, o.tap);
    const { endpoint, router, close: closeMedia } = accountMedia(ua, o.msrp);
    endpoint.on('error', (e) => o.log?.(`msrp: ${e.code}: ${e.message}`));
    router.on('error', (e) => o.log?.(`invite: ${e.code}: ${e.message}`));
    closers.push(closeMedia);
    let closed = false;
    return {
      aor,
      account: o.account,
      dir,
      ks,
      e2e,
      security: securityBundle(e2e),
      store,
      ua,
      page,
      secure,
      endpoint,
      router,
      policy: o.account.e2ePolicy ?? o.defaultPolicy,
      protection: o.wrapper.protection,
      close: async () => {
        if (closed) return;
        closed = true;
        secure.removeAllListeners();
        await undo();
      },
    };
  } catch (e) {
    await undo();
    throw e;
  }
}

/** What the features get from the account (the FeatureContext of main/features/feature.ts). */
export function featureContext(
  a: Account,
  emit: <E extends EventChannel>(event: E, payload: EventPayload<E>) => void,
  log: (line: string) => void,
  picked: PickedFiles,
): FeatureContext {
  const { aor, dir, ua, ks, e2e, security, store, policy, endpoint, router } = a;
  return { aor, dir, proxy: a.account.proxy, ua, ks, e2e, security, store, policy, endpoint, router, picked, emit, log };
}
