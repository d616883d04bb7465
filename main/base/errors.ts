// Typed errors with stable codes, used at every parser and protocol edge (undici style). The codes are the keys of the
// registry in ./error-codes.ts (meaning, layer, user text, CLI exit code).
import { ERROR_CODES, type ErrorCode } from './error-codes';

export type { ErrorCode } from './error-codes';

/** Base class for every error Parley raises on purpose. `code` is stable, machine-readable and registered. */
export class ParleyError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ParleyError';
    this.code = code;
    this.details = details;
  }

  /** What a person is told (the registry's user text); the IPC boundary sends it instead of the technical message. */
  get userText(): string | undefined {
    return Object.hasOwn(ERROR_CODES, this.code) ? ERROR_CODES[this.code].userText : undefined;
  }
}

export function isParleyError(e: unknown, code?: ErrorCode): e is ParleyError {
  return e instanceof ParleyError && (code === undefined || e.code === code);
}
