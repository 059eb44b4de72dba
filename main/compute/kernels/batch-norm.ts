/**
 * Batch normalisation in training mode as one op with a hand-written gradient.
 *
 * tfjs-layers builds training-mode batch norm from moments + batchNorm, and autodiff through
 * that chain costs ~30 passes over the activation (tiles of the statistics to full size,
 * transposed reductions, broadcast arithmetic): on wasm that was half of a seed-cnn training
 * step. Here the forward pass is the channel sums (one pass) and the affine map, the
 * backward pass the channel sums of dy and dy*x̂ (one pass) and dx = a*dy + b*x + k per
 * channel (one pass): on wasm as SIMD loops (simd-loops.ts), on cpu as JavaScript loops.
 * These are kernels for wasm and cpu; on other backends the same math runs as tfjs ops.
 *
 * Channels are the last axis; statistics are over all other axes. With s = 1/sqrt(var + eps),
 * x̂ = (x - mean) * s and N values per channel:
 *   dbeta = Σ dy,  dgamma = Σ dy x̂,  dx = gamma * s * (dy - dbeta/N - x̂ * dgamma/N). *
 * The masked variants (padded clips: x NHWC [batch, rows, time, channels], a frame mask
 * [batch, time] as a tensor input) are the same math with per-pixel weights 0/1: every sum and
 * N run over the real pixels only, and y and dx are 0 on the padded ones. The kernels turn the
 * mask into runs of contiguous real pixels (time is contiguous within a row) and run the same
 * loops over each run; the unmasked kernels are the one-run case.
 */
import * as tf from '@tensorflow/tfjs';
import { hasKernel, KernelRunner, originalKernel, type FastBackendName } from './runner';

export const BATCH_NORM_TRAIN = 'SerBatchNormTrain';
export const BATCH_NORM_GRAD = 'SerBatchNormGrad';
export const MASKED_BATCH_NORM_TRAIN = 'SerMaskedBatchNormTrain';
export const MASKED_BATCH_NORM_GRAD = 'SerMaskedBatchNormGrad';

interface BatchNormAttrs {
  epsilon: number;
}

// The JavaScript loops (cpu, and wasm without the SIMD loops) are plain functions of typed
// arrays (no captured state) so V8 compiles them to tight code; channels are the innermost,
// contiguous axis.

/** Pixels summed per block in the sums below, so one channel's running sums stay in registers. */
const BLOCK_PIXELS = 256;

/**
 * Per channel, Σ (b - kb) and Σ (b - kb) * (a - ka): the statistics with a = b = x about a value
 * near the mean, the gradient sums with a = x about the mean and b = dy about 0.
 */
function centeredSums(
  a: Float32Array,
  ka: Float32Array,
  b: Float32Array,
  kb: Float32Array,
  channels: number,
  sum: Float64Array,
  sumProduct: Float64Array,
): void {
  const pixels = a.length / channels;
  for (let p0 = 0; p0 < pixels; p0 += BLOCK_PIXELS) {
    const end = Math.min(pixels, p0 + BLOCK_PIXELS) * channels;
    for (let c = 0; c < channels; c++) {
      const offsetA = ka[c]!;
      const offsetB = kb[c]!;
      let s = 0;
      let q = 0;
      for (let i = p0 * channels + c; i < end; i += channels) {
        const centeredB = b[i]! - offsetB;
        s += centeredB;
        q += centeredB * (a[i]! - offsetA);
      }
      sum[c] += s;
      sumProduct[c] += q;
    }
  }
}

/** out = x * scale + shift, per channel. */
function channelAffine(out: Float32Array, x: Float32Array, channels: number, scale: Float64Array, shift: Float64Array): void {
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = x[i + c]! * scale[c]! + shift[c]!;
  }
}

/** out = a * dy + b * x + k, per channel. */
function gradAffine(
  out: Float32Array,
  x: Float32Array,
  dy: Float32Array,
  channels: number,
  a: Float64Array,
  b: Float64Array,
  k: Float64Array,
): void {
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = a[c]! * dy[i + c]! + b[c]! * x[i + c]! + k[c]!;
  }
}

/**
 * The real pixels of NHWC x [batch, rows, time, channels] under a frame mask [batch, time]
 * (non-zero = real), as runs of consecutive pixels: [start, length] pairs, in pixels. Within one
 * (sample, row) the time axis is contiguous, and runs that touch are merged, so an all-real batch
 * is one run and a batch padded at the end is one run per (sample, row).
 */
export function maskRuns(mask: ArrayLike<number>, batch: number, rows: number, time: number): Int32Array {
  const runs: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < rows; r++) {
      const base = (b * rows + r) * time;
      let t = 0;
      while (t < time) {
        if (mask[b * time + t] === 0) {
          t++;
          continue;
        }
        const start = t;
        while (t < time && mask[b * time + t] !== 0) t++;
        const last = runs.length - 2;
        if (last >= 0 && runs[last]! + runs[last + 1]! === base + start) runs[last + 1] += t - start;
        else runs.push(base + start, t - start);
      }
    }
  }
  return Int32Array.from(runs);
}

/** The number of pixels in `runs`. */
function runPixels(runs: Int32Array): number {
  let n = 0;
  for (let i = 1; i < runs.length; i += 2) n += runs[i]!;
  return n;
}

/** The runs of a batch-norm kernel input: all pixels as one run (unmasked), or the mask's. */
function runsOf(runner: KernelRunner, x: tf.TensorInfo, mask: tf.TensorInfo | undefined): Int32Array {
  const channels = x.shape[x.shape.length - 1]!;
  if (mask == null) return Int32Array.of(0, tf.util.sizeFromShape(x.shape) / channels);
  if (x.shape.length !== 4 || mask.shape.length !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[2]) {
    throw new Error(`masked batch norm: mask [${mask.shape}] does not fit x [${x.shape}] (NHWC, mask [batch, time])`);
  }
  const [batch, rows, time] = x.shape as [number, number, number, number];
  return maskRuns(runner.read(mask), batch, rows, time);
}

/** Zeroes a [pixels, channels] array outside `runs` (the masked outputs: 0 on padding). */
function zeroOutside(out: Float32Array, runs: Int32Array, channels: number): void {
  let at = 0;
  for (let i = 0; i < runs.length; i += 2) {
    out.fill(0, at * channels, runs[i]! * channels);
    at = runs[i]! + runs[i + 1]!;
  }
  out.fill(0, at * channels);
}

/**
 * Runs an accumulating SIMD loop into `count` zeroed f64 values on the heap (a scratch tensor
 * of 2·count floats) and returns them.
 */
function simdAccumulate(
  runner: KernelRunner,
  count: number,
  loop: (out: number, read: (info: tf.TensorInfo) => Float32Array) => void,
): Float64Array {
  let values = new Float64Array(0);
  const scratch = runner.create([2 * count], (out, read) => {
    out.fill(0);
    if (out.byteOffset % 8 !== 0) throw new Error('batch norm: the wasm heap returned a misaligned buffer');
    loop(out.byteOffset, read);
    values = new Float64Array(out.buffer, out.byteOffset, count).slice();
  });
  runner.dispose(scratch);
  return values;
}

/** Per-channel parameters (f32, one block of `channels` after another) on the heap for the SIMD loops. */
function parameterTensor(runner: KernelRunner, blocks: Float64Array[]): tf.TensorInfo {
  const channels = blocks[0]!.length;
  return runner.create([blocks.length * channels], (out) => blocks.forEach((block, i) => out.set(block, i * channels)));
}

/** Per channel, Σ (b - kb) and Σ (b - kb) * (a - ka) (see centeredSums), on wasm by the SIMD loop. */
function sumsAbout(
  runner: KernelRunner,
  a: tf.TensorInfo,
  ka: tf.TensorInfo,
  b: tf.TensorInfo,
  kb: tf.TensorInfo,
  channels: number,
  runs: Int32Array,
): { sum: Float64Array; sumProduct: Float64Array } {
  const simd = runner.simd(channels);
  if (simd != null) {
    const sums = simdAccumulate(runner, 2 * channels, (out, read) => {
      const aAt = read(a).byteOffset;
      const bAt = read(b).byteOffset;
      const kaAt = read(ka).byteOffset;
      const kbAt = read(kb).byteOffset;
      const rowBytes = 4 * channels;
      for (let i = 0; i < runs.length; i += 2) {
        const offset = runs[i]! * rowBytes;
        simd.centeredSums(aAt + offset, kaAt, bAt + offset, kbAt, runs[i + 1]!, channels, out);
      }
    });
    return { sum: sums.subarray(0, channels), sumProduct: sums.subarray(channels) };
  }
  const sum = new Float64Array(channels);
  const sumProduct = new Float64Array(channels);
  const aValues = runner.read(a);
  const bValues = runner.read(b);
  const kaValues = runner.read(ka);
  const kbValues = runner.read(kb);
  for (let i = 0; i < runs.length; i += 2) {
    const start = runs[i]! * channels;
    const end = start + runs[i + 1]! * channels;
    centeredSums(aValues.subarray(start, end), kaValues, bValues.subarray(start, end), kbValues, channels, sum, sumProduct);
  }
  return { sum, sumProduct };
}

/**
 * Mean and (biased) variance per channel over the pixels in `runs`, from sums about the first
 * such pixel's values: shifting by a value near the mean keeps E[(x-k)²] - E[x-k]² from
 * cancelling when the mean is large.
 */
function statistics(
  runner: KernelRunner,
  x: tf.TensorInfo,
  channels: number,
  runs: Int32Array,
): { mean: Float64Array; variance: Float64Array } {
  const count = runPixels(runs);
  const first = runs[0]! * channels;
  const shift = runner.create([channels], (out, read) => out.set(read(x).subarray(first, first + channels)));
  const { sum, sumProduct: sumSq } = sumsAbout(runner, x, shift, x, shift, channels, runs);
  const k = runner.read(shift);
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const shiftedMean = sum[c]! / count;
    mean[c] = k[c]! + shiftedMean;
    variance[c] = Math.max(0, sumSq[c]! / count - shiftedMean * shiftedMean);
  }
  runner.dispose(shift);
  return { mean, variance };
}

/** x * scale + shift per channel on the pixels in `runs`, 0 elsewhere. */
function perChannelAffine(
  runner: KernelRunner,
  x: tf.TensorInfo,
  scale: Float64Array,
  shift: Float64Array,
  runs: Int32Array,
): tf.TensorInfo {
  const channels = scale.length;
  const simd = runner.simd(channels);
  if (simd == null) {
    return runner.create(x.shape, (out, read) => {
      const xValues = read(x);
      zeroOutside(out, runs, channels);
      for (let i = 0; i < runs.length; i += 2) {
        const start = runs[i]! * channels;
        const end = start + runs[i + 1]! * channels;
        channelAffine(out.subarray(start, end), xValues.subarray(start, end), channels, scale, shift);
      }
    });
  }
  const params = parameterTensor(runner, [scale, shift]);
  const y = runner.create(x.shape, (out, read) => {
    zeroOutside(out, runs, channels);
    const outAt = out.byteOffset;
    const xAt = read(x).byteOffset;
    const paramsAt = read(params).byteOffset;
    for (let i = 0; i < runs.length; i += 2) {
      const offset = runs[i]! * 4 * channels;
      simd.channelAffine(outAt + offset, xAt + offset, paramsAt, runs[i + 1]!, channels);
    }
  });
  runner.dispose(params);
  return y;
}

/** Σ dy and Σ dy * (x - mean) per channel. */
function gradientSums(
  runner: KernelRunner,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  mean: tf.TensorInfo,
  channels: number,
  runs: Int32Array,
): { sumDy: Float64Array; sumDyCentered: Float64Array } {
  const zeros = runner.create([channels], (out) => out.fill(0));
  const { sum, sumProduct } = sumsAbout(runner, x, mean, dy, zeros, channels, runs);
  runner.dispose(zeros);
  return { sumDy: sum, sumDyCentered: sumProduct };
}

/** a*dy + b*x + k per channel on the pixels in `runs`, 0 elsewhere. */
function gradInput(
  runner: KernelRunner,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  a: Float64Array,
  b: Float64Array,
  k: Float64Array,
  runs: Int32Array,
): tf.TensorInfo {
  const channels = a.length;
  const simd = runner.simd(channels);
  if (simd == null) {
    return runner.create(x.shape, (out, read) => {
      const xValues = read(x);
      const dyValues = read(dy);
      zeroOutside(out, runs, channels);
      for (let i = 0; i < runs.length; i += 2) {
        const start = runs[i]! * channels;
        const end = start + runs[i + 1]! * channels;
        gradAffine(out.subarray(start, end), xValues.subarray(start, end), dyValues.subarray(start, end), channels, a, b, k);
      }
    });
  }
  const params = parameterTensor(runner, [a, b, k]);
  const dx = runner.create(x.shape, (out, read) => {
    zeroOutside(out, runs, channels);
    const outAt = out.byteOffset;
    const xAt = read(x).byteOffset;
    const dyAt = read(dy).byteOffset;
    const paramsAt = read(params).byteOffset;
    for (let i = 0; i < runs.length; i += 2) {
      const offset = runs[i]! * 4 * channels;
      simd.gradAffine(outAt + offset, xAt + offset, dyAt + offset, paramsAt, runs[i + 1]!, channels);
    }
  });
  runner.dispose(params);
  return dx;
}

/**
 * inputs x, gamma, beta (and, masked, mask [batch, time] of NHWC x) -> [y, mean, variance
 * (biased)]; masked, the statistics are over the real pixels only and y is 0 on the others.
 */
function makeTrainKernel(backendName: FastBackendName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, gamma, beta, mask } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo; mask?: tf.TensorInfo };
    const { epsilon } = attrs as unknown as BatchNormAttrs;
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const channels = x.shape[x.shape.length - 1]!;
    const runs = runsOf(runner, x, mask);
    if (runs.length === 0) throw new Error('masked batch norm: the batch has no real frame');
    const { mean: meanValues, variance: varianceValues } = statistics(runner, x, channels, runs);
    const mean = runner.create([channels], (out) => out.set(meanValues));
    const variance = runner.create([channels], (out) => out.set(varianceValues));
    const scale = new Float64Array(channels);
    const shift = new Float64Array(channels);
    const g = runner.read(gamma);
    const b = runner.read(beta);
    for (let c = 0; c < channels; c++) {
      scale[c] = g[c]! / Math.sqrt(varianceValues[c]! + epsilon);
      shift[c] = b[c]! - meanValues[c]! * scale[c]!;
    }
    const y = perChannelAffine(runner, x, scale, shift, runs);
    return [y, mean, variance];
  };
}

/**
 * inputs x, dy, gamma, mean, variance (and, masked, mask) -> [dx, dgamma, dbeta]; masked, the
 * sums are over the real pixels only and dx is 0 on the others.
 */
function makeGradKernel(backendName: FastBackendName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy, gamma, mean, variance, mask } = inputs as Record<string, tf.TensorInfo>;
    const { epsilon } = attrs as unknown as BatchNormAttrs;
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const channels = x!.shape[x!.shape.length - 1]!;
    const runs = runsOf(runner, x!, mask);
    const count = Math.max(1, runPixels(runs));
    const mu = Float64Array.from(runner.read(mean!));
    const v = runner.read(variance!);
    const invStd = new Float64Array(channels);
    for (let c = 0; c < channels; c++) invStd[c] = 1 / Math.sqrt(v[c]! + epsilon);
    const { sumDy, sumDyCentered } = gradientSums(runner, x!, dy!, mean!, channels, runs);
    const sumDyXhat = new Float64Array(channels);
    for (let c = 0; c < channels; c++) sumDyXhat[c] = sumDyCentered[c]! * invStd[c]!;
    const dbeta = runner.create([channels], (out) => out.set(sumDy));
    const dgamma = runner.create([channels], (out) => out.set(sumDyXhat));
    // dx = a*dy + b*x + k per channel (see the header).
    const a = new Float64Array(channels);
    const b = new Float64Array(channels);
    const k = new Float64Array(channels);
    const g = runner.read(gamma!);
    for (let c = 0; c < channels; c++) {
      const gs = g[c]! * invStd[c]!;
      a[c] = gs;
      b[c] = (-gs * invStd[c]! * sumDyXhat[c]!) / count;
      k[c] = (-gs * sumDy[c]!) / count - b[c]! * mu[c]!;
    }
    const dx = gradInput(runner, x!, dy!, a, b, k, runs);
    return [dx, dgamma, dbeta];
  };
}

/**
 * Inference-mode batch norm (the layer's moving statistics) on wasm: y = x·s + t per channel with
 * s = scale / sqrt(variance + ε) and t = offset − mean·s, one pass of the SIMD affine loop. The
 * stock wasm kernel took ~1 ms of seed-cnn's ~4 ms single-clip model time. Anything but
 * per-channel float32 parameters goes to the stock kernel.
 */
function makeInferenceKernel(backendName: FastBackendName): tf.KernelFunc {
  return (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
    const channels = x!.shape[x!.shape.length - 1]!;
    const perChannel = [mean, variance, offset, scale].every(
      (p) => p == null || (p.dtype === 'float32' && tf.util.sizeFromShape(p.shape) === channels),
    );
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    if (x!.dtype !== 'float32' || !perChannel || runner.simd(channels) == null) return originalKernel('FusedBatchNorm', backendName)!(args);
    const m = runner.read(mean!);
    const v = runner.read(variance!);
    const g = scale ? runner.read(scale) : null;
    const b = offset ? runner.read(offset) : null;
    const s = new Float64Array(channels);
    const t = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      s[c] = (g ? g[c]! : 1) / Math.sqrt(v[c]! + varianceEpsilon);
      t[c] = (b ? b[c]! : 0) - m[c]! * s[c]!;
    }
    const pixels = tf.util.sizeFromShape(x!.shape) / channels;
    return perChannelAffine(runner, x!, s, t, Int32Array.of(0, pixels));
  };
}

export function batchNormKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [
    ...(backendName === 'wasm' ? [{ kernelName: 'FusedBatchNorm', backendName, kernelFunc: makeInferenceKernel(backendName) }] : []),
    { kernelName: BATCH_NORM_TRAIN, backendName, kernelFunc: makeTrainKernel(backendName) },
    { kernelName: BATCH_NORM_GRAD, backendName, kernelFunc: makeGradKernel(backendName) },
    { kernelName: MASKED_BATCH_NORM_TRAIN, backendName, kernelFunc: makeTrainKernel(backendName) },
    { kernelName: MASKED_BATCH_NORM_GRAD, backendName, kernelFunc: makeGradKernel(backendName) },
  ];
}

/** The same forward math as the kernel, in tfjs ops (backends without our kernels). */
function trainWithOps(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor[] {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance];
}

/** The same gradient as the kernels, in tfjs ops; with a mask, over the real pixels only and 0 on padding. */
function gradWithOps(
  x: tf.Tensor,
  dy: tf.Tensor,
  mask: tf.Tensor | null,
  gamma: tf.Tensor1D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  epsilon: number,
): tf.Tensor[] {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const real = mask == null ? null : realValues(mask, x);
    const count = real ? tf.maximum(real.count, 1) : tf.util.sizeFromShape(x.shape) / x.shape[x.shape.length - 1]!;
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const xHat = tf.mul(tf.sub(x, mean), invStd);
    const dyReal = real ? tf.mul(dy, real.weights) : dy;
    const dbeta = tf.sum(dyReal, axes);
    const dgamma = tf.sum(tf.mul(dyReal, xHat), axes);
    const inner = tf.sub(tf.sub(dy, tf.div(dbeta, count)), tf.mul(xHat, tf.div(dgamma, count)));
    const dx = tf.mul(inner, tf.mul(gamma, invStd));
    return [real ? tf.mul(dx, real.weights) : dx, dgamma, dbeta];
  });
}

/**
 * The mask [batch, time] as weights over NHWC x [batch, rows, time, channels], and the count of
 * real values per channel (a tensor: reading the mask back would stall a GPU backend).
 */
function realValues(mask: tf.Tensor, x: tf.Tensor): { weights: tf.Tensor; count: tf.Scalar } {
  const weights = tf.reshape(tf.cast(mask, 'float32'), [x.shape[0]!, 1, x.shape[2]!, 1]);
  return { weights, count: tf.mul(tf.sum(weights), x.shape[1]!) as tf.Scalar };
}

/** The masked forward math in tfjs ops (backends without our kernels, e.g. webgpu). */
function maskedTrainWithOps(x: tf.Tensor, mask: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor[] {
  return tf.tidy(() => {
    const { weights: w, count } = realValues(mask, x);
    const mean = tf.div(tf.sum(tf.mul(x, w), [0, 1, 2]), count);
    const centered = tf.mul(tf.sub(x, mean), w);
    const variance = tf.div(tf.sum(tf.square(centered), [0, 1, 2]), count);
    const y = tf.mul(tf.batchNorm(x, mean, variance, beta, gamma, epsilon), w);
    return [y, mean, variance];
  });
}

export interface BatchNormTrainResult {
  y: tf.Tensor;
  /** Batch statistics (no gradient flows through them), e.g. for moving averages. */
  mean: tf.Tensor1D;
  /** Biased (divided by the count), as the normalisation uses it. */
  variance: tf.Tensor1D;
}

export interface MaskedBatchNormTrainResult extends BatchNormTrainResult {
  /** The real values per channel the statistics are over (a tensor: nothing is read back). */
  count: tf.Scalar;
}

/**
 * Training-mode batch norm over all axes but the last: y = gamma * (x - mean) / sqrt(var + eps)
 * + beta with the batch's own mean and (biased) variance. Differentiable in x, gamma and beta.
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  return fusedBatchNormTrain(x, null, gamma, beta, epsilon);
}

/**
 * batchNormTrain over the real frames only: x NHWC [batch, rows, time, channels], mask
 * [batch, time] of 0/1 (1 = real frame). The statistics are over the real pixels, y is 0 on the
 * padded ones and they get no gradient. The mask stays a tensor (no read-back here); it gets no
 * gradient. On wasm and cpu the fused masked kernels, elsewhere tfjs ops. The kernels refuse a
 * batch without a real frame.
 */
export function maskedBatchNormTrain(
  x: tf.Tensor4D,
  mask: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): MaskedBatchNormTrainResult {
  return { ...fusedBatchNormTrain(x, mask, gamma, beta, epsilon), count: tf.tidy(() => realValues(mask, x).count) };
}

function fusedBatchNormTrain(
  x: tf.Tensor,
  mask: tf.Tensor | null,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormTrainResult {
  const trainKernel = mask == null ? BATCH_NORM_TRAIN : MASKED_BATCH_NORM_TRAIN;
  const gradKernel = mask == null ? BATCH_NORM_GRAD : MASKED_BATCH_NORM_GRAD;
  const masked = (inputs: tf.NamedTensorMap): tf.NamedTensorMap => (mask == null ? inputs : { ...inputs, mask });
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const xs = xIn as tf.Tensor;
    const [y, mean, variance] = hasKernel(trainKernel)
      ? (tf
          .engine()
          .runKernel(trainKernel, masked({ x: xs, gamma: gammaIn as tf.Tensor, beta: betaIn as tf.Tensor }), { epsilon }) as tf.Tensor[])
      : mask == null
        ? trainWithOps(xs, gammaIn as tf.Tensor1D, betaIn as tf.Tensor1D, epsilon)
        : maskedTrainWithOps(xs, mask, gammaIn as tf.Tensor1D, betaIn as tf.Tensor1D, epsilon);
    // Everything but the value is disposed when this function returns, unless kept.
    stats = { mean: tf.keep(mean as tf.Tensor1D), variance: tf.keep(variance as tf.Tensor1D) };
    (save as tf.GradSaveFunc)([xs, gammaIn as tf.Tensor, mean!, variance!, ...(mask == null ? [] : [mask])]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xSaved, g, m, v, maskSaved] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor | undefined];
        const dyT = dy as tf.Tensor;
        if (hasKernel(gradKernel)) {
          const inputs = { x: xSaved, dy: dyT, gamma: g, mean: m, variance: v, ...(maskSaved == null ? {} : { mask: maskSaved }) };
          return tf.engine().runKernel(gradKernel, inputs, { epsilon }) as tf.Tensor[];
        }
        return gradWithOps(xSaved, dyT, maskSaved ?? null, g, m, v, epsilon);
      },
    };
  });
  const y = op(x, gamma, beta);
  // Hand the statistics to the caller's scope (clones share the data; the kept originals go).
  const { mean, variance } = stats!;
  const result = { y, mean: tf.clone(mean), variance: tf.clone(variance) };
  tf.dispose([mean, variance]);
  return result;
}
