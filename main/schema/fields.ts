/**
 * Field tables: one entry per configuration field (type, range or choices, per-preset default,
 * label, help, CLI flag, UI group), and what is derived from them — strict validation of untrusted
 * overrides, parsing of CLI-style text, defaults. Plain data and functions, no Node: the renderer
 * imports it too.
 *
 * A table is keyed by field path: `epochs` for a top-level field, `split.kind` for a field of a
 * nested object. `FieldTable<Config, Preset>` makes TypeScript check the table against the config
 * type: every field present, no extra ones, each spec of the kind its value type needs.
 */

export interface Choice<V extends string = string> {
  value: V;
  /** How the UI names the choice. */
  title: string;
}

/** A default: one value for every preset, or one per preset. */
export type PresetDefault<V, P extends string> = V | { readonly [K in P]: V };

interface FieldBase {
  /** The form's label. */
  label: string;
  /** One line shown as the field's help and in the CLI usage. */
  help: string;
  /** `--flag` without the dashes, or null when the CLI does not offer the field. */
  flag: string | null;
  /** Which part of the form the field belongs to. */
  group: string;
  /** The field may be absent from a resolved config (its default is undefined). */
  optional?: boolean;
}

export interface NumberFieldSpec extends FieldBase {
  kind: 'number' | 'integer';
  min: number;
  max: number;
  /** The bound itself is excluded. */
  minOpen?: boolean;
  maxOpen?: boolean;
  /** Said after the lower bound, e.g. '(0 = off)'. */
  minNote?: string;
  powerOfTwo?: boolean;
}

export interface BooleanFieldSpec extends FieldBase {
  kind: 'boolean';
}

export interface EnumFieldSpec<V extends string = string> extends FieldBase {
  kind: 'enum';
  choices: readonly Choice<V>[];
}

export interface ListFieldSpec<V extends string = string> extends FieldBase {
  kind: 'list';
  maxItems: number;
  /** Longest item, in characters. */
  maxLength: number;
  /** When set, every item must be one of these. */
  choices?: readonly Choice<V>[];
}

/** Free text: a folder path. '' means "not given". */
export interface TextFieldSpec extends FieldBase {
  kind: 'text';
  /** Longest value, in characters. */
  maxLength: number;
  /** What the text names: the app offers a folder picker beside the field. */
  picks?: 'folder';
}

export type FieldSpec = (NumberFieldSpec | BooleanFieldSpec | EnumFieldSpec | ListFieldSpec | TextFieldSpec) & { default: unknown };

type IsNested<V> = V extends readonly unknown[] ? false : V extends object ? true : false;

/** `epochs`, `split.kind`, …: the leaf paths of a config type (one level of nesting). */
export type FieldPath<T> = {
  [K in keyof T & string]-?: IsNested<NonNullable<T[K]>> extends true ? `${K}.${keyof NonNullable<T[K]> & string}` : K;
}[keyof T & string];

export type FieldValue<T, P extends string> = P extends `${infer A}.${infer B}`
  ? A extends keyof T
    ? B extends keyof NonNullable<T[A]>
      ? NonNullable<T[A]>[B]
      : never
    : never
  : P extends keyof T
    ? T[P]
    : never;

export type SpecFor<V, P extends string> = [NonNullable<V>] extends [number]
  ? NumberFieldSpec & { default: PresetDefault<V, P> }
  : [NonNullable<V>] extends [boolean]
    ? BooleanFieldSpec & { default: PresetDefault<V, P> }
    : [NonNullable<V>] extends [readonly (infer E extends string)[]]
      ? ListFieldSpec<E> & { default: PresetDefault<readonly E[] | (undefined extends V ? undefined : never), P> }
      : [NonNullable<V>] extends [string]
        ? string extends NonNullable<V>
          ? TextFieldSpec & { default: PresetDefault<V, P> }
          : EnumFieldSpec<NonNullable<V>> & { default: PresetDefault<V, P> }
        : never;

export type FieldTable<T, P extends string> = { readonly [K in FieldPath<T>]: SpecFor<FieldValue<T, K>, P> };

/** Any table, as the generic functions below see it. */
export type AnyFieldTable = Readonly<Record<string, FieldSpec>>;

/** A config or override refused: the message names the field and the value received. */
export class FieldError extends Error {
  constructor(
    message: string,
    /** The field path, e.g. `split.testSpeakers`. */
    readonly path: string,
  ) {
    super(message);
  }
}

/** Runs `check`, prefixing a FieldError's message (e.g. "invalid training config: "). */
export function withPrefix<T>(prefix: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof FieldError) throw new FieldError(prefix + err.message, err.path);
    throw err;
  }
}

const QUOTE_LIMIT = 40;

/** A value as a message shows it, bounded in length: `the string "0.001"`, `null`, `an array of 3 items`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (value.length <= QUOTE_LIMIT) return `the string ${JSON.stringify(value)}`;
    return `a string of ${value.length} characters starting ${JSON.stringify(value.slice(0, QUOTE_LIMIT))}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** A key as a message names it, bounded in length. */
function describeKey(key: string): string {
  return JSON.stringify(key.length <= QUOTE_LIMIT ? key : `${key.slice(0, QUOTE_LIMIT)}…`);
}

/** "a or b", "a, b or c". */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** "an integer in 1..1000", "a number in (0, 10]", "a power of two in 256..16384". */
export function describeRange(spec: NumberFieldSpec): string {
  if (spec.kind === 'integer' && !spec.minOpen && !spec.maxOpen) {
    return `${spec.powerOfTwo ? 'a power of two' : 'an integer'} in ${spec.min}..${spec.max}`;
  }
  const range = `${spec.minOpen ? '(' : '['}${spec.min}, ${spec.max}${spec.maxOpen ? ')' : ']'}`;
  return `${spec.kind === 'integer' ? 'an integer' : 'a number'} in ${range}`;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isInteger(Math.log2(n));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Throws a FieldError unless `value` is exactly what the field takes; returns it (lists copied). */
export function checkFieldValue(path: string, spec: FieldSpec, value: unknown): unknown {
  const fail = (expected: string, got: unknown = value): never => {
    throw new FieldError(`${path} must be ${expected}, got ${describeValue(got)}`, path);
  };
  switch (spec.kind) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value) || (spec.kind === 'integer' && !Number.isInteger(value)))
        return fail(describeRange(spec));
      const low = spec.minOpen ? value <= spec.min : value < spec.min;
      const high = spec.maxOpen ? value >= spec.max : value > spec.max;
      if (low || high || (spec.powerOfTwo && !isPowerOfTwo(value))) return fail(describeRange(spec));
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') return fail('true or false');
      return value;
    case 'text':
      if (typeof value !== 'string' || value.length > spec.maxLength || value.includes('\0'))
        return fail(`a text of at most ${spec.maxLength} characters`);
      return value;
    case 'enum': {
      const values = spec.choices.map((c) => c.value);
      if (typeof value !== 'string' || !values.includes(value)) return fail(orList(values));
      return value;
    }
    case 'list': {
      if (!Array.isArray(value))
        return fail(spec.choices ? `a list of ${spec.choices.map((c) => c.value).join(', ')}` : 'a list of strings');
      if (value.length > spec.maxItems) return fail(`a list of at most ${spec.maxItems} items`);
      const allowed = spec.choices?.map((c) => c.value);
      value.forEach((item, i) => {
        const at = `${path}[${i}]`;
        if (allowed) {
          if (typeof item !== 'string' || !allowed.includes(item))
            throw new FieldError(`${at} must be ${orList(allowed)}, got ${describeValue(item)}`, path);
        } else if (typeof item !== 'string' || item.length === 0 || item.length > spec.maxLength) {
          throw new FieldError(
            `${at} must be a non-empty string of at most ${spec.maxLength} characters, got ${describeValue(item)}`,
            path,
          );
        }
      });
      return [...value];
    }
  }
}

/** The top-level keys of a table and, for nested objects, their keys. */
function tableShape(table: AnyFieldTable): Map<string, string[] | null> {
  const shape = new Map<string, string[] | null>();
  for (const path of Object.keys(table)) {
    const [head, child] = path.split('.') as [string, string | undefined];
    if (child === undefined) shape.set(head, null);
    else shape.set(head, [...(shape.get(head) ?? []), child]);
  }
  return shape;
}

/**
 * Checks untrusted overrides against a table: a plain object of known fields (nested objects
 * likewise), each value exactly of its field's type and range. `undefined` means "not given" (an
 * optional CLI flag); null and every other wrong value is refused. Returns the overrides as a fresh
 * object of checked values (no undefined ones).
 */
export function checkOverrides(table: AnyFieldTable, overrides: unknown, what: string): Record<string, unknown> {
  if (overrides === undefined) return {};
  if (!isPlainObject(overrides)) throw new FieldError(`${what} must be an object, got ${describeValue(overrides)}`, '');
  const shape = tableShape(table);
  const known = (keys: Iterable<string>) => [...keys].join(', ');
  const checked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (!shape.has(key)) throw new FieldError(`unknown field ${describeKey(key)} (known: ${known(shape.keys())})`, key);
    if (value === undefined) continue;
    const children = shape.get(key);
    if (children === null || children === undefined) {
      checked[key] = checkFieldValue(key, table[key]!, value);
      continue;
    }
    if (!isPlainObject(value)) throw new FieldError(`${key} must be an object, got ${describeValue(value)}`, key);
    const nested: Record<string, unknown> = {};
    for (const [child, childValue] of Object.entries(value)) {
      const path = `${key}.${child}`;
      if (!children.includes(child)) throw new FieldError(`unknown field ${describeKey(path)} (known in ${key}: ${known(children)})`, path);
      if (childValue !== undefined) nested[child] = checkFieldValue(path, table[path]!, childValue);
    }
    checked[key] = nested;
  }
  return checked;
}

/** `base` with checked overrides laid over it (nested objects merged field by field). */
export function mergeOverrides<T extends object>(base: T, checked: Record<string, unknown>): T {
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(checked)) {
    merged[key] = isPlainObject(value) ? { ...(merged[key] as object), ...value } : value;
  }
  return merged as T;
}

function fieldDefault(spec: FieldSpec, preset: string): unknown {
  const value = spec.default;
  return isPlainObject(value) ? value[preset] : value;
}

/** The full config a preset gives: every field's default for it (optional fields without one left out). */
export function defaultsFromTable(table: AnyFieldTable, preset: string): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [path, spec] of Object.entries(table)) {
    const value = fieldDefault(spec, preset);
    if (value === undefined) continue;
    const [head, child] = path.split('.') as [string, string | undefined];
    const copy = Array.isArray(value) ? [...value] : value;
    if (child === undefined) config[head] = copy;
    else config[head] = { ...(config[head] as object | undefined), [child]: copy };
  }
  return config;
}

/** The value of a field path in a config (`split.kind` → config.split.kind). */
export function valueAt(config: object, path: string): unknown {
  const [head, child] = path.split('.') as [string, string | undefined];
  const top = (config as Record<string, unknown>)[head];
  return child === undefined ? top : isPlainObject(top) ? top[child] : undefined;
}

/** Sets a field path in an overrides object, creating the nested object when needed. */
export function setValueAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, child] = path.split('.') as [string, string | undefined];
  if (child === undefined) target[head] = value;
  else target[head] = { ...(isPlainObject(target[head]) ? target[head] : {}), [child]: value };
}

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A field's value from CLI-style text: numbers as written (`1e-3`), booleans `true`/`false`, lists
 * comma-separated, enums as their value; then checked like any override. Throws a FieldError
 * naming the field and the text.
 */
export function parseFieldText(table: AnyFieldTable, path: string, text: string): unknown {
  const spec = table[path];
  if (!spec) throw new FieldError(`unknown field ${describeKey(path)} (known: ${Object.keys(table).join(', ')})`, path);
  const trimmed = text.trim();
  let value: unknown = trimmed;
  switch (spec.kind) {
    case 'number':
    case 'integer':
      if (!NUMBER_TEXT.test(trimmed))
        throw new FieldError(`${path} must be ${spec.kind === 'integer' ? 'an integer' : 'a number'}, got ${describeValue(text)}`, path);
      value = Number(trimmed);
      break;
    case 'boolean':
      if (trimmed !== 'true' && trimmed !== 'false')
        throw new FieldError(`${path} must be true or false, got ${describeValue(text)}`, path);
      value = trimmed === 'true';
      break;
    case 'list':
      value =
        trimmed === ''
          ? []
          : trimmed
              .split(',')
              .map((item) => item.trim())
              .filter((item) => item.length > 0);
      break;
    case 'enum':
    case 'text':
      break;
  }
  return checkFieldValue(path, spec, value);
}
