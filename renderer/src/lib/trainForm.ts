/**
 * The Train view's form: its values (text as typed, so a bad entry can be named), defaults from
 * the engine's presets, field-level validation with messages meant for the user, and conversion to
 * the TrainingOverrides that 'training.validate' and 'training.start' take.
 *
 * The ranges mirror the engine's validateTrainingConfig; the engine validates again on start.
 */
import type { ModelName, OptimizerName, TrainingConfig, TrainingOverrides } from '../../../main/api/contract';

export type PresetName = TrainingConfig['preset'];
export type LossName = TrainingConfig['loss'];
export type SelectionMetric = TrainingConfig['bestBy'];
export type ClassWeightMode = TrainingConfig['classWeights'];
export type LrScheduleName = TrainingConfig['lrSchedule'];
export type WeightAveraging = TrainingConfig['weightAveraging'];
export type AveragingBatchNorm = TrainingConfig['averageBatchNorm'];
export type SplitKind = 'speaker' | 'random';

export interface TrainFormValues {
  name: string;
  model: ModelName;
  preset: PresetName;
  epochs: string;
  /** 0 = off (train all epochs). */
  earlyStoppingPatience: string;
  lrSchedule: LrScheduleName;
  /** ReduceLROnPlateau patience (lrSchedule 'plateau' only). */
  lrPatience: string;
  /** Linear warm-up before the cosine decay (lrSchedule 'cosine' only). */
  warmupEpochs: string;
  batchSize: string;
  learningRate: string;
  optimizer: OptimizerName;
  weightDecay: string;
  classWeights: ClassWeightMode;
  loss: LossName;
  labelSmoothing: string;
  balancedSampler: boolean;
  augNoise: string;
  augTimeShift: string;
  augFreqMask: string;
  augTimeMask: string;
  mixupAlpha: string;
  splitKind: SplitKind;
  /** Comma- or space-separated speaker ids; empty = assigned by ratio. */
  testSpeakers: string;
  valSpeakers: string;
  seed: string;
  bestBy: SelectionMetric;
  /** What checkpoints/best holds: the single best epoch, or a weight average of several. */
  weightAveraging: WeightAveraging;
  /** How many epochs are averaged (weightAveraging 'last' / 'top'). */
  averageEpochs: string;
  averageBatchNorm: AveragingBatchNorm;
}

export type TrainFormField = keyof TrainFormValues;
export type TrainFormErrors = Partial<Record<TrainFormField, string>>;

export const LOSS_CHOICES: { value: LossName; title: string }[] = [
  { value: 'cross-entropy', title: 'cross-entropy' },
  { value: 'focal', title: 'focal' },
];

export const BEST_BY_CHOICES: { value: SelectionMetric; title: string }[] = [
  { value: 'val_uar', title: 'validation UAR' },
  { value: 'val_accuracy', title: 'validation accuracy' },
  { value: 'val_macro_f1', title: 'validation macro-F1' },
  { value: 'val_loss', title: 'validation loss' },
];

export const CLASS_WEIGHT_CHOICES: { value: ClassWeightMode; title: string }[] = [
  { value: 'balanced', title: 'balanced' },
  { value: 'none', title: 'none' },
];

export const LR_SCHEDULE_CHOICES: { value: LrScheduleName; title: string }[] = [
  { value: 'cosine', title: 'cosine with warm-up' },
  { value: 'plateau', title: 'reduce on plateau' },
];

export const WEIGHT_AVERAGING_CHOICES: { value: WeightAveraging; title: string }[] = [
  { value: 'none', title: 'best single epoch' },
  { value: 'last', title: 'average of the last N epochs' },
  { value: 'top', title: 'average of the top N epochs' },
];

export const AVERAGE_BATCH_NORM_CHOICES: { value: AveragingBatchNorm; title: string }[] = [
  { value: 'recompute', title: 'recompute on training data' },
  { value: 'average', title: 'average' },
];

export const MAX_NAME_LENGTH = 120;

/** The form filled from a full configuration (a preset, or a run's stored config). */
export function formFromConfig(config: TrainingConfig, name = ''): TrainFormValues {
  return {
    name,
    model: config.model,
    preset: config.preset,
    epochs: String(config.epochs),
    earlyStoppingPatience: String(config.earlyStoppingPatience),
    lrSchedule: config.lrSchedule,
    lrPatience: String(config.lrPatience),
    warmupEpochs: String(config.warmupEpochs),
    batchSize: String(config.batchSize),
    learningRate: String(config.learningRate),
    optimizer: config.optimizer,
    weightDecay: String(config.weightDecay),
    classWeights: config.classWeights,
    loss: config.loss,
    labelSmoothing: String(config.labelSmoothing),
    balancedSampler: config.balancedSampler,
    augNoise: String(config.augment.noise),
    augTimeShift: String(config.augment.timeShift),
    augFreqMask: String(config.augment.freqMask),
    augTimeMask: String(config.augment.timeMask),
    mixupAlpha: String(config.augment.mixupAlpha),
    splitKind: config.split.kind,
    testSpeakers: (config.split.testSpeakers ?? []).join(', '),
    valSpeakers: (config.split.valSpeakers ?? []).join(', '),
    seed: String(config.seed),
    bestBy: config.bestBy,
    weightAveraging: config.weightAveraging,
    averageEpochs: String(config.averageEpochs),
    averageBatchNorm: config.averageBatchNorm,
  };
}

/**
 * The recipe fields a preset sets: switching preset resets these (the presets differ in them) and
 * keeps every other edit (model, data, augmentation, split, seed, …).
 */
export const PRESET_FIELDS = [
  'epochs',
  'earlyStoppingPatience',
  'lrPatience',
  'lrSchedule',
  'warmupEpochs',
  'weightDecay',
  'labelSmoothing',
  'weightAveraging',
  'averageEpochs',
  'averageBatchNorm',
] as const satisfies readonly TrainFormField[];

/** Switching preset resets the recipe fields (PRESET_FIELDS) to the new preset's values. */
export function applyPreset(values: TrainFormValues, preset: TrainingConfig): TrainFormValues {
  const fresh = formFromConfig(preset);
  const recipe = Object.fromEntries(PRESET_FIELDS.map((field) => [field, fresh[field]])) as Pick<TrainFormValues, (typeof PRESET_FIELDS)[number]>;
  return { ...values, ...recipe, preset: preset.preset };
}

/** "03, 08 09" → ['03', '08', '09'] (duplicates dropped, order kept). */
export function parseSpeakers(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}

type NumberCheck = {
  kind: 'integer' | 'number';
  min: number;
  max: number;
  minOpen?: boolean;
  maxOpen?: boolean;
  /** Said after the lower bound in the range message, e.g. '(0 = off)'. */
  minNote?: string;
};

const NUMBER_FIELDS: Partial<Record<TrainFormField, { title: string } & NumberCheck>> = {
  epochs: { title: 'Epochs', kind: 'integer', min: 1, max: 1000 },
  earlyStoppingPatience: { title: 'Early-stopping patience', kind: 'integer', min: 0, max: 1000, minNote: '(0 = off)' },
  lrPatience: { title: 'LR patience', kind: 'integer', min: 0, max: 1000 },
  warmupEpochs: { title: 'Warm-up epochs', kind: 'integer', min: 0, max: 1000 },
  batchSize: { title: 'Batch size', kind: 'integer', min: 1, max: 4096 },
  learningRate: { title: 'Learning rate', kind: 'number', min: 0, max: 10, minOpen: true },
  weightDecay: { title: 'Weight decay', kind: 'number', min: 0, max: 1, maxOpen: true },
  labelSmoothing: { title: 'Label smoothing', kind: 'number', min: 0, max: 1, maxOpen: true },
  averageEpochs: { title: 'Average epochs', kind: 'integer', min: 1, max: 1000 },
  augNoise: { title: 'Noise probability', kind: 'number', min: 0, max: 1 },
  augTimeShift: { title: 'Time-shift probability', kind: 'number', min: 0, max: 1 },
  augFreqMask: { title: 'Frequency-mask probability', kind: 'number', min: 0, max: 1 },
  augTimeMask: { title: 'Time-mask probability', kind: 'number', min: 0, max: 1 },
  mixupAlpha: { title: 'Mixup alpha', kind: 'number', min: 0, max: 10 },
  seed: { title: 'Seed', kind: 'integer', min: 0, max: 2 ** 32, maxOpen: true },
};

/** The message for one numeric field, or null when the text is a valid value. */
function checkNumber(text: string, title: string, check: NumberCheck): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return `${title} is required`;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return `${title} must be a number (got '${trimmed}')`;
  if (check.kind === 'integer' && !Number.isInteger(value)) return `${title} must be a whole number (got ${trimmed})`;
  const belowMin = check.minOpen ? value <= check.min : value < check.min;
  const aboveMax = check.maxOpen ? value >= check.max : value > check.max;
  if (belowMin || aboveMax) {
    const low = (check.minOpen ? `greater than ${check.min}` : `at least ${check.min}`) + (check.minNote ? ` ${check.minNote}` : '');
    const high = check.maxOpen ? `less than ${check.max}` : `at most ${check.max}`;
    return `${title} must be ${low} and ${high} (got ${trimmed})`;
  }
  return null;
}

/**
 * Every invalid field with its message (an empty object when the form is valid). `speakers` are
 * the dataset's speaker ids: named split speakers must be among them.
 */
export function validateTrainForm(values: TrainFormValues, speakers: readonly string[]): TrainFormErrors {
  const errors: TrainFormErrors = {};
  if (values.name.trim().length > MAX_NAME_LENGTH) errors.name = `Name must be at most ${MAX_NAME_LENGTH} characters`;
  for (const [field, check] of Object.entries(NUMBER_FIELDS) as [TrainFormField, { title: string } & NumberCheck][]) {
    const message = checkNumber(String(values[field]), check.title, check);
    if (message) errors[field] = message;
  }
  if (values.splitKind === 'speaker') Object.assign(errors, validateSplitSpeakers(values, speakers));
  return errors;
}

function validateSplitSpeakers(values: TrainFormValues, speakers: readonly string[]): TrainFormErrors {
  const errors: TrainFormErrors = {};
  const known = new Set(speakers);
  const test = parseSpeakers(values.testSpeakers);
  const val = parseSpeakers(values.valSpeakers);
  const unknown = (ids: string[]) => ids.filter((id) => !known.has(id));
  const unknownTest = unknown(test);
  const unknownVal = unknown(val);
  if (unknownTest.length) errors.testSpeakers = `Not a speaker of this dataset: ${unknownTest.join(', ')}`;
  if (unknownVal.length) errors.valSpeakers = `Not a speaker of this dataset: ${unknownVal.join(', ')}`;
  const both = test.filter((id) => val.includes(id));
  if (both.length && !errors.valSpeakers) errors.valSpeakers = `In both test and validation: ${both.join(', ')}`;
  if (!errors.testSpeakers && !errors.valSpeakers && known.size > 0) {
    const held = new Set([...test, ...val]);
    if ([...known].every((id) => held.has(id))) errors.valSpeakers = 'Leave at least one speaker for training';
  }
  return errors;
}

export function isValid(errors: TrainFormErrors): boolean {
  return Object.keys(errors).length === 0;
}

/** The overrides for a valid form (every field explicit, so the run records exactly what was asked). */
export function toOverrides(values: TrainFormValues): TrainingOverrides {
  const num = (text: string) => Number(text.trim());
  const split: TrainingOverrides['split'] = { kind: values.splitKind };
  if (values.splitKind === 'speaker') {
    const test = parseSpeakers(values.testSpeakers);
    const val = parseSpeakers(values.valSpeakers);
    if (test.length) split.testSpeakers = test;
    if (val.length) split.valSpeakers = val;
  }
  return {
    model: values.model,
    preset: values.preset,
    epochs: num(values.epochs),
    earlyStoppingPatience: num(values.earlyStoppingPatience),
    lrSchedule: values.lrSchedule,
    lrPatience: num(values.lrPatience),
    warmupEpochs: num(values.warmupEpochs),
    batchSize: num(values.batchSize),
    learningRate: num(values.learningRate),
    optimizer: values.optimizer,
    weightDecay: num(values.weightDecay),
    classWeights: values.classWeights,
    loss: values.loss,
    labelSmoothing: num(values.labelSmoothing),
    balancedSampler: values.balancedSampler,
    bestBy: values.bestBy,
    weightAveraging: values.weightAveraging,
    averageEpochs: num(values.averageEpochs),
    averageBatchNorm: values.averageBatchNorm,
    seed: num(values.seed),
    augment: {
      noise: num(values.augNoise),
      timeShift: num(values.augTimeShift),
      freqMask: num(values.augFreqMask),
      timeMask: num(values.augTimeMask),
      mixupAlpha: num(values.mixupAlpha),
    },
    split,
  };
}

/** The run name to send ('' → let the engine name it). */
export function runName(values: TrainFormValues): string | undefined {
  const name = values.name.trim();
  return name === '' ? undefined : name;
}

/** "1,234,567" parameters as "1.23 M" / "45.6 k" for the model select. */
export function parameterCount(parameters: number): string {
  if (parameters >= 1e6) return `${(parameters / 1e6).toFixed(2)} M`;
  if (parameters >= 1e3) return `${(parameters / 1e3).toFixed(1)} k`;
  return String(parameters);
}
