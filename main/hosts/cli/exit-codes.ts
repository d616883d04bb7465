// Exit codes of the `parley` CLI (documented in docs/cli.md; stable for scripts). Which failure code exits with which
// number is said once, in the error-code registry (main/base/error-codes.ts, field `cli`); a command only gives the
// default for codes the registry does not map.
import { errorInfo, type CliExitName, type ErrorCode } from '../../base/error-codes';
import { isParleyError } from '../../base/errors';

export const EXIT = {
  OK: 0,
  /** Unexpected internal error. */
  INTERNAL: 1,
  /** Bad command line: unknown command or flag, missing argument; or a profile problem (locked, in use, damaged). */
  USAGE: 2,
  /** Could not register: wrong password, TLS certificate refused, registrar refusal, unreadable CA. */
  REGISTRATION: 3,
  /** The network or the peer answered the request with a SIP failure (4xx/5xx/6xx); a session or MSRP failure. */
  SIP_FAILURE: 4,
  /** No answer in time (registration or request), or the peer's key did not arrive in time (message stays queued). */
  TIMEOUT: 5,
  /** Safety number mismatch (`keys verify`), or the peer's identity key changed (send/chat refused until accepted). */
  MISMATCH: 6,
  /** No key known for the peer yet (`keys fingerprint/verify`: exchange a message first). */
  UNKNOWN_KEY: 7,
} as const satisfies Record<CliExitName | 'OK' | 'INTERNAL', number>;

const SIP_STATUS = /^[3-6][0-9][0-9]$/;

/** The exit code for a failure code: the registry's, SIP_FAILURE for a bare SIP status ("404": a message failure from
 *  the network), else the command's default. */
export function exitCodeFor(code: string | undefined, fallback: number): number {
  if (code !== undefined && SIP_STATUS.test(code)) return EXIT.SIP_FAILURE;
  const name = errorInfo(code)?.cli;
  return name ? EXIT[name] : fallback;
}

/** exitCodeFor the code of anything thrown (a ParleyError's; anything else takes the default). */
export function exitCodeOf(e: unknown, fallback: number): number {
  return isParleyError(e) ? exitCodeFor(e.code, fallback) : fallback;
}

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

/** A CLI failure named by a registered code: `CODE: message`, exiting as the registry says (else INTERNAL). */
export function cliError(code: ErrorCode, message: string): CliExit {
  return new CliExit(exitCodeFor(code, EXIT.INTERNAL), `${code}: ${message}`);
}
