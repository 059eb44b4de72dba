/**
 * The Train view's form, generated from the engine's field table (main/schema/trainingFields.ts):
 * one value per field path (text as typed, so a bad entry can be named; booleans as booleans),
 * defaults from the presets, field-level messages meant for the user, and conversion to the
 * overrides that 'training.validate' and 'training.start' take. Adding a field to the table adds
 * it here and in the view; the engine validates again on start.
 */
import type { FeatureOverrides, TrainingConfig, TrainingOverrides } from '../../../main/api/contract';
import {
  checkFieldValue,
  describeValue,
  isPlainObject,
  orList,
  setValueAt,
  valueAt,
  type FieldSpec,
  type NumberFieldSpec,
} from '../../../main/schema/fields';
import { FEATURE_FIELDS } from '../../../main/schema/featureFields';
import { normalizationProblem } from '../../../main/schema/names';
import { MAX_RUN_NAME_LENGTH } from '../../../main/schema/runLimits';
import {
  presetsFromTable,
  trainingFieldApplies,
  TRAINING_FIELDS,
  TRAINING_GROUPS,
  type TrainingFieldPath,
  type TrainingFieldTable,
  type TrainingGroup,
} from '../../../main/schema/trainingFields';

export type PresetName = TrainingConfig['preset'];

export type TrainFormField = TrainingFieldPath | 'name';
/** Field path → its text (a boolean field's value is a boolean); `name` is the run name. */
export type TrainFormValues = Record<TrainFormField, string | boolean>;
export type TrainFormErrors = Partial<Record<TrainFormField, string>>;

const FIELD_PATHS = Object.keys(TRAINING_FIELDS) as TrainingFieldPath[];
const spec = (path: TrainingFieldPath): FieldSpec => (TRAINING_FIELDS as TrainingFieldTable)[path];

/** The form's parts, each with its fields in table order. */
export const FORM_GROUPS: { id: TrainingGroup; title: string; fields: { path: TrainingFieldPath; spec: FieldSpec }[] }[] =
  TRAINING_GROUPS.map((group) => ({
    ...group,
    fields: FIELD_PATHS.filter((path) => spec(path).group === group.id).map((path) => ({ path, spec: spec(path) })),
  }));

/** The form filled from a full configuration (a preset, or a run's stored config). */
export function formFromConfig(config: TrainingConfig, name = ''): TrainFormValues {
  const values = { name } as TrainFormValues;
  for (const path of FIELD_PATHS) {
    const value = valueAt(config, path);
    values[path] = typeof value === 'boolean' ? value : Array.isArray(value) ? value.join(', ') : value === undefined ? '' : String(value);
  }
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
export const PRESET_FIELDS: readonly TrainingFieldPath[] = FIELD_PATHS.filter((path) => isPlainObject(spec(path).default));

/** Switching preset resets the recipe fields (PRESET_FIELDS) to the new preset's values. */
export function applyPreset(values: TrainFormValues, preset: TrainingConfig): TrainFormValues {
  const fresh = formFromConfig(preset);
  const recipe = Object.fromEntries(PRESET_FIELDS.map((field) => [field, fresh[field]]));
  return { ...values, ...recipe, preset: preset.preset };
}

/**
 * The preset the form starts from. Not the table's default (`full`, what `ser train` uses): the
 * form is for trying things, and 50 epochs of the full recipe take long on a CPU backend.
 */
export const FORM_PRESET: PresetName = 'quick';

/** Why the form starts from FORM_PRESET while the CLI starts from the table's default (null when they agree). */
export function formPresetNote(presets: Record<PresetName, TrainingConfig>): string | null {
  const cliPreset: PresetName = TRAINING_FIELDS.preset.default;
  if (cliPreset === FORM_PRESET) return null;
  return (
    `The form starts from ${FORM_PRESET} (${presets[FORM_PRESET].epochs} epochs, a first result in minutes); ` +
    `\`ser train\` starts from ${cliPreset} (${presets[cliPreset].epochs} epochs, the measured best recipe).`
  );
}

/** The preset select's text: "quick (5 epochs)", or "quick (edited)" once a field differs from the preset. */
export function presetLabel(values: TrainFormValues, preset: TrainingConfig): string {
  if (values.preset !== preset.preset) return `${preset.preset} (${preset.epochs} epochs)`;
  const fresh = formFromConfig(preset);
  const edited = FIELD_PATHS.some((path) => values[path] !== fresh[path]);
  return `${preset.preset} (${edited ? 'edited' : `${preset.epochs} epochs`})`;
}

/**
 * False while another field's value makes this one irrelevant (e.g. warm-up under the plateau
 * schedule), or while that field does not apply itself (warm-up under a classical model).
 */
export function fieldApplies(values: TrainFormValues, path: TrainingFieldPath): boolean {
  return trainingFieldApplies(path, (field) => values[field]);
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
function checkFormField(path: TrainingFieldPath, value: string | boolean): string | null {
  return checkFieldText(spec(path), value);
}

/** The message for a form value (text as typed; a boolean for a boolean field) of any table's field, or null when valid. */
export function checkFieldText(fieldSpec: FieldSpec, value: string | boolean): string | null {
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
    case 'text':
      return String(value).length > fieldSpec.maxLength ? `${fieldSpec.label}: at most ${fieldSpec.maxLength} characters` : null;
  }
}

/** Per field, the choices another setting rules out: value → why. */
export type UnavailableChoices = Partial<Record<TrainingFieldPath, Readonly<Record<string, string>>>>;

/**
 * The choices the feature settings (the Dataset view's, as overrides of the defaults) rule out:
 * per-clip normalisation of feature vectors, which would turn every clip into zeros.
 */
export function unavailableChoices(features: FeatureOverrides): UnavailableChoices {
  const representation = features.representation ?? FEATURE_FIELDS.representation.default;
  const pooling = features.encoderPooling ?? FEATURE_FIELDS.encoderPooling.default;
  const clip = normalizationProblem('clip', representation, pooling);
  return clip ? { normalization: { clip } } : {};
}

/**
 * Every invalid field with its message (an empty object when the form is valid). `speakers` are
 * the dataset's speaker ids: named split speakers must be among them; a field set to a choice in
 * `unavailable` gets that choice's reason.
 */
export function validateTrainForm(
  values: TrainFormValues,
  speakers: readonly string[],
  unavailable: UnavailableChoices = {},
): TrainFormErrors {
  const errors: TrainFormErrors = {};
  if (String(values.name).trim().length > MAX_RUN_NAME_LENGTH) errors.name = `Name must be at most ${MAX_RUN_NAME_LENGTH} characters`;
  for (const path of FIELD_PATHS) {
    // A field that does not apply is not sent when optional (split speakers under a random split).
    if (spec(path).optional && !fieldApplies(values, path)) continue;
    const message = checkFormField(path, values[path]) ?? unavailable[path]?.[String(values[path])];
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
  const overrides: Record<string, unknown> = {};
  for (const path of FIELD_PATHS) {
    const fieldSpec = spec(path);
    const raw = values[path];
    if (fieldSpec.optional && (!fieldApplies(values, path) || String(raw).trim() === '')) continue;
    let value: unknown = raw;
    if (fieldSpec.kind === 'number' || fieldSpec.kind === 'integer') value = Number(String(raw).trim());
    else if (fieldSpec.kind === 'list') value = parseSpeakers(String(raw));
    if (fieldSpec.kind === 'list' && (value as string[]).length === 0) continue;
    setValueAt(overrides, path, checkFieldValue(path, fieldSpec, value));
  }
  return overrides as TrainingOverrides;
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
