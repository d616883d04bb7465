// An in-memory UeBackend with no network: for the host's tests, the renderer smoke spec and UI development.
// It honours the contract (views only, typed errors) and simulates message progress synchronously via events. File
// transfer and group chat are not simulated: their channels answer FEATURE_UNAVAILABLE (the renderer hides them).
import {
  FEATURE_UNAVAILABLE,
  UeEventHub,
  type AccountView,
  type ConnectionView,
  type ConversationView,
  type MessageView,
  type Req,
  type Res,
  type SecurityView,
  type UeBackend,
} from '../../../app/ipc/contract';
import { ParleyError } from '../../base/errors';

/** A channel this backend does not simulate. */
const unavailable = (channel: string) => async (): Promise<never> => {
  throw new ParleyError(FEATURE_UNAVAILABLE, `${channel} is not available in this backend`);
};

export interface MemoryBackendOptions {
  /** Password `account.configure` accepts (anything else fails like a 403 would). */
  password?: string;
  now?: () => number;
}

export class MemoryBackend implements UeBackend {
  readonly hub = new UeEventHub();
  account: AccountView | null = null;
  connection: ConnectionView = { state: 'unconfigured', transport: 'none' };
  readonly conversations = new Map<string, ConversationView>();
  readonly messages = new Map<string, MessageView[]>();
  readonly safety = new Map<string, string>();
  readonly blocked = new Set<string>();
  readonly calls: { method: string; req: unknown }[] = [];
  private seq = 0;
  private readonly now: () => number;
  private readonly password: string;

  constructor(opts: MemoryBackendOptions = {}) {
    this.now = opts.now ?? (() => Date.now());
    this.password = opts.password ?? 'secret';
  }

  subscribe = (l: Parameters<UeBackend['subscribe']>[0]) => this.hub.subscribe(l);
  async close(): Promise<void> {}

  private note(method: string, req: unknown) {
    this.calls.push({ method, req });
  }
  private setConnection(c: ConnectionView) {
    this.connection = c;
    this.hub.emit('connection.changed', c);
  }
  private conv(id: string): ConversationView {
    const c = this.conversations.get(id);
    if (!c) throw new ParleyError('CONVERSATION_NOT_FOUND', 'no such conversation');
    return c;
  }
  private security(c: ConversationView): SecurityView {
    const tls = this.connection.transport === 'tls' || this.connection.transport === 'wss';
    return {
      conversationId: c.id,
      hop: { transport: this.connection.transport, tls, verified: tls },
      e2e: { state: c.security.e2e },
      peer: { state: c.security.peer },
      sendBlocked: c.security.sendBlocked,
    };
  }

  async accountGet(): Promise<Res<'account.get'>> {
    return this.account;
  }
  async accountConfigure(req: Req<'account.configure'>): Promise<Res<'account.configure'>> {
    this.note('accountConfigure', { ...req, password: '<redacted>' });
    this.setConnection({ state: 'connecting', transport: transportOf(req.proxy) });
    if (req.password !== this.password) {
      this.setConnection({
        state: 'error',
        reason: 'Registration refused: 403 Forbidden (wrong password?)',
        transport: transportOf(req.proxy),
      });
      throw new ParleyError('SIP_AUTH_FAILED', 'The registrar refused the credentials (403).');
    }
    this.account = { aor: req.aor, proxy: req.proxy, caFile: req.caFile, displayName: req.displayName, localLab: false };
    this.hub.emit('account.changed', this.account);
    const t = transportOf(req.proxy);
    this.setConnection({
      state: 'registered',
      transport: t,
      tls: t === 'tls' || t === 'wss' ? { verified: true, version: 'TLSv1.3' } : undefined,
    });
    return this.account;
  }
  async accountCapabilities(): Promise<Res<'account.capabilities'>> {
    return { localLab: true };
  }
  async accountUseLocalLab(req: Req<'account.useLocalLab'>): Promise<Res<'account.useLocalLab'>> {
    const user = req.user ?? 'alice';
    return {
      ...(await this.accountConfigure({ aor: `sip:${user}@parley.test`, password: this.password, proxy: 'tls://127.0.0.1:5061' })),
      localLab: true,
    };
  }
  async accountSignOut(): Promise<null> {
    this.account = null;
    this.hub.emit('account.changed', null);
    this.setConnection({ state: 'unconfigured', transport: 'none' });
    return null;
  }
  async connectionGet(): Promise<ConnectionView> {
    return this.connection;
  }
  async conversationsList(req: Req<'conversations.list'>): Promise<ConversationView[]> {
    const q = req.search?.toLowerCase();
    return [...this.conversations.values()]
      .filter((c) => !q || c.title.toLowerCase().includes(q) || c.peer.toLowerCase().includes(q))
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }
  async conversationsOpen(req: Req<'conversations.open'>): Promise<ConversationView> {
    const existing = [...this.conversations.values()].find((c) => c.peer === req.peer);
    if (existing) return existing;
    const c: ConversationView = {
      id: `c${++this.seq}`,
      kind: 'direct',
      peer: req.peer,
      title: req.peer.replace(/^sips?:/, '').split('@')[0]!,
      unread: 0,
      blocked: this.blocked.has(req.peer),
      security: { tls: true, e2e: 'on', peer: 'unverified', sendBlocked: false },
      updatedAt: this.now(),
    };
    this.conversations.set(c.id, c);
    this.messages.set(c.id, []);
    this.safety.set(c.id, '1234567890'.repeat(6));
    this.hub.emit('conversation.upserted', c);
    return c;
  }
  async conversationsMarkRead(req: Req<'conversations.markRead'>): Promise<null> {
    const c = this.conv(req.conversationId);
    this.upsertConversation({ ...c, unread: 0 });
    return null;
  }
  async messagesPage(req: Req<'messages.page'>): Promise<Res<'messages.page'>> {
    const all = this.messages.get(this.conv(req.conversationId).id) ?? [];
    const end = req.before === undefined ? all.length : Math.max(0, Number.parseInt(req.before, 10) || 0);
    const start = Math.max(0, end - req.limit);
    return { messages: all.slice(start, end), nextCursor: start > 0 ? String(start) : undefined };
  }
  async messagesSend(req: Req<'messages.send'>): Promise<Res<'messages.send'>> {
    const c = this.conv(req.conversationId);
    if (c.security.sendBlocked) throw new ParleyError('PEER_KEY_CHANGED', "The peer's key changed: accept it before sending.");
    if (c.blocked) throw new ParleyError('CONTACT_BLOCKED', 'This contact is blocked.');
    const m: MessageView = {
      id: `m${++this.seq}`,
      conversationId: c.id,
      direction: 'out',
      sender: this.account?.aor ?? 'sip:me@parley.test',
      text: req.text,
      at: this.now(),
      state: 'sending',
      mode: req.mode === 'session' ? 'session' : 'page',
      e2e: { state: c.security.e2e },
    };
    this.pushMessage(m);
    queueMicrotask(() => this.updateMessage({ ...m, state: 'delivered' }));
    return { messageId: m.id };
  }
  async typingSet(req: Req<'typing.set'>): Promise<null> {
    this.note('typingSet', req);
    return null;
  }
  async contactsBlock(req: Req<'contacts.block'>): Promise<null> {
    this.blocked.add(req.aor);
    this.setBlocked(req.aor, true);
    return null;
  }
  async contactsUnblock(req: Req<'contacts.unblock'>): Promise<null> {
    this.blocked.delete(req.aor);
    this.setBlocked(req.aor, false);
    return null;
  }
  async securityStatus(req: Req<'security.status'>): Promise<SecurityView> {
    return this.security(this.conv(req.conversationId));
  }
  async securitySafetyNumber(req: Req<'security.safetyNumber'>): Promise<Res<'security.safetyNumber'>> {
    const digits = this.safety.get(this.conv(req.conversationId).id)!;
    return { digits, qrPayload: `parley-sn:1:${digits}` };
  }
  async securityVerify(req: Req<'security.verify'>): Promise<Res<'security.verify'>> {
    const c = this.conv(req.conversationId);
    const verified = req.digits === this.safety.get(c.id);
    if (verified) this.upsertConversation({ ...c, security: { ...c.security, peer: 'verified' } });
    return { verified };
  }
  async securityAcceptKeyChange(req: Req<'security.acceptKeyChange'>): Promise<null> {
    const c = this.conv(req.conversationId);
    this.upsertConversation({ ...c, security: { ...c.security, peer: 'unverified', sendBlocked: false } });
    return null;
  }
  async securitySetPsk(req: Req<'security.setPsk'>): Promise<SecurityView> {
    const c = this.conv(req.conversationId);
    const next = { ...c, security: { ...c.security, e2e: req.passphrase === null ? ('on' as const) : ('psk' as const) } };
    this.upsertConversation(next);
    return this.security(next);
  }
  async search(req: Req<'search'>): Promise<Res<'search'>> {
    const q = req.query.toLowerCase();
    return [...this.messages.values()]
      .flat()
      .filter((m) => m.text.toLowerCase().includes(q))
      .slice(0, 200)
      .map((m) => ({ conversationId: m.conversationId, messageId: m.id, snippet: m.text.slice(0, 280), at: m.at }));
  }

  filesSend = unavailable('files.send');
  filesAccept = unavailable('files.accept');
  filesDecline = unavailable('files.decline');
  filesCancel = unavailable('files.cancel');
  filesResume = unavailable('files.resume');
  filesList = unavailable('files.list');
  filesReveal = unavailable('files.reveal');
  conferenceCreate = unavailable('conference.create');
  conferenceJoin = unavailable('conference.join');
  conferenceAccept = unavailable('conference.accept');
  conferenceDecline = unavailable('conference.decline');
  conferenceInvite = unavailable('conference.invite');
  conferenceNick = unavailable('conference.nick');
  conferenceSend = unavailable('conference.send');
  conferenceSendPrivate = unavailable('conference.sendPrivate');
  conferenceLeave = unavailable('conference.leave');
  conferenceList = unavailable('conference.list');
  conferenceMessages = unavailable('conference.messages');

  // ---- test/demo drivers (not part of UeBackend) ----

  /** Simulates an incoming message from the conversation's peer. */
  receive(conversationId: string, text: string): MessageView {
    const c = this.conv(conversationId);
    const m: MessageView = {
      id: `m${++this.seq}`,
      conversationId,
      direction: 'in',
      sender: c.peer,
      text,
      at: this.now(),
      state: 'received',
      mode: 'page',
      e2e: { state: c.security.e2e, signatureValid: true },
    };
    this.pushMessage(m);
    this.upsertConversation({ ...this.conv(conversationId), unread: this.conv(conversationId).unread + 1 });
    return m;
  }
  /** Simulates the peer's identity key changing. */
  changePeerKey(conversationId: string): void {
    const c = this.conv(conversationId);
    this.safety.set(c.id, '9876543210'.repeat(6));
    this.upsertConversation({ ...c, security: { ...c.security, peer: 'changed', sendBlocked: true } });
  }
  typing(conversationId: string, active: boolean): void {
    this.hub.emit('typing.changed', { conversationId, peer: this.conv(conversationId).peer, active, at: this.now() });
  }

  private pushMessage(m: MessageView) {
    this.messages.get(m.conversationId)!.push(m);
    this.hub.emit('message.upserted', m);
    const c = this.conv(m.conversationId);
    this.upsertConversation({ ...c, last: { text: m.text.slice(0, 280), at: m.at, direction: m.direction }, updatedAt: m.at });
  }
  private updateMessage(m: MessageView) {
    const list = this.messages.get(m.conversationId)!;
    const i = list.findIndex((x) => x.id === m.id);
    if (i >= 0) list[i] = m;
    this.hub.emit('message.upserted', m);
  }
  private upsertConversation(c: ConversationView) {
    this.conversations.set(c.id, c);
    this.hub.emit('conversation.upserted', c);
    this.hub.emit('security.changed', this.security(c));
  }
  private setBlocked(aor: string, blocked: boolean) {
    for (const c of this.conversations.values()) if (c.peer === aor) this.upsertConversation({ ...c, blocked });
  }
}

function transportOf(proxy: string): ConnectionView['transport'] {
  const m = /^(udp|tcp|tls|ws|wss):\/\//.exec(proxy);
  if (m) return m[1] as ConnectionView['transport'];
  if (/transport=tls/i.test(proxy) || proxy.startsWith('sips:')) return 'tls';
  if (/transport=tcp/i.test(proxy)) return 'tcp';
  return 'udp';
}
