// Exit codes of the `parley` CLI (documented in docs/cli.md; stable for scripts).
export const EXIT = {
  OK: 0,
  /** Unexpected internal error. */
  INTERNAL: 1,
  /** Bad command line: unknown command or flag, missing argument. */
  USAGE: 2,
  /** Could not register: wrong password, TLS certificate refused, registrar refusal, unreadable CA. */
  REGISTRATION: 3,
  /** The network or the peer answered the request with a SIP failure (4xx/5xx/6xx). */
  SIP_FAILURE: 4,
  /** No answer in time (registration or request), or the peer's key did not arrive in time (message stays queued). */
  TIMEOUT: 5,
  /** Safety number mismatch (`keys verify`), or the peer's identity key changed (send/chat refused until accepted). */
  MISMATCH: 6,
  /** No key known for the peer yet (`keys fingerprint/verify`: exchange a message first). */
  UNKNOWN_KEY: 7,
} as const;

export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class UsageError extends CliExit {
  constructor(message: string) {
    super(EXIT.USAGE, message);
  }
}
