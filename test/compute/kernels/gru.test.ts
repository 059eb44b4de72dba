/**
 * The fused bidirectional GRU kernels against the op-by-op path of the same layer (BiGru with
 * useFusedGru(false)), forward and every gradient, with a frame mask, on both backends that
 * register them; and the choice between the two paths with and without a BLAS.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../main/compute/backend';
import { fusedGruAvailable, useBlasKernels, useFusedGru } from '../../../main/compute/kernels';
import { activeBlas } from '../../../main/compute/kernels/blas-kernels';
import { FUSED_GRU_MAX_BATCH_WITHOUT_BLAS, GRU_FORWARD, GRU_GRAD } from '../../../main/compute/kernels/gru';
import { BiGru } from '../../../main/models/gru';
import { frameMask } from '../../../main/models/mask';
import { expectClose } from './kernel-helpers';

const TOLERANCE = 1e-5;

interface Case {
  batch: number;
  time: number;
  features: number;
  units: number;
  bound: number;
  masked: boolean;
}

const CASES: Case[] = [
  { batch: 3, time: 7, features: 10, units: 5, bound: 0.3, masked: true },
  // Large weights saturate the hard sigmoid (its gradient is 0 there).
  { batch: 4, time: 9, features: 6, units: 4, bound: 1.5, masked: true },
  { batch: 2, time: 6, features: 5, units: 3, bound: 0.8, masked: false },
  // The crnn's GRU: 25 steps of 640 features, 64 units.
  { batch: 5, time: 25, features: 640, units: 64, bound: 0.125, masked: true },
];

function layerFor({ time, features, units, bound }: Case, seed: number): BiGru {
  const layer = new BiGru({ units });
  layer.apply(tf.input({ shape: [time, features] }));
  tf.tidy(() => layer.setWeights(layer.getWeights().map((w, i) => tf.randomUniform(w.shape, -bound, bound, 'float32', seed + i))));
  return layer;
}

/** The layer's inputs: x, and a mask whose clips end at different steps (one clip unpadded). */
function inputsFor({ batch, time, features, masked }: Case): tf.Tensor[] {
  const x = tf.randomNormal([batch, time, features], 0, 1, 'float32', 3);
  if (!masked) return [x];
  const valid = Array.from({ length: batch }, (_, i) => (i === 0 ? time : 1 + ((i * 5) % time)));
  return [x, tf.tensor2d(frameMask(valid, batch, time), [batch, time])];
}

/** Output, then the gradients of a weighted sum for every weight and x, on the path chosen. */
function run(layer: BiGru, inputs: tf.Tensor[], fused: boolean): Float32Array[] {
  useFusedGru(fused);
  const [x, mask] = inputs as [tf.Tensor3D, tf.Tensor2D | undefined];
  const xVar = tf.variable(x);
  const weights = tf.randomNormal([x.shape[0], x.shape[1], 2 * layer.units], 0, 1, 'float32', 9);
  const apply = (training: boolean) => layer.apply(mask ? [xVar, mask] : xVar, { training }) as tf.Tensor;
  const inference = tf.tidy(() => apply(false).dataSync() as Float32Array);
  const variables = [...layer.trainableWeights.map((w) => w.read() as tf.Variable), xVar];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(apply(true), weights)), variables);
  const result = [inference, value.dataSync() as Float32Array, ...variables.map((v) => grads[v.name]!.dataSync() as Float32Array)];
  tf.dispose([xVar, weights, value, ...Object.values(grads)]);
  return result;
}

afterEach(() => useFusedGru(true));

describe.each(['wasm', 'cpu'] as const)('fused BiGru on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend, { threads: 1 });
  });

  it.each(CASES)('matches the op-by-op path, forward and every gradient: %j', (c) => {
    if (activeBlas() == null) return console.log('skipped: the fused gradient needs a BLAS, none is loaded');
    const layer = layerFor(c, 11);
    const inputs = inputsFor(c);
    const fused = run(layer, inputs, true);
    const ops = run(layer, inputs, false);
    const names = ['inference', 'loss', ...layer.trainableWeights.map((w) => w.name), 'x'];
    names.forEach((name, i) => {
      expect(fused[i]!.some((v) => v !== 0) || ops[i]!.every((v) => v === 0), name).toBe(true);
      expectClose(fused[i]!, ops[i]!, TOLERANCE);
    });
    tf.dispose(inputs);
    layer.dispose();
  });

  it('runs the fused kernels (not the ops) when they are available, and leaks nothing', async () => {
    if (activeBlas() == null) return console.log('skipped: the fused gradient needs a BLAS, none is loaded');
    const c = CASES[0]!;
    const layer = layerFor(c, 5);
    const inputs = inputsFor(c);
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(inputs, { training: true }) as tf.Tensor), variables);
      tf.dispose([value, ...Object.values(grads)]);
    };
    const profile = await tf.profile(step);
    expect(profile.kernelNames).toEqual(expect.arrayContaining([GRU_FORWARD, GRU_GRAD]));
    expect(profile.kernelNames).not.toContain('Tanh');
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      step();
      (layer.apply(inputs) as tf.Tensor).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(inputs);
    layer.dispose();
  });

  it('without a BLAS: inference of a few clips fused (as the ops compute it), training and large batches as ops', () => {
    const blas = activeBlas();
    const c = { ...CASES[1]!, batch: 3 };
    const layer = layerFor(c, 7);
    const inputs = inputsFor(c);
    const expected = tf.tidy(() => {
      useFusedGru(false);
      return (layer.apply(inputs) as tf.Tensor).dataSync() as Float32Array;
    });
    useFusedGru(true);
    useBlasKernels(null);
    try {
      expect(fusedGruAvailable(3, false)).toBe(true);
      expect(fusedGruAvailable(FUSED_GRU_MAX_BATCH_WITHOUT_BLAS + 1, false)).toBe(false);
      expect(fusedGruAvailable(3, true)).toBe(false);
      expectClose(
        tf.tidy(() => (layer.apply(inputs) as tf.Tensor).dataSync() as Float32Array),
        expected,
        TOLERANCE,
      );
    } finally {
      useBlasKernels(blas);
    }
    tf.dispose(inputs);
    layer.dispose();
  });
});
