/**
 * Per-epoch learning-rate schedule and early stopping.
 *
 * `ReduceLROnPlateau` mirrors torch.optim.lr_scheduler.ReduceLROnPlateau: a metric is "better"
 * when (rel) min: m < best·(1 − threshold), max: m > best·(1 + threshold), or (abs) min:
 * m < best − threshold, max: m > best + threshold. Each non-better epoch counts as bad; during
 * cooldown the bad count is held at 0; when bad epochs exceed `patience` the rate becomes
 * max(lr·factor, minLr) (ignored if the change is below eps 1e-8), cooldown restarts and the
 * bad count resets.
 *
 * `EarlyStopping` mirrors Keras' EarlyStopping: improvement means beating the best value by more
 * than `minDelta`; training stops once `patience` epochs in a row have not improved.
 */

export type MetricMode = 'min' | 'max';

export interface PlateauOptions {
  learningRate: number;
  mode?: MetricMode;
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
}

export class ReduceLROnPlateau {
  learningRate: number;
  private readonly mode: MetricMode;
  private readonly factor: number;
  private readonly patience: number;
  private readonly threshold: number;
  private readonly thresholdMode: 'rel' | 'abs';
  private readonly cooldown: number;
  private readonly minLr: number;
  private best: number;
  private badEpochs = 0;
  private cooldownLeft = 0;

  /** Defaults are PyTorch's except factor 0.5 (the prototype's). */
  constructor(options: PlateauOptions) {
    this.learningRate = options.learningRate;
    this.mode = options.mode ?? 'min';
    this.factor = options.factor ?? 0.5;
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? 'rel';
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
    if (!(this.factor < 1)) throw new Error('ReduceLROnPlateau factor must be < 1');
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  step(metric: number): { learningRate: number; reduced: boolean } {
    if (this.isBetter(metric)) {
      this.best = metric;
      this.badEpochs = 0;
    } else {
      this.badEpochs += 1;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft -= 1;
      this.badEpochs = 0;
    }
    let reduced = false;
    if (this.badEpochs > this.patience) {
      const newLr = Math.max(this.learningRate * this.factor, this.minLr);
      if (this.learningRate - newLr > 1e-8) {
        this.learningRate = newLr;
        reduced = true;
      }
      this.cooldownLeft = this.cooldown;
      this.badEpochs = 0;
    }
    return { learningRate: this.learningRate, reduced };
  }

  private isBetter(metric: number): boolean {
    const { best, threshold } = this;
    if (this.thresholdMode === 'rel') {
      return this.mode === 'min' ? metric < best * (1 - threshold) : metric > best * (1 + threshold);
    }
    return this.mode === 'min' ? metric < best - threshold : metric > best + threshold;
  }
}

export interface EarlyStoppingOptions {
  patience: number;
  mode: MetricMode;
  minDelta?: number;
}

export interface EarlyStoppingResult {
  stop: boolean;
  improved: boolean;
  bestEpoch: number;
  bestValue: number;
}

export class EarlyStopping {
  private readonly patience: number;
  private readonly mode: MetricMode;
  private readonly minDelta: number;
  private bestValue: number;
  private bestEpoch = -1;
  private epochsWithoutImprovement = 0;

  constructor(options: EarlyStoppingOptions) {
    this.patience = options.patience;
    this.mode = options.mode;
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.bestValue = this.mode === 'min' ? Infinity : -Infinity;
  }

  step(metric: number, epoch: number): EarlyStoppingResult {
    const improved = this.mode === 'min' ? metric < this.bestValue - this.minDelta : metric > this.bestValue + this.minDelta;
    if (improved) {
      this.bestValue = metric;
      this.bestEpoch = epoch;
      this.epochsWithoutImprovement = 0;
    } else {
      this.epochsWithoutImprovement += 1;
    }
    return {
      stop: this.epochsWithoutImprovement >= this.patience,
      improved,
      bestEpoch: this.bestEpoch,
      bestValue: this.bestValue,
    };
  }
}

export interface CosineOptions {
  /** Peak learning rate (reached at the end of the warm-up). */
  learningRate: number;
  /** Total optimizer steps of the whole schedule. */
  totalSteps: number;
  /** Linear warm-up steps from ~0 to the peak (0 = none). */
  warmupSteps?: number;
  /** The rate at the last step, as a fraction of the peak (default 0.01). */
  finalFraction?: number;
}

/**
 * Cosine annealing with optional linear warm-up (one-cycle style), evaluated per optimizer step s:
 * warm-up lr·(s+1)/W for s < W (the last warm-up step is at the peak), then
 * lr_min + ½(lr − lr_min)(1 + cos(π·p)) with lr_min = lr·finalFraction and p running from just
 * above 0 after a warm-up (exactly 0 without one) to exactly 1 at the last step. A warm-up longer
 * than the run is cut to leave at least one annealing step.
 */
export function cosineLearningRate(step: number, options: CosineOptions): number {
  const { learningRate, totalSteps } = options;
  const warmup = Math.min(options.warmupSteps ?? 0, Math.max(0, totalSteps - 1));
  const minLr = learningRate * (options.finalFraction ?? 0.01);
  if (step < warmup) return (learningRate * (step + 1)) / warmup;
  const p = warmup > 0 ? (step - warmup + 1) / (totalSteps - warmup) : totalSteps > 1 ? step / (totalSteps - 1) : 1;
  return minLr + 0.5 * (learningRate - minLr) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, p))));
}
