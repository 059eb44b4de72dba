/**
 * The WebAssembly SIMD loops (batch norm, pooling and ReLU gradients) against the stock cpu
 * kernels and ops and against the JavaScript loops they replace, on the wasm backend with its
 * shared (threaded) and its plain memory. Channel counts are multiples of 4, which the loops
 * need; pixel counts are not multiples of the 256-pixel blocks of the sums.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../main/compute/backend';
import { batchNormTrain, useSimdLoops } from '../../../main/compute/kernels';
import { simdLoopsFor } from '../../../main/compute/kernels/simd-loops';
import { active, expectClose, stockCpu, valueSource, type Attrs, type Input } from './kernel-helpers';

const { random, input } = valueSource(11);

/** Loss Σ y·w through training-mode batch norm, and its gradients in x, gamma and beta. */
function batchNormGradients(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, weights: tf.Tensor, viaOps: boolean): number[][] {
  return tf.tidy(() => {
    const f = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      let y: tf.Tensor;
      if (viaOps) {
        const axes = xs.shape.slice(0, -1).map((_, i) => i);
        const { mean, variance } = tf.moments(xs, axes);
        y = tf.batchNorm(xs, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3);
      } else {
        y = batchNormTrain(xs, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3).y;
      }
      return tf.sum(tf.mul(y, weights));
    };
    const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta]);
    return [[value.dataSync()[0]!], ...grads.map((g) => Array.from(g.dataSync()))];
  });
}

describe.each([2, 1])('SIMD loops on wasm with %i thread(s)', (threads) => {
  beforeAll(async () => {
    await initBackend('wasm', { threads });
    // Without the loops every case below would silently compare the JavaScript loops.
    expect(simdLoopsFor(tf.backend())).not.toBeNull();
  });

  afterEach(() => useSimdLoops(true));

  it.each([
    [3, 17, 19, 8],
    [2, 5, 7, 12],
    [1, 1, 3, 4],
  ])('batch norm statistics, output and gradients match the stock ops and the JavaScript loops: x [%i, %i, %i, %i]', (...shape) => {
    const channels = shape[3]!;
    // An offset mean, so that E[x²] − mean² is tested for cancellation.
    const x = tf.tensor(
      random(shape).map((v, i) => 3 + (i % channels) + v),
      shape,
    );
    const gamma = tf.tensor1d(random([channels]).map((v) => 1 + v));
    const beta = tf.tensor1d(random([channels]));
    const weights = tf.tensor(random(shape), shape);
    const reference = batchNormGradients(x, gamma, beta, weights, true);
    const simd = batchNormGradients(x, gamma, beta, weights, false);
    useSimdLoops(false);
    const javascript = batchNormGradients(x, gamma, beta, weights, false);
    for (const result of [simd, javascript]) {
      expect(result[0]![0]).toBeCloseTo(reference[0]![0]!, 2);
      for (let i = 1; i < 4; i++) expectClose(result[i]!, reference[i]!, 3e-4);
    }
    // The batch statistics the layer keeps for its moving averages.
    useSimdLoops(true);
    const stats = tf.tidy(() => {
      const { mean, variance } = batchNormTrain(x, gamma, beta, 1e-3);
      const moments = tf.moments(x, [0, 1, 2]);
      return [mean, variance, moments.mean, moments.variance].map((t) => t.dataSync() as Float32Array);
    });
    expectClose(stats[0]!, stats[2]!, 1e-5);
    expectClose(stats[1]!, stats[3]!, 1e-4);
    tf.dispose([x, gamma, beta, weights]);
  });

  it.each([
    // Windows that tile the input (maxPoolGradDisjoint), also with rows and columns left over.
    { x: [2, 8, 10, 8], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [3, 9, 11, 4], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [1, 6, 10, 8], filterSize: [3, 2], strides: [3, 2], pad: 'same' },
    { x: [2, 9, 7, 4], filterSize: [3, 3], strides: [2, 2], pad: 'same' },
    { x: [1, 10, 25, 12], filterSize: [5, 13], strides: [5, 12], pad: 'valid' },
    { x: [2, 7, 7, 4], filterSize: [3, 2], strides: [1, 1], pad: 'valid' },
  ])('max and average pooling gradients match the stock cpu kernels, ties included: %j', (c) => {
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad } as unknown as Attrs;
    // Values on a coarse grid, so windows hold ties (the gradient goes to the first maximum).
    const x = { shape: c.x, values: random(c.x).map((v) => Math.round(v * 3) / 3) };
    const pooled = tf.tidy(() =>
      tf.maxPool(
        tf.tensor4d(x.values, c.x as [number, number, number, number]),
        c.filterSize as [number, number],
        c.strides as [number, number],
        c.pad as 'valid',
      ),
    );
    const dy = input(pooled.shape);
    const output = { shape: pooled.shape, values: pooled.dataSync() as Float32Array };
    pooled.dispose();
    const maxInputs = { dy, input: x, output };
    const avgInputs = { dy, input: x };
    const simdMax = active('MaxPoolGrad', maxInputs, attrs);
    const simdAvg = active('AvgPoolGrad', avgInputs, attrs);
    expectClose(simdMax, stockCpu('MaxPoolGrad', maxInputs, attrs), 1e-6);
    expectClose(simdAvg, stockCpu('AvgPoolGrad', avgInputs, attrs), 1e-6);
    useSimdLoops(false);
    expectClose(simdMax, active('MaxPoolGrad', maxInputs, attrs), 0);
    expectClose(simdAvg, active('AvgPoolGrad', avgInputs, attrs), 1e-6);
  });

  it('the ReLU gradient is dy where x > 0 and 0 elsewhere (x = 0 included), in one kernel', async () => {
    const values = random([4, 6, 10]);
    values[0] = 0;
    values[5] = 0;
    const x = tf.tensor3d(values, [4, 6, 10]);
    const dy = tf.tensor3d(random([4, 6, 10]), [4, 6, 10]);
    const expected = tf.tidy(() => tf.mul(dy, tf.cast(tf.step(x), 'float32')).dataSync() as Float32Array);
    const gradient = () =>
      tf.tidy(
        () =>
          tf
            .grad((t: tf.Tensor) => tf.relu(t))(x, dy)
            .dataSync() as Float32Array,
      );
    expectClose(gradient(), expected, 0);
    const info = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy));
    tf.dispose(info.result as tf.Tensor);
    expect(info.kernelNames).toContain('SerReluGrad');
    expect(info.kernelNames).not.toContain('Step');
    useSimdLoops(false);
    expectClose(gradient(), expected, 0);
    tf.dispose([x, dy]);
  });

  it('ReLU is the SIMD loop: x <= 0 -> +0, else x (NaN stays NaN, as in the stock kernel)', () => {
    const values = random([3, 5, 8]);
    values.set([0, -0, NaN, -Infinity, Infinity], 0);
    const x = { shape: [3, 5, 8], values };
    const stock = stockCpu('Relu', { x }, {});
    const simd = active('Relu', { x }, {});
    expect(Array.from(simd)).toEqual(Array.from(stock));
  });

  it.each([
    [[2, 5, 7, 8], true],
    [[3, 12], false],
  ])('inference batch norm (moving statistics) matches the stock cpu kernel: x %j, scale and offset %s', (shape, affine) => {
    const channels = shape[shape.length - 1]!;
    const x = input(shape);
    const mean = input([channels]);
    const variance = { shape: [channels], values: random([channels]).map((v) => 0.5 + Math.abs(v)) };
    const params: Record<string, Input> = affine ? { offset: input([channels]), scale: input([channels]) } : {};
    const inputs: Record<string, Input> = { x, mean, variance, ...params };
    expectClose(
      active('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 }),
      stockCpu('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 }),
      1e-6,
    );
  });
});
