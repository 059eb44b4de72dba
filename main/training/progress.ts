/** What a training loop reports while it runs (plain data: it crosses to the UI unchanged). */

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
