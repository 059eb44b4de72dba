/**
 * Limited-memory BFGS with a backtracking (Armijo) line search: minimises a smooth function of a
 * parameter vector, deterministic, full-batch. Logistic regression and the MLP are fitted with it
 * (as sklearn's 'lbfgs' solver does for small data sets).
 */

/** Returns the objective at `w` and writes its gradient into `grad`. */
export type Objective = (w: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  maxIterations?: number;
  /** Stop when the largest gradient component is below this. */
  gradientTolerance?: number;
  /** Stop when an iteration lowers the objective by less than this fraction. */
  relativeTolerance?: number;
  memory?: number;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Minimises `f` from `w` (updated in place); returns the final objective and the iterations run. */
export function minimizeLbfgs(f: Objective, w: Float64Array, options: LbfgsOptions = {}): { value: number; iterations: number } {
  const { maxIterations = 300, gradientTolerance = 1e-5, relativeTolerance = 1e-9, memory = 10 } = options;
  const n = w.length;
  let grad = new Float64Array(n);
  let value = f(w, grad);
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhos: number[] = [];
  const direction = new Float64Array(n);
  const alphas = new Float64Array(memory);
  const trial = new Float64Array(n);
  let trialGrad = new Float64Array(n);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    if (maxAbs(grad) < gradientTolerance) break;
    // Two-loop recursion: direction = −H·grad.
    for (let i = 0; i < n; i++) direction[i] = -grad[i]!;
    for (let j = sHistory.length - 1; j >= 0; j--) {
      alphas[j] = rhos[j]! * dot(sHistory[j]!, direction);
      const yj = yHistory[j]!;
      for (let i = 0; i < n; i++) direction[i]! -= alphas[j]! * yj[i]!;
    }
    if (sHistory.length > 0) {
      const last = sHistory.length - 1;
      const scale = dot(sHistory[last]!, yHistory[last]!) / dot(yHistory[last]!, yHistory[last]!);
      for (let i = 0; i < n; i++) direction[i]! *= scale;
    } else {
      const norm = Math.sqrt(dot(grad, grad));
      for (let i = 0; i < n; i++) direction[i]! /= Math.max(norm, 1);
    }
    for (let j = 0; j < sHistory.length; j++) {
      const beta = rhos[j]! * dot(yHistory[j]!, direction);
      const sj = sHistory[j]!;
      for (let i = 0; i < n; i++) direction[i]! += sj[i]! * (alphas[j]! - beta);
    }
    let slope = dot(grad, direction);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHistory.length = yHistory.length = rhos.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -grad[i]!;
      slope = -dot(grad, grad);
    }
    let step = 1;
    let trialValue = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) trial[i] = w[i]! + step * direction[i]!;
      trialValue = f(trial, trialGrad);
      if (trialValue <= value + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(trialValue < value)) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = trial[i]! - w[i]!;
      y[i] = trialGrad[i]! - grad[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhos.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhos.push(1 / sy);
    }
    w.set(trial);
    [grad, trialGrad] = [trialGrad, grad];
    const improvement = value - trialValue;
    value = trialValue;
    if (improvement <= relativeTolerance * Math.max(Math.abs(value), 1)) {
      iterations++;
      break;
    }
  }
  return { value, iterations };
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}
