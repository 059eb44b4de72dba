/** Small helpers shared by the CLI commands: typed option parsing with clear errors, and flags from a field table. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SCHEME_CHOICES, type SchemeChoice } from '../schema/datasetSchemes';
import { BACKEND_NAMES, type BackendName } from '../schema/backend';
import { describeRange, isPlainObject, parseFieldText, setValueAt, type AnyFieldTable, type FieldSpec } from '../schema/fields';

/** An error whose message is shown to the user as the one-line reason, exit code 1. */
export class CliError extends Error {}

/**
 * The command did part of what it was asked and printed those results; the message says what
 * failed (some files, some members). Exit code 2, so a script can tell it from a plain failure.
 */
export class PartialFailure extends CliError {}

/** Exit codes: every command, documented in `ser --help` and the README. */
export const EXIT = { ok: 0, failed: 1, partlyFailed: 2 } as const;

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends OptionSpec>(argv: string[], options: O) {
  try {
    return parseArgs({ args: withNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(parseErrorMessage(err as Error & { code?: string }, options));
  }
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * `--fmin -50` as `--fmin=-50`: parseArgs takes a value starting with '-' for another option and
 * refuses it, so a negative number would get "ambiguous" instead of the option's own range error.
 */
function withNegativeValues(argv: readonly string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const next = argv[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (
      name !== undefined &&
      Object.hasOwn(options, name) &&
      options[name]!.type === 'string' &&
      next !== undefined &&
      NEGATIVE_NUMBER.test(next)
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** parseArgs's errors in one line each, an unknown option with the nearest known one. */
function parseErrorMessage(err: Error & { code?: string }, options: OptionSpec): string {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const given = unknown[1]!;
    if (NEGATIVE_NUMBER.test(given)) return `${given}: a negative number is not a valid argument here`;
    const near = nearestOption(given.replace(/^-+/, '').split('=')[0]!, Object.keys(options));
    return `unknown option ${given}${near ? ` (did you mean --${near}?)` : ''}: --help lists the options`;
  }
  const option = /^Option '(-[^ ']*)/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (/argument missing/.test(err.message)) return `${option} needs a value`;
    if (/argument is ambiguous/.test(err.message)) return `${option} needs a value (for one that starts with '-', write ${option}=VALUE)`;
    if (/does not take an argument/.test(err.message)) return `${option} takes no value`;
  }
  return err.message.split('\n')[0]!;
}

/** The known option closest to `name` by edit distance, when it is close enough to be a typo. */
export function nearestOption(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length]!;
}

export function requirePositional(positionals: string[], index: number, what: string): string {
  const value = positionals[index];
  if (value === undefined) throw new CliError(`missing ${what}`);
  return value;
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseNumberOption(
  value: string | undefined,
  name: string,
  opts: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  // Decimal text only: Number() would also take '0x1', '1e3' for an integer, '' or '  '.
  const n = (opts.integer ? INTEGER_TEXT : DECIMAL_TEXT).test(value) ? Number(value) : Number.NaN;
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
    case 'text':
      return spec.picks === 'folder' ? ' DIR' : ' TEXT';
  }
}

/** Usage lines for a field table's flags, with each field's help and its defaults (per preset where they differ). */
export function fieldUsage(table: AnyFieldTable, skip: readonly string[] = []): string[] {
  return flagged(table, skip).map(([, spec, flag]) => {
    const name = spec.kind === 'boolean' ? `--${flag} | --no-${flag}` : `--${flag}${valueHint(spec)}`;
    return `    ${name.padEnd(34)} ${spec.help}${spec.kind === 'number' || spec.kind === 'integer' ? `, ${describeRange(spec)}` : ''}${defaultText(spec)}`;
  });
}
