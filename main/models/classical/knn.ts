/**
 * k-nearest neighbours: Euclidean distance on the standardised vectors; the class probabilities
 * are the neighbours' votes, each weighted by its class weight (so 'balanced' evens out the
 * classes), normalised. Equal distances go to the earlier training example. The model is the
 * training set itself.
 */
import { expectNumbers, gridOr, type Learner, type TrainingData } from './learner';
import { classWeights, selectRows, type Vectors } from './vectors';

const DEFAULT_K = [1, 3, 5, 9, 15, 25];

export interface KnnParameters {
  k: number;
  /** The training vectors (n × dims) and their classes. */
  x: number[];
  y: number[];
  classWeights: number[];
}

function squaredDistance(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const diff = a[i + t]! - b[j + t]!;
    s += diff * diff;
  }
  return s;
}

/** Probabilities of `queries` from the votes of their k nearest among `train` (labels `y`). */
function vote(
  train: Vectors,
  y: ArrayLike<number>,
  weights: ArrayLike<number>,
  k: number,
  queries: Vectors,
  numClasses: number,
): Float64Array {
  const out = new Float64Array(queries.n * numClasses);
  const neighbours = Math.min(k, train.n);
  const order = Array.from({ length: train.n }, (_, j) => j);
  const distances = new Float64Array(train.n);
  for (let i = 0; i < queries.n; i++) {
    for (let j = 0; j < train.n; j++) distances[j] = squaredDistance(queries.x, i * queries.d, train.x, j * train.d, train.d);
    order.sort((a, b) => distances[a]! - distances[b]! || a - b);
    let total = 0;
    for (let r = 0; r < neighbours; r++) {
      const label = y[order[r]!]!;
      out[i * numClasses + label]! += weights[label]!;
      total += weights[label]!;
    }
    for (let c = 0; c < numClasses; c++) out[i * numClasses + c] = total > 0 ? out[i * numClasses + c]! / total : 1 / numClasses;
  }
  return out;
}

function fitOn(data: TrainingData, idx: Int32Array, k: number): KnnParameters {
  const y = idx.map((i) => data.y[i]!);
  return {
    k,
    x: Array.from(selectRows(data.vectors, idx).x),
    y: Array.from(y),
    classWeights: Array.from(classWeights(y, data.numClasses, data.classWeights)),
  };
}

export function knnProbabilities(p: KnnParameters, queries: Vectors, numClasses: number): Float64Array {
  const train = { x: Float64Array.from(p.x), n: p.y.length, d: queries.d };
  return vote(train, p.y, p.classWeights, p.k, queries, numClasses);
}

export const knnLearner: Learner<KnnParameters> = {
  candidates: (settings) => gridOr(settings.kValues, DEFAULT_K).map((k) => ({ k })),
  crossScores: (data, train, held, h) => knnProbabilities(fitOn(data, train, h.k!), selectRows(data.vectors, held), data.numClasses),
  fit: (data, h) =>
    fitOn(
      data,
      Int32Array.from({ length: data.vectors.n }, (_, i) => i),
      h.k!,
    ),
  probabilities: knnProbabilities,
  check(value, dims, numClasses): asserts value is KnnParameters {
    const p = value as KnnParameters;
    if (!(Number.isInteger(p?.k) && p.k >= 1)) throw new Error('k must be a positive integer');
    if (!Array.isArray(p.y) || !p.y.every((label) => Number.isInteger(label) && label >= 0 && label < numClasses))
      throw new Error(`y must hold class indices below ${numClasses}`);
    expectNumbers(p.x, p.y.length * dims, 'x');
    expectNumbers(p.classWeights, numClasses, 'classWeights');
  },
};
