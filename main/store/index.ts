// Public surface of the history store (SQLite + encryption at rest); see docs/store.md.
export { HistoryStore, KEY_CHANGE_CONTENT_TYPE } from './history';
export type { OpenStoreOptions, ConversationPatch, StateUpdate, ReadReceipt } from './history';
export type { BlockedContact } from './contacts';
export type { SearchOptions } from './fts';
export { canTransition, canTransferTransition, MESSAGE_STATES, TRANSFER_STATES } from './states';
export { LATEST_VERSION } from './migrations';
export { DATA_KEY_BYTES } from './crypto';
export * as limits from './limits';
export type * from './types';
