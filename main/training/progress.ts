/** What a training job reports while it runs and when it ends (plain data: it crosses to the UI unchanged). */
import type { ExtractionProgress } from '../features/progress';
import type { RunStatus } from '../runs/types';
import type { BackendInfo } from '../compute/backend-info';

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
}

/** Everything a training job tells its listener, in order. */
export type TrainingEvent =
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'backend'; backend: BackendInfo }
  | { type: 'features'; progress: ExtractionProgress }
  | { type: 'run'; runId: string; runDir: string }
  | { type: 'batch'; progress: BatchProgress }
  | { type: 'epoch'; metrics: EpochMetrics };

/** What `checkpoints/best` holds: one epoch picked by a validation metric, or a weight average. */
export type BestCheckpoint =
  | { kind: 'epoch'; epoch: number; selectedBy: string }
  | { kind: 'average'; mode: 'last' | 'top'; epochs: number[]; batchNorm: 'recompute' | 'average'; selectedBy: string };

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
