// The typed IPC contract between the renderer and main (Electron IPC or the web host's WebSocket): ONE channel map.
// Every request is validated in main, every response and event in the renderer. No node or electron imports here.
import { array, boolean, list, literal, nul, nullable, number, object, optional, string, unknown, type Infer, type Schema } from './schema';
import {
  AccountView,
  ConnectionView,
  ConversationView,
  LinkDecision,
  MAX_MESSAGE_CHARS,
  MAX_PAGE,
  MessageView,
  InvitationView,
  RevealResult,
  RoomMessageView,
  RoomView,
  SafetyNumberView,
  nickname,
  SearchHit,
  SecurityView,
  TransferView,
  TypingView,
  UpdateView,
  displayName,
  filePath,
  id,
  nullableAccount,
  proxyUri,
  sipUri,
} from './views';

export * from './views';

const empty = object({});
const conv = object({ conversationId: id });
const transfer = object({ transferId: id });
const room = object({ roomId: id });
const participants = array(sipUri, { max: 100 });

/** Invoke channels: request -> response. Responses that are lists of independent items use `list()` (a bad item is left
 *  out and logged, never failing the reply); requests use `array()`. `by: 'shell'` channels are answered by the shell (Electron main / web host),
 *  every other channel by the `UeBackend`. */
export const invokeChannels = {
  'account.get': { request: empty, response: nullableAccount },
  'account.configure': {
    request: object({
      aor: sipUri,
      password: string({ min: 1, max: 256 }),
      proxy: proxyUri,
      caFile: optional(filePath),
      displayName: optional(displayName),
    }),
    response: AccountView,
  },
  /** Starts the local lab (network/lab.ts) and configures a demo account on it. */
  'account.useLocalLab': {
    request: object({ user: optional(string({ min: 1, max: 32, pattern: /^[a-z][a-z0-9_-]*$/, patternName: 'lab user name' })) }),
    response: AccountView,
  },
  'account.signOut': { request: empty, response: nul() },
  /** What this backend offers beyond the contract's core: `localLab` (account.useLocalLab works; never in a packaged app). */
  'account.capabilities': { request: empty, response: object({ localLab: boolean() }) },
  /** Snapshot of the registration state (the renderer then follows `connection.changed`). */
  'connection.get': { request: empty, response: ConnectionView },
  'conversations.list': {
    request: object({ search: optional(string({ max: 256 })) }),
    response: list(ConversationView, { max: 5000 }),
  },
  /** Opens (creating if needed) the one-to-one conversation with `peer`. */
  'conversations.open': { request: object({ peer: sipUri }), response: ConversationView },
  /** Marks every message up to `upTo` (default: all) as read and sends IMDN display notifications where requested. */
  'conversations.markRead': { request: object({ conversationId: id, upTo: optional(id) }), response: nul() },
  /** History, newest page first: `messages` are in ascending time order; pass `nextCursor` as `before` for older ones. */
  'messages.page': {
    request: object({
      conversationId: id,
      before: optional(string({ min: 1, max: 256 })),
      limit: number({ integer: true, min: 1, max: MAX_PAGE }),
    }),
    response: object({ messages: list(MessageView, { max: MAX_PAGE }), nextCursor: optional(string({ min: 1, max: 256 })) }),
  },
  /** Queues a message; progress arrives as `message.upserted`. Refused with PEER_KEY_CHANGED while sendBlocked. */
  'messages.send': {
    request: object({
      conversationId: id,
      text: string({ min: 1, max: MAX_MESSAGE_CHARS }),
      mode: optional(literal('auto', 'page', 'session')),
    }),
    response: object({ messageId: id }),
  },
  'typing.set': { request: object({ conversationId: id, active: boolean() }), response: nul() },
  'contacts.block': { request: object({ aor: sipUri }), response: nul() },
  'contacts.unblock': { request: object({ aor: sipUri }), response: nul() },
  'security.status': { request: conv, response: SecurityView },
  'security.safetyNumber': { request: conv, response: SafetyNumberView },
  /** The user compared the safety number: main compares `digits` (constant time) with its own and pins the peer. */
  'security.verify': {
    request: object({ conversationId: id, digits: string({ min: 10, max: 120, pattern: /^[0-9]+$/, patternName: 'digit string' }) }),
    response: object({ verified: boolean() }),
  },
  /** Accepts the peer's new identity key (clears sendBlocked; the peer becomes 'unverified'). */
  'security.acceptKeyChange': { request: conv, response: nul() },
  /** Sets (or with `passphrase: null` removes) the conversation's pre-shared passphrase (Argon2id in main; the passphrase
   *  is not stored, only the derived key inside the key store). Mixed into every envelope and session key from then on. */
  'security.setPsk': {
    request: object({ conversationId: id, passphrase: nullable(string({ min: 8, max: 1024 })) }),
    response: SecurityView,
  },
  search: { request: object({ query: string({ min: 1, max: 256 }) }), response: list(SearchHit, { max: 200 }) },
  /** Offers a file (RFC 5547 push) to the conversation's peer. `path` is on the machine running main: the web host takes a
   *  typed path, Electron one from its file dialog or a drop. The renderer never reads files. Progress: `transfer.upserted`. */
  'files.send': { request: object({ conversationId: id, path: filePath }), response: object({ transferId: id }) },
  /** Incoming offer: receive into the downloads folder / refuse (603). */
  'files.accept': { request: transfer, response: nul() },
  'files.decline': { request: transfer, response: nul() },
  /** Stops a transfer in either direction (BYE with Reason); an incoming partial file is kept for `files.resume`. */
  'files.cancel': { request: transfer, response: nul() },
  /** Pulls the missing part of an interrupted incoming file from its sender (a=file-range). */
  'files.resume': { request: transfer, response: nul() },
  'files.list': { request: conv, response: list(TransferView, { max: 1000 }) },
  /** "Show in folder" for a received file. Answered by the backend with 'delegated' + path (the web host cannot open a file
   *  manager); Electron should answer it in the shell with shell.showItemInFolder (make it `by: 'shell'` there). */
  'files.reveal': { request: transfer, response: RevealResult },
  /** Group chat: a new room through the conference factory, inviting `participants` (RFC 5366 list). */
  'conference.create': { request: object({ participants, subject: optional(string({ max: 256 })) }), response: RoomView },
  /** Joins a room by its conference URI. */
  'conference.join': { request: object({ room: sipUri }), response: RoomView },
  /** Answers a focus invitation (`room.invitation`). */
  'conference.accept': { request: object({ invitationId: id }), response: RoomView },
  'conference.decline': { request: object({ invitationId: id }), response: nul() },
  'conference.invite': { request: object({ roomId: id, participants }), response: nul() },
  /** RFC 7701 NICKNAME: CONF_NICKNAME_TAKEN when someone else has it. */
  'conference.nick': { request: object({ roomId: id, nickname }), response: nul() },
  'conference.send': {
    request: object({ roomId: id, text: string({ min: 1, max: MAX_MESSAGE_CHARS }) }),
    response: object({ messageId: id }),
  },
  /** Private message to one participant (RFC 7701 s.6; sealed pairwise in an E2E room). */
  'conference.sendPrivate': {
    request: object({ roomId: id, to: sipUri, text: string({ min: 1, max: MAX_MESSAGE_CHARS }) }),
    response: object({ messageId: id }),
  },
  'conference.leave': { request: room, response: nul() },
  'conference.list': { request: empty, response: list(RoomView, { max: 200 }) },
  'conference.messages': { request: room, response: list(RoomMessageView, { max: 2000 }) },
  /** Answered by the shell: Electron's native open dialog, the pick recorded in main (files.send reads only picked files;
   *  null: the user cancelled). The web host has no dialog: FEATURE_UNAVAILABLE (paths under its --send-from folders). */
  'files.pick': { request: empty, response: object({ path: nullable(filePath) }), by: 'shell' },
  /** Answered by the shell: Electron asks the user and opens with the OS; the web host answers 'delegated'. */
  'links.open': { request: object({ url: string({ min: 1, max: 2048 }) }), response: LinkDecision, by: 'shell' },
  /** Application updates, answered by the shell (app/updater.ts in Electron; the web host answers `unsupported`). */
  'update.get': { request: empty, response: UpdateView, by: 'shell' },
  /** Checks the update feed now (the shell also checks at start and every few hours); resolves with the state after. */
  'update.check': { request: empty, response: UpdateView, by: 'shell' },
  /** Quits and installs the downloaded update (state `ready`); UPDATE_NOT_READY otherwise. */
  'update.install': { request: empty, response: nul(), by: 'shell' },
} as const satisfies Record<string, { request: Schema<unknown>; response: Schema<unknown>; by?: 'shell' }>;

/** Event channels: main -> renderer. */
export const eventChannels = {
  'connection.changed': ConnectionView,
  'account.changed': nullableAccount,
  'message.upserted': MessageView,
  'conversation.upserted': ConversationView,
  'typing.changed': TypingView,
  'security.changed': SecurityView,
  'transfer.upserted': TransferView,
  /** Room state, participants (joined/left/nickname changes), security. */
  'room.upserted': RoomView,
  'room.message': RoomMessageView,
  'room.invitation': InvitationView,
  /** Emitted by the shell (sip:/im: link, notification click): show this conversation. */
  'conversation.focus': object({ conversationId: id }),
  /** Emitted by the Electron shell when the update state changes (an update is downloading, ready to install, ...). */
  'update.changed': UpdateView,
} as const satisfies Record<string, Schema<unknown>>;

export type InvokeChannel = keyof typeof invokeChannels;
export type EventChannel = keyof typeof eventChannels;
export type Req<C extends InvokeChannel> = Infer<(typeof invokeChannels)[C]['request']>;
export type Res<C extends InvokeChannel> = Infer<(typeof invokeChannels)[C]['response']>;
export type EventPayload<E extends EventChannel> = Infer<(typeof eventChannels)[E]>;
export type ShellChannel = { [C in InvokeChannel]: (typeof invokeChannels)[C] extends { by: 'shell' } ? C : never }[InvokeChannel];
export type BackendChannel = Exclude<InvokeChannel, ShellChannel>;

export const INVOKE_CHANNELS = Object.keys(invokeChannels) as InvokeChannel[];
export const EVENT_CHANNELS = Object.keys(eventChannels) as EventChannel[];
export function isInvokeChannel(c: unknown): c is InvokeChannel {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(invokeChannels, c);
}
export function isEventChannel(e: unknown): e is EventChannel {
  return typeof e === 'string' && Object.prototype.hasOwnProperty.call(eventChannels, e);
}
export function isShellChannel(c: InvokeChannel): c is ShellChannel {
  return (invokeChannels[c] as { by?: string }).by === 'shell';
}

/** One event as delivered by a backend: a discriminated union over the event channels. */
export type UeEvent = { [E in EventChannel]: { event: E; payload: EventPayload<E> } }[EventChannel];
export type UeEventListener = (e: UeEvent) => void;

/** What main implements (main/ue/ue.ts): one method per backend invoke channel, plus an event source.
 *  Methods receive already-validated requests; they throw ParleyError-like errors ({code, message}) on failure. */
export interface UeBackend {
  accountGet(req: Req<'account.get'>): Promise<Res<'account.get'>>;
  accountConfigure(req: Req<'account.configure'>): Promise<Res<'account.configure'>>;
  accountUseLocalLab(req: Req<'account.useLocalLab'>): Promise<Res<'account.useLocalLab'>>;
  accountSignOut(req: Req<'account.signOut'>): Promise<Res<'account.signOut'>>;
  accountCapabilities(req: Req<'account.capabilities'>): Promise<Res<'account.capabilities'>>;
  connectionGet(req: Req<'connection.get'>): Promise<Res<'connection.get'>>;
  conversationsList(req: Req<'conversations.list'>): Promise<Res<'conversations.list'>>;
  conversationsOpen(req: Req<'conversations.open'>): Promise<Res<'conversations.open'>>;
  conversationsMarkRead(req: Req<'conversations.markRead'>): Promise<Res<'conversations.markRead'>>;
  messagesPage(req: Req<'messages.page'>): Promise<Res<'messages.page'>>;
  messagesSend(req: Req<'messages.send'>): Promise<Res<'messages.send'>>;
  typingSet(req: Req<'typing.set'>): Promise<Res<'typing.set'>>;
  contactsBlock(req: Req<'contacts.block'>): Promise<Res<'contacts.block'>>;
  contactsUnblock(req: Req<'contacts.unblock'>): Promise<Res<'contacts.unblock'>>;
  securityStatus(req: Req<'security.status'>): Promise<Res<'security.status'>>;
  securitySafetyNumber(req: Req<'security.safetyNumber'>): Promise<Res<'security.safetyNumber'>>;
  securityVerify(req: Req<'security.verify'>): Promise<Res<'security.verify'>>;
  securityAcceptKeyChange(req: Req<'security.acceptKeyChange'>): Promise<Res<'security.acceptKeyChange'>>;
  securitySetPsk(req: Req<'security.setPsk'>): Promise<Res<'security.setPsk'>>;
  search(req: Req<'search'>): Promise<Res<'search'>>;
  // File transfer (a backend without it answers FEATURE_UNAVAILABLE).
  filesSend(req: Req<'files.send'>): Promise<Res<'files.send'>>;
  filesAccept(req: Req<'files.accept'>): Promise<Res<'files.accept'>>;
  filesDecline(req: Req<'files.decline'>): Promise<Res<'files.decline'>>;
  filesCancel(req: Req<'files.cancel'>): Promise<Res<'files.cancel'>>;
  filesResume(req: Req<'files.resume'>): Promise<Res<'files.resume'>>;
  filesList(req: Req<'files.list'>): Promise<Res<'files.list'>>;
  filesReveal(req: Req<'files.reveal'>): Promise<Res<'files.reveal'>>;
  // Group chat (likewise).
  conferenceCreate(req: Req<'conference.create'>): Promise<Res<'conference.create'>>;
  conferenceJoin(req: Req<'conference.join'>): Promise<Res<'conference.join'>>;
  conferenceAccept(req: Req<'conference.accept'>): Promise<Res<'conference.accept'>>;
  conferenceDecline(req: Req<'conference.decline'>): Promise<Res<'conference.decline'>>;
  conferenceInvite(req: Req<'conference.invite'>): Promise<Res<'conference.invite'>>;
  conferenceNick(req: Req<'conference.nick'>): Promise<Res<'conference.nick'>>;
  conferenceSend(req: Req<'conference.send'>): Promise<Res<'conference.send'>>;
  conferenceSendPrivate(req: Req<'conference.sendPrivate'>): Promise<Res<'conference.sendPrivate'>>;
  conferenceLeave(req: Req<'conference.leave'>): Promise<Res<'conference.leave'>>;
  conferenceList(req: Req<'conference.list'>): Promise<Res<'conference.list'>>;
  conferenceMessages(req: Req<'conference.messages'>): Promise<Res<'conference.messages'>>;
  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: UeEventListener): () => void;
  /** Stops the UE (unregister, close sockets and the store). */
  close(): Promise<void>;
}

/** Backend method for each backend channel ('account.useLocalLab' -> 'accountUseLocalLab'). */
export const BACKEND_METHOD = {
  'account.get': 'accountGet',
  'account.configure': 'accountConfigure',
  'account.useLocalLab': 'accountUseLocalLab',
  'account.signOut': 'accountSignOut',
  'account.capabilities': 'accountCapabilities',
  'connection.get': 'connectionGet',
  'conversations.list': 'conversationsList',
  'conversations.open': 'conversationsOpen',
  'conversations.markRead': 'conversationsMarkRead',
  'messages.page': 'messagesPage',
  'messages.send': 'messagesSend',
  'typing.set': 'typingSet',
  'contacts.block': 'contactsBlock',
  'contacts.unblock': 'contactsUnblock',
  'security.status': 'securityStatus',
  'security.safetyNumber': 'securitySafetyNumber',
  'security.verify': 'securityVerify',
  'security.acceptKeyChange': 'securityAcceptKeyChange',
  'security.setPsk': 'securitySetPsk',
  search: 'search',
  'files.send': 'filesSend',
  'files.accept': 'filesAccept',
  'files.decline': 'filesDecline',
  'files.cancel': 'filesCancel',
  'files.resume': 'filesResume',
  'files.list': 'filesList',
  'files.reveal': 'filesReveal',
  'conference.create': 'conferenceCreate',
  'conference.join': 'conferenceJoin',
  'conference.accept': 'conferenceAccept',
  'conference.decline': 'conferenceDecline',
  'conference.invite': 'conferenceInvite',
  'conference.nick': 'conferenceNick',
  'conference.send': 'conferenceSend',
  'conference.sendPrivate': 'conferenceSendPrivate',
  'conference.leave': 'conferenceLeave',
  'conference.list': 'conferenceList',
  'conference.messages': 'conferenceMessages',
} as const satisfies { [C in BackendChannel]: keyof UeBackend };

// Compile-time proof that BACKEND_METHOD[c] has exactly the signature of channel c.
type MethodMatches = {
  [C in BackendChannel]: UeBackend[(typeof BACKEND_METHOD)[C]] extends (req: Req<C>) => Promise<Res<C>> ? true : false;
};
const methodMatches: { [C in BackendChannel]: true } = null as unknown as MethodMatches;
void methodMatches;

/** Calls the backend method for a (validated) backend channel request. */
export function callBackend<C extends BackendChannel>(backend: UeBackend, channel: C, req: Req<C>): Promise<Res<C>> {
  const fn = backend[BACKEND_METHOD[channel]] as unknown as ((r: Req<C>) => Promise<Res<C>>) | undefined;
  if (typeof fn !== 'function') return Promise.reject(new IpcError(FEATURE_UNAVAILABLE, `${channel} is not available in this backend`));
  return fn.call(backend, req);
}

/** A minimal event hub a backend can use to implement `subscribe` (no node imports). */
export class UeEventHub {
  readonly #listeners = new Set<UeEventListener>();
  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void {
    const e = { event, payload } as UeEvent;
    for (const l of [...this.#listeners]) {
      try {
        l(e);
      } catch {
        // A listener's failure must not break the backend or other listeners.
      }
    }
  }
  subscribe(listener: UeEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  get size(): number {
    return this.#listeners.size;
  }
}

// ---- errors crossing the boundary ----------------------------------------------------------------------------------

/** A backend without a feature (e.g. file transfer in the in-memory backend) answers its channels with this code. */
export const FEATURE_UNAVAILABLE = 'FEATURE_UNAVAILABLE';

/** Stable codes produced by the IPC layer itself (backend errors keep their own ParleyError codes). Registered with the
 *  others in main/base/error-codes.ts, which app/ipc may not import: a test keeps the two spellings equal. */
export const IPC_ERROR = {
  badPayload: 'IPC_BAD_PAYLOAD',
  unknownChannel: 'IPC_UNKNOWN_CHANNEL',
  forbidden: 'IPC_FORBIDDEN',
  badFrame: 'IPC_BAD_FRAME',
  internal: 'IPC_INTERNAL',
  closed: 'IPC_CLOSED',
  timeout: 'IPC_TIMEOUT',
} as const;

export interface IpcErrorShape {
  code: string;
  message: string;
}

const CODE_RE = /^[A-Z][A-Z0-9_]{1,63}$/;

/** Maps anything thrown to {code, message}. A registered error (ParleyError: its code is a key of the registry in
 *  main/base/error-codes.ts) keeps its code and sends the registry's user text, which the renderer shows (its technical
 *  message stays in main); an error of the IPC layer itself keeps its message; anything else becomes IPC_INTERNAL (its
 *  message could leak internals). Never a stack trace. */
export function toIpcError(e: unknown): IpcErrorShape {
  if (e instanceof IpcError) return { code: e.code, message: e.message.slice(0, 1024) };
  if (typeof e === 'object' && e !== null) {
    const { code, userText } = e as { code?: unknown; userText?: unknown };
    if (typeof code === 'string' && CODE_RE.test(code) && typeof userText === 'string' && userText.length > 0) {
      return { code, message: userText.slice(0, 1024) };
    }
  }
  return { code: IPC_ERROR.internal, message: 'Internal error' };
}

/** The error the renderer's client throws for a failed invoke. */
export class IpcError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'IpcError';
    this.code = code;
  }
}

// ---- WebSocket wire frames (web host) ------------------------------------------------------------------------------

export const MAX_FRAME_BYTES = 1 << 20;
const frameId = number({ integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
/** renderer -> host. `payload` is validated afterwards against the channel's request schema. */
export const RequestFrame = object({ id: frameId, channel: string({ min: 1, max: 64 }), payload: optional(unknown()) });
export type RequestFrame = Infer<typeof RequestFrame>;
export type ResponseFrame = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: IpcErrorShape };
export type EventFrame = { event: EventChannel; payload: unknown };
