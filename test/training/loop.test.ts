import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NO_AUGMENT } from '../../main/training/augment';
import { resolveTrainingConfig, type TrainingConfig, type TrainingOverrides } from '../../main/training/config';
import { evaluateSet, trainLoop, type EpochMetrics, type ExampleShape, type LabelledSet } from '../../main/training/loop';
import { cosineLearningRate } from '../../main/training/schedule';
import { createRng } from '../../main/util/random';

const shape: ExampleShape = { rows: 8, frames: 12, numClasses: 3 };

/** A learnable toy problem: class c lights up rows 2c..2c+1, plus noise. */
function toySet(count: number, seed: number, counts?: number[], strength = 1.5): LabelledSet {
  const rng = createRng(seed);
  const slot = shape.rows * shape.frames;
  const x = new Float32Array(count * slot);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = counts ? (i < counts[0]! ? 0 : i < counts[0]! + counts[1]! ? 1 : 2) : i % shape.numClasses;
    y[i] = label;
    for (let r = 0; r < shape.rows; r++) {
      for (let f = 0; f < shape.frames; f++) {
        const signal = r >> 1 === label ? strength : 0;
        x[i * slot + r * shape.frames + f] = signal + 0.8 * rng.normal();
      }
    }
  }
  return { x, y, count };
}

function tinyModel(seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [shape.rows, shape.frames, 1],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
      tf.layers.flatten({}),
      tf.layers.dense({ units: shape.numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

function config(overrides: TrainingOverrides = {}): TrainingConfig {
  return resolveTrainingConfig({ preset: 'quick', epochs: 6, batchSize: 16, learningRate: 0.02, augment: NO_AUGMENT, ...overrides });
}

const train = toySet(96, 1);
const val = toySet(48, 2);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('training loop', () => {
  it('learns a learnable toy set: loss decreases and validation UAR rises well above chance', async () => {
    const model = tinyModel(3);
    const before = await evaluateSet(model, val, shape, 32);
    const result = await trainLoop(model, train, val, shape, config({ epochs: 8, earlyStoppingPatience: 8 }));
    const first = result.history[0]!;
    const last = result.history.at(-1)!;
    expect(last.trainLoss).toBeLessThan(first.trainLoss);
    expect(last.valLoss).toBeLessThan(before.loss);
    expect(Math.max(...result.history.map((h) => h.valUar))).toBeGreaterThan(0.8);
    expect(result.bestEpoch).toBeGreaterThan(0);
    model.dispose();
  });

  it('emits per-batch progress and per-epoch metrics, and marks the best epoch', async () => {
    const model = tinyModel(4);
    const batches: number[] = [];
    const epochs: EpochMetrics[] = [];
    await trainLoop(model, train, val, shape, config({ epochs: 2 }), {
      onBatch: (p) => batches.push(p.batch),
      onEpoch: (m) => {
        epochs.push(m);
      },
    });
    expect(batches).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[0]!.improved).toBe(true);
    for (const e of epochs) {
      for (const key of ['trainLoss', 'valLoss', 'valAccuracy', 'valUar', 'valMacroF1', 'learningRate', 'samplesPerSecond'] as const) {
        expect(Number.isFinite(e[key]), key).toBe(true);
      }
    }
    model.dispose();
  });

  it('is reproducible: the same seed gives the same metrics and weights', async () => {
    const run = async () => {
      const model = tinyModel(5);
      const cfg = config({ epochs: 2, augment: { noise: 0.3, timeShift: 0.3, freqMask: 0.2, timeMask: 0.2, mixupAlpha: 0 }, seed: 7 });
      const result = await trainLoop(model, train, val, shape, cfg);
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return { losses: result.history.map((h) => h.trainLoss), weights };
    };
    const a = await run();
    const b = await run();
    expect(b.losses).toEqual(a.losses);
    expect(b.weights).toEqual(a.weights);
  });

  it('stops early when the validation loss stops improving', async () => {
    const model = tinyModel(6);
    // A learning rate this small cannot lower the validation loss by the 1e-4 early-stopping margin.
    const result = await trainLoop(model, train, val, shape, config({ epochs: 30, learningRate: 1e-7, earlyStoppingPatience: 2 }));
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochsRun).toBeLessThan(30);
    model.dispose();
  });

  it('halves the learning rate on a validation-loss plateau', async () => {
    const model = tinyModel(8);
    const result = await trainLoop(
      model,
      train,
      val,
      shape,
      config({ epochs: 6, learningRate: 1e-7, lrPatience: 1, earlyStoppingPatience: 10 }),
    );
    const rates = result.history.map((h) => h.learningRate);
    expect(rates[0]).toBeCloseTo(1e-7, 12);
    expect(Math.min(...rates)).toBeLessThan(1e-7);
    expect(result.history.some((h) => h.lrReduced)).toBe(true);
    model.dispose();
  });

  it('does not leak tensors across epochs', async () => {
    const model = tinyModel(9);
    const counts: number[] = [];
    await trainLoop(model, train, val, shape, config({ epochs: 4, earlyStoppingPatience: 10 }), {
      onEpoch: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    expect(counts[3]).toBe(counts[1]);
    model.dispose();
  });

  it('stops at the next batch when cancelled', async () => {
    const model = tinyModel(10);
    const controller = new AbortController();
    let seen = 0;
    const result = await trainLoop(model, train, val, shape, config({ epochs: 5 }), {
      signal: controller.signal,
      onBatch: () => {
        seen++;
        if (seen === 3) controller.abort();
      },
    });
    expect(result.cancelled).toBe(true);
    expect(seen).toBe(3);
    expect(result.history).toHaveLength(0);
    model.dispose();
  });

  it('with balanced class weights, a minority class is recalled on an imbalanced set', async () => {
    const imbalanced = toySet(96, 11, [88, 4, 4], 0.5);
    const weakVal = toySet(48, 13, undefined, 0.5);
    const recallOfMinorities = async (classWeights: 'balanced' | 'none') => {
      const model = tinyModel(12);
      await trainLoop(model, imbalanced, weakVal, shape, config({ epochs: 3, classWeights, learningRate: 0.005 }));
      const probs = (await evaluateSet(model, weakVal, shape, 32)).probabilities;
      model.dispose();
      let hits = 0;
      let total = 0;
      for (let i = 0; i < weakVal.count; i++) {
        if (weakVal.y[i] === 0) continue;
        total++;
        const row = Array.from(probs.subarray(i * 3, i * 3 + 3));
        if (row.indexOf(Math.max(...row)) === weakVal.y[i]) hits++;
      }
      return hits / total;
    };
    expect(await recallOfMinorities('balanced')).toBeGreaterThan(await recallOfMinorities('none'));
  });

  it('follows a per-step cosine schedule with warm-up, never uses the plateau rule, and trains every epoch with early stopping off', async () => {
    const model = tinyModel(14);
    const cfg = config({ epochs: 5, learningRate: 0.01, lrSchedule: 'cosine', warmupEpochs: 1, earlyStoppingPatience: 0, lrPatience: 0 });
    const rates: number[] = [];
    const result = await trainLoop(model, train, val, shape, cfg, { onBatch: (p) => rates.push(p.learningRate) });
    expect(result.epochsRun).toBe(5);
    expect(result.stoppedEarly).toBe(false);
    expect(result.history.some((h) => h.lrReduced)).toBe(false);
    // 6 batches per epoch: warm-up rises linearly to the peak over the first 6 steps, then decays to 1 % of it.
    expect(rates).toHaveLength(30);
    expect(rates[0]).toBeCloseTo(0.01 / 6, 10);
    expect(rates[5]).toBeCloseTo(0.01, 10);
    for (let i = 6; i < 30; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
    expect(rates[29]).toBeCloseTo(0.0001, 10);
    expect(result.history[0]!.nextLearningRate).toBeCloseTo(rates[6]!, 10);
    model.dispose();
  });

  it('returns the weight average of the last K epochs, leaving the model at its last epoch', async () => {
    const model = tinyModel(15);
    const snapshots: number[][][] = [];
    const result = await trainLoop(
      model,
      train,
      val,
      shape,
      config({ epochs: 5, earlyStoppingPatience: 0, weightAveraging: 'last', averageEpochs: 3 }),
      {
        onEpoch: () => {
          snapshots.push(model.getWeights().map((w) => Array.from(w.dataSync())));
        },
      },
    );
    expect(result.averaged?.epochs).toEqual([3, 4, 5]);
    const expected = snapshots[2]!.map((w, j) => w.map((v, k) => (v + snapshots[3]![j]![k]! + snapshots[4]![j]![k]!) / 3));
    result.averaged!.weights.forEach((w, j) => w.forEach((v, k) => expect(v).toBeCloseTo(expected[j]![k]!, 5)));
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(snapshots[4]);
    model.dispose();
  });

  it('in `top` mode averages the K epochs with the best selection metric; without averaging returns none', async () => {
    const model = tinyModel(16);
    const result = await trainLoop(
      model,
      train,
      val,
      shape,
      config({ epochs: 5, earlyStoppingPatience: 0, weightAveraging: 'top', averageEpochs: 2, bestBy: 'val_loss' }),
    );
    const byLoss = [...result.history]
      .sort((a, b) => a.valLoss - b.valLoss || b.epoch - a.epoch)
      .slice(0, 2)
      .map((h) => h.epoch)
      .sort((a, b) => a - b);
    expect(result.averaged?.epochs).toEqual(byLoss);
    const plain = await trainLoop(tinyModel(16), train, val, shape, config({ epochs: 1 }));
    expect(plain.averaged).toBeUndefined();
    model.dispose();
  });

  it('validates the schedule and averaging options with messages that name the field', () => {
    expect(() => config({ lrSchedule: 'linear' as never })).toThrow(/lrSchedule must be cosine or plateau/);
    expect(() => config({ warmupEpochs: 1.5 })).toThrow(/warmupEpochs must be an integer in 0\.\.1000/);
    expect(resolveTrainingConfig({ preset: 'full', epochs: 1 }).warmupEpochs).toBe(2);
    // A warm-up longer than the run is cut short: the last step is still the annealed rate.
    expect(cosineLearningRate(0, { learningRate: 1, totalSteps: 1, warmupSteps: 12 })).toBeCloseTo(0.01, 12);
    expect(cosineLearningRate(0, { learningRate: 1, totalSteps: 3 })).toBe(1);
    expect(cosineLearningRate(2, { learningRate: 1, totalSteps: 3 })).toBeCloseTo(0.01, 12);
    expect(cosineLearningRate(3, { learningRate: 1, totalSteps: 4, warmupSteps: 12 })).toBeCloseTo(0.01, 12);
    expect(() => config({ earlyStoppingPatience: -1 })).toThrow(/earlyStoppingPatience/);
    expect(() => config({ weightAveraging: 'ema' as never })).toThrow(/weightAveraging must be none, last or top/);
    expect(() => config({ averageEpochs: 0 })).toThrow(/averageEpochs must be an integer in 1\.\.1000/);
    expect(() => config({ averageBatchNorm: 'skip' as never })).toThrow(/averageBatchNorm must be recompute or average/);
    expect(config({ earlyStoppingPatience: 0 }).earlyStoppingPatience).toBe(0);
  });
});
