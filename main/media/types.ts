// Shared vocabulary of the MSRP media layer (RFC 4975 s.8.6 accept-types, RFC 3862 CPIM, RFC 5438 IMDN, RFC 3994
// is-composing, RFC 4976 relays), used by the media code and by every feature that opens MSRP sessions.

/** Content types we accept inside MSRP (outer) and inside CPIM (wrapped). */
export const CPIM_TYPE = 'message/cpim';
export const TEXT_TYPE = 'text/plain';
export const TEXT_TYPE_UTF8 = 'text/plain;charset=utf-8';
export const IMDN_TYPE = 'message/imdn+xml';
export const ISCOMPOSING_TYPE = 'application/im-iscomposing+xml';

/** Largest chat message (CPIM plaintext) we send or accept in a session: the session cipher's per-body limit. */
export const MAX_CHAT_MESSAGE_BYTES = 16 * 1024 * 1024;

/** 'require': offers and answers without a=key-mgmt are refused (E2E_REQUIRED outgoing, 488 incoming). */
export type E2EPolicy = 'require' | 'allow-plaintext';

export interface RelayConfig {
  /** msrp://host:port;tcp or msrps://host:port;tcp */
  uri: string;
  /** Defaults: the user part of the account AoR and the SIP password. */
  username?: string;
  password?: string;
  /** PEM CA validating an msrps relay (the lab CA). */
  ca?: string;
}
