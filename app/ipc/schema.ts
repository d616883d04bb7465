// A tiny runtime schema kit for the IPC contract: pure validator functions, strict objects, explicit limits.
// Shared by the Electron main process, the web host and the renderer, so it imports nothing.

export interface Issue {
  /** JSON-pointer-like path of the offending value, '' for the root. */
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/** A schema is a pure function from an unknown value to a validation result. */
export interface Schema<T> {
  (value: unknown, path?: string): Validation<T>;
  /** Human description used in error messages and docs. */
  readonly describe: string;
  /** Set by `optional()`: the key may be absent from an enclosing object. */
  readonly optionalKey?: true;
}

export type OptionalSchema<T> = Schema<T | undefined> & { readonly optionalKey: true };

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Hard caps that apply even when a schema does not name one. */
export const SCHEMA_LIMITS = { maxString: 1_000_000, maxArray: 10_000, maxIssues: 20 } as const;

function make<T>(describe: string, fn: (value: unknown, path: string) => Validation<T>, extra?: { optionalKey?: true }): Schema<T> {
  const s = ((value: unknown, path = '') => fn(value, path)) as Schema<T> & { describe: string; optionalKey?: true };
  Object.defineProperty(s, 'describe', { value: describe });
  if (extra?.optionalKey) Object.defineProperty(s, 'optionalKey', { value: true });
  return s;
}

const fail = (path: string, message: string): { ok: false; issues: Issue[] } => ({ ok: false, issues: [{ path, message }] });
const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export interface StringOptions {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** What the pattern means, for the error message (the regex itself is never echoed). */
  patternName?: string;
}

export function string(opts: StringOptions = {}): Schema<string> {
  const max = Math.min(opts.max ?? SCHEMA_LIMITS.maxString, SCHEMA_LIMITS.maxString);
  const min = opts.min ?? 0;
  return make(`string(${min}..${max})`, (v, path) => {
    if (typeof v !== 'string') return fail(path, 'expected a string');
    if (v.length > max) return fail(path, `longer than ${max} characters`);
    if (v.length < min) return fail(path, min === 1 ? 'must not be empty' : `shorter than ${min} characters`);
    if (opts.pattern && !opts.pattern.test(v)) return fail(path, `not a valid ${opts.patternName ?? 'value'}`);
    return ok(v);
  });
}

export interface NumberOptions {
  min?: number;
  max?: number;
  integer?: boolean;
}

export function number(opts: NumberOptions = {}): Schema<number> {
  return make(`${opts.integer ? 'integer' : 'number'}`, (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(path, 'expected a finite number');
    if (opts.integer && !Number.isInteger(v)) return fail(path, 'expected an integer');
    if (opts.min !== undefined && v < opts.min) return fail(path, `must be >= ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) return fail(path, `must be <= ${opts.max}`);
    return ok(v);
  });
}

export function boolean(): Schema<boolean> {
  return make('boolean', (v, path) => (typeof v === 'boolean' ? ok(v) : fail(path, 'expected a boolean')));
}

/** Exactly `null` (used for channels that return nothing). */
export function nul(): Schema<null> {
  return make('null', (v, path) => (v === null ? ok(null) : fail(path, 'expected null')));
}

export type Literal = string | number | boolean | null;

/** One of the given literal values (an enum). */
export function literal<const L extends readonly [Literal, ...Literal[]]>(...values: L): Schema<L[number]> {
  const set = new Set<unknown>(values);
  return make(values.map((x) => JSON.stringify(x)).join('|'), (v, path) =>
    set.has(v) ? ok(v as L[number]) : fail(path, `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`),
  );
}

/** Marks an object key as optional (absent or undefined). */
export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return make<T | undefined>(`${inner.describe}?`, (v, path) => (v === undefined ? ok(undefined) : inner(v, path)), {
    optionalKey: true,
  }) as OptionalSchema<T>;
}

/** `T | null`. */
export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return make<T | null>(`${inner.describe}|null`, (v, path) => (v === null ? ok(null) : inner(v, path)));
}

export interface ArrayOptions {
  max?: number;
  min?: number;
}

export function array<T>(item: Schema<T>, opts: ArrayOptions = {}): Schema<T[]> {
  const max = Math.min(opts.max ?? SCHEMA_LIMITS.maxArray, SCHEMA_LIMITS.maxArray);
  return make(`${item.describe}[]`, (v, path) => {
    if (!Array.isArray(v)) return fail(path, 'expected an array');
    if (v.length > max) return fail(path, `more than ${max} items`);
    if (opts.min !== undefined && v.length < opts.min) return fail(path, `fewer than ${opts.min} items`);
    const out: T[] = [];
    const issues: Issue[] = [];
    for (let i = 0; i < v.length; i++) {
      const r = item(v[i], `${path}/${i}`);
      if (r.ok) out.push(r.value);
      else {
        issues.push(...r.issues);
        if (issues.length >= SCHEMA_LIMITS.maxIssues) break;
      }
    }
    return issues.length ? { ok: false, issues: issues.slice(0, SCHEMA_LIMITS.maxIssues) } : ok(out);
  });
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly optionalKey: true } ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A strict object: every key of the shape is checked, unknown keys are rejected, the output is a fresh object. */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  const known = new Set(keys);
  return make(`{${keys.join(',')}}`, (v, path) => {
    if (!isPlainObject(v)) return fail(path, 'expected an object');
    const issues: Issue[] = [];
    for (const k of Object.keys(v)) {
      if (!known.has(k)) issues.push({ path: `${path}/${k}`, message: 'unknown key' });
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const schema = shape[k]!;
      const has = Object.prototype.hasOwnProperty.call(v, k);
      if (!has && !schema.optionalKey) {
        issues.push({ path: `${path}/${k}`, message: 'required' });
        continue;
      }
      const r = schema(has ? v[k] : undefined, `${path}/${k}`);
      if (!r.ok) issues.push(...r.issues);
      else if (r.value !== undefined) out[k] = r.value;
      if (issues.length >= SCHEMA_LIMITS.maxIssues) break;
    }
    return issues.length ? { ok: false, issues: issues.slice(0, SCHEMA_LIMITS.maxIssues) } : ok(out as ObjectOf<S>);
  });
}

/** The first member that accepts the value wins; issues of every member are reported otherwise. */
export function union<const M extends readonly [Schema<unknown>, ...Schema<unknown>[]]>(...members: M): Schema<Infer<M[number]>> {
  return make(members.map((m) => m.describe).join(' | '), (v, path) => {
    const issues: Issue[] = [];
    for (const m of members) {
      const r = m(v, path);
      if (r.ok) return r as Validation<Infer<M[number]>>;
      issues.push(...r.issues);
    }
    return {
      ok: false,
      issues: [
        {
          path,
          message: `matches no alternative (${issues
            .slice(0, 3)
            .map((i) => i.message)
            .join('; ')})`,
        },
      ],
    };
  });
}

/** Defers construction (for recursive shapes). */
export function lazy<T>(get: () => Schema<T>): Schema<T> {
  let s: Schema<T> | undefined;
  return make('lazy', (v, path) => (s ??= get())(v, path));
}

/** Validation failure carried as an exception, with a stable code. */
export class SchemaError extends Error {
  readonly code = 'IPC_BAD_PAYLOAD';
  readonly issues: Issue[];
  constructor(what: string, issues: Issue[]) {
    super(`${what}: ${formatIssues(issues)}`);
    this.name = 'SchemaError';
    this.issues = issues;
  }
}

export function formatIssues(issues: Issue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path || '(root)'} ${i.message}`)
    .join('; ');
}

/** Validates or throws `SchemaError`; returns the sanitized value (unknown keys never survive). */
export function parse<T>(schema: Schema<T>, value: unknown, what = 'payload'): T {
  const r = schema(value);
  if (!r.ok) throw new SchemaError(what, r.issues);
  return r.value;
}
