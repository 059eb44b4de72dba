/**
 * The study grid: `--grid field=v1,v2` parsed into typed values, expanded into cells (every
 * combination, first axis slowest) and applied to the base training config. Values are typed by
 * the training field table (the same one behind the CLI flags, the Train form and the engine's
 * validation), and every cell's config is checked by resolveTrainingConfig.
 */
import { checkFieldValue, type AnyFieldTable, type FieldSpec } from '../../schema/fields';
import { parseFieldValue, TRAINING_FIELDS } from '../../schema/trainingFields';
import { resolveTrainingConfig, type TrainingConfig } from '../../training/config';

export type GridValue = number | string | boolean;

export interface GridAxis {
  /** A training-config field, dotted for nested ones (augment.mixupAlpha). */
  field: string;
  values: GridValue[];
}

/** One cell's overrides: field → value, in axis order. */
export type CellOverrides = Record<string, GridValue>;

/** Fields the study itself decides: the seed list and the protocol's folds. */
const RESERVED: Record<string, string> = {
  seed: 'seeds are a study setting of their own: use --seeds 1,2,3',
  split: 'the protocol decides each member’s split',
  preset: 'a preset sets many fields at once: put the fields that differ in the grid instead',
};

/** The field-table entry of a field a grid may vary; throws for the others. */
function gridField(field: string): FieldSpec {
  const reserved = RESERVED[field.split('.')[0]!];
  if (reserved) throw new Error(`grid field '${field}' cannot be varied: ${reserved}`);
  const spec = (TRAINING_FIELDS as AnyFieldTable)[field];
  if (!spec) throw new Error(`grid field '${field}' is not a training setting (examples: model, learningRate, epochs, augment.mixupAlpha)`);
  if (spec.kind === 'list') throw new Error(`grid field '${field}' is a list: a grid varies single values`);
  return spec;
}

/** Parses one raw value for `field` with the training field table (type, range, choices). */
export function parseGridValue(_base: TrainingConfig, field: string, raw: string): GridValue {
  gridField(field);
  if (raw.trim() === '') throw new Error(`grid field '${field}' has an empty value`);
  return parseFieldValue(field, raw) as GridValue;
}

/** Checks an axis read back from a file: a field the grid may vary, each value valid for that field. */
export function checkGridAxis(_base: TrainingConfig, axis: GridAxis): void {
  const spec = gridField(axis.field);
  for (const value of axis.values) checkFieldValue(axis.field, spec, value);
}

/** `field=v1,v2,…` → a typed axis. */
export function parseGridOption(base: TrainingConfig, option: string): GridAxis {
  const eq = option.indexOf('=');
  if (eq <= 0) throw new Error(`--grid must look like field=v1,v2 (got '${option}')`);
  const field = option.slice(0, eq).trim();
  const values = option
    .slice(eq + 1)
    .split(',')
    .map((raw) => parseGridValue(base, field, raw));
  if (new Set(values).size !== values.length) throw new Error(`grid field '${field}' lists a value twice`);
  return { field, values };
}

/** Every combination of the axes' values, first axis slowest; no axes → one empty cell. */
export function expandGrid(axes: readonly GridAxis[]): CellOverrides[] {
  const fields = axes.map((a) => a.field);
  if (new Set(fields).size !== fields.length) throw new Error(`the grid names a field twice: ${fields.join(', ')}`);
  let cells: CellOverrides[] = [{}];
  for (const axis of axes) {
    if (axis.values.length === 0) throw new Error(`grid field '${axis.field}' has no values`);
    cells = cells.flatMap((cell) => axis.values.map((value) => ({ ...cell, [axis.field]: value })));
  }
  return cells;
}

/** The base config with a cell's overrides applied, validated. */
export function applyOverrides(base: TrainingConfig, overrides: CellOverrides): TrainingConfig {
  const config = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(overrides)) {
    const parts = field.split('.');
    let target = config;
    for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
    target[parts.at(-1)!] = value;
  }
  try {
    return resolveTrainingConfig(config as unknown as TrainingConfig);
  } catch (err) {
    throw new Error(`grid cell ${cellLabel(overrides)}: ${(err as Error).message}`, { cause: err });
  }
}

/** "model=res-cnn, learningRate=0.001", or "base" for the empty cell. */
export function cellLabel(overrides: CellOverrides): string {
  const parts = Object.entries(overrides).map(([field, value]) => `${field}=${String(value)}`);
  return parts.length > 0 ? parts.join(', ') : 'base';
}
