/**
 * Batch normalisation in training mode as one op with a hand-written gradient.
 *
 * tfjs-layers builds training-mode batch norm from moments + batchNorm, and autodiff through
 * that chain costs ~30 passes over the activation (tiles of the statistics to full size,
 * transposed reductions, broadcast arithmetic): on wasm that was half of a seed-cnn training
 * step. Here the forward pass is the channel sums (one JavaScript pass) and the affine map, the
 * backward pass the channel sums of dy and dy*x̂ (one pass) and dx = a*dy + b*x + k per
 * channel; on wasm the per-channel maps run as broadcasting XNNPACK kernels, on cpu as one loop.
 * These are kernels for wasm and cpu; on other backends the same math runs as tfjs ops.
 *
 * Channels are the last axis; statistics are over all other axes. With s = 1/sqrt(var + eps),
 * x̂ = (x - mean) * s and N values per channel:
 *   dbeta = Σ dy,  dgamma = Σ dy x̂,  dx = gamma * s * (dy - dbeta/N - x̂ * dgamma/N).
 */
import * as tf from '@tensorflow/tfjs';
import { KernelRunner, type FastBackendName } from './runner';

export const BATCH_NORM_TRAIN = 'SerBatchNormTrain';
export const BATCH_NORM_GRAD = 'SerBatchNormGrad';

interface BatchNormAttrs {
  epsilon: number;
}

// The loops below are plain functions of typed arrays (no captured state) so V8 compiles them
// to tight code; channels are the innermost, contiguous axis.

function channelSums(x: Float32Array, channels: number, sum: Float64Array, sumSq: Float64Array): void {
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = x[i + c]!;
      sum[c] += v;
      sumSq[c] += v * v;
    }
  }
}

/** out = x * scale + shift, per channel. */
function channelAffine(out: Float32Array, x: Float32Array, channels: number, scale: Float64Array, shift: Float64Array): void {
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = x[i + c]! * scale[c]! + shift[c]!;
  }
}

/** Σ dy and Σ dy * (x - mean), per channel. */
function gradSums(x: Float32Array, dy: Float32Array, channels: number, mean: Float64Array, sumDy: Float64Array, sumDyCentered: Float64Array): void {
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const d = dy[i + c]!;
      sumDy[c] += d;
      sumDyCentered[c] += d * (x[i + c]! - mean[c]!);
    }
  }
}

/** out = a * dy + b * x + k, per channel. */
function gradAffine(out: Float32Array, x: Float32Array, dy: Float32Array, channels: number, a: Float64Array, b: Float64Array, k: Float64Array): void {
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = a[c]! * dy[i + c]! + b[c]! * x[i + c]! + k[c]!;
  }
}

/** A [channels] float32 tensor holding `values`. */
function channelTensor(runner: KernelRunner, values: Float64Array): tf.TensorInfo {
  return runner.create([values.length], (out) => out.set(values));
}

/**
 * x * scale + shift per channel. On wasm as two broadcasting XNNPACK kernels, several times
 * faster than a JavaScript loop; on cpu one loop.
 */
function perChannelAffine(runner: KernelRunner, x: tf.TensorInfo, scale: Float64Array, shift: Float64Array): tf.TensorInfo {
  if (runner.backendName === 'cpu') {
    return runner.create(x.shape, (out, read) => channelAffine(out, read(x), scale.length, scale, shift));
  }
  const scaleT = channelTensor(runner, scale);
  const shiftT = channelTensor(runner, shift);
  const scaled = runner.run('Multiply', { a: x, b: scaleT });
  const y = runner.run('Add', { a: scaled, b: shiftT });
  runner.dispose(scaleT, shiftT, scaled);
  return y;
}

/** a*dy + b*x + k per channel. */
function gradInput(runner: KernelRunner, x: tf.TensorInfo, dy: tf.TensorInfo, a: Float64Array, b: Float64Array, k: Float64Array): tf.TensorInfo {
  if (runner.backendName === 'cpu') {
    return runner.create(x.shape, (out, read) => gradAffine(out, read(x), read(dy), a.length, a, b, k));
  }
  const fromX = perChannelAffine(runner, x, b, k);
  const aT = channelTensor(runner, a);
  const fromDy = runner.run('Multiply', { a: dy, b: aT });
  const dx = runner.run('Add', { a: fromDy, b: fromX });
  runner.dispose(fromX, aT, fromDy);
  return dx;
}

/** inputs x, gamma, beta -> [y, mean, variance (biased)]. */
function makeTrainKernel(backendName: FastBackendName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
    const { epsilon } = attrs as unknown as BatchNormAttrs;
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const channels = x.shape[x.shape.length - 1]!;
    const count = tf.util.sizeFromShape(x.shape) / channels;
    const meanValues = new Float64Array(channels);
    const varianceValues = new Float64Array(channels);

    const mean = runner.create([channels], (out, read) => {
      const sumSq = new Float64Array(channels);
      channelSums(read(x), channels, meanValues, sumSq);
      for (let c = 0; c < channels; c++) {
        meanValues[c] = meanValues[c]! / count;
        varianceValues[c] = Math.max(0, sumSq[c]! / count - meanValues[c]! * meanValues[c]!);
      }
      out.set(meanValues);
    });
    const variance = runner.create([channels], (out) => out.set(varianceValues));
    const scale = new Float64Array(channels);
    const shift = new Float64Array(channels);
    const g = runner.read(gamma);
    const b = runner.read(beta);
    for (let c = 0; c < channels; c++) {
      scale[c] = g[c]! / Math.sqrt(varianceValues[c]! + epsilon);
      shift[c] = b[c]! - meanValues[c]! * scale[c]!;
    }
    const y = perChannelAffine(runner, x, scale, shift);
    return [y, mean, variance];
  };
}

/** inputs x, dy, gamma, mean, variance -> [dx, dgamma, dbeta]. */
function makeGradKernel(backendName: FastBackendName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy, gamma, mean, variance } = inputs as Record<string, tf.TensorInfo>;
    const { epsilon } = attrs as unknown as BatchNormAttrs;
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const channels = x!.shape[x!.shape.length - 1]!;
    const count = tf.util.sizeFromShape(x!.shape) / channels;
    const sumDy = new Float64Array(channels);
    const sumDyXhat = new Float64Array(channels);
    const invStd = new Float64Array(channels);
    const mu = new Float64Array(channels);

    const dbeta = runner.create([channels], (out, read) => {
      const m = read(mean!);
      const v = read(variance!);
      for (let c = 0; c < channels; c++) {
        mu[c] = m[c]!;
        invStd[c] = 1 / Math.sqrt(v[c]! + epsilon);
      }
      gradSums(read(x!), read(dy!), channels, mu, sumDy, sumDyXhat);
      for (let c = 0; c < channels; c++) sumDyXhat[c] = sumDyXhat[c]! * invStd[c]!;
      out.set(sumDy);
    });
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
    const dx = gradInput(runner, x!, dy!, a, b, k);
    return [dx, dgamma, dbeta];
  };
}

export function batchNormKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [
    { kernelName: BATCH_NORM_TRAIN, backendName, kernelFunc: makeTrainKernel(backendName) },
    { kernelName: BATCH_NORM_GRAD, backendName, kernelFunc: makeGradKernel(backendName) },
  ];
}

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}

/** The same forward math as the kernel, in tfjs ops (backends without our kernels). */
function trainWithOps(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor[] {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance];
}

function gradWithOps(x: tf.Tensor, dy: tf.Tensor, gamma: tf.Tensor1D, mean: tf.Tensor1D, variance: tf.Tensor1D, epsilon: number): tf.Tensor[] {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const count = tf.util.sizeFromShape(x.shape) / x.shape[x.shape.length - 1]!;
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const xHat = tf.mul(tf.sub(x, mean), invStd);
    const dbeta = tf.sum(dy, axes);
    const dgamma = tf.sum(tf.mul(dy, xHat), axes);
    const inner = tf.sub(tf.sub(dy, tf.div(dbeta, count)), tf.mul(xHat, tf.div(dgamma, count)));
    return [tf.mul(inner, tf.mul(gamma, invStd)), dgamma, dbeta];
  });
}

export interface BatchNormTrainResult {
  y: tf.Tensor;
  /** Batch statistics (no gradient flows through them), e.g. for moving averages. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch norm over all axes but the last: y = gamma * (x - mean) / sqrt(var + eps)
 * + beta with the batch's own mean and (biased) variance. Differentiable in x, gamma and beta.
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const [y, mean, variance] = hasKernel(BATCH_NORM_TRAIN)
      ? (tf.engine().runKernel(
          BATCH_NORM_TRAIN,
          { x: xIn as tf.Tensor, gamma: gammaIn as tf.Tensor, beta: betaIn as tf.Tensor },
          { epsilon },
        ) as tf.Tensor[])
      : trainWithOps(xIn as tf.Tensor, gammaIn as tf.Tensor1D, betaIn as tf.Tensor1D, epsilon);
    // Everything but the value is disposed when this function returns, unless kept.
    stats = { mean: tf.keep(mean as tf.Tensor1D), variance: tf.keep(variance as tf.Tensor1D) };
    (save as tf.GradSaveFunc)([xIn as tf.Tensor, gammaIn as tf.Tensor, mean!, variance!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, g, m, v] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const dyT = dy as tf.Tensor;
        return hasKernel(BATCH_NORM_GRAD)
          ? (tf.engine().runKernel(BATCH_NORM_GRAD, { x: xs, dy: dyT, gamma: g, mean: m, variance: v }, { epsilon }) as tf.Tensor[])
          : gradWithOps(xs, dyT, g, m, v, epsilon);
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
