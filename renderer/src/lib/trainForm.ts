/**
 * The Train view's form, generated from the engine's field tables (main/schema/trainingFields.ts,
 * and featureFields.ts for the input features, as `features.<field>`): one value per field path
 * (text as typed, so a bad entry can be named; booleans as booleans), defaults from the presets,
 * field-level messages meant for the user, and conversion to the overrides that
 * 'training.validate' and 'training.start' take. Adding a field to a table adds it here and in the
 * view; the engine validates again on start.
 */
import type { FeatureOverrides, TrainingConfig, TrainingOverrides } from '../../../main/api/contract';
import { FEATURE_FIELDS, type FeatureConfig } from '../../../main/schema/featureFields';
import {
  checkFieldValue,
  defaultsFromTable,
  describeValue,
  isPlainObject,
  orList,
  setValueAt,
  valueAt,
  type FieldSpec,
  type NumberFieldSpec,
} from '../../../main/schema/fields';
import {
  presetsFromTable,
  TRAINING_FIELD_APPLIES,
  TRAINING_FIELDS,
  TRAINING_GROUPS,
  type TrainingFieldPath,
  type TrainingFieldTable,
  type TrainingGroup,
} from '../../../main/schema/trainingFields';

export type PresetName = TrainingConfig['preset'];

/** A feature-config field as the form names it. */
export type FeatureFieldPath = `features.${keyof typeof FEATURE_FIELDS & string}`;
export type FormFieldPath = TrainingFieldPath | FeatureFieldPath;
export type TrainFormField = FormFieldPath | 'name';
/** Field path → its text (a boolean field's value is a boolean); `name` is the run name. */
export type TrainFormValues = Record<TrainFormField, string | boolean>;
export type TrainFormErrors = Partial<Record<TrainFormField, string>>;

export const MAX_NAME_LENGTH = 120;

const FEATURE_PREFIX = 'features.';
const TRAINING_PATHS = Object.keys(TRAINING_FIELDS) as TrainingFieldPath[];
const FEATURE_PATHS = Object.keys(FEATURE_FIELDS).map((key) => `${FEATURE_PREFIX}${key}`) as FeatureFieldPath[];
const FIELD_PATHS: FormFieldPath[] = [...TRAINING_PATHS, ...FEATURE_PATHS];
const isFeature = (path: FormFieldPath): path is FeatureFieldPath => path.startsWith(FEATURE_PREFIX);
const spec = (path: FormFieldPath): FieldSpec =>
  isFeature(path)
    ? (FEATURE_FIELDS as Record<string, FieldSpec>)[path.slice(FEATURE_PREFIX.length)]!
    : (TRAINING_FIELDS as TrainingFieldTable)[path];

/** The feature config's defaults, from its field table. */
export const DEFAULT_FEATURES = defaultsFromTable(FEATURE_FIELDS, 'default') as unknown as FeatureConfig;

export type FormGroupId = TrainingGroup | 'features';

/** The form's parts, each with its fields in table order; the input features last. */
export const FORM_GROUPS: { id: FormGroupId; title: string; fields: { path: FormFieldPath; spec: FieldSpec }[] }[] = [
  ...TRAINING_GROUPS.map((group) => ({
    ...group,
    fields: TRAINING_PATHS.filter((path) => spec(path).group === group.id).map((path) => ({ path, spec: spec(path) })),
  })),
  { id: 'features', title: 'Input features', fields: FEATURE_PATHS.map((path) => ({ path, spec: spec(path) })) },
];

function fieldText(value: unknown): string | boolean {
  return typeof value === 'boolean' ? value : Array.isArray(value) ? value.join(', ') : value === undefined ? '' : String(value);
}

/** The form filled from a full configuration (a preset, or a run's stored configs). */
export function formFromConfig(config: TrainingConfig, name = '', features: FeatureConfig = DEFAULT_FEATURES): TrainFormValues {
  const values = { name } as TrainFormValues;
  for (const path of TRAINING_PATHS) values[path] = fieldText(valueAt(config, path));
  for (const path of FEATURE_PATHS) values[path] = fieldText(valueAt(features, path.slice(FEATURE_PREFIX.length)));
  return values;
}

/** A preset's form as a table gives it (the Train view uses the engine's TRAINING_FIELDS). */
export function formDefaults(preset: PresetName, table: TrainingFieldTable = TRAINING_FIELDS): TrainFormValues {
  return formFromConfig(presetsFromTable(table)[preset]);
}

/**
 * The recipe fields a preset sets (those with a default per preset): switching preset resets these
 * and keeps every other edit (model, data, augmentation, split, seed, …).
 */
export const PRESET_FIELDS: readonly TrainingFieldPath[] = TRAINING_PATHS.filter((path) => isPlainObject(spec(path).default));

/** Switching preset resets the recipe fields (PRESET_FIELDS) to the new preset's values. */
export function applyPreset(values: TrainFormValues, preset: TrainingConfig): TrainFormValues {
  const fresh = formFromConfig(preset);
  const recipe = Object.fromEntries(PRESET_FIELDS.map((field) => [field, fresh[field]]));
  return { ...values, ...recipe, preset: preset.preset };
}

/** The preset select's text: "quick (5 epochs)", or "quick (edited)" once a field differs from the preset. */
export function presetLabel(values: TrainFormValues, preset: TrainingConfig): string {
  if (values.preset !== preset.preset) return `${preset.preset} (${preset.epochs} epochs)`;
  const fresh = formFromConfig(preset);
  const edited = TRAINING_PATHS.some((path) => values[path] !== fresh[path]);
  return `${preset.preset} (${edited ? 'edited' : `${preset.epochs} epochs`})`;
}

/** False while another field's value makes this one irrelevant (e.g. warm-up under the plateau schedule). */
export function fieldApplies(values: TrainFormValues, path: FormFieldPath): boolean {
  const rule = isFeature(path) ? undefined : TRAINING_FIELD_APPLIES[path];
  return !rule || rule.values.includes(String(values[rule.path]));
}

/** "03, 08 09" → ['03', '08', '09'] (duplicates dropped, order kept). */
export function parseSpeakers(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}

/** The message for one numeric field, or null when the text is a valid value. */
function checkNumber(text: string, numberSpec: NumberFieldSpec): string | null {
  const title = numberSpec.label;
  const trimmed = text.trim();
  if (trimmed === '') return numberSpec.optional ? null : `${title} is required`;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return `${title} must be a number (got '${trimmed}')`;
  if (numberSpec.kind === 'integer' && !Number.isInteger(value)) return `${title} must be a whole number (got ${trimmed})`;
  const belowMin = numberSpec.minOpen ? value <= numberSpec.min : value < numberSpec.min;
  const aboveMax = numberSpec.maxOpen ? value >= numberSpec.max : value > numberSpec.max;
  if (belowMin || aboveMax) {
    const low =
      (numberSpec.minOpen ? `greater than ${numberSpec.min}` : `at least ${numberSpec.min}`) +
      (numberSpec.minNote ? ` ${numberSpec.minNote}` : '');
    const high = numberSpec.maxOpen ? `less than ${numberSpec.max}` : `at most ${numberSpec.max}`;
    return `${title} must be ${low} and ${high} (got ${trimmed})`;
  }
  return null;
}

/** The message for one field's form value, or null when it is valid. */
function checkFormField(path: FormFieldPath, value: string | boolean): string | null {
  const fieldSpec = spec(path);
  switch (fieldSpec.kind) {
    case 'number':
    case 'integer':
      return checkNumber(String(value), fieldSpec);
    case 'list': {
      const items = parseSpeakers(String(value));
      if (items.length > fieldSpec.maxItems) return `${fieldSpec.label}: at most ${fieldSpec.maxItems} entries`;
      const tooLong = items.find((item) => item.length > fieldSpec.maxLength);
      return tooLong ? `${fieldSpec.label}: '${tooLong.slice(0, 20)}…' is longer than ${fieldSpec.maxLength} characters` : null;
    }
    case 'enum':
      return fieldSpec.choices.some((c) => c.value === value)
        ? null
        : `${fieldSpec.label} must be ${orList(fieldSpec.choices.map((c) => c.title))} (got ${describeValue(value)})`;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${fieldSpec.label} must be on or off`;
  }
}

/**
 * Every invalid field with its message (an empty object when the form is valid). `speakers` are
 * the dataset's speaker ids: named split speakers must be among them.
 */
export function validateTrainForm(values: TrainFormValues, speakers: readonly string[]): TrainFormErrors {
  const errors: TrainFormErrors = {};
  if (String(values.name).trim().length > MAX_NAME_LENGTH) errors.name = `Name must be at most ${MAX_NAME_LENGTH} characters`;
  for (const path of FIELD_PATHS) {
    // A field that does not apply is not sent when optional (split speakers under a random split).
    if (spec(path).optional && !fieldApplies(values, path)) continue;
    const message = checkFormField(path, values[path]);
    if (message) errors[path] = message;
  }
  if (values['split.kind'] === 'speaker') {
    for (const [path, message] of Object.entries(validateSplitSpeakers(values, speakers))) errors[path as TrainFormField] ??= message;
  }
  return errors;
}

function validateSplitSpeakers(values: TrainFormValues, speakers: readonly string[]): TrainFormErrors {
  const errors: TrainFormErrors = {};
  const known = new Set(speakers);
  const test = parseSpeakers(String(values['split.testSpeakers']));
  const val = parseSpeakers(String(values['split.valSpeakers']));
  const unknown = (ids: string[]) => ids.filter((id) => !known.has(id));
  const unknownTest = unknown(test);
  const unknownVal = unknown(val);
  if (unknownTest.length) errors['split.testSpeakers'] = `Not a speaker of this dataset: ${unknownTest.join(', ')}`;
  if (unknownVal.length) errors['split.valSpeakers'] = `Not a speaker of this dataset: ${unknownVal.join(', ')}`;
  const both = test.filter((id) => val.includes(id));
  if (both.length && !errors['split.valSpeakers']) errors['split.valSpeakers'] = `In both test and validation: ${both.join(', ')}`;
  if (!errors['split.testSpeakers'] && !errors['split.valSpeakers'] && known.size > 0) {
    const held = new Set([...test, ...val]);
    if ([...known].every((id) => held.has(id))) errors['split.valSpeakers'] = 'Leave at least one speaker for training';
  }
  return errors;
}

export function isValid(errors: TrainFormErrors): boolean {
  return Object.keys(errors).length === 0;
}

/**
 * The overrides for a valid form: every field explicit, so the run records exactly what was asked,
 * except optional fields left empty or not applying (speakers under a random split).
 */
export function toOverrides(values: TrainFormValues): TrainingOverrides {
  return collectOverrides(values, TRAINING_PATHS, '') as TrainingOverrides;
}

/** The feature-config overrides for a valid form: every feature field explicit. */
export function toFeatureOverrides(values: TrainFormValues): FeatureOverrides {
  return collectOverrides(values, FEATURE_PATHS, FEATURE_PREFIX) as FeatureOverrides;
}

function collectOverrides(values: TrainFormValues, paths: readonly FormFieldPath[], prefix: string): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const path of paths) {
    const fieldSpec = spec(path);
    const raw = values[path];
    if (fieldSpec.optional && (!fieldApplies(values, path) || String(raw).trim() === '')) continue;
    let value: unknown = raw;
    if (fieldSpec.kind === 'number' || fieldSpec.kind === 'integer') value = Number(String(raw).trim());
    else if (fieldSpec.kind === 'list') value = parseSpeakers(String(raw));
    // An empty list is sent when the field allows it (no extra descriptors); optional ones are left out.
    if (fieldSpec.kind === 'list' && (value as string[]).length === 0 && fieldSpec.optional) continue;
    setValueAt(overrides, path.slice(prefix.length), checkFieldValue(path, fieldSpec, value));
  }
  return overrides;
}

/** The run name to send ('' → let the engine name it). */
export function runName(values: TrainFormValues): string | undefined {
  const name = String(values.name).trim();
  return name === '' ? undefined : name;
}

/** "1,234,567" parameters as "1.23 M" / "45.6 k" for the model select. */
export function parameterCount(parameters: number): string {
  if (parameters >= 1e6) return `${(parameters / 1e6).toFixed(2)} M`;
  if (parameters >= 1e3) return `${(parameters / 1e3).toFixed(1)} k`;
  return String(parameters);
}
