// The IPC contract's schema vocabulary, on valibot (docs/architecture.md "Libraries"). valibot does the validating; the
// builders below add the house rules so contract.ts and views.ts cannot forget them:
//  - explicit limits: every string and array has a maximum, even where a schema names none (SCHEMA_LIMITS);
//  - strict objects: a plain object only (no array, class instance or prototype trick), every undeclared key is an issue,
//    the output is a fresh object holding the declared keys only (optional keys that are undefined are left out), so
//    nothing undeclared leaves main;
//  - one issue per value, at most SCHEMA_LIMITS.maxIssues per payload, each with a JSON-pointer path ('/a/0') and a
//    message the UI can show (renderer/slices/account/form.ts maps 'required' and 'must not be empty').
// Shared by the Electron main process, the web host and the renderer: imports valibot only.
import * as v from 'valibot';

export interface Issue {
  /** JSON-pointer-like path of the offending value, '' for the root. */
  path: string;
  message: string;
}

/** `dropped`: items that `list()` left out (the value is valid without them); absent when none were. */
export type Validation<T> = { ok: true; value: T; dropped?: Issue[] } | { ok: false; issues: Issue[] };

/** A schema whose output is T (any valibot schema; build them with the functions below). */
export type Schema<T = unknown> = v.GenericSchema<unknown, T>;
export type Infer<S extends v.GenericSchema<unknown, unknown>> = v.InferOutput<S>;

/** Hard caps that apply even when a schema does not name one. */
export const SCHEMA_LIMITS = { maxString: 1_000_000, maxArray: 10_000, maxIssues: 20 } as const;

export interface StringOptions {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** What the pattern means, for the error message (the regex itself is never echoed). */
  patternName?: string;
}

export function string(opts: StringOptions = {}) {
  const max = Math.min(opts.max ?? SCHEMA_LIMITS.maxString, SCHEMA_LIMITS.maxString);
  const min = opts.min ?? 0;
  const { pattern } = opts;
  return v.pipe(
    v.string('expected a string'),
    v.maxLength(max, `longer than ${max} characters`),
    v.minLength(min, min === 1 ? 'must not be empty' : `shorter than ${min} characters`),
    v.check((s) => !pattern || pattern.test(s), `not a valid ${opts.patternName ?? 'value'}`),
  );
}

export interface NumberOptions {
  min?: number;
  max?: number;
  integer?: boolean;
}

export function number(opts: NumberOptions = {}) {
  const { min = -Infinity, max = Infinity } = opts;
  return v.pipe(
    v.number('expected a finite number'),
    v.finite('expected a finite number'),
    v.check((n) => !opts.integer || Number.isInteger(n), 'expected an integer'),
    v.minValue(min, `must be >= ${min}`),
    v.maxValue(max, `must be <= ${max}`),
  );
}

export function boolean() {
  return v.boolean('expected a boolean');
}

/** Exactly `null` (used for channels that return nothing). */
export function nul() {
  return v.null('expected null');
}

/** Any value (a frame's payload before the channel's schema judges it). */
export function unknown() {
  return v.unknown();
}

export type Literal = string | number;

/** One of the given literal values (an enum). */
export function literal<const L extends readonly [Literal, ...Literal[]]>(...values: L) {
  return v.picklist(values, `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
}

/** Marks an object key as optional (absent or undefined). */
export function optional<S extends Schema>(inner: S) {
  return v.optional(inner);
}

/** `T | null`. */
export function nullable<S extends Schema>(inner: S) {
  return v.nullable(inner);
}

export interface ArrayOptions {
  max?: number;
  min?: number;
}

export function array<S extends Schema>(item: S, opts: ArrayOptions = {}) {
  const max = Math.min(opts.max ?? SCHEMA_LIMITS.maxArray, SCHEMA_LIMITS.maxArray);
  const min = opts.min ?? 0;
  return v.pipe(
    v.array(item, 'expected an array'),
    v.maxLength(max, `more than ${max} items`),
    v.minLength(min, `fewer than ${min} items`),
  );
}

/** Items dropped by `list()` during the check() under way (check is synchronous; nested checks save and restore it). */
let dropSink: Issue[] | null = null;

/**
 * An array of independent items that main sends (a conversation list, a page of messages, a room's participants): an
 * item that fails its schema is left out and reported in `check().dropped`, so one bad item never fails the whole reply
 * (issue 12: one bad address made `conversations.list` fail for every conversation). Length limits still fail the value.
 * Requests use `array()`: what the renderer asks for is judged whole.
 */
export function list<S extends Schema>(item: S, opts: ArrayOptions = {}) {
  const max = Math.min(opts.max ?? SCHEMA_LIMITS.maxArray, SCHEMA_LIMITS.maxArray);
  return v.pipe(
    v.array(v.unknown(), 'expected an array'),
    v.maxLength(max, `more than ${max} items`),
    v.transform((items): Infer<S>[] => {
      const out: Infer<S>[] = [];
      items.forEach((x, i) => {
        const r = v.safeParse(item, x, CONFIG);
        if (r.success) out.push(r.output as Infer<S>);
        else dropSink?.push({ path: `/${i}${pathOf(r.issues[0])}`, message: r.issues[0].message });
      });
      return out;
    }),
  );
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Issues raised by the object itself (not by one of its values): an undeclared key or a missing required one. */
const objectIssue = (i: v.BaseIssue<unknown>) => (i.expected === 'never' ? 'unknown key' : 'required');

function withoutUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o)) if ((o as Record<string, unknown>)[k] === undefined) delete (o as Record<string, unknown>)[k];
  return o;
}

type Shape = Record<string, Schema>;

/** A strict object: every key of the shape is checked, unknown keys are rejected, the output is a fresh object. */
export function object<S extends Shape>(shape: S) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainObject, 'expected an object'),
    v.strictObject(shape, objectIssue),
    v.transform(withoutUndefined),
  );
}

/** The first member that accepts the value wins; otherwise one issue summarising the members' issues. */
export function union<const M extends readonly [Schema, Schema, ...Schema[]]>(...members: M) {
  return v.union(
    members,
    (i) =>
      `matches no alternative (${(i.issues ?? [])
        .slice(0, 3)
        .map((x) => x.message)
        .join('; ')})`,
  );
}

/** Defers construction (for recursive shapes). */
export function lazy<T>(get: () => Schema<T>): Schema<T> {
  return v.lazy(get);
}

/** One issue per value (a pipe stops at its first failed check); objects and arrays still report every bad member. */
const CONFIG = { abortPipeEarly: true } as const;

function pathOf(i: v.BaseIssue<unknown>): string {
  return (i.path ?? []).map((p) => `/${String(p.key)}`).join('');
}

/** Validates `value`; returns the sanitized value (unknown keys never survive) or the issues. */
export function check<S extends Schema>(schema: S, value: unknown): Validation<Infer<S>> {
  const outer = dropSink;
  const dropped: Issue[] = [];
  dropSink = dropped;
  let r;
  try {
    r = v.safeParse(schema, value, CONFIG);
  } finally {
    dropSink = outer;
  }
  if (r.success)
    return dropped.length
      ? { ok: true, value: r.output, dropped: dropped.slice(0, SCHEMA_LIMITS.maxIssues) }
      : { ok: true, value: r.output };
  return { ok: false, issues: r.issues.slice(0, SCHEMA_LIMITS.maxIssues).map((i) => ({ path: pathOf(i), message: i.message })) };
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
export function parse<S extends Schema>(schema: S, value: unknown, what = 'payload'): Infer<S> {
  const r = check(schema, value);
  if (!r.ok) throw new SchemaError(what, r.issues);
  return r.value;
}
