// Public surface of MSRP chat sessions (docs/sessions.md).
export {
  ChatSessionManager,
  IncomingChatSession,
  normalizeTarget,
  CANCEL_WAIT_FOR_1XX_MS,
  type ChatManagerOptions,
  type OpenOptions,
  type ChatManagerEvents,
} from './manager';
export {
  ChatSession,
  SEND_SLICE_BYTES,
  RELAY_SEND_SLICE_BYTES,
  MSRP_LOSS_GRACE_MS,
  type ChatSessionEvents,
  type SendOptions,
} from './chat-session';
export { pickMode, PAGE_MODE_MAX_BYTES, type MessagingMode, type ModeInput } from './mode-policy';
export { DIRECT_CHUNK_SIZE, OFFER_ACCEPT_TYPES, OFFER_WRAPPED_TYPES, MAX_WIRE_MESSAGE_BYTES } from '../../media/msrp-media';
export { decodeInbound, type Inbound, type InboundContext } from './inbound';
export { e2eContentType, epochOf, isE2eContentType, EpochCipher } from './wire';
export { acceptSessionsForListen, cliManager, printSession, defaultRelayUri } from '../../hosts/cli/support/chat';
export * from './types';
