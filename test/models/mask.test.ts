/**
 * Frame masks: padding never counts in res-cnn and crnn (pooling, GRU, attention, batch-norm
 * statistics), the masked layers against plain references, and the mask's round trip through
 * checkpoints, the training loop and evaluation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { AttentionPooling, BatchNorm, createModel, frameMask, modelInputs } from '../../main/models';
import { loadCheckpoint } from '../../main/models/checkpoint';
import { buildCrnn } from '../../main/models/crnn';
import { SeededInit } from '../../main/models/init';
import { PoolMask } from '../../main/models/mask';
import { maskedBatchNormTrain } from '../../main/compute/kernels';
import { buildResCnn } from '../../main/models/res-cnn';
import { writeCheckpoint } from '../../main/runs/checkpoints';
import { NO_AUGMENT } from '../../main/training/augment';
import { recomputeBatchNormStatistics } from '../../main/training/averaging';
import { resolveTrainingConfig } from '../../main/training/config';
import { evaluateSet, trainLoop } from '../../main/training/loop';
import { createRng } from '../../main/util/random';
import { manifestFor } from '../pipeline/inference/helpers';

const ROWS = 16;
const CLASSES = 4;
/** Real frames of the three test clips; F1 and F2 are multiples of res-cnn's time pooling (16). */
const VALID = [21, 9, 32];
const F1 = 32;
const F2 = 48;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** The clips' real frames (random), padded to `frames` with `fill` (a value source for padded cells). */
function paddedClips(frames: number, fill: () => number): Float32Array {
  const rng = createRng(5);
  const real = VALID.map(() => Float32Array.from({ length: ROWS * F1 }, () => rng.normal()));
  const x = new Float32Array(VALID.length * ROWS * frames);
  VALID.forEach((valid, n) => {
    for (let r = 0; r < ROWS; r++) {
      for (let t = 0; t < frames; t++) x[(n * ROWS + r) * frames + t] = t < valid ? real[n]![r * F1 + t]! : fill();
    }
  });
  return x;
}

function run(model: tf.LayersModel, x: Float32Array, frames: number, training: boolean, validFrames: number[] = VALID): Float32Array {
  return tf.tidy(() => {
    const xs = tf.tensor4d(x, [validFrames.length, ROWS, frames, 1]);
    return (model.apply(modelInputs(model, xs, validFrames), { training }) as tf.Tensor).dataSync() as Float32Array;
  });
}

function movingStatistics(model: tf.LayersModel): Float32Array[] {
  return model.layers
    .filter((l) => l instanceof BatchNorm)
    .flatMap((l) => l.getWeights().slice(2))
    .map((w) => w.dataSync() as Float32Array);
}

/** Two models with the same weights: for inputs of `frames` frames. */
function twin(name: 'res-cnn' | 'crnn', frames: number, seed = 7): tf.LayersModel {
  return createModel(name, { inputShape: [ROWS, frames, 1], numClasses: CLASSES, seed });
}

beforeAll(async () => {
  await initBackend('wasm', { threads: 1 });
});

describe.each(['res-cnn', 'crnn'] as const)('%s: masks never leak padding', (name) => {
  it('the same clips padded to F1 and F2 frames give the same logits and batch-norm statistics', () => {
    const short = twin(name, F1);
    const long = twin(name, F2);
    const a = paddedClips(F1, () => 0);
    const b = paddedClips(F2, () => 0);
    expect(maxAbsDiff(run(short, a, F1, false), run(long, b, F2, false))).toBeLessThan(1e-4);
    // Training mode: the same batch statistics (no dropout comes before a batch norm), hence the same moving averages.
    run(short, a, F1, true);
    run(long, b, F2, true);
    movingStatistics(short).forEach((s, i) => expect(maxAbsDiff(s, movingStatistics(long)[i]!)).toBeLessThan(1e-4));
    expect(maxAbsDiff(run(short, a, F1, false), run(long, b, F2, false))).toBeLessThan(1e-4);
    short.dispose();
    long.dispose();
  });

  it('values in padded positions change nothing: outputs and batch-norm statistics', () => {
    const zeros = twin(name, F2);
    const garbage = twin(name, F2);
    const rng = createRng(9);
    const clean = paddedClips(F2, () => 0);
    const noisy = paddedClips(F2, () => 50 * rng.normal());
    expect(maxAbsDiff(run(zeros, clean, F2, false), run(garbage, noisy, F2, false))).toBeLessThan(1e-4);
    const initial = movingStatistics(zeros).map((s) => s.slice());
    // Both models are at the same dropout call count, so their training calls draw the same masks.
    expect(maxAbsDiff(run(zeros, clean, F2, true), run(garbage, noisy, F2, true))).toBeLessThan(1e-4);
    const after = movingStatistics(zeros);
    expect(after.length).toBeGreaterThan(3);
    after.forEach((s, i) => expect(maxAbsDiff(s, initial[i]!)).toBeGreaterThan(1e-3));
    movingStatistics(garbage).forEach((s, i) => expect(maxAbsDiff(s, after[i]!)).toBeLessThan(1e-4));
    // Without the mask the padding does count: the check above can fail.
    const unmasked = run(garbage, noisy, F2, false, [F2, F2, F2]);
    expect(maxAbsDiff(unmasked, run(zeros, clean, F2, false))).toBeGreaterThan(1e-3);
    zeros.dispose();
    garbage.dispose();
  });

  it('a clip of exactly F frames with a full mask computes what the unmasked model does', () => {
    const masked = twin(name, F1, 3);
    const input = tf.input({ shape: [ROWS, F1, 1], name: 'features' });
    const build = name === 'crnn' ? buildCrnn : buildResCnn;
    const plain = tf.model({ inputs: input, outputs: build(input, null, CLASSES, new SeededInit(3)) });
    expect(masked.inputs.map((i) => i.shape)).toEqual([
      [null, ROWS, F1, 1],
      [null, F1],
    ]);
    expect(plain.getWeights().map((w) => w.shape)).toEqual(masked.getWeights().map((w) => w.shape));
    plain.setWeights(masked.getWeights());
    const x = paddedClips(F1, () => 0);
    const full = [F1, F1, F1];
    const out = run(masked, x, F1, false, full);
    expect(out).toHaveLength(VALID.length * CLASSES);
    expect(maxAbsDiff(out, run(plain, x, F1, false, full))).toBeLessThan(1e-4);
    // Training mode too (batch-norm statistics over every frame, as before).
    expect(maxAbsDiff(run(masked, x, F1, true, full), run(plain, x, F1, true, full))).toBeLessThan(1e-4);
    masked.dispose();
    plain.dispose();
  });

  it('a masked checkpoint saves and reloads with both inputs and the same predictions', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ser-mask-'));
    try {
      const model = twin(name, F1);
      run(
        model,
        paddedClips(F1, () => 0),
        F1,
        true,
      );
      const x = paddedClips(F1, () => 0);
      await writeCheckpoint(root, 'best', model, manifestFor({ modelName: name, inputShape: [ROWS, F1, 1], labels: ['a', 'b', 'c', 'd'] }));
      const loaded = await loadCheckpoint(join(root, 'best'));
      expect(loaded.model.inputs).toHaveLength(2);
      expect(Array.from(run(loaded.model, x, F1, false))).toEqual(Array.from(run(model, x, F1, false)));
      model.dispose();
      loaded.model.dispose();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('masked layers against plain references', () => {
  it('frameMask marks the first validFrames frames (at least one) of each clip', () => {
    expect(Array.from(frameMask([2, 0, 5], 3, 4))).toEqual([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(frameMask([9, 2, 3], 2, 3, 1))).toEqual([1, 1, 0, 1, 1, 1]);
  });

  it('PoolMask: a window is real if any of its frames is, for valid and same windows', () => {
    const mask = tf.tensor2d(frameMask([3, 5, 1], 3, 5), [3, 5]);
    const valid = new PoolMask({ pool: 2, padding: 'valid' }).apply(mask) as tf.Tensor;
    expect(valid.arraySync()).toEqual([
      [1, 1],
      [1, 1],
      [1, 0],
    ]);
    const same = new PoolMask({ pool: 2, padding: 'same' }).apply(mask) as tf.Tensor;
    expect(same.arraySync()).toEqual([
      [1, 1, 0],
      [1, 1, 1],
      [1, 0, 0],
    ]);
    tf.dispose([mask, valid, same]);
  });

  it('AttentionPooling with a mask equals attention over the real steps alone', () => {
    const layer = new AttentionPooling({ kernelInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 2 }) });
    const x = tf.randomNormal([2, 6, 3], 0, 1, 'float32', 4) as tf.Tensor3D;
    const mask = tf.tensor2d(frameMask([4, 6], 2, 6), [2, 6]);
    const masked = (layer.apply([x, mask]) as tf.Tensor).arraySync() as number[][];
    const first = (layer.apply(tf.slice(x, [0, 0, 0], [1, 4, 3])) as tf.Tensor).arraySync() as number[][];
    const second = (layer.apply(tf.slice(x, [1, 0, 0], [1, 6, 3])) as tf.Tensor).arraySync() as number[][];
    expect(maxAbsDiff(masked[0]!, first[0]!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(masked[1]!, second[0]!)).toBeLessThan(1e-6);
    tf.dispose([x, mask]);
  });

  it('masked batch norm: statistics over real frames, 0 on padding, gradients equal to autodiff of the same formula', () => {
    const x = tf.randomNormal([3, 2, 5, 4], 2, 3, 'float32', 6) as tf.Tensor4D;
    const mask = tf.tensor2d(frameMask([5, 2, 3], 3, 5), [3, 5]);
    const m = tf.reshape(mask, [3, 1, 5, 1]) as tf.Tensor4D;
    const gamma = tf.tensor1d([1, 2, 0.5, -1]);
    const beta = tf.tensor1d([0.1, -0.2, 0.3, 0]);
    const dy = tf.randomNormal([3, 2, 5, 4], 0, 1, 'float32', 8);
    const reference = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const n = tf.mul(tf.sum(m), 2);
      const mean = tf.div(tf.sum(tf.mul(xs, m), [0, 1, 2]), n);
      const variance = tf.div(tf.sum(tf.mul(tf.square(tf.sub(xs, mean)), m), [0, 1, 2]), n);
      const y = tf.add(tf.mul(tf.div(tf.sub(xs, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
      return { y: tf.mul(y, m), mean, variance };
    };
    const ours = maskedBatchNormTrain(x, mask, gamma, beta, 1e-5);
    const ref = reference(x, gamma, beta);
    expect(maxAbsDiff(ours.y.dataSync(), ref.y.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(ours.mean.dataSync(), ref.mean.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(ours.variance.dataSync(), ref.variance.dataSync())).toBeLessThan(1e-4);
    expect(ours.count.dataSync()[0]).toBe(2 * (5 + 2 + 3));
    const loss = (f: (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(f(xs, g, b), dy));
    const oursGrads = tf.grads(
      loss((xs, g, b) => maskedBatchNormTrain(xs as tf.Tensor4D, mask, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5).y),
    )([x, gamma, beta]);
    const refGrads = tf.grads(loss((xs, g, b) => reference(xs, g, b).y))([x, gamma, beta]);
    oursGrads.forEach((g, i) => expect(maxAbsDiff(g.dataSync(), refGrads[i]!.dataSync())).toBeLessThan(1e-4));
    // Padded positions neither output anything nor receive a gradient.
    const yValues = ours.y.arraySync() as number[][][][];
    const dx = oursGrads[0]!.arraySync() as number[][][][];
    expect(yValues[1]![0]![4]!.every((v) => v === 0)).toBe(true);
    expect(dx[1]![1]![3]!.every((v) => v === 0)).toBe(true);
    expect(yValues[1]![0]![1]!.every((v) => v !== 0)).toBe(true);
    tf.dispose([x, mask, m, gamma, beta, dy, ours.y, ours.mean, ours.variance, ...oursGrads, ...refGrads]);
  });
});

describe('the training loop and evaluation pass the mask', () => {
  const frames = 32;
  function set(count: number, seed: number, padding: () => number) {
    const rng = createRng(seed);
    const slot = ROWS * frames;
    const x = new Float32Array(count * slot);
    const y = Int32Array.from({ length: count }, (_, i) => i % CLASSES);
    const validFrames = Int32Array.from({ length: count }, (_, i) => 8 + ((i * 5) % 25));
    for (let i = 0; i < count; i++) {
      for (let r = 0; r < ROWS; r++) {
        for (let t = 0; t < frames; t++) {
          x[i * slot + r * frames + t] = t < validFrames[i]! ? (r >> 2 === y[i] ? 1.5 : 0) + 0.8 * rng.normal() : padding();
        }
      }
    }
    return { x, y, count, validFrames };
  }

  it.each(['crnn', 'res-cnn'] as const)(
    '%s trains with augmentation, and garbage in the padding changes neither training nor evaluation',
    async (name) => {
      const rng = createRng(3);
      const clean = set(24, 1, () => 0);
      const noisy = { ...clean, x: clean.x.slice() };
      const slot = ROWS * frames;
      for (let i = 0; i < noisy.count; i++) {
        for (let r = 0; r < ROWS; r++)
          for (let t = noisy.validFrames[i]!; t < frames; t++) noisy.x[i * slot + r * frames + t] = 20 * rng.normal();
      }
      const val = set(8, 2, () => 0);
      const shape = { rows: ROWS, frames, numClasses: CLASSES };
      // Time shift and time mask on: they stay within the real frames, so the padding stays irrelevant.
      const config = resolveTrainingConfig({
        preset: 'quick',
        model: name,
        epochs: 1,
        batchSize: 8,
        augment: { ...NO_AUGMENT, timeShift: 1, timeMask: 1 },
      });
      const histories = [];
      const evaluations = [];
      for (const data of [clean, noisy]) {
        const model = createModel(name, { inputShape: [ROWS, frames, 1], numClasses: CLASSES, seed: 2 });
        const result = await trainLoop(model, data, val, shape, config);
        histories.push(result.history[0]!);
        evaluations.push(await evaluateSet(model, { ...val, x: data === clean ? val.x : noisyCopy(val.x, val.validFrames) }, shape, 8));
        model.dispose();
      }
      expect(histories[0]!.trainLoss).toBeCloseTo(histories[1]!.trainLoss, 4);
      expect(Number.isFinite(histories[0]!.valLoss)).toBe(true);
      expect(maxAbsDiff(evaluations[0]!.probabilities, evaluations[1]!.probabilities)).toBeLessThan(1e-4);

      // Weight averaging's batch-norm recompute counts real frames only, too.
      const recomputed = [clean, noisy].map((data) => {
        const model = createModel(name, { inputShape: [ROWS, frames, 1], numClasses: CLASSES, seed: 2 });
        expect(recomputeBatchNormStatistics(model, data, shape, 8)).toBeGreaterThan(2);
        const statistics = movingStatistics(model);
        model.dispose();
        return statistics;
      });
      recomputed[0]!.forEach((s, i) => expect(maxAbsDiff(s, recomputed[1]![i]!)).toBeLessThan(1e-4));

      function noisyCopy(x: Float32Array, validFrames: Int32Array): Float32Array {
        const copy = x.slice();
        for (let i = 0; i < validFrames.length; i++) {
          for (let r = 0; r < ROWS; r++) for (let t = validFrames[i]!; t < frames; t++) copy[i * slot + r * frames + t] = 20 * rng.normal();
        }
        return copy;
      }
    },
  );
});
