/**
 * The training configuration, field by field: the one table the engine's validation, the CLI's
 * `train` flags and usage, and the Train form are derived from. The types below are the config's
 * shape; `FieldTable<TrainingConfig, PresetName>` makes the compiler check the table against them.
 */
import {
  checkOverrides,
  defaultsFromTable,
  mergeOverrides,
  parseFieldText,
  type AnyFieldTable,
  type Choice,
  type FieldPath,
  type FieldTable,
  withPrefix,
} from './fields';
import {
  CLASS_WEIGHT_MODES,
  CLASSICAL_MODEL_NAMES,
  LOSS_NAMES,
  NETWORK_MODEL_NAMES,
  MODEL_NAMES,
  OPTIMIZER_NAMES,
  PRESET_NAMES,
  type AveragingBatchNorm,
  type ClassWeightMode,
  type LossName,
  type LrScheduleName,
  type ModelName,
  type OptimizerName,
  type PresetName,
  type SelectionMetric,
  type SplitKind,
  type WeightAveraging,
} from './names';

export interface SplitConfig {
  kind: SplitKind;
  testSpeakers?: string[];
  valSpeakers?: string[];
  testRatio?: number;
  valRatio?: number;
}

/** Training-time augmentation probabilities per clip and the mixup α (see training/augment.ts). */
export interface AugmentSettings {
  noise: number;
  timeShift: number;
  freqMask: number;
  timeMask: number;
  /** Beta(α, α) parameter for mixup; 0 = off. */
  mixupAlpha: number;
  /** Add the training clips at 0.9 and 1.1 speed as extra training examples (pipeline/speedPerturb.ts). */
  speedPerturb: boolean;
}

/**
 * How feature rows are standardised before the model: with the training split's statistics
 * (`global`), with each speaker's own statistics (`speaker`: a test speaker's from its own test
 * clips, never its labels), or with each clip's own (`clip`).
 */
export type NormalizationMode = 'global' | 'speaker' | 'clip';
export const NORMALIZATION_MODES: readonly NormalizationMode[] = ['global', 'speaker', 'clip'];

/**
 * The classical classifiers' settings (models/classical): the inner speaker-grouped cross-validation
 * and the hyper-parameter grids it searches (an empty grid: the classifier's own default grid).
 * Grid values are text from fixed choices (half-decade steps), read as numbers by the classifier.
 */
export interface ClassifierConfig {
  innerFolds: number;
  cGrid: string[];
  gammaGrid: string[];
  kGrid: string[];
  hiddenUnits: number;
}

/** One plain object that fully describes a run (stored in run.json). The table below documents each field. */
export interface TrainingConfig {
  model: ModelName;
  preset: PresetName;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number;
  weightDecay: number;
  lrSchedule: LrScheduleName;
  lrFactor: number;
  lrPatience: number;
  warmupEpochs: number;
  earlyStoppingPatience: number;
  bestBy: SelectionMetric;
  weightAveraging: WeightAveraging;
  averageEpochs: number;
  averageBatchNorm: AveragingBatchNorm;
  clipNorm: number;
  loss: LossName;
  focalGamma: number;
  classWeights: ClassWeightMode;
  balancedSampler: boolean;
  labelSmoothing: number;
  normalization: NormalizationMode;
  augment: AugmentSettings;
  split: SplitConfig;
  classifier: ClassifierConfig;
  seed: number;
}

export type TrainingFieldPath = FieldPath<TrainingConfig>;

/** The parts of the Train form, in order. */
export const TRAINING_GROUPS = [
  { id: 'run', title: 'Run' },
  { id: 'classifier', title: 'Classical classifier' },
  { id: 'optimisation', title: 'Optimisation' },
  { id: 'augmentation', title: 'Augmentation' },
  { id: 'split', title: 'Split' },
] as const;

export type TrainingGroup = (typeof TRAINING_GROUPS)[number]['id'];

const NETWORKS = { path: 'model', values: NETWORK_MODEL_NAMES } as const;

/**
 * The form disables a field while another field has none of these values (it does not apply then),
 * or while that other field does not apply itself (warm-up under a classical model).
 */
export const TRAINING_FIELD_APPLIES: Partial<Record<TrainingFieldPath, { path: TrainingFieldPath; values: readonly string[] }>> = {
  epochs: NETWORKS,
  earlyStoppingPatience: NETWORKS,
  bestBy: NETWORKS,
  weightAveraging: NETWORKS,
  batchSize: NETWORKS,
  learningRate: NETWORKS,
  optimizer: NETWORKS,
  weightDecay: NETWORKS,
  lrSchedule: NETWORKS,
  clipNorm: NETWORKS,
  loss: NETWORKS,
  labelSmoothing: NETWORKS,
  balancedSampler: NETWORKS,
  'augment.noise': NETWORKS,
  'augment.timeShift': NETWORKS,
  'augment.freqMask': NETWORKS,
  'augment.timeMask': NETWORKS,
  'augment.mixupAlpha': NETWORKS,
  'augment.speedPerturb': NETWORKS,
  'classifier.innerFolds': { path: 'model', values: CLASSICAL_MODEL_NAMES },
  'classifier.cGrid': { path: 'model', values: ['svm-linear', 'svm-rbf', 'logreg', 'mlp'] },
  'classifier.gammaGrid': { path: 'model', values: ['svm-rbf'] },
  'classifier.kGrid': { path: 'model', values: ['knn'] },
  'classifier.hiddenUnits': { path: 'model', values: ['mlp'] },
  lrFactor: { path: 'lrSchedule', values: ['plateau'] },
  lrPatience: { path: 'lrSchedule', values: ['plateau'] },
  warmupEpochs: { path: 'lrSchedule', values: ['cosine'] },
  averageEpochs: { path: 'weightAveraging', values: ['last', 'top'] },
  averageBatchNorm: { path: 'weightAveraging', values: ['last', 'top'] },
  focalGamma: { path: 'loss', values: ['focal'] },
  'split.testSpeakers': { path: 'split.kind', values: ['speaker'] },
  'split.valSpeakers': { path: 'split.kind', values: ['speaker'] },
};

/**
 * Whether a training field applies under the given values (`valueOf` reads a field path's value):
 * false while its rule's field has none of the listed values, or does not apply itself (warm-up
 * under a classical model). The form, the run details and the study details all ask this.
 */
export function trainingFieldApplies(path: TrainingFieldPath, valueOf: (path: TrainingFieldPath) => unknown): boolean {
  const rule = TRAINING_FIELD_APPLIES[path];
  return !rule || (rule.values.includes(String(valueOf(rule.path))) && trainingFieldApplies(rule.path, valueOf));
}

const plain = <V extends string>(values: readonly V[]): Choice<V>[] => values.map((value) => ({ value, title: value }));
const grid = (values: readonly string[]) =>
  ({ kind: 'list', maxItems: values.length, maxLength: 8, choices: plain(values), default: [], group: 'classifier' }) as const;
const C_VALUES = [
  '1e-5',
  '3e-5',
  '1e-4',
  '3e-4',
  '1e-3',
  '3e-3',
  '0.01',
  '0.03',
  '0.1',
  '0.3',
  '1',
  '3',
  '10',
  '30',
  '100',
  '300',
  '1000',
  '3000',
  '1e4',
];
const GAMMA_SCALES = ['0.01', '0.03', '0.1', '0.3', '1', '3', '10', '30', '100'];
const K_VALUES = ['1', '3', '5', '7', '9', '11', '15', '21', '25', '31', '41', '51'];
const probability = { kind: 'number', min: 0, max: 1, group: 'augmentation' } as const;
const speakers = { kind: 'list', maxItems: 1000, maxLength: 64, group: 'split', optional: true, default: undefined } as const;

/**
 * `quick` keeps the original short recipe (ReduceLROnPlateau + early stopping on the validation
 * loss, `best` = the single epoch with the best validation UAR). `full` is the best recipe measured
 * on EmoDB speaker-independent (test speakers 03+08, validation 09; seeds 1–5, test UAR 0.731 ±
 * 0.029, every seed ≥ 0.71): the CRNN with AdamW lr 1e-3, weight decay 1e-2, label smoothing 0.1,
 * a 50-epoch cosine schedule (2 warm-up epochs, no early stopping: it would cut the schedule
 * short), and `checkpoints/best` = the weight average of the last 20 epochs (batch-norm statistics
 * averaged too). Selecting a single epoch on one validation speaker (43 clips) was the main source
 * of seed-to-seed spread; the average needs no selection. 40 epochs averaging the last 10 gave
 * 0.704 ± 0.027 on the same seeds, with 3 of 5 below 0.70.
 * The Python prototype's recipe is `--model seed-cnn --lr 0.005`; its augmentation is the default.
 */
export const TRAINING_FIELDS = {
  model: {
    kind: 'enum',
    choices: plain(MODEL_NAMES),
    default: 'crnn',
    label: 'Model',
    help: 'network architecture',
    flag: 'model',
    group: 'run',
  },
  preset: {
    kind: 'enum',
    choices: plain(PRESET_NAMES),
    default: 'full',
    label: 'Preset',
    help: 'recipe the other defaults come from (quick: short check, full: the measured best recipe)',
    flag: 'preset',
    group: 'run',
  },
  epochs: {
    kind: 'integer',
    min: 1,
    max: 1000,
    default: { quick: 5, full: 50 },
    label: 'Epochs',
    help: 'passes over the training set',
    flag: 'epochs',
    group: 'run',
  },
  earlyStoppingPatience: {
    kind: 'integer',
    min: 0,
    max: 1000,
    minNote: '(0 = off)',
    default: { quick: 3, full: 0 },
    label: 'Early-stopping patience',
    help: 'stop when the validation loss has not improved for this many epochs; 0 = train all epochs',
    flag: 'patience',
    group: 'run',
  },
  seed: {
    kind: 'integer',
    min: 0,
    max: 2 ** 32,
    maxOpen: true,
    default: 42,
    label: 'Seed',
    help: 'seeds the split, initialisation, sampling and augmentation',
    flag: 'seed',
    group: 'run',
  },
  bestBy: {
    kind: 'enum',
    choices: [
      { value: 'val_uar', title: 'validation UAR' },
      { value: 'val_accuracy', title: 'validation accuracy' },
      { value: 'val_macro_f1', title: 'validation macro-F1' },
      { value: 'val_loss', title: 'validation loss' },
    ],
    default: 'val_uar',
    label: 'Best checkpoint by',
    help: 'validation metric that picks checkpoints/best (and the epochs averaged in top mode)',
    flag: 'best-by',
    group: 'run',
  },
  weightAveraging: {
    kind: 'enum',
    choices: [
      { value: 'none', title: 'best single epoch' },
      { value: 'last', title: 'average of the last N epochs' },
      { value: 'top', title: 'average of the top N epochs' },
    ],
    default: { quick: 'none', full: 'last' },
    label: 'Best checkpoint holds',
    help: 'checkpoints/best: the single best epoch, or the weight average of the last / top N epochs',
    flag: 'weight-averaging',
    group: 'run',
  },
  averageEpochs: {
    kind: 'integer',
    min: 1,
    max: 1000,
    default: { quick: 5, full: 20 },
    label: 'Average epochs',
    help: 'how many epochs are averaged (a shorter run averages all its epochs)',
    flag: 'average-epochs',
    group: 'run',
  },
  averageBatchNorm: {
    kind: 'enum',
    choices: [
      { value: 'recompute', title: 'recompute on training data' },
      { value: 'average', title: 'average' },
    ],
    default: { quick: 'recompute', full: 'average' },
    label: 'Batch-norm stats',
    help: 'batch-norm statistics of the averaged model: recomputed on the training data, or averaged',
    flag: 'average-bn',
    group: 'run',
  },
  batchSize: {
    kind: 'integer',
    min: 1,
    max: 4096,
    default: 64,
    label: 'Batch size',
    help: 'clips per optimisation step',
    flag: 'batch',
    group: 'optimisation',
  },
  learningRate: {
    kind: 'number',
    min: 0,
    max: 10,
    minOpen: true,
    default: 1e-3,
    label: 'Learning rate',
    help: 'peak learning rate',
    flag: 'lr',
    group: 'optimisation',
  },
  optimizer: {
    kind: 'enum',
    choices: plain(OPTIMIZER_NAMES),
    default: 'adamw',
    label: 'Optimizer',
    help: 'update rule',
    flag: 'optimizer',
    group: 'optimisation',
  },
  weightDecay: {
    kind: 'number',
    min: 0,
    max: 1,
    maxOpen: true,
    default: { quick: 1e-4, full: 1e-2 },
    label: 'Weight decay',
    help: 'decoupled weight decay (adamw) or L2 penalty',
    flag: 'weight-decay',
    group: 'optimisation',
  },
  lrSchedule: {
    kind: 'enum',
    choices: [
      { value: 'cosine', title: 'cosine with warm-up' },
      { value: 'plateau', title: 'reduce on plateau' },
    ],
    default: { quick: 'plateau', full: 'cosine' },
    label: 'LR schedule',
    help: 'reduce the rate when the validation loss stalls, or per-step cosine decay after a warm-up',
    flag: 'lr-schedule',
    group: 'optimisation',
  },
  warmupEpochs: {
    kind: 'integer',
    min: 0,
    max: 1000,
    default: { quick: 0, full: 2 },
    label: 'Warm-up epochs',
    help: 'linear warm-up before the cosine decay (cosine only; cut short in a shorter run)',
    flag: 'warmup-epochs',
    group: 'optimisation',
  },
  lrFactor: {
    kind: 'number',
    min: 0,
    max: 1,
    minOpen: true,
    maxOpen: true,
    default: 0.5,
    label: 'LR factor',
    help: 'multiplies the rate when the validation loss stalls (plateau only)',
    flag: 'lr-factor',
    group: 'optimisation',
  },
  lrPatience: {
    kind: 'integer',
    min: 0,
    max: 1000,
    default: { quick: 2, full: 3 },
    label: 'LR patience',
    help: 'epochs without a better validation loss before the rate drops (plateau only)',
    flag: 'lr-patience',
    group: 'optimisation',
  },
  classWeights: {
    kind: 'enum',
    choices: plain(CLASS_WEIGHT_MODES),
    default: 'balanced',
    label: 'Class weights',
    help: 'weight the loss by inverse class frequency, or not',
    flag: 'class-weights',
    group: 'optimisation',
  },
  loss: {
    kind: 'enum',
    choices: plain(LOSS_NAMES),
    default: 'cross-entropy',
    label: 'Loss',
    help: 'training loss',
    flag: 'loss',
    group: 'optimisation',
  },
  focalGamma: {
    kind: 'number',
    min: 0,
    max: 10,
    default: 2,
    label: 'Focal γ',
    help: 'focusing parameter of the focal loss (focal only)',
    flag: 'focal-gamma',
    group: 'optimisation',
  },
  labelSmoothing: {
    kind: 'number',
    min: 0,
    max: 1,
    maxOpen: true,
    default: { quick: 0, full: 0.1 },
    label: 'Label smoothing',
    help: 'share of the target spread over the other classes; 0 = off, 0.1 is usual',
    flag: 'label-smoothing',
    group: 'optimisation',
  },
  clipNorm: {
    kind: 'number',
    min: 0,
    max: 1000,
    default: 1,
    label: 'Gradient clip norm',
    help: 'global-norm gradient clipping; 0 = off',
    flag: 'clip-norm',
    group: 'optimisation',
  },
  balancedSampler: {
    kind: 'boolean',
    default: false,
    label: 'Balanced sampler',
    help: 'each batch draws the classes equally',
    flag: 'balanced-sampler',
    group: 'optimisation',
  },
  normalization: {
    kind: 'enum',
    choices: [
      { value: 'global', title: 'training-set statistics' },
      { value: 'speaker', title: 'per speaker' },
      { value: 'clip', title: 'per clip' },
    ],
    default: 'speaker',
    label: 'Feature normalisation',
    help: "standardise each feature row with the training set's statistics, each speaker's own (test speakers: their own clips), or each clip's own",
    flag: 'normalization',
    group: 'run',
  },
  'augment.noise': {
    ...probability,
    default: 0.3,
    label: 'Noise probability',
    help: 'probability per clip of gaussian noise',
    flag: 'aug-noise',
  },
  'augment.timeShift': {
    ...probability,
    default: 0.3,
    label: 'Time-shift probability',
    help: 'probability per clip of a circular time shift',
    flag: 'aug-time-shift',
  },
  'augment.freqMask': {
    ...probability,
    default: 0.2,
    label: 'Freq-mask probability',
    help: 'probability per clip of a frequency mask',
    flag: 'aug-freq-mask',
  },
  'augment.timeMask': {
    ...probability,
    default: 0.2,
    label: 'Time-mask probability',
    help: 'probability per clip of a time mask',
    flag: 'aug-time-mask',
  },
  'augment.mixupAlpha': {
    kind: 'number',
    min: 0,
    max: 10,
    default: 0,
    label: 'Mixup α',
    help: 'Beta(α, α) mixup; 0 = off, 0.2 is usual',
    flag: 'mixup',
    group: 'augmentation',
  },
  'augment.speedPerturb': {
    kind: 'boolean',
    default: false,
    label: 'Speed perturbation',
    help: 'add the training clips at 0.9 and 1.1 speed (tempo and pitch) as extra examples',
    flag: 'speed-perturb',
    group: 'augmentation',
  },
  'classifier.innerFolds': {
    kind: 'integer',
    min: 2,
    max: 20,
    default: 5,
    label: 'Inner CV folds',
    help: 'speaker-grouped folds of the training part that choose the hyper-parameters (fewer when there are fewer speakers)',
    flag: 'inner-folds',
    group: 'classifier',
  },
  'classifier.cGrid': {
    ...grid(C_VALUES),
    label: 'C grid',
    help: 'inverse regularisation strengths the inner CV tries (SVMs, logistic regression, MLP: alpha = 1/C); none = the model default',
    flag: 'c-grid',
  },
  'classifier.gammaGrid': {
    ...grid(GAMMA_SCALES),
    label: 'γ grid (× 1/dims)',
    help: 'RBF kernel widths the inner CV tries, as multiples of 1 / vector length; none = 0.25,1,4',
    flag: 'gamma-grid',
  },
  'classifier.kGrid': {
    ...grid(K_VALUES),
    label: 'k grid',
    help: 'neighbour counts the inner CV tries (k-NN); none = 1,3,5,9,15,25',
    flag: 'k-grid',
  },
  'classifier.hiddenUnits': {
    kind: 'integer',
    min: 1,
    max: 4096,
    default: 64,
    label: 'MLP hidden units',
    help: 'units of the MLP hidden layer (ReLU)',
    flag: 'hidden-units',
    group: 'classifier',
  },
  'split.kind': {
    kind: 'enum',
    choices: [
      { value: 'speaker', title: 'by speaker (no speaker in two parts)' },
      { value: 'random', title: 'random (stratified)' },
    ],
    default: 'speaker',
    label: 'Kind',
    help: 'speaker-independent split, or a random stratified one',
    flag: 'split',
    group: 'split',
  },
  'split.testSpeakers': {
    ...speakers,
    label: 'Test speakers',
    help: 'speaker ids held out for test; none = chosen by ratio',
    flag: 'test-speakers',
  },
  'split.valSpeakers': {
    ...speakers,
    label: 'Validation speakers',
    help: 'speaker ids held out for validation; none = chosen by ratio',
    flag: 'val-speakers',
  },
  'split.testRatio': {
    kind: 'number',
    min: 0,
    max: 0.9,
    minOpen: true,
    optional: true,
    default: undefined,
    label: 'Test ratio',
    help: 'share of clips (or speakers) for test when no test speakers are named (default 0.2)',
    flag: 'test-ratio',
    group: 'split',
  },
  'split.valRatio': {
    kind: 'number',
    min: 0,
    max: 0.9,
    optional: true,
    default: undefined,
    label: 'Validation ratio',
    help: 'share for validation when no validation speakers are named (default 0.1)',
    flag: 'val-ratio',
    group: 'split',
  },
} as const satisfies FieldTable<TrainingConfig, PresetName>;

/** A training table as the derivations take it (TRAINING_FIELDS, or a modified copy in tests). */
export type TrainingFieldTable = Readonly<Record<TrainingFieldPath, AnyFieldTable[string]>>;

export type TrainingOverrides = Partial<Omit<TrainingConfig, 'augment' | 'split' | 'classifier'>> & {
  augment?: Partial<AugmentSettings>;
  split?: Partial<SplitConfig>;
  classifier?: Partial<ClassifierConfig>;
};

/** Each preset's full configuration, from the table's defaults. */
export function presetsFromTable(table: TrainingFieldTable): Record<PresetName, TrainingConfig> {
  const presets = {} as Record<PresetName, TrainingConfig>;
  for (const preset of PRESET_NAMES) presets[preset] = { ...(defaultsFromTable(table, preset) as unknown as TrainingConfig), preset };
  return presets;
}

/** Message prefix of every refused training config. */
const INVALID = 'invalid training config: ';

/**
 * The resolver a table gives: untrusted overrides checked field by field (exact types, ranges,
 * choices, no unknown keys, null refused), laid over the chosen preset (the table's default preset when none is chosen).
 */
export function trainingResolver(table: TrainingFieldTable): (overrides?: unknown) => TrainingConfig {
  const presets = presetsFromTable(table);
  return (overrides) => {
    const checked = withPrefix(INVALID, () => checkOverrides(table, overrides, 'the training config'));
    const preset = (checked.preset ?? table.preset.default) as PresetName;
    return mergeOverrides(structuredClone(presets[preset]), { ...checked, preset });
  };
}

/**
 * One training field's value from CLI-style text (`parseFieldValue('learningRate', '1e-3')`,
 * `parseFieldValue('split.testSpeakers', '03,08')`), checked like an override; throws a FieldError
 * naming the field and the text. The study grid parses `field=v1,v2` values with it.
 */
export function parseFieldValue(path: string, text: string): unknown {
  return parseFieldText(TRAINING_FIELDS, path, text);
}
