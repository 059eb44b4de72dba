/**
 * The masked fused batch-norm kernels (statistics, output and gradient over the real frames only)
 * against autodiff of the same formula in plain tfjs ops, and against the ops fallback other
 * backends run; on random shapes (channel counts that do and do not fill SIMD lanes) and masks
 * from all-real to mostly padded, on both backends the kernels are registered for.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../main/compute/backend';
import { maskedBatchNormTrain } from '../../../main/compute/kernels';
import { batchNormKernels, maskRuns, MASKED_BATCH_NORM_GRAD, MASKED_BATCH_NORM_TRAIN } from '../../../main/compute/kernels/batch-norm';
import { valueSource } from './kernel-helpers';

const { random } = valueSource(7);
const EPSILON = 1e-5;

type Shape = [number, number, number, number];
type MaskKind = 'all real' | 'padded at the end' | 'mostly padded' | 'holes';

/** A [batch, time] 0/1 mask with at least one real frame in the batch. */
function makeMask(kind: MaskKind, batch: number, time: number): Float32Array {
  const u = random([batch * time]);
  const mask = new Float32Array(batch * time);
  for (let b = 0; b < batch; b++) {
    const valid = 1 + Math.floor(((u[b * time]! + 1) / 2) * time);
    for (let t = 0; t < time; t++) {
      const r = u[b * time + t]!;
      mask[b * time + t] =
        kind === 'all real' ? 1 : kind === 'padded at the end' ? +(t < valid) : kind === 'mostly padded' ? +(r > 0.8) : +(r > -0.3);
    }
  }
  // Mostly padded may leave a whole sample (or, rarely, the batch) without a real frame.
  if (!mask.some((v) => v !== 0)) mask[time - 1] = 1;
  return mask;
}

/** The reference: the masked statistics and output in plain ops, differentiated by tfjs. */
function reference(
  x: tf.Tensor,
  mask: tf.Tensor2D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const [batch, rows, time] = x.shape;
  const m = tf.reshape(mask, [batch!, 1, time!, 1]);
  const n = tf.mul(tf.sum(m), rows!);
  const mean = tf.div(tf.sum(tf.mul(x, m), [0, 1, 2]), n);
  const variance = tf.div(tf.sum(tf.mul(tf.square(tf.sub(x, mean)), m), [0, 1, 2]), n);
  const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPSILON))), gamma), beta);
  return { y: tf.mul(y, m), mean, variance };
}

interface Outcome {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  grads: Float32Array[];
}

function evaluate(shape: Shape, maskValues: Float32Array, fused: boolean, seed: Float32Array[]): Outcome {
  return tf.tidy(() => {
    const [batch, , time, channels] = shape;
    const x = tf.tensor(seed[0]!, shape);
    const dy = tf.tensor(seed[1]!, shape);
    const gamma = tf.tensor1d(seed[2]!);
    const beta = tf.tensor1d(seed[3]!);
    const mask = tf.tensor2d(maskValues, [batch, time]);
    const forward = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      fused ? maskedBatchNormTrain(xs as tf.Tensor4D, mask, g as tf.Tensor1D, b as tf.Tensor1D, EPSILON) : reference(xs, mask, g, b);
    const out = forward(x, gamma, beta);
    const grads = tf.grads((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(forward(xs, g, b).y, dy)))([x, gamma, beta]);
    expect(channels).toBe(gamma.shape[0]);
    return {
      y: out.y.dataSync() as Float32Array,
      mean: out.mean.dataSync() as Float32Array,
      variance: out.variance.dataSync() as Float32Array,
      grads: grads.map((g) => g.dataSync() as Float32Array),
    };
  });
}

/**
 * Within `tolerance` of the larger of `floor` and the largest expected magnitude. The floor is
 * the size of the terms that cancel where the exact value is ~0 and only rounding is left: with
 * one real frame and two rows (two values per channel) x̂ = ±1 and dx vanishes identically, while
 * its terms are of size gamma/std · dy (and the std of two close values may be small).
 */
function expectNear(actual: Float32Array, expected: Float32Array, tolerance: number, floor = 1): void {
  expect(actual.length).toBe(expected.length);
  let scale = floor;
  let worst = 0;
  expected.forEach((value, i) => {
    scale = Math.max(scale, Math.abs(value));
    worst = Math.max(worst, Math.abs(actual[i]! - value));
  });
  expect(worst / scale).toBeLessThanOrEqual(tolerance);
}

function expectSame(actual: Outcome, expected: Outcome, gamma: Float32Array): void {
  expectNear(actual.y, expected.y, 1e-5);
  expectNear(actual.mean, expected.mean, 1e-5);
  expectNear(actual.variance, expected.variance, 1e-5);
  // dy is in [-1, 1]: the terms of dx are of size |gamma| / std per channel.
  const dxTerms = Math.max(...Array.from(gamma, (g, c) => Math.abs(g) / Math.sqrt(expected.variance[c]! + EPSILON)));
  actual.grads.forEach((g, i) => expectNear(g, expected.grads[i]!, 1e-4, i === 0 ? dxTerms : 1));
}

const SHAPES: Shape[] = [
  [3, 2, 5, 4],
  [2, 3, 7, 3],
  [4, 5, 9, 8],
  [1, 1, 6, 5],
  [5, 4, 11, 16],
];
const KINDS: MaskKind[] = ['all real', 'padded at the end', 'mostly padded', 'holes'];

describe('mask runs', () => {
  it('are the real pixels of NHWC x in order, touching runs merged', () => {
    // batch 2, rows 2, time 3: sample 0 all real (one run over both rows), sample 1 frames 0 and 2.
    expect(Array.from(maskRuns([1, 1, 1, 1, 0, 1], 2, 2, 3))).toEqual([0, 7, 8, 2, 11, 1]);
    expect(Array.from(maskRuns([0, 0, 0], 1, 4, 3))).toEqual([]);
  });
});

describe.each(['cpu', 'wasm'] as const)('masked batch-norm kernels on %s', (backendName) => {
  beforeAll(async () => {
    await initBackend(backendName, { threads: 1 });
  });

  it.each(SHAPES.map((shape) => ({ shape })))('match autodiff of the plain-ops formula and the ops fallback, x $shape', ({ shape }) => {
    for (const kind of KINDS) {
      const [batch, rows, time, channels] = shape;
      const size = tf.util.sizeFromShape(shape);
      const x = random([size]).map((v) => 3 * v + 2); // a mean away from 0, as activations have
      const gamma = random([channels]).map((v) => v + 1.2);
      const seed = [x, random([size]), gamma, random([channels])];
      const maskValues = makeMask(kind, batch, time);
      const expected = evaluate(shape, maskValues, false, seed);
      const kernel = evaluate(shape, maskValues, true, seed);
      expectSame(kernel, expected, gamma);
      // Padded positions output 0 and get no gradient, exactly.
      for (let p = 0; p < size / channels; p++) {
        const b = Math.floor(p / (rows * time));
        const t = p % time;
        if (maskValues[b * time + t] !== 0) continue;
        for (let c = 0; c < channels; c++) {
          expect(kernel.y[p * channels + c]).toBe(0);
          expect(kernel.grads[0]![p * channels + c]).toBe(0);
        }
      }
      // Backends without the kernels (webgpu) run the same math as tfjs ops.
      tf.unregisterKernel(MASKED_BATCH_NORM_TRAIN, backendName);
      tf.unregisterKernel(MASKED_BATCH_NORM_GRAD, backendName);
      try {
        expectSame(evaluate(shape, maskValues, true, seed), expected, gamma);
      } finally {
        for (const config of batchNormKernels(backendName).filter((k) => k.kernelName.startsWith('SerMasked'))) tf.registerKernel(config);
      }
    }
  });

  it('refuses a batch without a real frame and a mask that does not fit', () => {
    const x = tf.zeros([2, 3, 4, 4]) as tf.Tensor4D;
    const gamma = tf.ones([4]) as tf.Tensor1D;
    const beta = tf.zeros([4]) as tf.Tensor1D;
    expect(() => tf.engine().runKernel(MASKED_BATCH_NORM_TRAIN, { x, gamma, beta, mask: tf.zeros([2, 4]) }, { epsilon: EPSILON })).toThrow(
      /no real frame/,
    );
    expect(() => tf.engine().runKernel(MASKED_BATCH_NORM_TRAIN, { x, gamma, beta, mask: tf.ones([2, 3]) }, { epsilon: EPSILON })).toThrow(
      /does not fit/,
    );
    tf.dispose([x, gamma, beta]);
  });

  it('repeated masked gradient steps leak neither tensors nor backend buffers', () => {
    const x = tf.tensor(random([3, 4, 6, 8]), [3, 4, 6, 8]) as tf.Tensor4D;
    const mask = tf.tensor2d(makeMask('padded at the end', 3, 6), [3, 6]);
    const gamma = tf.variable(tf.ones([8]));
    const beta = tf.variable(tf.zeros([8]));
    const optimizer = tf.train.sgd(0.01);
    const step = () =>
      optimizer.minimize(() => {
        const { y } = maskedBatchNormTrain(x, mask, gamma as tf.Tensor1D, beta as tf.Tensor1D, EPSILON);
        return tf.sum(tf.square(tf.relu(y))) as tf.Scalar;
      }, false);
    step();
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    tf.dispose([x, mask, gamma, beta]);
    optimizer.dispose();
  });
});
