/**
 * Support vector machines, one-vs-rest, for the linear and the RBF kernel. Each binary problem is
 * the hinge-loss dual solved by coordinate descent (Hsieh et al., ICML 2008) on the kernel matrix,
 * the bias absorbed as a constant feature (kernel + 1, as liblinear does); class weights scale
 * each example's C. Probabilities: a Platt sigmoid per class (Lin, Lin & Weng 2007) fitted on the
 * out-of-fold decision values of the inner cross-validation (held-out speakers), normalised over
 * the classes. The visiting order is shuffled with the seed: the same seed, the same model.
 *
 * The kernel matrix of the training examples is held in memory (n² float32: 7 000 clips ≈ 200 MB).
 * RBF γ is given as a multiple of 1 / dims (sklearn's 'scale' for standardised features).
 */
import { createRng, type Rng } from '../../util/random';
import { classWeights, type Vectors } from './vectors';
import { expectNumbers, gridOr, type HyperParameters, type Learner, type TrainingData } from './learner';

export type Kernel = 'linear' | 'rbf';

const DEFAULT_C: Record<Kernel, readonly number[]> = { linear: [1e-4, 1e-3, 1e-2, 1e-1, 1], rbf: [0.1, 1, 10, 100] };
const DEFAULT_GAMMA_SCALES = [0.25, 1, 4];
const MAX_EPOCHS = 1000;
const TOLERANCE = 0.1;

interface Platt {
  a: number;
  b: number;
}

export type SvmParameters =
  | { kernel: 'linear'; weights: number[]; bias: number[]; platt: Platt[] }
  | { kernel: 'rbf'; gamma: number; supportVectors: number[]; coefficients: number[]; platt: Platt[] };

/** k(a_i, b_j) + 1 for every pair: an a.n × b.n matrix. */
export function kernelMatrix(a: Vectors, b: Vectors, kernel: Kernel, gamma: number): Float32Array {
  const { d } = a;
  const out = new Float32Array(a.n * b.n);
  const normsB = new Float64Array(b.n);
  for (let j = 0; j < b.n; j++) normsB[j] = dotRows(b.x, j * d, b.x, j * d, d);
  for (let i = 0; i < a.n; i++) {
    const normA = kernel === 'rbf' ? dotRows(a.x, i * d, a.x, i * d, d) : 0;
    for (let j = 0; j < b.n; j++) {
      const dot = dotRows(a.x, i * d, b.x, j * d, d);
      out[i * b.n + j] = (kernel === 'rbf' ? Math.exp(-gamma * Math.max(normA + normsB[j]! - 2 * dot, 0)) : dot) + 1;
    }
  }
  return out;
}

function dotRows(x: Float64Array, i: number, z: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) s += x[i + t]! * z[j + t]!;
  return s;
}

/**
 * One binary hinge-loss SVM on the m × m kernel matrix `gram` of its examples, from the dual
 * variables `start` (a solution for a smaller C: still feasible, and close) or zero; returns α.
 * The decision function is f(x) = Σ α_j y_j K'(x_j, x).
 */
export function solveBinary(gram: Float32Array, y: Int8Array, cost: Float64Array, rng: Rng, start?: Float64Array): Float64Array {
  const m = y.length;
  const alpha = new Float64Array(m);
  const f = new Float64Array(m);
  if (start) {
    for (let i = 0; i < m; i++) {
      alpha[i] = Math.min(start[i]!, cost[i]!);
      if (alpha[i] === 0) continue;
      const row = i * m;
      const delta = alpha[i]! * y[i]!;
      for (let t = 0; t < m; t++) f[t]! += delta * gram[row + t]!;
    }
  }
  const order = Array.from({ length: m }, (_, i) => i);
  for (let epoch = 0; epoch < MAX_EPOCHS; epoch++) {
    rng.shuffle(order);
    let pgMax = -Infinity;
    let pgMin = Infinity;
    for (const i of order) {
      const g = y[i]! * f[i]! - 1;
      const pg = alpha[i] === 0 ? Math.min(g, 0) : alpha[i] === cost[i] ? Math.max(g, 0) : g;
      if (pg > pgMax) pgMax = pg;
      if (pg < pgMin) pgMin = pg;
      if (Math.abs(pg) < 1e-12) continue;
      const row = i * m;
      const old = alpha[i]!;
      alpha[i] = Math.min(Math.max(old - g / gram[row + i]!, 0), cost[i]!);
      const delta = (alpha[i]! - old) * y[i]!;
      if (delta !== 0) for (let t = 0; t < m; t++) f[t]! += delta * gram[row + t]!;
    }
    if (pgMax - pgMin < TOLERANCE) break;
  }
  return alpha;
}

/**
 * β = α·y of every one-vs-rest problem (numClasses × idx.length). The α of the last C solved on
 * the same examples and kernel (`warmKey`) start the next, larger C: the grid lists C ascending.
 */
function solveOneVsRest(
  data: TrainingData,
  gram: Float32Array,
  N: number,
  idx: Int32Array,
  C: number,
  warm: Map<string, unknown>,
  warmKey: string,
): Float64Array[] {
  const yPart = idx.map((i) => data.y[i]!);
  const weights = classWeights(yPart, data.numClasses, data.classWeights);
  const cost = Float64Array.from(yPart, (k) => C * weights[k]!);
  const rng = createRng(data.seed);
  const previous = warm.get(warmKey) as { C: number; alphas: Float64Array[] } | undefined;
  const starts = previous && previous.C <= C ? previous.alphas : undefined;
  const m = idx.length;
  // The examples' own kernel matrix, contiguous: the solver's inner loop reads its rows.
  let sub = gram;
  if (m < N) {
    sub = new Float32Array(m * m);
    for (let i = 0; i < m; i++) for (let t = 0; t < m; t++) sub[i * m + t] = gram[idx[i]! * N + idx[t]!]!;
  }
  const alphas = Array.from({ length: data.numClasses }, (_, k) => {
    const y = Int8Array.from(yPart, (label) => (label === k ? 1 : -1));
    return solveBinary(sub, y, cost, rng.fork(), starts?.[k]);
  });
  warm.set(warmKey, { C, alphas });
  return alphas.map((alpha, k) => alpha.map((a, i) => (yPart[i] === k ? a : -a)));
}

/**
 * Platt's sigmoid P(y = 1 | f) = 1 / (1 + exp(a f + b)) fitted by Newton's method with backtracking
 * (Lin, Lin & Weng, "A note on Platt's probabilistic outputs", 2007), on regularised targets.
 */
export function fitPlatt(decisions: ArrayLike<number>, positive: ArrayLike<boolean>): Platt {
  const n = decisions.length;
  let prior1 = 0;
  for (let i = 0; i < n; i++) if (positive[i]) prior1++;
  const prior0 = n - prior1;
  const hiTarget = (prior1 + 1) / (prior1 + 2);
  const loTarget = 1 / (prior0 + 2);
  const t = Float64Array.from({ length: n }, (_, i) => (positive[i] ? hiTarget : loTarget));
  let a = 0;
  let b = Math.log((prior0 + 1) / (prior1 + 1));
  const objective = (A: number, B: number): number => {
    let fval = 0;
    for (let i = 0; i < n; i++) {
      const fApB = decisions[i]! * A + B;
      fval += fApB >= 0 ? t[i]! * fApB + Math.log1p(Math.exp(-fApB)) : (t[i]! - 1) * fApB + Math.log1p(Math.exp(fApB));
    }
    return fval;
  };
  let fval = objective(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let h11 = 1e-12;
    let h22 = 1e-12;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < n; i++) {
      const fApB = decisions[i]! * a + b;
      const p = fApB >= 0 ? Math.exp(-fApB) / (1 + Math.exp(-fApB)) : 1 / (1 + Math.exp(fApB));
      const q = 1 - p;
      const d2 = p * q;
      h11 += decisions[i]! * decisions[i]! * d2;
      h22 += d2;
      h21 += decisions[i]! * d2;
      const d1 = t[i]! - p;
      g1 += decisions[i]! * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < 1e-5 && Math.abs(g2) < 1e-5) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let step = 1;
    while (step >= 1e-10) {
      const newF = objective(a + step * dA, b + step * dB);
      if (newF < fval + 1e-4 * step * gd) {
        a += step * dA;
        b += step * dB;
        fval = newF;
        break;
      }
      step /= 2;
    }
    if (step < 1e-10) break;
  }
  return { a, b };
}

/** Decision values → probabilities: each class's Platt sigmoid, normalised over the classes. */
function plattProbabilities(decisions: Float64Array, platt: readonly Platt[]): Float64Array {
  const K = platt.length;
  const out = new Float64Array(decisions.length);
  for (let i = 0; i < decisions.length; i += K) {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const z = decisions[i + k]! * platt[k]!.a + platt[k]!.b;
      sum += out[i + k] = Math.max(z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z)), 1e-12);
    }
    for (let k = 0; k < K; k++) out[i + k]! /= sum;
  }
  return out;
}

function gramFor(data: TrainingData, kernel: Kernel, gamma: number, cache: Map<string, unknown>): Float32Array {
  const key = `${kernel}:${gamma}`;
  let gram = cache.get(key) as Float32Array | undefined;
  if (!gram) {
    gram = kernelMatrix(data.vectors, data.vectors, kernel, gamma);
    cache.set(key, gram);
  }
  return gram;
}

const gammaOf = (h: HyperParameters, dims: number): number => (h.gammaScale ?? 1) / dims;

export function svmLearner(kernel: Kernel): Learner<SvmParameters> {
  return {
    candidates(settings) {
      const cs = gridOr(settings.cValues, DEFAULT_C[kernel]);
      if (kernel === 'linear') return cs.map((C) => ({ C }));
      return gridOr(settings.gammaScales, DEFAULT_GAMMA_SCALES).flatMap((gammaScale) => cs.map((C) => ({ C, gammaScale })));
    },
    crossScores(data, train, held, h, cache) {
      const N = data.vectors.n;
      const gram = gramFor(data, kernel, gammaOf(h, data.vectors.d), cache);
      const betas = solveOneVsRest(data, gram, N, train, h.C!, cache, `warm:${kernel}:${h.gammaScale}:${held[0]}:${held.length}`);
      const K = data.numClasses;
      const scores = new Float64Array(held.length * K);
      held.forEach((v, r) => {
        const row = v * N;
        for (let k = 0; k < K; k++) {
          const beta = betas[k]!;
          let s = 0;
          for (let j = 0; j < train.length; j++) if (beta[j] !== 0) s += beta[j]! * gram[row + train[j]!]!;
          scores[r * K + k] = s;
        }
      });
      return scores;
    },
    fit(data, h, outOfFold, cache) {
      const { vectors, numClasses: K } = data;
      const N = vectors.n;
      const gamma = gammaOf(h, vectors.d);
      const all = Int32Array.from({ length: N }, (_, i) => i);
      const betas = solveOneVsRest(data, gramFor(data, kernel, gamma, cache), N, all, h.C!, new Map(), 'all');
      const platt = Array.from({ length: K }, (_, k) =>
        fitPlatt(
          Float64Array.from({ length: N }, (_, i) => outOfFold[i * K + k]!),
          Array.from(data.y, (label) => label === k),
        ),
      );
      if (kernel === 'linear') {
        const weights = new Array<number>(K * vectors.d).fill(0);
        const bias = new Array<number>(K).fill(0);
        for (let k = 0; k < K; k++) {
          for (let j = 0; j < N; j++) {
            const beta = betas[k]![j]!;
            if (beta === 0) continue;
            bias[k]! += beta;
            for (let t = 0; t < vectors.d; t++) weights[k * vectors.d + t]! += beta * vectors.x[j * vectors.d + t]!;
          }
        }
        return { kernel, weights, bias, platt };
      }
      const support = [...all].filter((j) => betas.some((beta) => beta[j] !== 0));
      return {
        kernel,
        gamma,
        supportVectors: support.flatMap((j) => Array.from(vectors.x.subarray(j * vectors.d, (j + 1) * vectors.d))),
        coefficients: betas.flatMap((beta) => support.map((j) => beta[j]!)),
        platt,
      };
    },
    scoresToProbabilities: (p, scores) => plattProbabilities(scores, p.platt),
    probabilities(p, vectors, numClasses) {
      const decisions = new Float64Array(vectors.n * numClasses);
      if (p.kernel === 'linear') {
        const weights = Float64Array.from(p.weights);
        for (let i = 0; i < vectors.n; i++)
          for (let k = 0; k < numClasses; k++)
            decisions[i * numClasses + k] = dotRows(vectors.x, i * vectors.d, weights, k * vectors.d, vectors.d) + p.bias[k]!;
      } else {
        const m = p.supportVectors.length / vectors.d;
        const kernel = kernelMatrix(vectors, { x: Float64Array.from(p.supportVectors), n: m, d: vectors.d }, 'rbf', p.gamma);
        for (let i = 0; i < vectors.n; i++)
          for (let k = 0; k < numClasses; k++) {
            let s = 0;
            for (let j = 0; j < m; j++) s += p.coefficients[k * m + j]! * kernel[i * m + j]!;
            decisions[i * numClasses + k] = s;
          }
      }
      return plattProbabilities(decisions, p.platt);
    },
    check(value, dims, numClasses): asserts value is SvmParameters {
      const p = value as SvmParameters;
      if (p?.kernel !== kernel) throw new Error(`the parameters are not those of a ${kernel} SVM`);
      if (!Array.isArray(p.platt) || p.platt.length !== numClasses || !p.platt.every((s) => Number.isFinite(s?.a) && Number.isFinite(s?.b)))
        throw new Error(`platt must hold ${numClasses} finite sigmoids`);
      if (p.kernel === 'linear') {
        expectNumbers(p.weights, numClasses * dims, 'weights');
        expectNumbers(p.bias, numClasses, 'bias');
      } else {
        if (!(typeof p.gamma === 'number' && p.gamma > 0)) throw new Error('gamma must be a positive number');
        if (!Array.isArray(p.supportVectors) || p.supportVectors.length % dims !== 0)
          throw new Error(`supportVectors must be vectors of ${dims} values`);
        expectNumbers(p.supportVectors, p.supportVectors.length, 'supportVectors');
        expectNumbers(p.coefficients, (numClasses * p.supportVectors.length) / dims, 'coefficients');
      }
    },
  };
}
