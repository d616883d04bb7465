// The UE facade: the real UeBackend behind the IPC contract (app/ipc/contract.ts). Owns the profile, the signed-in account
// (SIP UA, page messaging, E2E, history) and turns everything into views and events. Design: docs/ue.md.
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
import { encodeQrPayload, safetyNumberDigits, verifySafetyNumber } from '../security/safety-number';
import { derivePsk } from '../security/psk';
import type { Argon2Params, KeyWrapper } from '../security/key-wrapper';
import type { SipStateEvent } from '../net/sip/ua';
import type { Conversation } from '../store';
import {
  chooseKeyWrapper,
  ensureDir,
  readAccountFile,
  removeAccountFile,
  saveSipPassword,
  writeAccountFile,
  type AccountFile,
  type E2ePolicySetting,
  type KeyProtection,
  type WrapperChoice,
} from './profile';
import { openAccountSession, type AccountSession, type OpenSessionOptions } from './account';
import { labAccount, type LabFactory, type LocalLabInfo } from './local-lab';
import { Messenger, type MessagingStats } from './messenger';
import { realClock, type UeClock } from './typing';
import { conversationView, decodeCursor, encodeCursor, messageView, securityView, type ConversationSecurity, type HopFacts } from './views';
import type { WireTap } from '../features/page/secure-page';
import { withFiles } from '../features/transfer/facade';
import { withConference } from '../features/conference/facade';

export const E2E_SCHEME = 'parley-e2e-v1';
export const UE_REGISTER_TIMEOUT_MS = 15_000;

export interface CreateUeOptions {
  profileDir: string;
  /** OS-backed wrapper (Electron safeStorage). */
  keyWrapper?: KeyWrapper | null;
  /** Key store passphrase (else PARLEY_PASSPHRASE, else the dev key file). */
  passphrase?: string;
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
  sip?: OpenSessionOptions['sip'];
  registerTimeoutMs?: number;
  /** Start the MSRP session layer (default true; false: mode 'session' answers SESSION_UNAVAILABLE). */
  sessions?: boolean;
}

/** The UeBackend plus a few non-IPC extras for the host, the CLI and tests. */
export interface Ue extends UeBackend {
  /** Resolves when the saved account (if any) has been signed in again (or failed: see connection.get). */
  readonly ready: Promise<void>;
  keyProtection(): KeyProtection;
  identity(): { aor: string; fingerprint: string; publicKey: Uint8Array } | null;
  stats(): MessagingStats | null;
  /** The signed-in account's internals (CLI `keys`, tests). */
  session(): AccountSession | null;
}

export async function createUe(opts: CreateUeOptions): Promise<Ue> {
  await ensureDir(opts.profileDir);
  const wrapper = await chooseKeyWrapper(opts.profileDir, {
    keyWrapper: opts.keyWrapper,
    passphrase: opts.passphrase,
    env: opts.env ?? process.env,
    argon2: opts.argon2,
  });
  const ue = new UeImpl(opts, wrapper);
  const saved = await readAccountFile(opts.profileDir);
  ue.ready = saved ? ue.resume(saved) : Promise.resolve();
  // File transfer and group chat follow the signed-in account session (docs/app.md).
  return withConference(withFiles(ue, { log: opts.log }), { log: opts.log });
}

const OFFLINE: ConnectionView = { state: 'unconfigured', transport: 'none' };

class UeImpl implements Ue {
  ready: Promise<void> = Promise.resolve();
  readonly #hub = new UeEventHub();
  readonly #now: () => number;
  readonly #clock: UeClock;
  readonly #log: (l: string) => void;
  #sess: AccountSession | null = null;
  #msg: Messenger | null = null;
  #account: AccountView | null = null;
  #connection: ConnectionView = OFFLINE;
  #ownedLab: LocalLabInfo | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly opts: CreateUeOptions,
    private readonly wrapper: WrapperChoice,
  ) {
    this.#now = opts.now ?? Date.now;
    this.#clock = opts.clock ?? realClock(this.#now);
    this.#log = opts.log ?? (() => {});
  }

  subscribe(l: UeEventListener): () => void {
    return this.#hub.subscribe(l);
  }

  keyProtection(): KeyProtection {
    return this.wrapper.protection;
  }
  identity() {
    const i = this.#sess?.ks.identity();
    return i ? { aor: i.aor, fingerprint: i.fingerprint, publicKey: i.publicKey } : null;
  }
  stats(): MessagingStats | null {
    return this.#msg ? { ...this.#msg.stats } : null;
  }
  session(): AccountSession | null {
    return this.#sess;
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
      this.#sess!.ua.start(this.opts.registerTimeoutMs ?? UE_REGISTER_TIMEOUT_MS).catch((e) =>
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
      let sess: AccountSession;
      try {
        sess = await this.#open(account, req.password);
      } catch (e) {
        this.#setConnection({ state: 'error', reason: (e as Error).message.slice(0, 1024), transport: transportOf(req.proxy) });
        throw e;
      }
      try {
        await sess.ua.start(this.opts.registerTimeoutMs ?? UE_REGISTER_TIMEOUT_MS);
      } catch (e) {
        const err = e instanceof ParleyError ? e : new ParleyError('SIP_REGISTRATION_FAILED', String(e));
        await this.#close();
        this.#setConnection({ state: 'error', reason: err.message.slice(0, 1024), transport: transportOf(req.proxy) });
        throw err;
      }
      await saveSipPassword(sess.dir, sess.ks, req.password);
      await writeAccountFile(this.opts.profileDir, account);
      this.#account = accountView(account);
      this.#hub.emit('account.changed', this.#account);
      return this.#account;
    });
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

  // ---- conversations and messages

  async conversationsList(req: Req<'conversations.list'>): Promise<ConversationView[]> {
    const s = this.#sess;
    if (!s) return [];
    return s.store
      .listConversations(s.aor, { search: req.search || undefined, limit: 1000 })
      .map((c) => conversationView(c, this.#security(c.peer)));
  }

  async conversationsOpen(req: Req<'conversations.open'>): Promise<ConversationView> {
    const s = this.#need();
    const c = s.store.openConversation(s.aor, { kind: 'direct', peer: peerAoR(req.peer) });
    const v = this.#convView(c.id);
    this.#hub.emit('conversation.upserted', v);
    return v;
  }

  async conversationsMarkRead(req: Req<'conversations.markRead'>): Promise<null> {
    const c = this.#conv(req.conversationId);
    await this.#msg!.markRead(c.id);
    return null;
  }

  async messagesPage(req: Req<'messages.page'>): Promise<Res<'messages.page'>> {
    const s = this.#need();
    const c = this.#conv(req.conversationId);
    const page = s.store.listMessages(c.id, { before: req.before ? decodeCursor(req.before) : null, limit: req.limit });
    return { messages: page.messages.map(messageView).reverse(), ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}) };
  }

  async messagesSend(req: Req<'messages.send'>): Promise<Res<'messages.send'>> {
    const c = this.#conv(req.conversationId);
    const m = this.#msg!.send(c, req.text, req.mode);
    return { messageId: String(m.id) };
  }

  async typingSet(req: Req<'typing.set'>): Promise<null> {
    const c = this.#conv(req.conversationId);
    if (!c.blocked) this.#msg!.typing.set(String(c.id), req.active);
    return null;
  }

  async contactsBlock(req: Req<'contacts.block'>): Promise<null> {
    return this.#block(req.aor, true);
  }
  async contactsUnblock(req: Req<'contacts.unblock'>): Promise<null> {
    return this.#block(req.aor, false);
  }

  async search(req: Req<'search'>): Promise<Res<'search'>> {
    const s = this.#need();
    return s.store.search(s.aor, req.query, { limit: 200 }).hits.map((h) => ({
      conversationId: String(h.conversationId),
      messageId: String(h.messageId),
      snippet: h.snippet.slice(0, 280),
      at: h.createdAt,
    }));
  }

  // ---- security

  async securityStatus(req: Req<'security.status'>): Promise<SecurityView> {
    return this.#securityView(this.#conv(req.conversationId));
  }

  async securitySafetyNumber(req: Req<'security.safetyNumber'>): Promise<Res<'security.safetyNumber'>> {
    const { own, peer } = this.#parties(this.#conv(req.conversationId));
    return { digits: safetyNumberDigits(own, peer), qrPayload: encodeQrPayload(own, peer) };
  }

  async securityVerify(req: Req<'security.verify'>): Promise<Res<'security.verify'>> {
    const s = this.#need();
    const c = this.#conv(req.conversationId);
    const { own, peer } = this.#parties(c);
    let verified = false;
    try {
      verified = verifySafetyNumber(req.digits, safetyNumberDigits(own, peer));
    } catch (e) {
      if (!(e instanceof ParleyError) || e.code !== 'SAFETY_BAD_FORMAT') throw e;
    }
    if (verified) await s.e2e.peers.markVerified(c.peer, peer.key);
    return { verified };
  }

  async securityAcceptKeyChange(req: Req<'security.acceptKeyChange'>): Promise<null> {
    const c = this.#conv(req.conversationId);
    await this.#msg!.acceptKeyChange(c);
    return null;
  }

  /** Pre-shared passphrase for a conversation (docs/security.md s.7): only the Argon2id-derived key is kept, in the key store. */
  async securitySetPsk(req: Req<'security.setPsk'>): Promise<SecurityView> {
    const s = this.#need();
    const c = this.#conv(req.conversationId);
    if (req.passphrase === null) await s.ks.deletePsk(c.peer);
    else await s.ks.setPsk(c.peer, await derivePsk(req.passphrase, s.aor, c.peer));
    const view = this.#securityView(s.store.getConversation(c.id));
    this.#hub.emit('security.changed', view);
    this.#hub.emit('conversation.upserted', this.#convView(c.id));
    return view;
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

  async #open(account: AccountFile, password: string | undefined): Promise<AccountSession> {
    const sess = await openAccountSession({
      profileDir: this.opts.profileDir,
      account,
      password,
      wrapper: this.wrapper,
      now: this.#now,
      defaultPolicy: this.opts.e2ePolicy ?? 'require',
      tap: this.opts.wireTap,
      sip: this.opts.sip,
      sessions: this.opts.sessions,
      log: this.#log,
    });
    const msg = new Messenger(
      sess,
      {
        message: (m) => this.#hub.emit('message.upserted', messageView(m)),
        conversation: (id) => this.#hub.emit('conversation.upserted', this.#convView(id)),
        security: (id) => {
          this.#hub.emit('conversation.upserted', this.#convView(id));
          this.#hub.emit('security.changed', this.#securityView(sess.store.getConversation(id)));
        },
        typing: (id, peer, active, at) => this.#hub.emit('typing.changed', { conversationId: String(id), peer, active, at }),
        log: (l) => this.#log(l),
      },
      this.#clock,
    );
    await msg.load();
    let recovered = false;
    sess.ua.on('state', (ev) => {
      if (this.#sess !== sess) return;
      this.#onUaState(sess, ev);
      if (ev.state === 'registered' && !recovered) {
        recovered = true;
        msg.recover();
      }
    });
    this.#sess = sess;
    this.#msg = msg;
    return sess;
  }

  async #close(): Promise<void> {
    const s = this.#sess;
    const m = this.#msg;
    this.#sess = null;
    this.#msg = null;
    m?.close();
    await m?.flushWrites();
    await s?.close();
  }

  #onUaState(s: AccountSession, ev: SipStateEvent): void {
    const transport = transportOf(s.account.proxy);
    const reason = ev.error?.message.slice(0, 1024);
    switch (ev.state) {
      case 'idle':
      case 'connecting':
        return this.#setConnection({ state: 'connecting', transport });
      case 'registered':
        return this.#setConnection({ state: 'registered', transport, ...(this.#tlsView(s) ? { tls: this.#tlsView(s) } : {}) });
      case 'reconnecting':
      case 'unregistered':
        return this.#setConnection({ state: 'reconnecting', transport, ...(reason ? { reason } : {}) });
      case 'failed':
        return this.#setConnection({ state: 'error', transport, reason: reason ?? 'registration failed' });
      case 'stopped':
        return;
    }
  }

  #tlsView(s: AccountSession): ConnectionView['tls'] {
    const t = s.ua.connectionInfo?.tls;
    if (!t) return undefined;
    const cn = /(?:^|, )CN=([^,]+)/.exec(t.peerSubject ?? '')?.[1];
    return {
      verified: t.authorized,
      ...(t.protocol ? { version: t.protocol } : {}),
      ...(t.cipher ? { cipher: t.cipher } : {}),
      ...(cn ? { peerName: cn } : {}),
    };
  }

  #setConnection(c: ConnectionView): void {
    this.#connection = c;
    this.#hub.emit('connection.changed', c);
  }

  #need(): AccountSession {
    if (!this.#sess) throw new ParleyError('ACCOUNT_NOT_CONFIGURED', 'No account is configured: sign in first.');
    return this.#sess;
  }

  #conv(id: string): Conversation {
    const s = this.#need();
    const n = /^[0-9]{1,15}$/.test(id) ? Number(id) : NaN;
    try {
      if (!Number.isSafeInteger(n) || n < 1) throw new Error();
      const c = s.store.getConversation(n);
      if (normalizeAoR(c.account) !== s.aor) throw new Error();
      return c;
    } catch {
      throw new ParleyError('CONVERSATION_NOT_FOUND', 'no such conversation');
    }
  }

  #hop(): HopFacts {
    const s = this.#sess;
    const transport = s ? transportOf(s.account.proxy) : 'none';
    const tls = s?.ua.connectionInfo?.tls;
    return { transport, tls: transport === 'tls' || transport === 'wss', verified: tls?.authorized === true };
  }

  #security(peer: string): ConversationSecurity {
    const s = this.#need();
    const state = s.e2e.peers.state(peer);
    const psk = s.ks.getPsk(peer) !== undefined;
    const e2e = s.policy === 'off' || (s.policy === 'prefer' && !s.secure.hasKey(peer)) ? 'off' : psk ? 'psk' : 'on';
    return { tls: this.#hop().tls, e2e, peer: state, sendBlocked: state === 'changed' && s.policy !== 'off' };
  }

  #convView(id: number): ConversationView {
    const s = this.#need();
    const c = s.store.getConversation(id);
    const summary = s.store.listConversations(s.aor, { search: c.peer }).find((x) => x.id === id) ?? c;
    return conversationView(summary, this.#security(c.peer));
  }

  #securityView(c: Conversation): SecurityView {
    const s = this.#need();
    const info = s.e2e.peers.get(c.peer);
    const scheme = this.wrapper.protection === 'key-file' ? `${E2E_SCHEME}; key store: dev key file (weak)` : E2E_SCHEME;
    return securityView(String(c.id), this.#hop(), this.#security(c.peer), {
      fingerprint: info.pendingFingerprint ?? info.fingerprint,
      scheme,
    });
  }

  #parties(c: Conversation) {
    const s = this.#need();
    const me = s.ks.identity();
    const key = s.e2e.peers.pinnedKey(c.peer);
    if (!key) throw new ParleyError('SECURITY_PEER_KEY_UNKNOWN', "The contact's security key is not known yet: exchange a message first.");
    return { own: { aor: me.aor, key: me.publicKey }, peer: { aor: c.peer, key } };
  }

  #block(aor: string, blocked: boolean): null {
    const s = this.#need();
    const peer = peerAoR(aor);
    if (blocked) s.store.contacts.block(s.aor, peer);
    else s.store.contacts.unblock(s.aor, peer);
    const c = this.#msg!.findConversation(peer);
    if (c) this.#hub.emit('conversation.upserted', this.#convView(c.id));
    return null;
  }
}

function accountView(a: AccountFile): AccountView {
  return {
    aor: a.aor,
    proxy: a.proxy,
    localLab: a.localLab === true,
    ...(a.caFile ? { caFile: a.caFile } : {}),
    ...(a.displayName ? { displayName: a.displayName } : {}),
  };
}

function peerAoR(uri: string): string {
  try {
    return normalizeAoR(uri);
  } catch (e) {
    throw new ParleyError('UE_BAD_PEER', `not a SIP address: ${uri}`, undefined, { cause: e });
  }
}

export function transportOf(proxy: string): ConnectionView['transport'] {
  const m = /^(udp|tcp|tls|ws|wss):\/\//i.exec(proxy);
  if (m) return m[1]!.toLowerCase() as ConnectionView['transport'];
  if (/transport=tls/i.test(proxy) || /^sips:/i.test(proxy)) return 'tls';
  if (/transport=tcp/i.test(proxy)) return 'tcp';
  return 'udp';
}
