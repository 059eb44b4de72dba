/**
 * A bidirectional GRU over whole sequences as two kernels, forward and gradient, for the wasm and
 * cpu backends: the math of models/gru.ts (tfjs's GRUCell, hard-sigmoid gates, masked steps
 * carrying the state), computed with a few BLAS products instead of ~25 tfjs ops per time step.
 * As ops, a CRNN training step ran ~3200 kernels, most of them the GRU's tiny per-step ones,
 * each paying tfjs's dispatch and tape overhead.
 *
 * Per direction, with W [F, 3u], U [u, 3u], b [3u] (gate columns z, r, h):
 * - forward: G = x·W for every step at once (one product), then per step h·U_zr and (r ⊙ h)·U_h
 *   (two small products, rows of a step are every T-th row of G, so no copy) and the gates in
 *   one loop. The kernel returns the states y [B, T, 2u] and the gates' values G ([2, B·T, 3u]:
 *   the hard sigmoid's inputs a_z, a_r and the candidate ĥ) for the gradient.
 * - gradient: back through time, per step two products for dh_prev (through U_h and U_zr); the
 *   pre-activation gradients of all steps dG [B·T, 3u] then give dW = xᵀ·dG, dU = [h_prevᵀ·dG_zr,
 *   (r ⊙ h_prev)ᵀ·dG_h], db = Σ dG and dx = Σ_directions dG·Wᵀ as one product each.
 *
 * A mask m [B, T] enters as the ops do it, h' = h + m·(next − h), so a padded step carries the
 * state and passes its gradient back unchanged. The gradient needs a BLAS; the forward kernel
 * runs without one too (the input projection then as the backend's matmul, the per-step products
 * as plain loops), which is fast enough for a few clips at a time (inference).
 */
import * as tf from '@tensorflow/tfjs';
import type { Blas } from '../blas';
import { activeBlas } from './blas-kernels';
import { hasKernel, KernelRunner, type FastBackendName } from './runner';

export const GRU_FORWARD = 'SerBiGruForward';
export const GRU_GRAD = 'SerBiGruGrad';

/** Without a BLAS, up to this many sequences per call run through the fused forward kernel. */
export const FUSED_GRU_MAX_BATCH_WITHOUT_BLAS = 16;

/** tfjs's hard sigmoid clip(0.2·x + 0.5, 0, 1); 0.2 as the float32 tfjs multiplies by. */
const SLOPE = Math.fround(0.2);

function clip01(a: number): number {
  return a < 0 ? 0 : a > 1 ? 1 : a;
}

type Gemm = Blas['sgemm'];

/** C = A·B (+ C when beta is 1), row-major, no transposes: the per-step products when there is no BLAS. */
const loopGemm: Gemm = (transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc) => {
  if (transA || transB) throw new Error('the fused GRU needs a BLAS for transposed products');
  for (let i = 0; i < m; i++) {
    const ci = i * ldc;
    if (beta === 0) c.fill(0, ci, ci + n);
    for (let p = 0; p < k; p++) {
      const av = a[i * lda + p]!;
      if (av === 0) continue;
      const bp = p * ldb;
      for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j]!;
    }
  }
};

/** Reusable scratch buffers in plain memory (never a view of the wasm heap, which may move). */
const scratch: Float32Array[] = [];

function scratchBuffer(slot: number, size: number): Float32Array {
  const existing = scratch[slot];
  if (existing != null && existing.length >= size) return existing.subarray(0, size);
  const buffer = new Float32Array(size);
  scratch[slot] = buffer;
  return buffer;
}

interface Sizes {
  batch: number;
  time: number;
  features: number;
  units: number;
}

/** The time index of walk step s in direction d (0 forward, 1 backward). */
function timeAt(d: number, s: number, time: number): number {
  return d === 0 ? s : time - 1 - s;
}

/**
 * One direction's recurrence. `g` holds x·W for every (clip, time) row and is overwritten with
 * the gates' values [a_z, a_r, ĥ]; the states go to y's columns [d·u, (d+1)·u).
 */
function forwardDirection(
  gemm: Gemm,
  d: number,
  g: Float32Array,
  recurrent: Float32Array,
  bias: Float32Array,
  mask: ArrayLike<number> | null,
  y: Float32Array,
  { batch, time, units: u }: Sizes,
): void {
  const width = 3 * u;
  const yWidth = 2 * u;
  const column = d * u;
  const acc = scratchBuffer(0, batch * width);
  const rh = scratchBuffer(1, batch * u);
  const recurrentH = recurrent.subarray(2 * u);
  for (let s = 0; s < time; s++) {
    const t = timeAt(d, s, time);
    const tPrev = timeAt(d, s - 1, time);
    const first = s === 0;
    // h·U_zr for every clip: h_prev are y's rows of the previous step (zero before the first).
    if (!first) gemm(false, false, batch, 2 * u, u, y.subarray(tPrev * yWidth + column), time * yWidth, recurrent, width, 0, acc, width);
    for (let n = 0; n < batch; n++) {
      const row = (n * time + t) * width;
      const hRow = (n * time + tPrev) * yWidth + column;
      for (let j = 0; j < 2 * u; j++) g[row + j] = SLOPE * (g[row + j]! + bias[j]! + (first ? 0 : acc[n * width + j]!)) + 0.5;
      for (let k = 0; k < u; k++) rh[n * u + k] = first ? 0 : clip01(g[row + u + k]!) * y[hRow + k]!;
    }
    if (!first) gemm(false, false, batch, u, u, rh, u, recurrentH, width, 0, acc.subarray(2 * u), width);
    for (let n = 0; n < batch; n++) {
      const row = (n * time + t) * width;
      const hRow = (n * time + tPrev) * yWidth + column;
      const outRow = (n * time + t) * yWidth + column;
      const m = mask ? mask[n * time + t]! : 1;
      for (let j = 0; j < u; j++) {
        const candidate = Math.tanh(g[row + 2 * u + j]! + bias[2 * u + j]! + (first ? 0 : acc[n * width + 2 * u + j]!));
        g[row + 2 * u + j] = candidate;
        const z = clip01(g[row + j]!);
        const h = first ? 0 : y[hRow + j]!;
        const next = z * h + (1 - z) * candidate;
        y[outRow + j] = h + m * (next - h);
      }
    }
  }
}

/** One direction back through time: dG (pre-activation gradients) and dU; adds dG·Wᵀ to dx. */
function gradientDirection(
  blas: Blas,
  d: number,
  inputs: { dy: Float32Array; x: Float32Array; y: Float32Array; g: Float32Array; kernel: Float32Array; recurrent: Float32Array },
  mask: ArrayLike<number> | null,
  outputs: { dx: Float32Array; dKernel: Float32Array; dRecurrent: Float32Array; dBias: Float32Array },
  { batch, time, features, units: u }: Sizes,
): void {
  const { dy, x, y, g, kernel, recurrent } = inputs;
  const width = 3 * u;
  const yWidth = 2 * u;
  const column = d * u;
  const rows = batch * time;
  const dG = scratchBuffer(2, rows * width);
  const hPrev = scratchBuffer(3, rows * u);
  const rhAll = scratchBuffer(4, rows * u);
  let dh = scratchBuffer(5, batch * u).fill(0);
  let dhPrev = scratchBuffer(6, batch * u);
  const dRh = scratchBuffer(7, batch * u);
  const recurrentH = recurrent.subarray(2 * u);
  for (let s = time - 1; s >= 0; s--) {
    const t = timeAt(d, s, time);
    const tPrev = timeAt(d, s - 1, time);
    const first = s === 0;
    for (let n = 0; n < batch; n++) {
      const row = (n * time + t) * width;
      const hRow = (n * time + tPrev) * yWidth + column;
      const dyRow = (n * time + t) * yWidth + column;
      const stateRow = (n * time + t) * u;
      const m = mask ? mask[n * time + t]! : 1;
      for (let j = 0; j < u; j++) {
        const dState = dh[n * u + j]! + dy[dyRow + j]!;
        const h = first ? 0 : y[hRow + j]!;
        hPrev[stateRow + j] = h;
        const aZ = g[row + j]!;
        const z = clip01(aZ);
        const candidate = g[row + 2 * u + j]!;
        const dNext = m * dState;
        const dz = dNext * (h - candidate);
        dG[row + j] = aZ >= 0 && aZ <= 1 ? SLOPE * dz : 0;
        dG[row + 2 * u + j] = dNext * (1 - z) * (1 - candidate * candidate);
        dhPrev[n * u + j] = dState * (1 - m) + dNext * z;
      }
    }
    // d(r ⊙ h_prev) = dG_h · U_hᵀ, then dr and the r-path into dh_prev.
    blas.sgemm(false, true, batch, u, u, dG.subarray(t * width + 2 * u), time * width, recurrentH, width, 0, dRh, u);
    for (let n = 0; n < batch; n++) {
      const row = (n * time + t) * width;
      const stateRow = (n * time + t) * u;
      for (let k = 0; k < u; k++) {
        const aR = g[row + u + k]!;
        const r = clip01(aR);
        const h = hPrev[stateRow + k]!;
        rhAll[stateRow + k] = r * h;
        const dr = dRh[n * u + k]! * h;
        dG[row + u + k] = aR >= 0 && aR <= 1 ? SLOPE * dr : 0;
        dhPrev[n * u + k] += dRh[n * u + k]! * r;
      }
    }
    // dh_prev += dG_zr · U_zrᵀ.
    blas.sgemm(false, true, batch, u, 2 * u, dG.subarray(t * width), time * width, recurrent, width, 1, dhPrev, u);
    [dh, dhPrev] = [dhPrev, dh];
  }
  const { dx, dKernel, dRecurrent, dBias } = outputs;
  blas.sgemm(true, false, u, 2 * u, rows, hPrev, u, dG, width, 0, dRecurrent, width);
  blas.sgemm(true, false, u, u, rows, rhAll, u, dG.subarray(2 * u), width, 0, dRecurrent.subarray(2 * u), width);
  blas.sgemm(true, false, features, width, rows, x, features, dG, width, 0, dKernel, width);
  blas.sgemm(false, true, rows, features, width, dG, width, kernel, width, d === 0 ? 0 : 1, dx, features);
  const sums = new Float64Array(width);
  for (let r = 0; r < rows; r++) for (let j = 0; j < width; j++) sums[j] += dG[r * width + j]!;
  dBias.set(sums);
}

type Named = Record<string, tf.TensorInfo>;

function sizesOf(x: tf.TensorInfo, recurrent: tf.TensorInfo): Sizes {
  const [batch, time, features] = x.shape as [number, number, number];
  return { batch, time, features, units: recurrent.shape[0]! };
}

/**
 * inputs x [B, T, F], (mask [B, T]), kernelF, recurrentF, biasF, kernelB, recurrentB, biasB ->
 * [y [B, T, 2u], gates [2, B·T, 3u]].
 */
function makeForwardKernel(backendName: FastBackendName): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x, mask, kernelF, recurrentF, biasF, kernelB, recurrentB, biasB } = inputs as Named;
    const sizes = sizesOf(x!, recurrentF!);
    const { batch, time, features, units: u } = sizes;
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const blas = activeBlas();
    const directions = [
      { kernel: kernelF!, recurrent: recurrentF!, bias: biasF! },
      { kernel: kernelB!, recurrent: recurrentB!, bias: biasB! },
    ];
    // Without a BLAS the input projections are the backend's matmul, made before any view is taken.
    let projections: tf.TensorInfo[] | null = null;
    if (blas == null) {
      const rows = runner.reshape(x!, [batch * time, features]);
      projections = directions.map(({ kernel }) => runner.matMul(rows, kernel));
      runner.dispose(rows);
    }
    const size = batch * time * 3 * u;
    try {
      return runner.createAll(
        [
          [batch, time, 2 * u],
          [2, batch * time, 3 * u],
        ],
        ([y, gates], read) => {
          const xv = read(x!);
          const maskValues = mask ? read(mask) : null;
          directions.forEach(({ kernel, recurrent, bias }, d) => {
            const g = gates!.subarray(d * size, (d + 1) * size);
            if (blas) blas.sgemm(false, false, batch * time, 3 * u, features, xv, features, read(kernel), 3 * u, 0, g, 3 * u);
            else g.set(read(projections![d]!));
            forwardDirection(blas ? blas.sgemm : loopGemm, d, g, read(recurrent), read(bias), maskValues, y!, sizes);
          });
        },
      );
    } finally {
      if (projections) runner.dispose(...projections);
    }
  };
}

/**
 * inputs dy, x, (mask), y, gates (the forward kernel's), kernelF, recurrentF, kernelB, recurrentB
 * -> [dx, dKernelF, dRecurrentF, dBiasF, dKernelB, dRecurrentB, dBiasB].
 */
function makeGradKernel(backendName: FastBackendName): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, x, mask, y, gates, kernelF, recurrentF, kernelB, recurrentB } = inputs as Named;
    const blas = activeBlas();
    if (blas == null) throw new Error('the fused GRU gradient needs a BLAS');
    const sizes = sizesOf(x!, recurrentF!);
    const { batch, time, features, units: u } = sizes;
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const size = batch * time * 3 * u;
    const weightShapes = [[features, 3 * u], [u, 3 * u], [3 * u]];
    return runner.createAll([[batch, time, features], ...weightShapes, ...weightShapes], (outs, read) => {
      const [dx, ...weightGrads] = outs as [Float32Array, ...Float32Array[]];
      const maskValues = mask ? read(mask) : null;
      [
        { kernel: kernelF!, recurrent: recurrentF! },
        { kernel: kernelB!, recurrent: recurrentB! },
      ].forEach(({ kernel, recurrent }, d) => {
        const values = {
          dy: read(dy!),
          x: read(x!),
          y: read(y!),
          g: read(gates!).subarray(d * size, (d + 1) * size),
          kernel: read(kernel),
          recurrent: read(recurrent),
        };
        const [dKernel, dRecurrent, dBias] = weightGrads.slice(3 * d, 3 * d + 3) as [Float32Array, Float32Array, Float32Array];
        gradientDirection(blas, d, values, maskValues, { dx, dKernel, dRecurrent, dBias }, sizes);
      });
    });
  };
}

export function gruKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [
    { kernelName: GRU_FORWARD, backendName, kernelFunc: makeForwardKernel(backendName) },
    { kernelName: GRU_GRAD, backendName, kernelFunc: makeGradKernel(backendName) },
  ];
}

let fusedEnabled = true;

/** Turns the fused GRU on (default) or off (the op-by-op path runs): for side-by-side checks. */
export function useFusedGru(on: boolean): void {
  fusedEnabled = on;
}

/**
 * Whether biGruSequence can run here: the kernels are registered for the active backend, and
 * for a gradient (or a large batch) a BLAS is on.
 */
export function fusedGruAvailable(batch: number, differentiable: boolean): boolean {
  if (!fusedEnabled || !hasKernel(GRU_FORWARD)) return false;
  return activeBlas() != null || (!differentiable && batch <= FUSED_GRU_MAX_BATCH_WITHOUT_BLAS);
}

/** One direction's weights: kernel W [F, 3u], recurrent kernel U [u, 3u], bias b [3u]. */
export interface GruWeights {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/**
 * The bidirectional GRU's states [B, T, 2u] (forward, then backward) for x [B, T, F] with an
 * optional frame mask [B, T], through the fused kernels; differentiable in x and every weight
 * (not the mask). Check fusedGruAvailable first.
 */
export function biGruSequence(x: tf.Tensor3D, mask: tf.Tensor2D | null, forward: GruWeights, backward: GruWeights): tf.Tensor3D {
  const masked = (inputs: tf.NamedTensorMap): tf.NamedTensorMap => (mask == null ? inputs : { ...inputs, mask });
  const weights = (w: tf.Tensor[]) => ({
    kernelF: w[0]!,
    recurrentF: w[1]!,
    biasF: w[2]!,
    kernelB: w[3]!,
    recurrentB: w[4]!,
    biasB: w[5]!,
  });
  const all = [forward.kernel, forward.recurrentKernel, forward.bias, backward.kernel, backward.recurrentKernel, backward.bias];
  if (tf.engine().state.gradientDepth === 0) {
    const [y, gates] = tf.engine().runKernel(GRU_FORWARD, masked({ x, ...weights(all) })) as tf.Tensor[];
    gates!.dispose();
    return y as tf.Tensor3D;
  }
  const op = tf.customGrad((...args) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [xIn, ...w] = args as tf.Tensor[];
    const [y, gates] = tf.engine().runKernel(GRU_FORWARD, masked({ x: xIn!, ...weights(w) })) as tf.Tensor[];
    save([xIn!, y!, gates!, ...w, ...(mask == null ? [] : [mask])]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xSaved, ySaved, gatesSaved, kF, uF, , kB, uB, , maskSaved] = saved;
        const inputs = {
          dy: dy as tf.Tensor,
          x: xSaved!,
          y: ySaved!,
          gates: gatesSaved!,
          kernelF: kF!,
          recurrentF: uF!,
          kernelB: kB!,
          recurrentB: uB!,
          ...(maskSaved == null ? {} : { mask: maskSaved }),
        };
        return tf.engine().runKernel(GRU_GRAD, inputs) as tf.Tensor[];
      },
    };
  });
  return op(x, ...all) as tf.Tensor3D;
}
