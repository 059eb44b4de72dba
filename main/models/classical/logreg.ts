/**
 * Multinomial logistic regression with an L2 penalty: minimises Σ_i w_i · cross-entropy_i +
 * ‖W‖² / (2C) (sklearn's C; the bias is not penalised), w_i the class weight of example i, by
 * L-BFGS from zero weights (a convex problem: no seed needed).
 */
import { minimizeLbfgs } from './lbfgs';
import { expectNumbers, gridOr, type Learner, type TrainingData } from './learner';
import { classWeights, selectRows, softmaxRows, type Vectors } from './vectors';

const DEFAULT_C = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

export interface LogregParameters {
  weights: number[];
  bias: number[];
}

/** Fits W (K × d) and b on `v`, `y`, from `start` (a fit for another C on the same data) or zero. */
export function fitLogreg(
  v: Vectors,
  y: Int32Array,
  numClasses: number,
  weightsPerClass: Float64Array,
  C: number,
  start?: Float64Array,
): LogregParameters {
  const { n, d } = v;
  const K = numClasses;
  const params = start ? Float64Array.from(start) : new Float64Array(K * d + K);
  const scores = new Float64Array(n * K);
  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    scores.fill(0);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < K; k++) {
        let s = w[K * d + k]!;
        for (let t = 0; t < d; t++) s += w[k * d + t]! * v.x[i * d + t]!;
        scores[i * K + k] = s;
      }
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, scores[i * K + k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(scores[i * K + k]! - max);
      const logSum = max + Math.log(sum);
      const weight = weightsPerClass[y[i]!]!;
      loss += weight * (logSum - scores[i * K + y[i]!]!);
      for (let k = 0; k < K; k++) {
        const g = weight * (Math.exp(scores[i * K + k]! - logSum) - (k === y[i] ? 1 : 0));
        if (g === 0) continue;
        grad[K * d + k]! += g;
        for (let t = 0; t < d; t++) grad[k * d + t]! += g * v.x[i * d + t]!;
      }
    }
    for (let j = 0; j < K * d; j++) {
      loss += (w[j]! * w[j]!) / (2 * C);
      grad[j]! += w[j]! / C;
    }
    return loss;
  };
  minimizeLbfgs(objective, params, { maxIterations: 500 });
  return { weights: Array.from(params.subarray(0, K * d)), bias: Array.from(params.subarray(K * d)) };
}

export function logregProbabilities(p: LogregParameters, v: Vectors, numClasses: number): Float64Array {
  const scores = new Float64Array(v.n * numClasses);
  for (let i = 0; i < v.n; i++)
    for (let k = 0; k < numClasses; k++) {
      let s = p.bias[k]!;
      for (let t = 0; t < v.d; t++) s += p.weights[k * v.d + t]! * v.x[i * v.d + t]!;
      scores[i * numClasses + k] = s;
    }
  return softmaxRows(scores, numClasses);
}

/** Fits on the examples `idx`, starting from the last fit on the same examples (`warmKey`): the grid lists C ascending. */
function fitOn(data: TrainingData, idx: Int32Array, C: number, cache: Map<string, unknown>, warmKey: string): LogregParameters {
  const y = idx.map((i) => data.y[i]!);
  const weights = classWeights(y, data.numClasses, data.classWeights);
  const fitted = fitLogreg(selectRows(data.vectors, idx), y, data.numClasses, weights, C, cache.get(warmKey) as Float64Array | undefined);
  cache.set(warmKey, Float64Array.from([...fitted.weights, ...fitted.bias]));
  return fitted;
}

export const logregLearner: Learner<LogregParameters> = {
  candidates: (settings) => gridOr(settings.cValues, DEFAULT_C).map((C) => ({ C })),
  crossScores: (data, train, held, h, cache) =>
    logregProbabilities(
      fitOn(data, train, h.C!, cache, `logreg:${held[0]}:${held.length}`),
      selectRows(data.vectors, held),
      data.numClasses,
    ),
  fit: (data, h) =>
    fitOn(
      data,
      Int32Array.from({ length: data.vectors.n }, (_, i) => i),
      h.C!,
      new Map(),
      'all',
    ),
  probabilities: logregProbabilities,
  check(value, dims, numClasses): asserts value is LogregParameters {
    const p = value as LogregParameters;
    expectNumbers(p?.weights, numClasses * dims, 'weights');
    expectNumbers(p.bias, numClasses, 'bias');
  },
};
