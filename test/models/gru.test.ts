import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../main/models/checkpoint';
import { writeCheckpoint } from '../../main/runs/checkpoints';
import { initBackend } from '../../main/compute/backend';
import { buildCrnn } from '../../main/models/crnn';
import { SeededInit } from '../../main/models/init';
import { BiGru } from '../../main/models/gru';
import { FUSED_GRU_MAX_BATCH_WITHOUT_BLAS } from '../../main/compute/kernels/gru';
import { frameMask } from '../../main/models/mask';
import { manifestFor } from '../pipeline/inference/helpers';

const TOLERANCE = 1e-5;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

/** The stock layer and ours, built for [time, features] input, ours holding the stock weights. */
function layerPair(time: number, features: number, units: number, bound: number, seed: number): { stock: tf.layers.Layer; ours: BiGru } {
  const init = (offset: number) => tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seed + offset });
  const stock = tf.layers.bidirectional({
    layer: tf.layers.gru({
      units,
      returnSequences: true,
      kernelInitializer: init(0),
      recurrentInitializer: init(1),
      biasInitializer: init(2),
    }) as unknown as tf.RNN,
    mergeMode: 'concat',
  });
  // Applied to a symbolic input (not just built) so that dispose() accepts them.
  stock.apply(tf.input({ shape: [time, features] }));
  // Distinct weights per direction (the seeded stock layer starts both directions equal).
  tf.tidy(() => stock.setWeights(stock.getWeights().map((w, i) => tf.randomUniform(w.shape, -bound, bound, 'float32', seed + 10 + i))));
  const ours = new BiGru({ units, kernelInitializer: init(0), recurrentInitializer: init(1), biasInitializer: init(2) });
  ours.apply(tf.input({ shape: [time, features] }));
  ours.setWeights(stock.getWeights());
  return { stock, ours };
}

/** The underlying variables of a layer's trainable weights (what an optimizer updates). */
function variablesOf(layer: tf.layers.Layer): tf.Variable[] {
  return layer.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** The stock crnn: the same topology with tfjs's Bidirectional(GRU) in place of BiGru. */
async function stockCrnnLike(model: tf.LayersModel): Promise<tf.LayersModel> {
  const topology = model.toJSON(null, false) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  const entry = topology.config.layers.find((l) => l.class_name === 'BiGru')!;
  const zeros = { class_name: 'Zeros', config: {} };
  entry.class_name = 'Bidirectional';
  entry.config = {
    name: entry.config.name,
    merge_mode: 'concat',
    layer: {
      class_name: 'GRU',
      config: {
        name: 'gru',
        units: entry.config.units,
        return_sequences: true,
        kernel_initializer: zeros,
        recurrent_initializer: zeros,
        bias_initializer: zeros,
      },
    },
  };
  const stock = await tf.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] });
  stock.setWeights(model.getWeights());
  return stock;
}

describe.each(['wasm', 'cpu'] as const)('BiGru on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend, { threads: 1 });
  });

  // Small weights (the crnn's bound) and large ones, whose gates saturate the hard sigmoid.
  it.each([
    { batch: 3, time: 7, features: 10, units: 5, bound: 0.3 },
    { batch: 2, time: 9, features: 6, units: 4, bound: 1.5 },
    { batch: 1, time: 25, features: 640, units: 64, bound: 0.125 },
    { batch: FUSED_GRU_MAX_BATCH_WITHOUT_BLAS + 3, time: 6, features: 8, units: 3, bound: 0.8 },
  ])('matches tf.layers.bidirectional(gru) forward, training and inference: %j', ({ batch, time, features, units, bound }) => {
    const { stock, ours } = layerPair(time, features, units, bound, 7);
    const x = tf.randomNormal([batch, time, features], 0, 1, 'float32', 11);
    for (const training of [true, false]) {
      const [expected, actual] = tf.tidy(() => [stock.apply(x, { training }) as tf.Tensor, ours.apply(x, { training }) as tf.Tensor]);
      expect(actual.shape).toEqual([batch, time, 2 * units]);
      expect(maxAbsDiff(actual, expected)).toBeLessThan(TOLERANCE);
      tf.dispose([expected, actual]);
    }
    tf.dispose([x]);
    stock.dispose();
    ours.dispose();
  });

  it.each([2, FUSED_GRU_MAX_BATCH_WITHOUT_BLAS + 1])(
    'with a mask (batch %i), the real steps of a clip equal the stock layer on the clip cut to them; padded steps carry the state',
    (batch) => {
      const [time, features, units] = [7, 5, 4];
      const { stock, ours } = layerPair(time, features, units, 0.8, 3);
      const x = tf.randomNormal([batch, time, features], 0, 1, 'float32', 12) as tf.Tensor3D;
      const valid = Array.from({ length: batch }, (_, i) => 1 + ((i * 3) % time));
      const mask = tf.tensor2d(frameMask(valid, batch, time), [batch, time]);
      for (const training of [true, false]) {
        const out = tf.tidy(() => (ours.apply([x, mask], { training }) as tf.Tensor).arraySync() as number[][][]);
        valid.forEach((v, n) => {
          const expected = tf.tidy(
            () => (stock.apply(tf.slice(x, [n, 0, 0], [1, v, features]), { training }) as tf.Tensor).arraySync() as number[][][],
          );
          for (let t = 0; t < v; t++) expect(maxAbsDiff(tf.tensor(out[n]![t]!), tf.tensor(expected[0]![t]!))).toBeLessThan(TOLERANCE);
          // After the last real step: the forward state stays the last real one, the backward one at zero.
          for (let t = v; t < time; t++) {
            expect(out[n]![t]!.slice(0, units)).toEqual(out[n]![v - 1]!.slice(0, units));
            expect(out[n]![t]!.slice(units).every((value) => value === 0)).toBe(true);
          }
        });
      }
      tf.dispose([x, mask]);
      stock.dispose();
      ours.dispose();
    },
  );

  it('initialises like the stock layer given the same seeded initializers (both directions alike, as stock)', () => {
    const init = (seed: number) => tf.initializers.randomUniform({ minval: -0.125, maxval: 0.125, seed });
    const stock = tf.layers.bidirectional({
      layer: tf.layers.gru({
        units: 4,
        returnSequences: true,
        kernelInitializer: init(1),
        recurrentInitializer: init(2),
        biasInitializer: init(3),
      }) as unknown as tf.RNN,
      mergeMode: 'concat',
    });
    const ours = new BiGru({ units: 4, kernelInitializer: init(1), recurrentInitializer: init(2), biasInitializer: init(3) });
    for (const layer of [stock, ours]) layer.apply(tf.input({ shape: [5, 6] }));
    const values = (layer: tf.layers.Layer) => layer.getWeights().map((w) => ({ shape: w.shape, data: Array.from(w.dataSync()) }));
    expect(values(ours)).toEqual(values(stock));
    stock.dispose();
    ours.dispose();
  });

  it('has the gradients of the stock layer for every weight and the input', () => {
    const [batch, time, features, units] = [3, 8, 12, 6];
    for (const bound of [0.3, 1.2]) {
      const { stock, ours } = layerPair(time, features, units, bound, 21);
      const x = tf.variable(tf.randomNormal([batch, time, features], 0, 1, 'float32', 5));
      // A weighted sum, so that every output carries a different gradient.
      const weights = tf.randomNormal([batch, time, 2 * units], 0, 1, 'float32', 6);
      const gradsOf = (layer: tf.layers.Layer) =>
        tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, weights)), [...variablesOf(layer), x]);
      const expected = gradsOf(stock);
      const actual = gradsOf(ours);
      expect(Math.abs(actual.value.dataSync()[0]! - expected.value.dataSync()[0]!)).toBeLessThan(1e-4);
      const stockNames = variablesOf(stock).map((v) => v.name);
      const ourNames = variablesOf(ours).map((v) => v.name);
      for (const [i, ourName] of [...ourNames, x.name].entries()) {
        const stockName = [...stockNames, x.name][i]!;
        const scale = Math.max(1, ...Array.from(expected.grads[stockName]!.dataSync(), Math.abs));
        expect(maxAbsDiff(actual.grads[ourName]!, expected.grads[stockName]!) / scale, ourName).toBeLessThan(TOLERANCE);
      }
      tf.dispose([expected.value, actual.value, ...Object.values(expected.grads), ...Object.values(actual.grads), x, weights]);
      stock.dispose();
      ours.dispose();
    }
  });

  it('takes the differentiable path under a gradient tape even when training is not set', () => {
    const { stock, ours } = layerPair(5, 4, 3, 0.5, 3);
    const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 2);
    const gradsOf = (layer: tf.layers.Layer) => tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor), variablesOf(layer));
    const expected = gradsOf(stock);
    const actual = gradsOf(ours);
    const expectedGrads = Object.values(expected.grads);
    Object.values(actual.grads).forEach((g, i) => expect(maxAbsDiff(g, expectedGrads[i]!)).toBeLessThan(TOLERANCE));
    tf.dispose([x, expected.value, actual.value, ...expectedGrads, ...Object.values(actual.grads)]);
    stock.dispose();
    ours.dispose();
  });

  it('leaks no tensors in either path or in its gradients', () => {
    const { stock, ours } = layerPair(6, 5, 4, 0.5, 9);
    const x = tf.randomNormal([2, 6, 5], 0, 1, 'float32', 1);
    const big = tf.randomNormal([FUSED_GRU_MAX_BATCH_WITHOUT_BLAS + 1, 6, 5], 0, 1, 'float32', 1);
    const run = () => {
      for (const input of [x, big]) {
        for (const training of [true, false]) (ours.apply(input, { training }) as tf.Tensor).dispose();
      }
      const { value, grads } = tf.variableGrads(() => tf.sum(ours.apply(x, { training: true }) as tf.Tensor), variablesOf(ours));
      tf.dispose([value, ...Object.values(grads)]);
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, big]);
    stock.dispose();
    ours.dispose();
  });

  it('crnn uses it, predicts like the stock Bidirectional(GRU) crnn, and both round-trip through checkpoints', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ser-gru-'));
    try {
      // The crnn as it was before frame masks (single input), as old checkpoints hold it.
      const input = tf.input({ shape: [40, 100, 1], name: 'features' });
      const model = tf.model({ inputs: input, outputs: buildCrnn(input, null, 7, new SeededInit(4)), name: 'crnn' });
      expect(model.getLayer('bigru').getClassName()).toBe('BiGru');
      const stock = await stockCrnnLike(model);
      expect(stock.getLayer('bigru').getClassName()).toBe('Bidirectional');
      expect(stock.countParams()).toBe(model.countParams());
      const x = tf.randomNormal([2, 40, 100, 1], 0, 1, 'float32', 8);
      const manifest = manifestFor({ modelName: 'crnn', inputShape: [40, 100, 1] });
      const predict = (m: tf.LayersModel) => m.predict(x) as tf.Tensor;

      const ours = predict(model);
      const stockOut = predict(stock);
      expect(maxAbsDiff(ours, stockOut)).toBeLessThan(TOLERANCE);

      // Ours saves and loads back as a BiGru with identical predictions.
      await writeCheckpoint(root, 'best', model, manifest);
      const loaded = await loadCheckpoint(join(root, 'best'));
      expect(loaded.model.getLayer('bigru').getClassName()).toBe('BiGru');
      const reloaded = predict(loaded.model);
      expect(Array.from(reloaded.dataSync())).toEqual(Array.from(ours.dataSync()));

      // A checkpoint holding the stock layers (saved before BiGru existed) still loads and predicts.
      await writeCheckpoint(root, 'final', stock, manifest);
      const loadedStock = await loadCheckpoint(join(root, 'final'));
      expect(loadedStock.model.getLayer('bigru').getClassName()).toBe('Bidirectional');
      const reloadedStock = predict(loadedStock.model);
      expect(Array.from(reloadedStock.dataSync())).toEqual(Array.from(stockOut.dataSync()));

      tf.dispose([x, ours, stockOut, reloaded, reloadedStock]);
      for (const m of [model, stock, loaded.model, loadedStock.model]) m.dispose();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
