/**
 * The custom training loop (not model.fit): seeded batches, CPU-side augmentation, loss with
 * class weights or focal loss, global-norm clipping, the optimizer step, per-batch progress, and
 * per-epoch validation with the LR schedule, early stopping and best-checkpoint selection.
 * It works on in-memory, already standardised feature arrays; the job module wires it to
 * datasets, features and the run store.
 */
import * as tf from '@tensorflow/tfjs';
import { headlineFromCounts } from '../evaluation/metrics';
import { createRng } from '../util/random';
import { augmentBatch } from './augment';
import { SnapshotKeeper, snapshotWeights, type WeightSnapshot } from './averaging';
import { clipByGlobalNorm } from './clip';
import type { SelectionMetric, TrainingConfig } from './config';
import { computeClassWeights, focalLoss, softmaxCrossEntropy, softTargetCrossEntropy } from './losses';
import { createOptimizer } from './optimizers';
import { modelInputs } from '../models/mask';
import { predictProbabilities } from '../models/predict';
import { batches, epochOrder, foldedBatchCount } from './sampler';
import { cosineLearningRate, EarlyStopping, ReduceLROnPlateau } from './schedule';
import type { BatchProgress, EpochMetrics } from './progress';
import type { LabelledSet } from '../features/prepare';

export type { LabelledSet } from '../features/prepare';

export type { BatchProgress, EpochMetrics } from './progress';

export interface ExampleShape {
  rows: number;
  frames: number;
  numClasses: number;
}

export interface LoopHooks {
  signal?: AbortSignal;
  onBatch?: (progress: BatchProgress) => void;
  /** Awaited after each epoch; `improved` says this epoch is the new best (save it then). */
  onEpoch?: (metrics: EpochMetrics) => Promise<void> | void;
  onLog?: (line: string) => void;
}

export interface LoopResult {
  epochsRun: number;
  bestEpoch: number;
  bestValue: number;
  stoppedEarly: boolean;
  cancelled: boolean;
  history: EpochMetrics[];
  /**
   * With weight averaging on (and the run not cancelled): the epochs averaged and their mean
   * weights (every model weight, in `model.weights` order; batch-norm statistics averaged too).
   * The model itself is left at the last epoch's weights.
   */
  averaged?: { epochs: number[]; weights: WeightSnapshot };
}

/** Training went numerically wrong (non-finite loss at every step, or NaN/Inf weights): the model is broken. */
export class TrainingDivergedError extends Error {}

/** Why the model diverged in this epoch, or null when it is still sound. */
async function divergence(
  model: tf.LayersModel,
  epoch: number,
  skippedSteps: number,
  steps: number,
  valLoss: number,
  valCount: number,
): Promise<string | null> {
  let broken = 0;
  for (const weight of model.weights) for (const v of await weight.read().data()) if (!Number.isFinite(v)) broken++;
  const why =
    broken > 0
      ? `${broken} model weights became NaN or Inf`
      : skippedSteps === steps
        ? `the loss or gradient was NaN or Inf at every step`
        : valCount > 0 && !Number.isFinite(valLoss)
          ? `the validation loss is NaN or Inf`
          : null;
  return why && `training diverged in epoch ${epoch}: ${why} (lower the learning rate or turn on gradient clipping)`;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function selectionValue(metrics: EpochMetrics, metric: SelectionMetric): number {
  switch (metric) {
    case 'val_uar':
      return metrics.valUar;
    case 'val_accuracy':
      return metrics.valAccuracy;
    case 'val_macro_f1':
      return metrics.valMacroF1;
    case 'val_loss':
      return metrics.valLoss;
  }
}

/** Loss, accuracy, UAR and macro-F1 of a model on a labelled set (no augmentation, inference mode). */
export async function evaluateSet(
  model: tf.LayersModel,
  set: LabelledSet,
  shape: ExampleShape,
  batchSize: number,
): Promise<{ loss: number; accuracy: number; uar: number; macroF1: number; probabilities: Float32Array }> {
  const probabilities = await predictProbabilities(model, set, shape.rows, shape.frames, batchSize);
  return { ...probabilityMetrics(probabilities, set.y, shape.numClasses), probabilities };
}

/** Loss (mean cross-entropy), accuracy, UAR and macro-F1 of class probabilities (count × k) against labels. */
export function probabilityMetrics(
  probabilities: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> },
  y: Int32Array,
  k: number,
): { loss: number; accuracy: number; uar: number; macroF1: number } {
  const count = y.length;
  const counts = new Float64Array(k * k);
  let lossSum = 0;
  for (let i = 0; i < count; i++) {
    const row = probabilities.subarray(i * k, (i + 1) * k);
    let best = 0;
    for (let c = 1; c < k; c++) if (row[c]! > row[best]!) best = c;
    const truth = y[i]!;
    counts[truth * k + best]! += 1;
    lossSum -= Math.log(Math.max(row[truth]!, 1e-12));
  }
  return { loss: count > 0 ? lossSum / count : NaN, ...headlineFromCounts(counts, k) };
}

export async function trainLoop(
  model: tf.LayersModel,
  train: LabelledSet,
  val: LabelledSet,
  shape: ExampleShape,
  config: TrainingConfig,
  hooks: LoopHooks = {},
): Promise<LoopResult> {
  const { rows, frames, numClasses } = shape;
  const slot = rows * frames;
  const log = hooks.onLog ?? (() => undefined);
  const trainLabels = Array.from(train.y);
  const { weights: classWeights, absentClasses } = computeClassWeights(trainLabels, numClasses, config.classWeights);
  if (absentClasses.length > 0) log(`classes absent from the training split (weight 0): ${absentClasses.join(', ')}`);
  const useWeights = config.classWeights === 'balanced' ? classWeights : undefined;

  const optimizer = createOptimizer({ name: config.optimizer, learningRate: config.learningRate, weightDecay: config.weightDecay });
  const plateau = new ReduceLROnPlateau({
    learningRate: config.learningRate,
    mode: 'min',
    factor: config.lrFactor,
    patience: config.lrPatience,
  });
  // An epoch must lower the validation loss by at least 1e-4 to count as progress for early stopping.
  const stopper = new EarlyStopping({ patience: config.earlyStoppingPatience, mode: 'min', minDelta: 1e-4 });
  const selectionMode = config.bestBy === 'val_loss' ? 'min' : 'max';
  const augmentRng = createRng(config.seed ^ 0x5eed);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const keeper =
    config.weightAveraging === 'none'
      ? null
      : new SnapshotKeeper({ mode: config.weightAveraging, count: config.averageEpochs, metricMode: selectionMode });

  const history: EpochMetrics[] = [];
  let bestValue = selectionMode === 'max' ? -Infinity : Infinity;
  let bestEpoch = 0;
  let stoppedEarly = false;
  let cancelled = false;
  // A folded last batch holds up to 1.5 batches (see sampler.batches).
  const batchBuffer = new Float32Array(Math.ceil(config.batchSize * 1.5) * slot);
  // A masked model's batches carry each clip's real frames (augmentation keeps padding padding).
  const masked = model.inputs.length > 1;
  const trainValid = masked ? train.validFrames : undefined;
  const batchesPerEpoch = foldedBatchCount(train.count, config.batchSize);
  const totalBatches = batchesPerEpoch * config.epochs;
  const cosine = config.lrSchedule === 'cosine';
  const stepLearningRate = (step: number) =>
    cosineLearningRate(step, {
      learningRate: config.learningRate,
      totalSteps: totalBatches,
      warmupSteps: config.warmupEpochs * batchesPerEpoch,
    });
  let batchesDone = 0;
  const loopStarted = performance.now();

  try {
    for (let epoch = 1; epoch <= config.epochs && !cancelled; epoch++) {
      const epochStarted = performance.now();
      const order = epochOrder(trainLabels, { seed: config.seed, epoch, balanced: config.balancedSampler });
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let skippedSteps = 0;
      const epochBatches = batches(order, config.batchSize, { foldShortLast: true });
      for (let b = 0; b < epochBatches.length; b++) {
        if (hooks.signal?.aborted) {
          cancelled = true;
          break;
        }
        const indices = epochBatches[b]!;
        const n = indices.length;
        const features = batchBuffer.subarray(0, n * slot);
        const labels = new Int32Array(n);
        const validFrames = trainValid ? new Int32Array(n) : undefined;
        indices.forEach((index, i) => {
          features.set(train.x.subarray(index * slot, (index + 1) * slot), i * slot);
          labels[i] = train.y[index]!;
          if (validFrames) validFrames[i] = trainValid![index]!;
        });
        if (cosine) optimizer.learningRate = stepLearningRate(batchesDone);
        const augmented = augmentBatch(
          { features, labels, batch: n, rows, frames, numClasses, ...(validFrames ? { validFrames } : {}) },
          config.augment,
          augmentRng,
        );

        let logitsKept: tf.Tensor | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const xs = tf.tensor4d(augmented.features, [n, rows, frames, 1]);
          const logits = model.apply(modelInputs(model, xs, augmented.validFrames), { training: true }) as tf.Tensor2D;
          logitsKept = tf.keep(logits);
          if (augmented.targets) {
            const targets = tf.tensor2d(augmented.targets, [n, numClasses]);
            return softTargetCrossEntropy(logits, targets, { classWeights: useWeights, labelSmoothing: config.labelSmoothing });
          }
          const ys = tf.tensor1d(labels, 'int32');
          return config.loss === 'focal'
            ? focalLoss(logits, ys, { gamma: config.focalGamma, classWeights: useWeights })
            : softmaxCrossEntropy(logits, ys, { classWeights: useWeights, labelSmoothing: config.labelSmoothing });
        }, variables);

        const clipped = config.clipNorm > 0 ? await clipByGlobalNorm(grads, config.clipNorm) : { grads, globalNorm: 0, clipped: false };
        const lossValue = (await value.data())[0]!;
        if (Number.isFinite(lossValue) && Number.isFinite(clipped.globalNorm)) {
          optimizer.applyGradients(clipped.grads, variables);
        } else {
          skippedSteps++;
          log(`epoch ${epoch} batch ${b + 1}: non-finite loss or gradient, step skipped`);
        }
        if (clipped.grads !== grads) tf.dispose(Object.values(clipped.grads));
        tf.dispose(Object.values(grads));
        value.dispose();

        const argMax = tf.argMax(logitsKept!, 1);
        tf.dispose(logitsKept!);
        const predicted = (await argMax.data()) as Int32Array;
        argMax.dispose();
        for (let i = 0; i < n; i++) if (predicted[i] === labels[i]) correct++;
        lossSum += lossValue * n;
        seen += n;
        batchesDone++;

        const elapsedS = (performance.now() - loopStarted) / 1000;
        const samplesPerSecond = seen / ((performance.now() - epochStarted) / 1000);
        hooks.onBatch?.({
          epoch,
          epochs: config.epochs,
          batch: b + 1,
          batches: epochBatches.length,
          loss: lossSum / seen,
          accuracy: correct / seen,
          samplesPerSecond,
          etaS: (elapsedS / batchesDone) * (totalBatches - batchesDone),
          learningRate: optimizer.learningRate,
        });
        await yieldToEventLoop();
      }
      if (cancelled || seen === 0) break;

      const trainSeconds = (performance.now() - epochStarted) / 1000;
      const validation = await evaluateSet(model, val, shape, Math.max(config.batchSize, 64));
      const diverged = await divergence(model, epoch, skippedSteps, epochBatches.length, validation.loss, val.count);
      if (diverged) throw new TrainingDivergedError(diverged);
      const learningRate = optimizer.learningRate;
      let nextLearningRate = learningRate;
      let reduced = false;
      if (cosine) {
        nextLearningRate = stepLearningRate(Math.min(batchesDone, totalBatches - 1));
      } else {
        ({ learningRate: nextLearningRate, reduced } = plateau.step(validation.loss));
        optimizer.learningRate = nextLearningRate;
      }
      const metrics: EpochMetrics = {
        epoch,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        valLoss: validation.loss,
        valAccuracy: validation.accuracy,
        valUar: validation.uar,
        valMacroF1: validation.macroF1,
        learningRate,
        nextLearningRate,
        lrReduced: reduced,
        improved: false,
        epochSeconds: (performance.now() - epochStarted) / 1000,
        samplesPerSecond: seen / trainSeconds,
        skippedSteps,
      };
      const value = selectionValue(metrics, config.bestBy);
      if (selectionMode === 'max' ? value > bestValue : value < bestValue) {
        bestValue = value;
        bestEpoch = epoch;
        metrics.improved = true;
      }
      // Read before the offer: it takes the snapshot synchronously, and reads here are asynchronous.
      const snapshot = keeper ? await snapshotWeights(model) : null;
      keeper?.offer(epoch, value, () => snapshot!);
      history.push(metrics);
      await hooks.onEpoch?.(metrics);
      if (config.earlyStoppingPatience > 0 && stopper.step(validation.loss, epoch).stop) {
        stoppedEarly = epoch < config.epochs;
        if (stoppedEarly)
          log(`early stopping after epoch ${epoch}: validation loss has not improved for ${config.earlyStoppingPatience} epochs`);
        break;
      }
    }
  } finally {
    optimizer.dispose();
  }
  const averaged = keeper && !cancelled && keeper.snapshots.length > 0 ? { epochs: keeper.epochs, weights: keeper.average() } : undefined;
  return { epochsRun: history.length, bestEpoch, bestValue, stoppedEarly, cancelled, history, ...(averaged ? { averaged } : {}) };
}
