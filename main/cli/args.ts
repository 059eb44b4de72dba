/** Small helpers shared by the CLI commands: typed option parsing with clear errors, and flags from a field table. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SCHEME_CHOICES, type SchemeChoice } from '../schema/datasetSchemes';
import { BACKEND_NAMES, type BackendName } from '../schema/backend';
import { describeRange, isPlainObject, parseFieldText, setValueAt, type AnyFieldTable, type FieldSpec } from '../schema/fields';

/** An error whose message is shown to the user as the one-line reason, exit code 1. */
export class CliError extends Error {}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends OptionSpec>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export function requirePositional(positionals: string[], index: number, what: string): string {
  const value = positionals[index];
  if (value === undefined) throw new CliError(`missing ${what}`);
  return value;
}

export function parseNumberOption(
  value: string | undefined,
  name: string,
  opts: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) {
    throw new CliError(`--${name} must be ${opts.integer ? 'an integer' : 'a number'}, got '${value}'`);
  }
  if (opts.min !== undefined && n < opts.min) throw new CliError(`--${name} must be ≥ ${opts.min}, got ${n}`);
  if (opts.max !== undefined && n > opts.max) throw new CliError(`--${name} must be ≤ ${opts.max}, got ${n}`);
  return n;
}

export function parseListOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function parseChoice<T extends string>(value: string | undefined, name: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new CliError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`);
  }
  return value as T;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** `--scheme auto|<scheme>`, validated; undefined when not given. */
export function parseSchemeOption(value: string | undefined): SchemeChoice | undefined {
  return parseChoice(value, 'scheme', SCHEME_CHOICES);
}

/** `--backend auto|<backend>`, validated; undefined when not given. */
export function parseBackendOption(value: string | undefined): BackendName | 'auto' | undefined {
  return parseChoice(value, 'backend', ['auto', ...BACKEND_NAMES] as const);
}

/** A field table's entries that have a CLI flag, as [path, spec, flag]. */
function flagged(table: AnyFieldTable, skip: readonly string[] = []): [string, FieldSpec, string][] {
  return Object.entries(table).flatMap(([path, spec]) =>
    spec.flag && !skip.includes(path) ? [[path, spec, spec.flag] as [string, FieldSpec, string]] : [],
  );
}

/**
 * parseArgs options for a field table's flags: `--flag VALUE` for every field, and `--flag` /
 * `--no-flag` for a boolean one. `skip` leaves fields out (paths).
 */
export function fieldOptions(table: AnyFieldTable, skip: readonly string[] = []): OptionSpec {
  const options: OptionSpec = {};
  for (const [, spec, flag] of flagged(table, skip)) {
    if (spec.kind === 'boolean') {
      options[flag] = { type: 'boolean' };
      options[`no-${flag}`] = { type: 'boolean' };
    } else {
      options[flag] = { type: 'string' };
    }
  }
  return options;
}

/**
 * The overrides the given flags spell (nested: `--aug-noise 0.1` → { augment: { noise: 0.1 } }),
 * each value parsed and checked against its field; an error names the flag, the field and the text.
 */
export function fieldOverrides(
  table: AnyFieldTable,
  values: Record<string, string | boolean | (string | boolean)[] | undefined>,
  skip: readonly string[] = [],
): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const [path, spec, flag] of flagged(table, skip)) {
    let value: unknown;
    if (spec.kind === 'boolean') {
      if (values[flag] === true && values[`no-${flag}`] === true) throw new CliError(`--${flag} and --no-${flag} contradict each other`);
      if (values[flag] === true) value = true;
      else if (values[`no-${flag}`] === true) value = false;
    } else if (typeof values[flag] === 'string') {
      try {
        value = parseFieldText(table, path, values[flag]);
      } catch (err) {
        throw new CliError(`--${flag}: ${(err as Error).message}`);
      }
    }
    if (value !== undefined) setValueAt(overrides, path, value);
  }
  return overrides;
}

function defaultText(spec: FieldSpec): string {
  const show = (value: unknown) => (Array.isArray(value) ? value.join(',') || 'none' : String(value));
  const value = spec.default;
  if (value === undefined) return '';
  if (isPlainObject(value)) {
    const shown = Object.entries(value).map(([preset, v]) => [preset, show(v)]);
    if (new Set(shown.map(([, v]) => v)).size === 1) return ` (default ${shown[0]![1]})`;
    return ` (default ${shown.map(([preset, v]) => `${v} ${preset}`).join(', ')})`;
  }
  return ` (default ${show(value)})`;
}

function valueHint(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'boolean':
      return '';
    case 'enum':
      return ` ${spec.choices.map((c) => c.value).join('|')}`;
    case 'list':
      return spec.choices ? ` a,b,… of ${spec.choices.map((c) => c.value).join('|')}` : ' a,b,…';
    case 'integer':
      return ' N';
    case 'number':
      return ' X';
  }
}

/** Usage lines for a field table's flags, with each field's help and its defaults (per preset where they differ). */
export function fieldUsage(table: AnyFieldTable, skip: readonly string[] = []): string[] {
  return flagged(table, skip).map(([, spec, flag]) => {
    const name = spec.kind === 'boolean' ? `--${flag} | --no-${flag}` : `--${flag}${valueHint(spec)}`;
    return `    ${name.padEnd(34)} ${spec.help}${spec.kind === 'number' || spec.kind === 'integer' ? `, ${describeRange(spec)}` : ''}${defaultText(spec)}`;
  });
}
