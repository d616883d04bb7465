// Typed errors with stable codes, used at every parser and protocol edge (undici style).

/** Base class for every error Parley raises on purpose. `code` is stable and machine-readable. */
export class ParleyError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;
  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ParleyError';
    this.code = code;
    this.details = details;
  }
}

export function isParleyError(e: unknown, code?: string): e is ParleyError {
  return e instanceof ParleyError && (code === undefined || e.code === code);
}
