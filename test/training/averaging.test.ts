import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  averageSnapshots,
  loadSnapshot,
  recomputeBatchNormStatistics,
  SnapshotKeeper,
  snapshotWeights,
  type WeightSnapshot,
} from '../../main/training/averaging';
import { BatchNorm } from '../../main/models/layers';
import { createModel } from '../../main/models';
import { createRng } from '../../main/util/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const snap = (...values: number[][]): WeightSnapshot => values.map((v) => Float32Array.from(v));

describe('weight averaging', () => {
  it('averages snapshots element-wise, weight by weight', () => {
    const mean = averageSnapshots([snap([1, 2], [10]), snap([3, 6], [20]), snap([5, 1], [30])]);
    expect(Array.from(mean[0]!)).toEqual([3, 3]);
    expect(Array.from(mean[1]!)).toEqual([20]);
    expect(() => averageSnapshots([])).toThrow(/no snapshots/);
    expect(() => averageSnapshots([snap([1, 2]), snap([1])])).toThrow(/disagree/);
  });

  it('keeps the last K epochs in `last` mode', () => {
    const keeper = new SnapshotKeeper({ mode: 'last', count: 3, metricMode: 'max' });
    for (let epoch = 1; epoch <= 6; epoch++) keeper.offer(epoch, Math.random(), () => snap([epoch]));
    expect(keeper.epochs).toEqual([4, 5, 6]);
    expect(Array.from(keeper.average()[0]!)).toEqual([5]);
  });

  it('keeps the K best epochs in `top` mode, later epochs winning ties, and copies only what it keeps', () => {
    const keeper = new SnapshotKeeper({ mode: 'top', count: 2, metricMode: 'max' });
    let taken = 0;
    const take = (epoch: number) => () => {
      taken++;
      return snap([epoch]);
    };
    const values = [0.5, 0.7, 0.6, 0.2, 0.7, NaN];
    values.forEach((v, i) => keeper.offer(i + 1, v, take(i + 1)));
    expect(keeper.epochs).toEqual([2, 5]);
    expect(taken).toBe(4); // epochs 4 and 6 were never copied
    const low = new SnapshotKeeper({ mode: 'top', count: 2, metricMode: 'min' });
    [0.9, 0.3, 0.5, 0.4].forEach((v, i) => low.offer(i + 1, v, () => snap([i + 1])));
    expect(low.epochs).toEqual([2, 4]);
    expect(() => new SnapshotKeeper({ mode: 'top', count: 0, metricMode: 'max' })).toThrow(/positive integer/);
  });

  it('round-trips a model through snapshot and load', async () => {
    const model = createModel('crnn', { inputShape: [16, 16, 1], numClasses: 3, seed: 1 });
    const other = createModel('crnn', { inputShape: [16, 16, 1], numClasses: 3, seed: 2 });
    const before = await snapshotWeights(other);
    loadSnapshot(other, await snapshotWeights(model));
    const after = await snapshotWeights(other);
    const reference = await snapshotWeights(model);
    expect(after.map((w) => Array.from(w))).toEqual(reference.map((w) => Array.from(w)));
    expect(before.some((w, i) => w.some((v, k) => v !== reference[i]![k]))).toBe(true);
    expect(() => loadSnapshot(other, after.slice(1))).toThrow(/weights/);
    model.dispose();
    other.dispose();
  });

  it('recomputes batch-norm statistics as the mean of the per-batch statistics, and restores the momentum', async () => {
    const input1 = tf.input({ shape: [4, 3, 1] });
    const bn1 = new BatchNorm({ momentum: 0.9, epsilon: 1e-5, name: 'bn1' });
    const model1 = tf.model({ inputs: input1, outputs: bn1.apply(input1) as tf.SymbolicTensor });
    const rng = createRng(7);
    const count = 10;
    const slot = 12;
    const x = new Float32Array(count * slot).map(() => 3 + 2 * rng.normal());
    const updated = recomputeBatchNormStatistics(model1, { x, count }, { rows: 4, frames: 3 }, 4);
    expect(updated).toBe(1);
    // Batches of 4, 4, 2 examples; expected moving stats = mean of per-batch mean / unbiased variance.
    const stats: { mean: number; variance: number }[] = [];
    for (let start = 0; start < count; start += 4) {
      const values = Array.from(x.subarray(start * slot, Math.min(count, start + 4) * slot));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
      stats.push({ mean, variance });
    }
    const [, , movingMean, movingVariance] = await snapshotWeights(model1);
    expect(movingMean![0]).toBeCloseTo(stats.reduce((a, s) => a + s.mean, 0) / stats.length, 4);
    expect(movingVariance![0]).toBeCloseTo(stats.reduce((a, s) => a + s.variance, 0) / stats.length, 3);
    expect(bn1.momentum).toBe(0.9);
    expect(recomputeBatchNormStatistics(model1, { x, count: 0 }, { rows: 4, frames: 3 })).toBe(0);
    model1.dispose();
  });
});
