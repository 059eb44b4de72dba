/** What a training job reports while it runs and when it ends (plain data: it crosses to the UI unchanged). */
import type { ExtractionProgress } from '../features/progress';
import type { BestCheckpoint, EpochMetrics, RunStatus } from '../runs/types';

export type { BestCheckpoint, EpochMetrics } from '../runs/types';
import type { BackendInfo } from '../schema/backend';

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  samplesPerSecond: number;
  etaS: number;
  learningRate: number;
}

/**
 * What a classical classifier's job is doing (pipeline/classicalJob.ts; it has no batches): its
 * inner cross-validation, candidate by candidate (`last`: the one just scored), then the refit on
 * every non-test clip, then the evaluation on the test split.
 */
export type ClassifierProgress =
  | {
      stage: 'inner-cv';
      done: number;
      candidates: number;
      folds: number;
      last?: { hyperParameters: Record<string, number>; uar: number };
    }
  | { stage: 'refit'; clips: number; hyperParameters: Record<string, number> }
  | { stage: 'test'; clips: number };

/** Everything a training job tells its listener, in order. */
export type TrainingEvent =
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'backend'; backend: BackendInfo }
  | { type: 'features'; progress: ExtractionProgress }
  | { type: 'run'; runId: string; runDir: string }
  | { type: 'batch'; progress: BatchProgress }
  | { type: 'classifier'; progress: ClassifierProgress }
  | { type: 'epoch'; metrics: EpochMetrics };

/** How a training job ended: the run and the test metrics of each evaluated checkpoint. */
export interface TrainingOutcome {
  runId: string;
  status: RunStatus;
  epochsRun: number;
  /** The (last) epoch `best` comes from. */
  bestEpoch: number;
  bestCheckpoint: BestCheckpoint;
  stoppedEarly: boolean;
  test: Partial<Record<'best' | 'final', { accuracy: number; uar: number; macroF1: number }>>;
}
