/** Run folders as the UI lists and opens them (the contract's RunSummary and RunDetail). */
import type { OpenedRun } from '../runs/store';
import { CHECKPOINT_NAMES, type CheckpointName } from '../runs/types';
import type { BestCheckpoint, EpochMetrics } from '../training/progress';
import type { CheckpointInfo, RunSummary } from './contract';

interface StoredSummary {
  epochsRun?: number;
  bestCheckpoint?: BestCheckpoint;
  test?: RunSummary['test'];
}

function isEpochLine(line: Record<string, unknown>): boolean {
  return typeof line.epoch === 'number' && typeof line.trainLoss === 'number';
}

export function epochHistory(opened: OpenedRun): EpochMetrics[] {
  return opened.metrics.filter(isEpochLine) as unknown as EpochMetrics[];
}

export function summarizeRun(opened: OpenedRun): RunSummary {
  const { record } = opened;
  const stored = (record.summary ?? {}) as StoredSummary;
  const config = record.config as { training?: { model?: string } & Record<string, unknown> } | undefined;
  const training = config?.training ?? {};
  const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const checkpoints = Object.fromEntries(
    CHECKPOINT_NAMES.map((name): [CheckpointName, CheckpointInfo] => {
      const state = opened.checkpoints[name];
      return [name, { complete: Boolean(state?.complete), epoch: state?.manifest?.epoch }];
    }),
  ) as Record<CheckpointName, CheckpointInfo>;
  return {
    id: record.id,
    name: record.name,
    status: record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    datasetRoot: record.dataset.root,
    model: config?.training?.model ?? 'unknown',
    epochsRun: stored.epochsRun ?? epochHistory(opened).length,
    bestEpoch: record.bestEpoch,
    ...(stored.bestCheckpoint ? { bestCheckpoint: stored.bestCheckpoint } : {}),
    test: stored.test ?? {},
    checkpoints,
    live: opened.live,
    ...(record.error ? { error: record.error } : {}),
    hyper: {
      learningRate: num(training.learningRate),
      batchSize: num(training.batchSize),
      epochs: num(training.epochs),
      optimizer: typeof training.optimizer === 'string' ? training.optimizer : undefined,
      seed: num(record.seed),
    },
  };
}
