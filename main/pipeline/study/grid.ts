/**
 * The study grid: `--grid field=v1,v2` parsed into typed values, expanded into cells (every
 * combination, first axis slowest) and applied to the base configs. A field is a training-config
 * field (`model`, `augment.mixupAlpha`) or, prefixed with `features.`, a feature-config field
 * (`features.frames`). Values are typed by the field tables (the same ones behind the CLI flags, the
 * forms and the engine's validation), and every cell's configs are checked by the resolvers.
 */
import { resolveFeatureConfig, type FeatureConfig } from '../../features/config';
import { FEATURE_FIELDS } from '../../schema/featureFields';
import { representationInputKind } from '../../schema/names';
import { checkFieldValue, parseFieldText, setValueAt, type AnyFieldTable, type FieldSpec } from '../../schema/fields';
import { TRAINING_FIELDS } from '../../schema/trainingFields';
import { checkStudySize } from '../../schema/studyLimits';
import { resolveTrainingConfig, type TrainingConfig } from '../../training/config';

import type { CellOverrides, GridAxis, GridValue } from './gridTypes';

export type { CellOverrides, GridAxis, GridValue } from './gridTypes';

/** Fields the study itself decides: the seed list and the protocol's folds. */
const RESERVED: Record<string, string> = {
  seed: 'seeds are a study setting of their own: use --seeds 1,2,3',
  split: 'the protocol decides each member’s split',
  preset: 'a preset sets many fields at once: put the fields that differ in the grid instead',
};

/** Grid fields that vary the feature config carry this prefix. */
export const FEATURE_FIELD_PREFIX = 'features.';

/** The table and the field's path in it: training fields as they are, feature fields without the prefix. */
function fieldTable(field: string): { table: AnyFieldTable; path: string } {
  return field.startsWith(FEATURE_FIELD_PREFIX)
    ? { table: FEATURE_FIELDS, path: field.slice(FEATURE_FIELD_PREFIX.length) }
    : { table: TRAINING_FIELDS, path: field };
}

/** The field-table entry of a field a grid may vary; throws for the others. */
function gridField(field: string): FieldSpec {
  const { table, path } = fieldTable(field);
  if (table === TRAINING_FIELDS) {
    const reserved = RESERVED[field.split('.')[0]!];
    if (reserved) throw new Error(`grid field '${field}' cannot be varied: ${reserved}`);
  }
  const spec = table[path];
  if (!spec) {
    throw new Error(
      `grid field '${field}' is not a training or feature setting (examples: model, learningRate, augment.mixupAlpha, features.frames)`,
    );
  }
  if (spec.kind === 'list') throw new Error(`grid field '${field}' is a list: a grid varies single values`);
  return spec;
}

/** Parses one raw value for `field` with its field table (type, range, choices). */
export function parseGridValue(field: string, raw: string): GridValue {
  gridField(field);
  if (raw.trim() === '') throw new Error(`grid field '${field}' has an empty value`);
  const { table, path } = fieldTable(field);
  try {
    return parseFieldText(table, path, raw) as GridValue;
  } catch (err) {
    // Name the field as the grid does (features.frames), not as its table does (frames).
    const message = (err as Error).message;
    if (path !== field && message.startsWith(path)) throw new Error(field + message.slice(path.length), { cause: err });
    throw err;
  }
}

/** Checks an axis read back from a file: a field the grid may vary, each value valid for that field. */
export function checkGridAxis(axis: GridAxis): void {
  const spec = gridField(axis.field);
  for (const value of axis.values) checkFieldValue(axis.field, spec, value);
}

/** `field=v1,v2,…` → a typed axis. */
export function parseGridOption(option: string): GridAxis {
  const eq = option.indexOf('=');
  if (eq <= 0) throw new Error(`--grid must look like field=v1,v2 (got '${option}')`);
  const field = option.slice(0, eq).trim();
  const values = option
    .slice(eq + 1)
    .split(',')
    .map((raw) => parseGridValue(field, raw));
  if (new Set(values).size !== values.length) throw new Error(`grid field '${field}' lists a value twice`);
  return { field, values };
}

/** Checks the grid's shape without enumerating it: distinct fields, each with values. */
export function checkGridShape(axes: readonly GridAxis[]): void {
  const fields = axes.map((a) => a.field);
  if (new Set(fields).size !== fields.length) throw new Error(`the grid names a field twice: ${fields.join(', ')}`);
  for (const axis of axes) if (axis.values.length === 0) throw new Error(`grid field '${axis.field}' has no values`);
}

/** How many values each axis has (the grid has their product of cells). */
export function gridValueCounts(axes: readonly GridAxis[]): number[] {
  return axes.map((axis) => axis.values.length);
}

/** Every combination of the axes' values, first axis slowest; no axes → one empty cell. Refuses a grid over the study size limit. */
export function expandGrid(axes: readonly GridAxis[]): CellOverrides[] {
  checkGridShape(axes);
  checkStudySize({ gridValues: gridValueCounts(axes), seeds: 1 });
  let cells: CellOverrides[] = [{}];
  for (const axis of axes) {
    cells = cells.flatMap((cell) => axis.values.map((value) => ({ ...cell, [axis.field]: value })));
  }
  return cells;
}

/** The overrides of one table: training fields as they are, or feature fields without their prefix. */
function overridesFor(overrides: CellOverrides, features: boolean): [string, GridValue][] {
  return Object.entries(overrides).flatMap(([field, value]): [string, GridValue][] => {
    const isFeature = field.startsWith(FEATURE_FIELD_PREFIX);
    if (isFeature !== features) return [];
    return [[isFeature ? field.slice(FEATURE_FIELD_PREFIX.length) : field, value]];
  });
}

function applyTo<T>(base: T, entries: [string, GridValue][], overrides: CellOverrides, resolve: (config: unknown) => T): T {
  const config = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [path, value] of entries) setValueAt(config, path, value);
  try {
    return resolve(config);
  } catch (err) {
    throw new Error(`grid cell ${cellLabel(overrides)}: ${(err as Error).message}`, { cause: err });
  }
}

/** The base training config with a cell's training overrides applied, validated. */
export function applyOverrides(base: TrainingConfig, overrides: CellOverrides): TrainingConfig {
  return applyTo(base, overridesFor(overrides, false), overrides, resolveTrainingConfig);
}

/**
 * The base feature config with a cell's `features.*` overrides applied, validated. A cell with a
 * vector representation (acoustic functionals: one vector per clip) has one frame, whatever the
 * base's frame count for the matrices is, unless the cell sets `features.frames` itself.
 */
export function applyFeatureOverrides(base: FeatureConfig, overrides: CellOverrides): FeatureConfig {
  const entries = overridesFor(overrides, true);
  const representation = String(overrides[`${FEATURE_FIELD_PREFIX}representation`] ?? base.representation);
  const pooling = String(overrides[`${FEATURE_FIELD_PREFIX}encoderPooling`] ?? base.encoderPooling);
  if (representationInputKind(representation, pooling) === 'vector' && !(`${FEATURE_FIELD_PREFIX}frames` in overrides))
    entries.push(['frames', 1]);
  return applyTo(base, entries, overrides, resolveFeatureConfig);
}

/** "model=res-cnn, learningRate=0.001", or "base" for the empty cell. */
export function cellLabel(overrides: CellOverrides): string {
  const parts = Object.entries(overrides).map(([field, value]) => `${field}=${String(value)}`);
  return parts.length > 0 ? parts.join(', ') : 'base';
}
