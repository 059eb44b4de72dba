/** Run folders as the UI lists and opens them (the contract's RunSummary and RunDetail). */
import { listRuns, openRun, type ListedRun } from '../runs/store';
import type { OpenedRun } from '../runs/store';
import { CHECKPOINT_NAMES, type CheckpointName } from '../runs/types';
import type { EpochMetrics } from '../training/progress';
import type { CheckpointInfo, RunSummary } from './contract';

function isEpochLine(line: Record<string, unknown>): boolean {
  return typeof line.epoch === 'number' && typeof line.trainLoss === 'number';
}

export function epochHistory(opened: OpenedRun): EpochMetrics[] {
  return opened.metrics.filter(isEpochLine) as unknown as EpochMetrics[];
}

export function summarizeRun(opened: OpenedRun): RunSummary {
  const { record } = opened;
  const stored = record.summary;
  const training = record.config.training;
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
    model: record.config.training.model,
    epochsRun: stored?.epochsRun ?? epochHistory(opened).length,
    bestEpoch: record.bestEpoch,
    ...(stored?.bestCheckpoint ? { bestCheckpoint: stored.bestCheckpoint } : {}),
    test: stored?.test ?? {},
    checkpoints,
    live: opened.live,
    ...(record.error ? { error: record.error } : {}),
    hyper: {
      learningRate: training.learningRate,
      batchSize: training.batchSize,
      epochs: training.epochs,
      optimizer: training.optimizer,
      seed: record.seed,
    },
  };
}

/** A folder whose run.json cannot be used: listed by its id with the reason, nothing else claimed. */
function summarizeCorruptRun(run: Extract<ListedRun, { corrupt: object }>): RunSummary {
  return {
    id: run.id,
    name: run.id,
    status: 'corrupt',
    createdAt: run.corrupt.modifiedAt,
    updatedAt: run.corrupt.modifiedAt,
    datasetRoot: '',
    model: '',
    epochsRun: 0,
    test: {},
    checkpoints: { best: { complete: false }, final: { complete: false } },
    live: false,
    error: run.corrupt.reason,
  };
}

/** Every run folder in runsDir as a RunSummary, newest first, corrupt ones included. */
export async function listRunSummaries(runsDir: string): Promise<RunSummary[]> {
  const summaries: RunSummary[] = [];
  for (const run of await listRuns(runsDir)) {
    if (run.corrupt) {
      summaries.push(summarizeCorruptRun(run));
      continue;
    }
    // A run deleted or broken between the listing and here is left for the next listing.
    const opened = await openRun(run.dir).catch(() => null);
    if (opened) summaries.push(summarizeRun(opened));
  }
  return summaries;
}
