// One signed-in account of the UE: key store, history, E2E context, SIP UA, page messaging with the secure layer.
import { join } from 'node:path';
import { ParleyError } from '../base/errors';
import { normalizeAoR } from '../security/aor';
import { E2EContext } from '../security/e2e';
import { securityBundle, type SecurityBundle } from '../security/bundle';
import type { KeyStore } from '../security/keystore';
import { HistoryStore } from '../store';
import { SipUserAgent } from '../net/sip/ua';
import { PageMessagingService, type BlockList } from '../features/page/page-messaging';
import { SecurePage, SECURE_ACCEPT_TYPES, type WireTap } from '../features/page/secure-page';
import { ChatSessionManager } from '../features/session/manager';
import {
  HISTORY_FILE,
  accountDir,
  loadSipPassword,
  openAccountKeyStore,
  type AccountFile,
  type E2ePolicySetting,
  type KeyProtection,
  type WrapperChoice,
} from './profile';

export interface AccountSession {
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
  /** MSRP chat sessions (null when the session layer could not start: session mode then answers SESSION_UNAVAILABLE). */
  sessions: ChatSessionManager | null;
  policy: E2ePolicySetting;
  protection: KeyProtection;
  close(): Promise<void>;
}

export interface OpenSessionOptions {
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
  /** Start the MSRP session layer (default true). */
  sessions?: boolean;
  log?: (line: string) => void;
}

export async function openAccountSession(o: OpenSessionOptions): Promise<AccountSession> {
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
    const security = securityBundle(e2e);
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
    const policy = o.account.e2ePolicy ?? o.defaultPolicy;
    let sessions: ChatSessionManager | null = null;
    if (o.sessions !== false) {
      const mgr = new ChatSessionManager({
        ua,
        policy: policy === 'require' ? 'require' : 'allow-plaintext',
        security,
      });
      mgr.on('error', () => {});
      try {
        await mgr.start();
        sessions = mgr;
        closers.push(() => mgr.stop());
      } catch (e) {
        o.log?.(`session layer unavailable: ${(e as Error).message}`);
      }
    }
    let closed = false;
    return {
      aor,
      account: o.account,
      dir,
      ks,
      e2e,
      security,
      store,
      ua,
      page,
      secure,
      sessions,
      policy,
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

export function safeAoR(uri: string): string {
  try {
    return normalizeAoR(uri);
  } catch {
    return uri;
  }
}
