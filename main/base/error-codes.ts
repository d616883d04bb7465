// The registry of error codes (docs/errors.md is generated from it: `npm run docs:errors`). Every code Parley raises,
// reports or compares is a key here: ParleyError takes only these, so tsc rejects an unregistered code. Each entry says
// what happened (meaning), where (layer), what a person is told (userText: the IPC boundary sends it as the error
// message) and, where the CLI maps it, the `parley` exit code. The entries are written per layer in ./error-entries/.
import { APPSERVER_ERRORS, HOST_ERRORS, IPC_ERRORS, UE_ERRORS } from './error-entries/app';
import { type ErrorInfo } from './error-entries/define';
import { CONFERENCE_ERRORS, MEDIA_ERRORS, PAGE_ERRORS, SESSION_ERRORS, TRANSFER_ERRORS } from './error-entries/features';
import { FORMAT_ERRORS } from './error-entries/formats';
import { KEYDIR_ERRORS, RATCHET_ERRORS } from './error-entries/ratchet';
import { SECURITY_ERRORS, STORE_ERRORS } from './error-entries/security';
import { MSRP_ERRORS, MSRP_NET_ERRORS, SDP_ERRORS, SIP_NET_ERRORS, SIP_WIRE_ERRORS } from './error-entries/wire';

export { ERROR_LAYERS, type CliExitName, type ErrorInfo, type ErrorLayer } from './error-entries/define';

/** The parts in layer order (lowest first), as docs/errors.md lists them. */
export const ERROR_PARTS = [
  FORMAT_ERRORS,
  SDP_ERRORS,
  MSRP_ERRORS,
  SIP_WIRE_ERRORS,
  MSRP_NET_ERRORS,
  SIP_NET_ERRORS,
  SECURITY_ERRORS,
  RATCHET_ERRORS,
  STORE_ERRORS,
  MEDIA_ERRORS,
  PAGE_ERRORS,
  SESSION_ERRORS,
  TRANSFER_ERRORS,
  CONFERENCE_ERRORS,
  UE_ERRORS,
  HOST_ERRORS,
  IPC_ERRORS,
  APPSERVER_ERRORS,
  KEYDIR_ERRORS,
] as const;

type Union<T> = T extends readonly (infer P)[] ? P : never;
type Merge<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never;

export type ErrorRegistry = Merge<Union<typeof ERROR_PARTS>>;
export type ErrorCode = keyof ErrorRegistry & string;

function merge(parts: readonly Record<string, ErrorInfo>[]): ErrorRegistry {
  const out: Record<string, ErrorInfo> = {};
  for (const part of parts) {
    for (const [code, info] of Object.entries(part)) {
      if (code in out) throw new Error(`error code ${code} is registered twice`);
      out[code] = info;
    }
  }
  return Object.freeze(out) as ErrorRegistry;
}

/** code -> {meaning, layer, userText, cli?}. */
export const ERROR_CODES: ErrorRegistry = merge(ERROR_PARTS);

/** Codes merged into another with the same meaning (kept here for readers of old logs and scripts; docs/errors.md). */
export const RETIRED_CODES: Readonly<Record<string, ErrorCode>> = {
  SECURITY_KEY_CHANGED: 'PEER_KEY_CHANGED',
  REGISTER_FORBIDDEN: 'SIP_AUTH_FAILED',
  SIP_ALREADY_REPLIED: 'SIP_ALREADY_ANSWERED',
  CONF_NOT_JOINED: 'CONF_NOT_IN_ROOM',
  SEND_FAILED: 'UE_SEND_FAILED',
};

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** The entry of a registered code, else undefined (codes from the network or from old stores may be anything). */
export function errorInfo(code: unknown): ErrorInfo | undefined {
  return isErrorCode(code) ? ERROR_CODES[code] : undefined;
}
