// Public view types crossing the IPC boundary, with their runtime schemas. Views carry public data only:
// never a password, a private key, a session key or a stored credential.
import { boolean, list, literal, nullable, number, object, optional, string, type Infer } from './schema';

// ---- primitives ----------------------------------------------------------------------------------------------------

/** sip:/sips: URI with a user part (an AoR or a peer), or a tel: URI (RFC 3261 s.19.1, RFC 3966). No invisible or
 *  reordering character anywhere (controls, format characters such as bidi overrides, default-ignorables: issue 12). */
export const SIP_URI_RE =
  /^(?:sips?:[^\s@<>"\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]{1,128}@(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?(?:;[^\s<>"\p{C}\p{Default_Ignorable_Code_Point}]{0,256})?|tel:\+?[0-9().-]{1,32}(?:;[^\s<>"\p{C}\p{Default_Ignorable_Code_Point}]{0,128})?)$/u;
/** Outbound proxy: `tls://127.0.0.1:5061` style transport URL, or a sip:/sips: URI (`sip:127.0.0.1;transport=tls`). */
export const PROXY_RE = /^(?:(?:udp|tcp|tls|ws|wss):\/\/[A-Za-z0-9.\-[\]:]{1,260}(?:\/[^\s]{0,256})?|sips?:[^\s<>"]{1,300})$/;
/** Opaque ids chosen by main (history row ids, IMDN Message-IDs): printable, no spaces. */
export const ID_RE = /^[A-Za-z0-9._:@+\-=/]{1,128}$/;

export const sipUri = string({ min: 1, max: 512, pattern: SIP_URI_RE, patternName: 'SIP URI (sip:user@domain)' });
export const proxyUri = string({
  min: 1,
  max: 512,
  pattern: PROXY_RE,
  patternName: 'outbound proxy (tls://host:port or sip:host;transport=tls)',
});
export const id = string({ min: 1, max: 128, pattern: ID_RE, patternName: 'id' });
/** Absolute file path on the machine running main (POSIX or Windows). */
export const filePath = string({ min: 1, max: 4096, pattern: /^(?:\/|[A-Za-z]:[\\/]|\\\\)[^\0]*$/, patternName: 'absolute file path' });
export const displayName = string({ max: 128, pattern: /^[^\0-\x1f\x7f]*$/, patternName: 'display name' });
/** Milliseconds since the epoch. */
export const timestamp = number({ integer: true, min: 0, max: 8.64e15 });
export const count = number({ integer: true, min: 0, max: 1e9 });
export const shortText = string({ max: 1024 });

export const MAX_MESSAGE_CHARS = 65_536;
export const MAX_PAGE = 200;

// ---- account and connection ----------------------------------------------------------------------------------------

export const AccountView = object({
  aor: sipUri,
  displayName: optional(displayName),
  proxy: proxyUri,
  caFile: optional(filePath),
  /** True when the account belongs to the local lab started by `account.useLocalLab`. */
  localLab: boolean(),
});
export type AccountView = Infer<typeof AccountView>;

export const Transport = literal('udp', 'tcp', 'tls', 'ws', 'wss', 'none');
export type Transport = Infer<typeof Transport>;

export const TlsView = object({
  version: optional(string({ max: 32 })),
  cipher: optional(string({ max: 128 })),
  /** The server certificate chained to the configured CA and matched the host. */
  verified: boolean(),
  peerName: optional(string({ max: 256 })),
});
export type TlsView = Infer<typeof TlsView>;

export const ConnectionState = literal('unconfigured', 'connecting', 'registered', 'reconnecting', 'error');
export type ConnectionState = Infer<typeof ConnectionState>;

export const ConnectionView = object({
  state: ConnectionState,
  reason: optional(shortText),
  transport: Transport,
  tls: optional(TlsView),
  /** When state is 'reconnecting': the time of the next attempt. */
  retryAt: optional(timestamp),
});
export type ConnectionView = Infer<typeof ConnectionView>;

// ---- security -------------------------------------------------------------------------------------------------------

/** End-to-end protection: 'on' (peer's pinned identity key), 'psk' (pre-shared key), 'off' (hop-by-hop only). */
export const E2eState = literal('on', 'psk', 'off');
export type E2eState = Infer<typeof E2eState>;
/** Peer identity: 'unknown' (no key yet), 'unverified' (pinned on first use), 'verified' (safety number checked), 'changed'. */
export const PeerState = literal('unknown', 'unverified', 'verified', 'changed');
export type PeerState = Infer<typeof PeerState>;

export const SecurityView = object({
  conversationId: id,
  /** Hop-by-hop: the transport to the first hop (TLS or not) - says nothing about the far end. */
  hop: object({ transport: Transport, tls: boolean(), verified: boolean() }),
  e2e: object({ state: E2eState, scheme: optional(string({ max: 64 })) }),
  peer: object({ state: PeerState, fingerprint: optional(string({ max: 128 })) }),
  /** A peer key changed and the user has not accepted it: sending is refused until `security.acceptKeyChange`. */
  sendBlocked: boolean(),
});
export type SecurityView = Infer<typeof SecurityView>;

export const SafetyNumberView = object({
  /** Decimal digits without separators (the renderer shows groups of 5). */
  digits: string({ min: 10, max: 120, pattern: /^[0-9]+$/, patternName: 'digit string' }),
  /** Text to encode in the QR code (rendered to SVG by the renderer with `qrcode`). */
  qrPayload: string({ min: 1, max: 1024 }),
});
export type SafetyNumberView = Infer<typeof SafetyNumberView>;

// ---- messages and conversations ------------------------------------------------------------------------------------

export const MessageState = literal('queued', 'sending', 'stored', 'sent', 'delivered', 'displayed', 'failed', 'received');
export type MessageState = Infer<typeof MessageState>;
export const MessageMode = literal('page', 'session');
export type MessageMode = Infer<typeof MessageMode>;

export const MessageView = object({
  id,
  conversationId: id,
  direction: literal('in', 'out'),
  /** AoR of the author (ours for 'out'). */
  sender: sipUri,
  text: string({ max: MAX_MESSAGE_CHARS }),
  /** Sent time (CPIM DateTime for incoming, local clock for outgoing). */
  at: timestamp,
  /** 'out': queued..displayed/failed; 'in': 'received' then 'displayed' once we read it. */
  state: MessageState,
  failure: optional(object({ code: string({ min: 1, max: 64 }), reason: shortText })),
  mode: MessageMode,
  e2e: object({
    state: E2eState,
    /** For 'in': the envelope signature verified against the sender's pinned key. */
    signatureValid: optional(boolean()),
  }),
  file: optional(
    object({ name: string({ min: 1, max: 255 }), size: count, mediaType: string({ max: 128 }), transferred: optional(count) }),
  ),
});
export type MessageView = Infer<typeof MessageView>;

export const ConversationView = object({
  id,
  kind: literal('direct', 'group'),
  /** The peer (direct) or the conference focus URI (group). */
  peer: sipUri,
  title: displayName,
  participants: optional(list(sipUri, { max: 256 })),
  unread: count,
  last: optional(object({ text: string({ max: 280 }), at: timestamp, direction: literal('in', 'out') })),
  blocked: boolean(),
  security: object({ tls: boolean(), e2e: E2eState, peer: PeerState, sendBlocked: boolean() }),
  updatedAt: timestamp,
});
export type ConversationView = Infer<typeof ConversationView>;

export const TypingView = object({ conversationId: id, peer: sipUri, active: boolean(), at: timestamp });
export type TypingView = Infer<typeof TypingView>;

export const SearchHit = object({ conversationId: id, messageId: id, snippet: string({ max: 280 }), at: timestamp });
export type SearchHit = Infer<typeof SearchHit>;

export const LinkDecision = object({
  /** opened: the OS opened it after the user confirmed; cancelled: the user declined; refused: scheme not allowed;
   *  delegated: the web host cannot open things: the renderer shows the URL for the user to open themselves. */
  decision: literal('opened', 'cancelled', 'refused', 'delegated'),
  url: string({ max: 2048 }),
  reason: optional(shortText),
});
export type LinkDecision = Infer<typeof LinkDecision>;

export const nullableAccount = nullable(AccountView);

// ---- file transfer (RFC 5547 over MSRP) -----------------------------------------------------------------------------

/** out: offering (INVITE sent) -> transferring -> done | declined | failed | cancelled;
 *  in: offered (waiting for the user) -> transferring -> done | failed | cancelled | interrupted (resumable) | declined. */
export const TransferState = literal('offering', 'offered', 'transferring', 'done', 'declined', 'failed', 'cancelled', 'interrupted');
export type TransferState = Infer<typeof TransferState>;

export const TransferView = object({
  id,
  conversationId: id,
  peer: sipUri,
  direction: literal('in', 'out'),
  /** File name; for a protected offer whose name is hidden until accepted, `nameHidden` is true and this is neutral. */
  name: string({ min: 1, max: 255 }),
  nameHidden: boolean(),
  size: count,
  mediaType: optional(string({ max: 128 })),
  state: TransferState,
  /** Plaintext bytes confirmed (out) or written (in), resumed bytes included. */
  bytes: count,
  /** Bytes per second over the last couple of seconds. */
  rate: count,
  /** Seconds left at the current rate; absent while unknown. */
  etaSeconds: optional(count),
  failure: optional(object({ code: string({ min: 1, max: 64 }), reason: shortText })),
  /** The name or media type is of a kind that runs code when opened (warn before opening). */
  executable: boolean(),
  /** End-to-end protected (file key in the sealed manifest, keys agreed in a=key-mgmt). */
  protected: boolean(),
  /** Incoming, finished: where the file was saved (on the machine running main). */
  savedPath: optional(filePath),
  /** Incoming, interrupted with the partial kept: `files.resume` pulls the rest. */
  resumable: boolean(),
  at: timestamp,
});
export type TransferView = Infer<typeof TransferView>;

export const RevealResult = object({
  /** opened: the shell showed it in the file manager; delegated: the web host cannot: the renderer shows the path. */
  decision: literal('opened', 'delegated'),
  path: filePath,
});
export type RevealResult = Infer<typeof RevealResult>;

// ---- chat conferences (RFC 4575 / RFC 7701 via a focus) ----------------------------------------------------------

export const nickname = string({ min: 1, max: 64, pattern: /^[^\0-\x1f\x7f]+$/, patternName: 'nickname' });

export const RoomParticipantView = object({ aor: sipUri, nickname: optional(nickname), isMe: boolean() });
export type RoomParticipantView = Infer<typeof RoomParticipantView>;

export const RoomView = object({
  /** Our id for the room (stable for the session). */
  id,
  /** The room's conference URI (share it so others can join). */
  uri: sipUri,
  subject: optional(string({ max: 256 })),
  state: literal('joining', 'joined', 'left', 'failed'),
  failure: optional(object({ code: string({ min: 1, max: 64 }), reason: shortText })),
  participants: list(RoomParticipantView, { max: 1000 }),
  /** Group end-to-end encryption (sender keys); `allKeyed`: every member holds our key and we hold theirs. */
  e2e: literal('on', 'off'),
  allKeyed: boolean(),
  myNickname: optional(nickname),
  at: timestamp,
});
export type RoomView = Infer<typeof RoomView>;

export const RoomMessageView = object({
  id,
  roomId: id,
  direction: literal('in', 'out'),
  from: sipUri,
  nickname: optional(nickname),
  /** Private (RFC 7701 s.6): to us (in) or to `to` (out). */
  private: boolean(),
  to: optional(sipUri),
  text: string({ max: MAX_MESSAGE_CHARS }),
  at: timestamp,
  state: literal('sending', 'sent', 'received', 'failed'),
  failure: optional(object({ code: string({ min: 1, max: 64 }), reason: shortText })),
  protected: boolean(),
});
export type RoomMessageView = Infer<typeof RoomMessageView>;

export const InvitationView = object({
  id,
  room: sipUri,
  inviter: optional(sipUri),
  subject: optional(string({ max: 256 })),
  state: literal('pending', 'accepted', 'declined', 'cancelled'),
  at: timestamp,
});
export type InvitationView = Infer<typeof InvitationView>;

// ---- application updates (Electron shell; docs/app.md "Updates") ---------------------------------------------------

/** `unsupported`: this shell does not update itself (the web host); `disabled`: updates are off (`reason` says why:
 *  a development build, PARLEY_UPDATES=off, or a build without an update feed or key); `idle`: up to date or not checked
 *  yet; `checking`; `downloading` `version` (`percent`); `ready`: `version` is downloaded and verified, it is installed on
 *  restart (`update.install`) or when the app quits; `error`: the last check or download failed (`failure`). */
export const UpdateState = literal('unsupported', 'disabled', 'idle', 'checking', 'downloading', 'ready', 'error');
export type UpdateState = Infer<typeof UpdateState>;
const semverText = string({ min: 1, max: 64, pattern: /^[0-9A-Za-z.+-]+$/, patternName: 'version' });
export const UpdateView = object({
  state: UpdateState,
  /** The running version. */
  current: optional(semverText),
  /** The version found (downloading, ready). */
  version: optional(semverText),
  percent: optional(number({ min: 0, max: 100 })),
  reason: optional(shortText),
  failure: optional(object({ code: string({ min: 1, max: 64 }), reason: shortText })),
  /** When the last check finished. */
  checkedAt: optional(timestamp),
});
export type UpdateView = Infer<typeof UpdateView>;
