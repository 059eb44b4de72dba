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

/** The content of `run.json`. */
export interface RunRecord {
  id: string;
  name: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  error?: string;
  config: unknown;
  dataset: RunDatasetInfo;
  split: unknown;
  seed: number;
  backend: unknown;
  versions: RunVersions;
  bestEpoch?: number;
  summary?: unknown;
  interruption?: RunInterruption;
}

/** The content of `checkpoints/<name>/manifest.json`: everything needed to use the model on its own. */
export interface CheckpointManifest {
  labels: string[];
  featureConfig: unknown;
  featureConfigHash: string;
  standardizer: { mean: number[]; std: number[] };
  modelName: string;
  /** Shape of one example, without the batch dimension. */
  inputShape: number[];
  epoch: number;
  metrics?: unknown;
  backend: string;
  versions: RunVersions;
  createdAt: string;
}

/** The content of the `lock` file held while a process trains. */
export interface RunLock {
  pid: number;
  hostname: string;
  startedAt: string;
  heartbeatAt: string;
}
