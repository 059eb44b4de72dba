/**
 * Declarative argument tables: each request describes its arguments once (type, range, confinement)
 * and `checkArgs` checks them before the handler runs, the way the field table works for configs.
 * The handler receives the checked values, typed from the table (`ArgsOf`).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveFeatureConfig, type FeatureConfig } from '../features/config';
import { isRunId, runNameProblem } from '../schema/runLimits';
import { ApiError } from './validate';
import type { Workspace } from './workspace';

/** How a path argument is confined: to what the user opened, or a study the user opened. */
type Confinement = 'opened' | 'study';

export type FieldSpec =
  | { kind: 'string'; optional?: boolean; maxLength?: number; pattern?: RegExp; shape?: string }
  | { kind: 'boolean'; optional?: boolean }
  | { kind: 'integer'; optional?: boolean; min?: number; max?: number }
  | { kind: 'enum'; optional?: boolean; values: readonly string[] }
  /** A run, study or member id (see isRunId). */
  | { kind: 'runId'; optional?: boolean }
  /** A run's display name (see runNameProblem). */
  | { kind: 'runName'; optional?: boolean }
  /**
   * A path; `exists: 'folder'` requires an existing folder; `confine` keeps it inside what the session
   * may read and hands on its real path, or with `asGiven` the path as given, made absolute.
   */
  | { kind: 'path'; optional?: boolean; exists?: 'folder'; confine?: Confinement; asGiven?: boolean }
  /** Any value, handed on to a field table that checks it (a training config). */
  | { kind: 'json'; optional?: boolean }
  /** An object of overrides for a field table; `without` lists keys it may not set, and `because` says why. */
  | { kind: 'object'; optional?: boolean; without?: readonly string[]; because?: string }
  /** Feature overrides, resolved against the feature field table (its defaults when absent). */
  | { kind: 'features'; optional?: undefined }
  /** A list; `unique` names an item (`'seed'`) when no value may appear twice. */
  | { kind: 'list'; optional?: boolean; of: FieldSpec; maxItems: number; minItems?: number; unique?: string }
  /** A nested object; `oneOf` lists the field sets of which exactly one must be given in full. */
  | { kind: 'record'; optional?: boolean; fields: ArgSpec; oneOf?: readonly (readonly string[])[] };

export type ArgSpec = Readonly<Record<string, FieldSpec>>;

type ValueOf<F extends FieldSpec> = F extends { kind: 'string' | 'runId' | 'runName' | 'path' }
  ? string
  : F extends { kind: 'boolean' }
    ? boolean
    : F extends { kind: 'integer' }
      ? number
      : F extends { kind: 'enum'; values: readonly (infer V)[] }
        ? V
        : F extends { kind: 'list'; of: infer E extends FieldSpec }
          ? ValueOf<E>[]
          : F extends { kind: 'record'; fields: infer S extends ArgSpec }
            ? ArgsOf<S>
            : F extends { kind: 'features' }
              ? FeatureConfig
              : F extends { kind: 'object' }
                ? Record<string, unknown>
                : unknown;

type OptionalKeys<S extends ArgSpec> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];

/** The checked arguments a table describes: optional fields may be undefined. */
export type ArgsOf<S extends ArgSpec> = { [K in Exclude<keyof S, OptionalKeys<S>>]: ValueOf<S[K]> } & {
  [K in OptionalKeys<S>]?: ValueOf<S[K]>;
};

/** What a table accepts, as the contract types it: field-table inputs (`json`, `object`, `features`) are any value. */
type InputOf<F extends FieldSpec> = F extends { kind: 'json' | 'object' | 'features' }
  ? unknown
  : F extends { kind: 'list'; of: infer E extends FieldSpec }
    ? InputOf<E>[]
    : F extends { kind: 'record'; fields: infer S extends ArgSpec }
      ? InputArgsOf<S>
      : ValueOf<F>;

type InputRequiredKeys<S extends ArgSpec> = {
  [K in keyof S]: S[K] extends { optional: true } | { kind: 'json' | 'features' } ? never : K;
}[keyof S];

/** The arguments a table accepts (what a door may send), to compare with the contract's. */
export type InputArgsOf<S extends ArgSpec> = { [K in InputRequiredKeys<S>]: InputOf<S[K]> } & {
  [K in Exclude<keyof S, InputRequiredKeys<S>>]?: InputOf<S[K]>;
};

/** What confinement needs: the session's workspace (absent in tests of tables without paths). */
export interface ArgContext {
  workspace?: Workspace;
}

const MAX_STRING = 4096;

/**
 * Checks `raw` against `spec` for `request`; the first problem becomes an `invalid-arguments`
 * ApiError naming the request and the field (a missing folder is `not-found`, as before).
 */
export function checkArgs<S extends ArgSpec>(request: string, spec: S, raw: unknown, context: ArgContext = {}): ArgsOf<S> {
  return checkRecord(request, spec, raw, context) as ArgsOf<S>;
}

function checkRecord(
  where: string,
  spec: ArgSpec,
  raw: unknown,
  context: ArgContext,
  oneOf?: readonly (readonly string[])[],
): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ApiError('invalid-arguments', `${where}: arguments must be an object`);
  }
  const args = raw as Record<string, unknown>;
  const checked: Record<string, unknown> = {};
  for (const [field, fieldSpec] of Object.entries(spec)) {
    const value = args[field];
    if (value === undefined && fieldSpec.kind === 'features') {
      checked[field] = checkValue(where, field, fieldSpec, {}, context);
    } else if (value === undefined) {
      if (!fieldSpec.optional && fieldSpec.kind !== 'json') throw invalid(where, field, 'is required');
    } else {
      checked[field] = checkValue(where, field, fieldSpec, value, context);
    }
  }
  if (oneOf && oneOf.filter((fields) => fields.every((f) => checked[f] !== undefined)).length !== 1) {
    const shapes = oneOf.map((fields) => `{${fields.join(', ')}}`).join(' or ');
    throw new ApiError('invalid-arguments', `${where}: must be ${shapes}`);
  }
  return checked;
}

function invalid(where: string, field: string, problem: string): ApiError {
  return new ApiError('invalid-arguments', `${where}: '${field}' ${problem}`);
}

function checkValue(where: string, field: string, spec: FieldSpec, value: unknown, context: ArgContext): unknown {
  switch (spec.kind) {
    case 'string': {
      const text = nonEmptyString(where, field, value, spec.maxLength ?? MAX_STRING);
      if (spec.pattern && !spec.pattern.test(text))
        throw invalid(where, field, `must be ${spec.shape ?? `like ${spec.pattern}`} (got ${JSON.stringify(text)})`);
      return text;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(where, field, 'must be true or false');
      return value;
    case 'integer': {
      const { min = -Infinity, max = Infinity } = spec;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
        throw invalid(where, field, `must be a whole number${rangeText(min, max)} (got ${JSON.stringify(value)})`);
      return value;
    }
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value))
        throw invalid(where, field, `must be one of ${spec.values.join(', ')} (got ${JSON.stringify(value)})`);
      return value;
    case 'runId': {
      const text = nonEmptyString(where, field, value, MAX_STRING);
      if (!isRunId(text)) throw invalid(where, field, `is not a run id: ${JSON.stringify(text)}`);
      return text;
    }
    case 'runName': {
      const text = nonEmptyString(where, field, value, MAX_STRING);
      const problem = runNameProblem(text);
      if (problem) throw new ApiError('invalid-arguments', `${where}: ${problem}`);
      return text;
    }
    case 'path':
      return checkPath(where, field, spec, nonEmptyString(where, field, value, MAX_STRING), context);
    case 'json':
      return value;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new ApiError('invalid-arguments', `${where} (${field}): arguments must be an object`);
      const set = (spec.without ?? []).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
      if (set.length > 0) {
        const keys = spec.without!.map((key) => `'${key}'`).join(' or ');
        throw new ApiError('invalid-arguments', `${where}: the ${field} may not set ${keys}${spec.because ? `: ${spec.because}` : ''}`);
      }
      return value;
    }
    case 'features': {
      let config: FeatureConfig;
      try {
        config = resolveFeatureConfig(value);
      } catch (err) {
        throw new ApiError('invalid-arguments', `${where} (${field}): ${err instanceof Error ? err.message : String(err)}`);
      }
      // An encoder folder is read only once the user chose it (encoders.open), as a dataset is opened.
      if (config.representation === 'encoder' && context.workspace) context.workspace.confineEncoder(config.encoderDir, where);
      return config;
    }
    case 'list': {
      if (!Array.isArray(value)) throw invalid(where, field, 'must be a list');
      if (value.length > spec.maxItems) throw invalid(where, field, `has more than ${spec.maxItems} entries`);
      if (value.length < (spec.minItems ?? 0)) throw invalid(where, field, `needs at least ${spec.minItems} entries`);
      const items = value.map((item, i) => checkValue(where, `${field}[${i}]`, spec.of, item, context));
      if (spec.unique && new Set(items).size !== items.length) throw invalid(where, field, `lists a ${spec.unique} twice`);
      return items;
    }
    case 'record':
      return checkRecord(`${where} (${field})`, spec.fields, value, context, spec.oneOf);
  }
}

function nonEmptyString(where: string, field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw invalid(where, field, 'must be a non-empty string');
  if (value.length > maxLength)
    throw invalid(where, field, maxLength === MAX_STRING ? 'is too long' : `is longer than ${maxLength} characters`);
  return value;
}

function rangeText(min: number, max: number): string {
  if (Number.isFinite(min) && Number.isFinite(max)) return ` from ${min} to ${max}`;
  if (Number.isFinite(min)) return ` ≥ ${min}`;
  if (Number.isFinite(max)) return ` ≤ ${max}`;
  return '';
}

function checkPath(where: string, field: string, spec: Extract<FieldSpec, { kind: 'path' }>, path: string, context: ArgContext): string {
  if (spec.exists === 'folder') {
    if (!existsSync(path)) throw new ApiError('not-found', `${where}: folder not found: ${path}`);
    if (!statSync(path).isDirectory()) throw new ApiError('invalid-arguments', `${where}: not a folder: ${path}`);
  }
  if (!spec.confine) return path;
  if (!context.workspace) throw new Error(`${where}: '${field}' needs the workspace to be confined`);
  const real = spec.confine === 'study' ? context.workspace.confineStudy(path, where) : context.workspace.confine(path, where);
  return spec.asGiven ? resolve(path) : real;
}
