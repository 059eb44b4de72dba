import type { EncoderProvenance } from '../schema/encoder';
import type { BackendInfo } from '../schema/backend';
import type { Split } from '../dataset/split';
import type { FeatureConfig } from '../schema/featureFields';
import type { NormalizationMode, TrainingConfig } from '../schema/trainingFields';

import type { CheckpointName } from '../schema/names';

export { CHECKPOINT_NAMES, type CheckpointName } from '../schema/names';

export type RunStatus = 'running' | 'done' | 'interrupted' | 'failed' | 'cancelled';

export interface RunVersions {
  app: string;
  tfjs: string;
  node: string;
}

export interface RunDatasetInfo {
  root: string;
  scheme: string;
  fingerprint: string;
  clips: number;
  labels: string[];
}

/** Set when a run was found 'running' with no live process behind it. */
export interface RunInterruption {
  detectedAt: string;
  reason: string;
  /** The complete checkpoint with the highest epoch, if any survived. */
  lastGoodCheckpoint: CheckpointName | null;
}

/**
 * The configuration a run was trained with. The reader checks its structure (two objects, a model
 * name); the training config's values are the training layer's business (types only are imported).
 */
export interface StoredRunConfig {
  training: TrainingConfig;
  features: FeatureConfig;
}

export interface TestMetrics {
  accuracy: number;
  uar: number;
  macroF1: number;
}

/** What a finished (done or cancelled) training stores about its outcome. */
export interface RunOutcomeSummary {
  epochsRun: number;
  bestEpoch: number;
  /** Absent in runs made before it was recorded. */
  bestCheckpoint?: BestCheckpoint;
  stoppedEarly: boolean;
  /** A classical classifier's chosen hyper-parameters and their inner-CV UAR. */
  classifier?: ClassifierSummary;
  /** Test metrics of each checkpoint evaluated at the end of training. */
  test: Partial<Record<CheckpointName, TestMetrics>>;
}

export interface ClassifierSummary {
  hyperParameters: Record<string, number>;
  innerCvUar: number;
}

/** The content of `run.json` (format version in `formatVersion`, see formats.ts). */
export interface RunRecord {
  id: string;
  name: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  error?: string;
  config: StoredRunConfig;
  dataset: RunDatasetInfo;
  split: Split;
  seed: number;
  backend: BackendInfo;
  versions: RunVersions;
  bestEpoch?: number;
  summary?: RunOutcomeSummary;
  interruption?: RunInterruption;
  /** The encoder representation: which model and layer, and where it ran. */
  encoder?: EncoderProvenance;
}

/** How a checkpoint's inputs were standardised (format 3; older manifests read as global, padding not masked). */
export interface CheckpointNormalization {
  mode: NormalizationMode;
  /**
   * A vector model in `speaker` mode (format 4 on): the training clips' per-row statistics, which a
   * vector of unknown speaker is standardised with (its own statistics would make it zeros).
   * Absent in earlier checkpoints: predict refuses such a vector alone.
   */
  globalStats?: { mean: number[]; std: number[] };
  /**
   * Statistics count only each clip's valid frames and padded frames are 0 after standardising.
   * False for checkpoints written before format 3: their statistics counted the zero padding and
   * the padding was standardised like any frame.
   */
  maskPadding: boolean;
}

/** The content of `checkpoints/<name>/manifest.json`: everything needed to use the model on its own. */
export interface CheckpointManifest {
  labels: string[];
  featureConfig: FeatureConfig;
  featureConfigHash: string;
  normalization: CheckpointNormalization;
  /** The training split's per-row statistics: present exactly when normalization.mode is `global`. */
  standardizer?: { mean: number[]; std: number[] };
  modelName: string;
  /** Shape of one example, without the batch dimension. */
  inputShape: number[];
  epoch: number;
  /** The epoch's metrics (or, for a weight average, how it was made), as training reported them. */
  metrics?: EpochMetrics | Record<string, unknown>;
  backend: string;
  versions: RunVersions;
  createdAt: string;
  /** The encoder representation: the model (by its file's hash) and layer the features came from; predict needs it. */
  encoder?: EncoderProvenance;
}

/** The content of the `lock` file held while a process trains. */
export interface RunLock {
  pid: number;
  hostname: string;
  startedAt: string;
  heartbeatAt: string;
}

/** One line of metrics.jsonl: an epoch's training and validation figures. */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  valUar: number;
  valMacroF1: number;
  learningRate: number;
  /** The rate the next epoch will use (after ReduceLROnPlateau). */
  nextLearningRate: number;
  lrReduced: boolean;
  improved: boolean;
  epochSeconds: number;
  samplesPerSecond: number;
  skippedSteps: number;
  /** A classical classifier's one line: the hyper-parameters its inner cross-validation chose, and their UAR there. */
  classifier?: { hyperParameters: Record<string, number>; innerCvUar: number };
}

/** What `checkpoints/best` holds: one epoch picked by a validation metric, or a weight average. */
export type BestCheckpoint =
  | { kind: 'epoch'; epoch: number; selectedBy: string }
  | { kind: 'average'; mode: 'last' | 'top'; epochs: number[]; batchNorm: 'recompute' | 'average'; selectedBy: string };
