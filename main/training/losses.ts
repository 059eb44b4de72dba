/**
 * Classification losses on LOGITS, mirroring PyTorch's reductions:
 *
 * - `softmaxCrossEntropy` = F.cross_entropy(logits, y, weight=w, label_smoothing=ε), reduction
 *   'mean': with nll_i = −log p_{i,y_i} and smooth_i = −Σ_c w_c·log p_{i,c},
 *   loss = (1−ε)·Σ w_{y_i}·nll_i / Σ w_{y_i} + (ε/C)·Σ smooth_i / Σ w_{y_i}.
 *   Without weights every w is 1, so this is the plain batch mean.
 * - `softTargetCrossEntropy` = F.cross_entropy with probability targets (mixup):
 *   loss = mean_i −Σ_c w_c·t_{i,c}·log p_{i,c}; PyTorch divides by the batch size here, not by
 *   the weights.
 * - `focalLoss` (Lin et al. 2017): loss_i = −(1−p_{i,y})^γ · log p_{i,y}, with p the unweighted
 *   softmax probability, reduced like the weighted cross entropy (Σ w_y·loss_i / Σ w_y) so that
 *   γ = 0 gives exactly `softmaxCrossEntropy`.
 *
 * `computeClassWeights` mirrors sklearn's compute_class_weight('balanced'): n / (C · count_c).
 */
import * as tf from '@tensorflow/tfjs';
import type { ClassWeightMode } from '../schema/names';

export interface CrossEntropyOptions {
  classWeights?: number[];
  labelSmoothing?: number;
}

export interface FocalLossOptions {
  gamma?: number;
  classWeights?: number[];
}

function classWeightTensor(numClasses: number, classWeights: number[] | undefined): tf.Tensor1D {
  if (classWeights !== undefined && classWeights.length !== numClasses) {
    throw new Error(`Expected ${numClasses} class weights, got ${classWeights.length}`);
  }
  return tf.tensor1d(classWeights ?? new Array<number>(numClasses).fill(1), 'float32');
}

/** Log-probability of each sample's own class, shape [batch]. */
function trueClassLogProb(logProbs: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logProbs.shape[1]).toFloat();
  return tf.sum(tf.mul(logProbs, oneHot), 1) as tf.Tensor1D;
}

export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, options: CrossEntropyOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const smoothing = options.labelSmoothing ?? 0;
    const weights = classWeightTensor(numClasses, options.classWeights);
    const logProbs = tf.logSoftmax(logits);
    const sampleWeights = tf.gather(weights, tf.cast(labels, 'int32'));
    const weightSum = tf.sum(sampleWeights);
    const nll = tf.div(tf.sum(tf.mul(sampleWeights, tf.neg(trueClassLogProb(logProbs, labels)))), weightSum);
    if (smoothing === 0) return nll as tf.Scalar;
    const smooth = tf.div(tf.neg(tf.sum(tf.mul(logProbs, weights))), weightSum);
    return tf.add(tf.mul(nll, 1 - smoothing), tf.mul(smooth, smoothing / numClasses)) as tf.Scalar;
  });
}

/** Cross entropy against probability targets [batch, C] (e.g. from mixup). */
export function softTargetCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D, options: CrossEntropyOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const smoothing = options.labelSmoothing ?? 0;
    const weights = classWeightTensor(numClasses, options.classWeights);
    const smoothed = smoothing === 0 ? targets : tf.add(tf.mul(targets, 1 - smoothing), smoothing / numClasses);
    const perSample = tf.neg(tf.sum(tf.mul(tf.mul(tf.logSoftmax(logits), smoothed), weights), 1));
    return tf.mean(perSample) as tf.Scalar;
  });
}

export function focalLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, options: FocalLossOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const gamma = options.gamma ?? 2;
    const weights = classWeightTensor(logits.shape[1], options.classWeights);
    const logPt = trueClassLogProb(tf.logSoftmax(logits), labels);
    // γ = 0 skips the pow: its gradient at (1−p) = 0 would be 0·0⁻¹ = NaN.
    const modulator = gamma === 0 ? tf.onesLike(logPt) : tf.pow(tf.sub(1, tf.exp(logPt)), gamma);
    const sampleWeights = tf.gather(weights, tf.cast(labels, 'int32'));
    const weighted = tf.mul(sampleWeights, tf.neg(tf.mul(modulator, logPt)));
    return tf.div(tf.sum(weighted), tf.sum(sampleWeights)) as tf.Scalar;
  });
}

export type { ClassWeightMode } from '../schema/names';

export interface ClassWeights {
  weights: number[];
  /** Classes with no training sample; 'balanced' gives them weight 0. */
  absentClasses: number[];
}

/** Class weights from the training labels: 'balanced' = n / (C · count_c), 'none' = all 1. */
export function computeClassWeights(labels: number[], numClasses: number, mode: ClassWeightMode): ClassWeights {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) {
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new Error(`Label ${label} is outside 0..${numClasses - 1}`);
    }
    counts[label] += 1;
  }
  const absentClasses = counts.flatMap((count, c) => (count === 0 ? [c] : []));
  const weights = counts.map((count) => {
    if (mode === 'none') return 1;
    return count === 0 ? 0 : labels.length / (numClasses * count);
  });
  return { weights, absentClasses };
}
