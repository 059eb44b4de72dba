/**
 * Feature vectors as the classical classifiers take them: n examples × d dimensions, row-major,
 * in float64; labels are class indices 0 … numClasses − 1.
 */
import type { ClassWeightMode } from '../../schema/names';

export interface Vectors {
  x: Float64Array;
  n: number;
  d: number;
}

/** The rows `indices` of `v`, in that order. */
export function selectRows(v: Vectors, indices: ArrayLike<number>): Vectors {
  const x = new Float64Array(indices.length * v.d);
  for (let r = 0; r < indices.length; r++) x.set(v.x.subarray(indices[r]! * v.d, (indices[r]! + 1) * v.d), r * v.d);
  return { x, n: indices.length, d: v.d };
}

/** Vectors from float32 examples (as a LabelledSet holds them: each clip's rows × 1 frame). */
export function vectorsFrom(x: Float32Array, n: number, d: number): Vectors {
  if (x.length !== n * d) throw new Error(`expected ${n} vectors of ${d} values, got ${x.length} values`);
  return { x: Float64Array.from(x), n, d };
}

/**
 * Per-class weights: 'balanced' gives class k the weight n / (K · n_k) (sklearn's convention, so
 * every class carries the same total weight), 'none' gives every class 1.
 */
export function classWeights(y: ArrayLike<number>, numClasses: number, mode: ClassWeightMode): Float64Array {
  const weights = new Float64Array(numClasses).fill(1);
  if (mode === 'none') return weights;
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < y.length; i++) counts[y[i]!]! += 1;
  const present = counts.filter((c) => c > 0).length;
  for (let k = 0; k < numClasses; k++) weights[k] = counts[k]! > 0 ? y.length / (present * counts[k]!) : 0;
  return weights;
}

/** Index of the largest value of each row (the first on ties). */
export function argmaxRows(scores: Float64Array, numClasses: number): Int32Array {
  const n = scores.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (scores[i * numClasses + k]! > scores[i * numClasses + best]!) best = k;
    out[i] = best;
  }
  return out;
}

/** Unweighted average recall of predictions: the mean over the classes present of each class's recall. */
export function unweightedAverageRecall(y: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number {
  const hits = new Float64Array(numClasses);
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < y.length; i++) {
    counts[y[i]!]! += 1;
    if (predicted[i] === y[i]) hits[y[i]!]! += 1;
  }
  let sum = 0;
  let present = 0;
  for (let k = 0; k < numClasses; k++) {
    if (counts[k]! === 0) continue;
    sum += hits[k]! / counts[k]!;
    present++;
  }
  return present ? sum / present : 0;
}

/** Row-wise softmax of n × K scores, in place; returns the same array. */
export function softmaxRows(scores: Float64Array, numClasses: number): Float64Array {
  for (let i = 0; i < scores.length; i += numClasses) {
    let max = -Infinity;
    for (let k = 0; k < numClasses; k++) max = Math.max(max, scores[i + k]!);
    let sum = 0;
    for (let k = 0; k < numClasses; k++) sum += scores[i + k] = Math.exp(scores[i + k]! - max);
    for (let k = 0; k < numClasses; k++) scores[i + k]! /= sum;
  }
  return scores;
}
