// The UE facade: the real UeBackend behind the IPC contract (app/ipc/contract.ts). Owns the profile and the signed-in
// Account (SIP UA, page messaging, E2E, history, MSRP endpoint, INVITE router), runs the registered features for it
// (main/ue/features.ts) and turns everything into views and events. Design: docs/ue.md, docs/architecture.md.
import {
  UeEventHub,
  type AccountView,
  type ConnectionView,
  type ConversationView,
  type Req,
  type Res,
  type SecurityView,
  type UeBackend,
  type UeEventListener,
} from '../../app/ipc/contract';
import { ParleyError } from '../base/errors';
import { normalizeAoR } from '../security/aor';
import type { Argon2Params, KeyWrapper } from '../security/key-wrapper';
import type { WireTap } from '../features/page/secure-page';
import type { E2ePolicySetting } from '../features/feature';
import {
  chooseKeyWrapper,
  ensureDir,
  readAccountFile,
  removeAccountFile,
  saveSipPassword,
  writeAccountFile,
  type AccountFile,
  type KeyProtection,
  type WrapperChoice,
} from './profile';
import { featureContext, openAccount, type Account, type MsrpSettings, type OpenAccountOptions } from './account';
import { accountView, connectionView, OFFLINE, transportOf } from './connection';
import { FEATURES } from './features';
import { FeatureHost, type FeatureMethods } from './feature-host';
import { labAccount, type LabFactory, type LocalLabInfo } from './local-lab';
import { Messenger, type MessagingStats } from './messenger';
import { SecurityChannels } from './security-channels';
import { ConversationChannels } from './conversation-channels';
import { realClock, type UeClock } from './typing';
import { messageView } from './views';
import { PickedFiles } from '../features/picked-files';

export const UE_REGISTER_TIMEOUT_MS = 15_000;

export interface CreateUeOptions {
  profileDir: string;
  /** OS-backed wrapper (Electron safeStorage). */
  keyWrapper?: KeyWrapper | null;
  /** Key store passphrase (else PARLEY_PASSPHRASE, else the dev key file). */
  passphrase?: string;
  /** false: never fall back to the dev key file (KEYSTORE_NO_PROTECTION instead; the desktop app). Default true. */
  allowKeyFile?: boolean;
  now?: () => number;
  /** Clock + timers (typing expiry); defaults to real timers over `now`. */
  clock?: UeClock;
  /** Starts or finds the local lab for account.useLocalLab (hosts that offer it pass one; without it the channel is unavailable). */
  labFactory?: LabFactory;
  /** Policy for accounts whose account.json does not say (default 'require'). */
  e2ePolicy?: E2ePolicySetting;
  /** Argon2id parameters for new passphrase-wrapped key stores (tests use insecureTestParams()). */
  argon2?: Argon2Params;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Observes every page-mode body this UE sends or receives (diagnostics, tests). */
  wireTap?: WireTap;
  sip?: OpenAccountOptions['sip'];
  /** The account's MSRP endpoint (relay, bind host); default: direct, 127.0.0.1. */
  msrp?: MsrpSettings;
  registerTimeoutMs?: number;
  /** Start the session feature (default true; false: mode 'session' answers SESSION_UNAVAILABLE). */
  sessions?: boolean;
  /** The host's record of files the user picked (files.send reads nothing else); default: an empty one. */
  pickedFiles?: PickedFiles;
}

/** The UeBackend plus a few non-IPC extras for the host, the CLI and tests. */
export interface Ue extends UeBackend {
  /** Resolves when the saved account (if any) has been signed in again (or failed: see connection.get). */
  readonly ready: Promise<void>;
  keyProtection(): KeyProtection;
  identity(): { aor: string; fingerprint: string; publicKey: Uint8Array } | null;
  stats(): MessagingStats | null;
  /** The signed-in account's internals (CLI `keys`, `chat`, `send-file`; tests). */
  account(): Account | null;
  /** Files the user picked in main (hosts record picks here; tests too). */
  readonly pickedFiles: PickedFiles;
}

type CoreBackend = Omit<UeBackend, keyof FeatureMethods<typeof FEATURES>>;

export async function createUe(opts: CreateUeOptions): Promise<Ue> {
  await ensureDir(opts.profileDir);
  const wrapper = await chooseKeyWrapper(opts.profileDir, {
    keyWrapper: opts.keyWrapper,
    passphrase: opts.passphrase,
    env: opts.env ?? process.env,
    argon2: opts.argon2,
    allowKeyFile: opts.allowKeyFile,
  });
  const ue = new UeImpl(opts, wrapper);
  const saved = await readAccountFile(opts.profileDir);
  ue.ready = saved ? ue.resume(saved) : Promise.resolve();
  // The backend = the core channels + every registered feature's channels (a missing one is a compile error here).
  const backend: Ue = Object.assign(ue, ue.features.methods());
  return backend;
}

class UeImpl implements CoreBackend, Omit<Ue, keyof FeatureMethods<typeof FEATURES>> {
  ready: Promise<void> = Promise.resolve();
  readonly features: FeatureHost<typeof FEATURES>;
  readonly pickedFiles: PickedFiles;
  readonly #hub = new UeEventHub();
  readonly #now: () => number;
  readonly #clock: UeClock;
  readonly #log: (l: string) => void;
  readonly #security: SecurityChannels;
  readonly #conversations: ConversationChannels;
  #acct: Account | null = null;
  #msg: Messenger | null = null;
  #account: AccountView | null = null;
  #connection: ConnectionView = OFFLINE;
  #ownedLab: LocalLabInfo | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly opts: CreateUeOptions,
    private readonly wrapper: WrapperChoice,
  ) {
    this.pickedFiles = opts.pickedFiles ?? new PickedFiles();
    this.#now = opts.now ?? Date.now;
    this.#clock = opts.clock ?? realClock(this.#now);
    this.#log = opts.log ?? (() => {});
    this.features = new FeatureHost(FEATURES, this.#log);
    this.#security = new SecurityChannels({
      need: () => this.#need(),
      account: () => this.#acct,
      conv: (id) => this.#conversations.conv(id),
      protection: wrapper.protection,
      changed: (c) => {
        this.#hub.emit('security.changed', this.#security.view(c));
        this.#hub.emit('conversation.upserted', this.#conversations.view(c.id));
      },
      acceptKeyChange: (c) => this.#msg!.acceptKeyChange(c),
    });
    this.#conversations = new ConversationChannels({
      need: () => this.#need(),
      account: () => this.#acct,
      messenger: () => this.#msg!,
      security: () => this.#security,
      emit: (event, payload) => this.#hub.emit(event, payload),
    });
  }

  subscribe(l: UeEventListener): () => void {
    return this.#hub.subscribe(l);
  }

  keyProtection(): KeyProtection {
    return this.wrapper.protection;
  }
  identity() {
    const i = this.#acct?.ks.identity();
    return i ? { aor: i.aor, fingerprint: i.fingerprint, publicKey: i.publicKey } : null;
  }
  stats(): MessagingStats | null {
    return this.#msg ? { ...this.#msg.stats } : null;
  }
  account(): Account | null {
    return this.#acct;
  }

  // ---- account and connection

  /** Startup: sign in again with the saved account and sealed password. */
  async resume(saved: AccountFile): Promise<void> {
    await this.#serial(async () => {
      try {
        await this.#open(saved, undefined);
      } catch (e) {
        this.#setConnection({ state: 'error', reason: (e as Error).message.slice(0, 1024), transport: transportOf(saved.proxy) });
        return;
      }
      this.#account = accountView(saved);
      this.#acct!.ua.start(this.opts.registerTimeoutMs ?? UE_REGISTER_TIMEOUT_MS).catch((e) =>
        this.#log(`sign-in: ${(e as Error).message}`),
      );
    });
  }

  async accountGet(): Promise<Res<'account.get'>> {
    return this.#account;
  }

  accountConfigure(req: Req<'account.configure'>, localLab = false): Promise<AccountView> {
    return this.#serial(async () => {
      await this.#close();
      const prev = await readAccountFile(this.opts.profileDir).catch(() => null);
      const account: AccountFile = {
        v: 1,
        aor: normalizeAoR(req.aor),
        proxy: req.proxy,
        caFile: req.caFile,
        displayName: req.displayName,
        localLab,
        e2ePolicy: prev && normalizeAoR(prev.aor) === normalizeAoR(req.aor) ? prev.e2ePolicy : undefined,
      };
      let acct: Account;
      try {
        acct = await this.#open(account, req.password);
      } catch (e) {
        this.#setConnection({ state: 'error', reason: (e as Error).message.slice(0, 1024), transport: transportOf(req.proxy) });
        throw e;
      }
      try {
        await acct.ua.start(this.opts.registerTimeoutMs ?? UE_REGISTER_TIMEOUT_MS);
      } catch (e) {
        const err = e instanceof ParleyError ? e : new ParleyError('SIP_REGISTRATION_FAILED', String(e));
        await this.#close();
        this.#setConnection({ state: 'error', reason: err.message.slice(0, 1024), transport: transportOf(req.proxy) });
        throw err;
      }
      await saveSipPassword(acct.dir, acct.ks, req.password);
      await writeAccountFile(this.opts.profileDir, account);
      this.#account = accountView(account);
      this.#hub.emit('account.changed', this.#account);
      return this.#account;
    });
  }

  async accountCapabilities(): Promise<Res<'account.capabilities'>> {
    return { localLab: this.opts.labFactory !== undefined };
  }

  async accountUseLocalLab(req: Req<'account.useLocalLab'>): Promise<Res<'account.useLocalLab'>> {
    if (!this.opts.labFactory) throw new ParleyError('FEATURE_UNAVAILABLE', 'this build has no local lab: configure an account');
    const lab: LocalLabInfo = await this.opts.labFactory();
    if (lab.stop && !this.#ownedLab) this.#ownedLab = lab;
    const a = labAccount(lab, req.user ?? 'alice');
    return this.accountConfigure({ aor: a.aor, password: a.password, proxy: a.proxy, caFile: a.caFile, displayName: undefined }, true);
  }

  accountSignOut(): Promise<null> {
    return this.#serial(async () => {
      await this.#close();
      await removeAccountFile(this.opts.profileDir);
      this.#account = null;
      this.#hub.emit('account.changed', null);
      this.#setConnection(OFFLINE);
      return null;
    });
  }

  async connectionGet(): Promise<ConnectionView> {
    return this.#connection;
  }

  // ---- conversations, messages, typing, contacts, search (main/ue/conversation-channels.ts)

  conversationsList(req: Req<'conversations.list'>): Promise<ConversationView[]> {
    return this.#conversations.list(req);
  }
  conversationsOpen(req: Req<'conversations.open'>): Promise<ConversationView> {
    return this.#conversations.open(req);
  }
  conversationsMarkRead(req: Req<'conversations.markRead'>): Promise<null> {
    return this.#conversations.markRead(req);
  }
  messagesPage(req: Req<'messages.page'>): Promise<Res<'messages.page'>> {
    return this.#conversations.page(req);
  }
  messagesSend(req: Req<'messages.send'>): Promise<Res<'messages.send'>> {
    return this.#conversations.send(req);
  }
  typingSet(req: Req<'typing.set'>): Promise<null> {
    return this.#conversations.typing(req);
  }
  contactsBlock(req: Req<'contacts.block'>): Promise<null> {
    return this.#conversations.block(req.aor, true);
  }
  contactsUnblock(req: Req<'contacts.unblock'>): Promise<null> {
    return this.#conversations.block(req.aor, false);
  }
  search(req: Req<'search'>): Promise<Res<'search'>> {
    return this.#conversations.search(req);
  }

  // ---- security

  securityStatus(req: Req<'security.status'>): Promise<SecurityView> {
    return this.#security.status(req);
  }
  securitySafetyNumber(req: Req<'security.safetyNumber'>): Promise<Res<'security.safetyNumber'>> {
    return this.#security.safetyNumber(req);
  }
  securityVerify(req: Req<'security.verify'>): Promise<Res<'security.verify'>> {
    return this.#security.verify(req);
  }
  securityAcceptKeyChange(req: Req<'security.acceptKeyChange'>): Promise<null> {
    return this.#security.acceptKeyChange(req);
  }
  securitySetPsk(req: Req<'security.setPsk'>): Promise<SecurityView> {
    return this.#security.setPsk(req);
  }

  async close(): Promise<void> {
    await this.#serial(() => this.#close());
    const lab = this.#ownedLab;
    this.#ownedLab = null;
    await lab?.stop?.();
  }

  // ---- internals

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(fn);
    this.#queue = p.catch(() => {});
    return p;
  }

  /** Opens the account, its messaging core and its features (the UA is started by the caller). */
  async #open(account: AccountFile, password: string | undefined): Promise<Account> {
    const acct = await openAccount({
      profileDir: this.opts.profileDir,
      account,
      password,
      wrapper: this.wrapper,
      now: this.#now,
      defaultPolicy: this.opts.e2ePolicy ?? 'require',
      tap: this.opts.wireTap,
      sip: this.opts.sip,
      msrp: this.opts.msrp,
      log: this.#log,
    });
    const msg = new Messenger(
      acct,
      {
        message: (m) => this.#hub.emit('message.upserted', messageView(m)),
        conversation: (id) => this.#hub.emit('conversation.upserted', this.#conversations.view(id)),
        security: (id) => {
          this.#hub.emit('conversation.upserted', this.#conversations.view(id));
          this.#hub.emit('security.changed', this.#security.view(acct.store.getConversation(id)));
        },
        typing: (id, peer, active, at) => this.#hub.emit('typing.changed', { conversationId: String(id), peer, active, at }),
        log: (l) => this.#log(l),
      },
      this.#clock,
    );
    await msg.load();
    this.#acct = acct;
    this.#msg = msg;
    const ctx = featureContext(acct, (event, payload) => this.#hub.emit(event, payload), this.#log, this.pickedFiles);
    await this.features.start(ctx, new Set(this.opts.sessions === false ? ['session'] : []));
    msg.useSessions(this.features.chat());
    let recovered = false;
    acct.ua.on('state', (ev) => {
      if (this.#acct !== acct) return;
      const view = connectionView(acct.account.proxy, ev, acct.ua.connectionInfo);
      if (view) this.#setConnection(view);
      if (ev.state === 'registered' && !recovered) {
        recovered = true;
        msg.recover();
      }
    });
    return acct;
  }

  async #close(): Promise<void> {
    const s = this.#acct;
    const m = this.#msg;
    this.#acct = null;
    this.#msg = null;
    m?.close();
    await this.features.stop();
    await m?.flushWrites();
    await s?.close();
  }

  #setConnection(c: ConnectionView): void {
    this.#connection = c;
    this.#hub.emit('connection.changed', c);
  }

  #need(): Account {
    if (!this.#acct) throw new ParleyError('ACCOUNT_NOT_CONFIGURED', 'No account is configured: sign in first.');
    return this.#acct;
  }
}
