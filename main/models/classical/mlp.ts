/**
 * A small multilayer perceptron: one hidden layer of ReLU units, softmax output; minimises
 * Σ_i w_i · cross-entropy_i + ‖weights‖² / (2C) (biases not penalised; sklearn's alpha = 1/C) by
 * full-batch L-BFGS (sklearn's 'lbfgs' solver, suited to a few thousand examples), from a Glorot
 * uniform initialisation drawn with the seed: the same seed, the same model.
 */
import { createRng } from '../../util/random';
import { minimizeLbfgs } from './lbfgs';
import { expectNumbers, gridOr, type Learner, type TrainingData } from './learner';
import { classWeights, selectRows, softmaxRows, type Vectors } from './vectors';

const DEFAULT_C = [0.1, 1, 10, 100];
const MAX_ITERATIONS = 200;

export interface MlpParameters {
  hidden: number;
  /** Layout: W1 (hidden × d), b1 (hidden), W2 (K × hidden), b2 (K). */
  params: number[];
}

const sizeOf = (d: number, h: number, K: number): number => h * d + h + K * h + K;

/** Forward pass: hidden activations (n × h) and output scores (n × K). */
function forward(w: Float64Array, v: Vectors, h: number, K: number, hiddenOut: Float64Array, scores: Float64Array): void {
  const { n, d } = v;
  const b1 = h * d;
  const w2 = b1 + h;
  const b2 = w2 + K * h;
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < h; u++) {
      let s = w[b1 + u]!;
      for (let t = 0; t < d; t++) s += w[u * d + t]! * v.x[i * d + t]!;
      hiddenOut[i * h + u] = s > 0 ? s : 0;
    }
    for (let k = 0; k < K; k++) {
      let s = w[b2 + k]!;
      for (let u = 0; u < h; u++) s += w[w2 + k * h + u]! * hiddenOut[i * h + u]!;
      scores[i * K + k] = s;
    }
  }
}

export function fitMlp(
  v: Vectors,
  y: Int32Array,
  K: number,
  weightsPerClass: Float64Array,
  C: number,
  h: number,
  seed: number,
): MlpParameters {
  const { n, d } = v;
  const params = new Float64Array(sizeOf(d, h, K));
  const rng = createRng(seed);
  const limit1 = Math.sqrt(6 / (d + h));
  const limit2 = Math.sqrt(6 / (h + K));
  const b1 = h * d;
  const w2 = b1 + h;
  const b2 = w2 + K * h;
  for (let j = 0; j < b1; j++) params[j] = (2 * rng.next() - 1) * limit1;
  for (let j = w2; j < b2; j++) params[j] = (2 * rng.next() - 1) * limit2;
  const hiddenOut = new Float64Array(n * h);
  const scores = new Float64Array(n * K);
  const deltaHidden = new Float64Array(h);
  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    forward(w, v, h, K, hiddenOut, scores);
    softmaxRows(scores, K);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const weight = weightsPerClass[y[i]!]!;
      loss -= weight * Math.log(Math.max(scores[i * K + y[i]!]!, 1e-300));
      deltaHidden.fill(0);
      for (let k = 0; k < K; k++) {
        const g = weight * (scores[i * K + k]! - (k === y[i] ? 1 : 0));
        grad[b2 + k]! += g;
        for (let u = 0; u < h; u++) {
          grad[w2 + k * h + u]! += g * hiddenOut[i * h + u]!;
          deltaHidden[u]! += g * w[w2 + k * h + u]!;
        }
      }
      for (let u = 0; u < h; u++) {
        if (hiddenOut[i * h + u]! <= 0) continue;
        const g = deltaHidden[u]!;
        grad[b1 + u]! += g;
        for (let t = 0; t < d; t++) grad[u * d + t]! += g * v.x[i * d + t]!;
      }
    }
    for (let j = 0; j < params.length; j++) {
      if ((j >= b1 && j < w2) || j >= b2) continue;
      loss += (w[j]! * w[j]!) / (2 * C);
      grad[j]! += w[j]! / C;
    }
    return loss;
  };
  minimizeLbfgs(objective, params, { maxIterations: MAX_ITERATIONS, relativeTolerance: 1e-7 });
  return { hidden: h, params: Array.from(params) };
}

export function mlpProbabilities(p: MlpParameters, v: Vectors, K: number): Float64Array {
  const scores = new Float64Array(v.n * K);
  forward(Float64Array.from(p.params), v, p.hidden, K, new Float64Array(v.n * p.hidden), scores);
  return softmaxRows(scores, K);
}

function fitOn(data: TrainingData, idx: Int32Array, C: number, hidden: number): MlpParameters {
  const y = idx.map((i) => data.y[i]!);
  const weights = classWeights(y, data.numClasses, data.classWeights);
  return fitMlp(selectRows(data.vectors, idx), y, data.numClasses, weights, C, hidden, data.seed);
}

export const mlpLearner: Learner<MlpParameters> = {
  candidates: (settings) => gridOr(settings.cValues, DEFAULT_C).map((C) => ({ C, hiddenUnits: settings.hiddenUnits })),
  crossScores: (data, train, held, h) =>
    mlpProbabilities(fitOn(data, train, h.C!, h.hiddenUnits!), selectRows(data.vectors, held), data.numClasses),
  fit: (data, h) =>
    fitOn(
      data,
      Int32Array.from({ length: data.vectors.n }, (_, i) => i),
      h.C!,
      h.hiddenUnits!,
    ),
  probabilities: mlpProbabilities,
  check(value, dims, numClasses): asserts value is MlpParameters {
    const p = value as MlpParameters;
    if (!(Number.isInteger(p?.hidden) && p.hidden >= 1)) throw new Error('hidden must be a positive integer');
    expectNumbers(p.params, sizeOf(dims, p.hidden, numClasses), 'params');
  },
};
