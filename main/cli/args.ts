/** Small helpers shared by the CLI commands: typed option parsing with clear errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SCHEME_NAMES, type SchemeName } from '../dataset';
import { BACKEND_NAMES, type BackendName } from '../compute/backend-info';
import { AVERAGING_BATCH_NORM_MODES, LR_SCHEDULES, WEIGHT_AVERAGING_MODES } from '../schema/names';

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

export function parseNumberOption(value: string | undefined, name: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
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
export function parseSchemeOption(value: string | undefined): SchemeName | 'auto' | undefined {
  return parseChoice(value, 'scheme', ['auto', ...SCHEME_NAMES] as const);
}

/** `--backend auto|<backend>`, validated; undefined when not given. */
export function parseBackendOption(value: string | undefined): BackendName | 'auto' | undefined {
  return parseChoice(value, 'backend', ['auto', ...BACKEND_NAMES] as const);
}

/**
 * `train` flags for the LR schedule and the shipped checkpoint, as one spec + parser so the train
 * command only spreads them in: `--lr-schedule plateau|cosine`, `--warmup-epochs N`,
 * `--weight-averaging none|last|top`, `--average-epochs K`, `--average-bn recompute|average`,
 * `--label-smoothing S`. The engine validates the values again (resolveTrainingConfig).
 */
export const TRAINING_RECIPE_OPTIONS = {
  'lr-schedule': { type: 'string' },
  'warmup-epochs': { type: 'string' },
  'weight-averaging': { type: 'string' },
  'average-epochs': { type: 'string' },
  'average-bn': { type: 'string' },
  'label-smoothing': { type: 'string' },
} as const satisfies OptionSpec;

export const TRAINING_RECIPE_USAGE =
  '[--lr-schedule plateau|cosine] [--warmup-epochs N] [--weight-averaging none|last|top] [--average-epochs K] [--average-bn recompute|average] [--label-smoothing 0.1]';

export function parseTrainingRecipeOptions(values: { [K in keyof typeof TRAINING_RECIPE_OPTIONS]?: string | boolean }) {
  const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  return {
    lrSchedule: parseChoice(str(values['lr-schedule']), 'lr-schedule', LR_SCHEDULES),
    warmupEpochs: parseNumberOption(str(values['warmup-epochs']), 'warmup-epochs', { integer: true, min: 0 }),
    weightAveraging: parseChoice(str(values['weight-averaging']), 'weight-averaging', WEIGHT_AVERAGING_MODES),
    averageEpochs: parseNumberOption(str(values['average-epochs']), 'average-epochs', { integer: true, min: 1 }),
    averageBatchNorm: parseChoice(str(values['average-bn']), 'average-bn', AVERAGING_BATCH_NORM_MODES),
    labelSmoothing: parseNumberOption(str(values['label-smoothing']), 'label-smoothing', { min: 0, max: 0.99 }),
  };
}
