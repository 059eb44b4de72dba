import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import {
  AdaptiveAveragePooling2D,
  AttentionPooling,
  BatchNorm,
  adaptiveBins,
  countParameters,
  createModel,
  describeModel,
  NETWORK_MODEL_NAMES,
  modelInputs,
  uniformPooling,
  type NetworkModelName,
} from '../../main/models';

/** Saves through a handler that keeps the artifacts in memory, then loads them back. */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // Through JSON, as a file-based handler would store the topology.
  const artifacts = saved! as tf.io.ModelArtifacts;
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as object;
  return tf.loadLayersModel(tf.io.fromMemory({ ...artifacts, modelTopology: topology }));
}

function randomInput(batch: number, rows: number, frames: number, seed = 3): tf.Tensor4D {
  return tf.randomNormal([batch, rows, frames, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
}

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe('model zoo', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it('seed-cnn has exactly the PyTorch SimpleCNN parameters', () => {
    const model = createModel('seed-cnn', { inputShape: [40, 100, 1], numClasses: 7 });
    // conv 320 + 18,496 + 73,856 + 295,168; BN affine 2 x (32+64+128+256);
    // linear 1024x512+512, 512x128+128, 128x7+7 (PyTorch counts no BN running stats).
    expect(countParameters(model)).toEqual({ trainable: 980_167, nonTrainable: 960, total: 981_127 });
    expect(model.countParams()).toBe(981_127);
    const names = model.layers.map((l) => l.getClassName());
    expect(names.filter((n) => n === 'Conv2D')).toHaveLength(4);
    expect(names.filter((n) => n === 'MaxPooling2D')).toHaveLength(2);
    expect(names.filter((n) => n === 'SeededDropout')).toHaveLength(2);
    // [40, 100] -> pools -> [10, 25]; PyTorch's adaptive bins to 2x2 are rows [0,5),[5,10) and
    // columns [0,13),[12,25): one average pool 5x13 with strides 5x12.
    const pool = model.getLayer('adaptive_pool');
    expect(pool.getClassName()).toBe('AveragePooling2D');
    expect(pool.getConfig()).toMatchObject({ poolSize: [5, 13], strides: [5, 12], padding: 'valid' });
    model.dispose();
  });

  it.each(NETWORK_MODEL_NAMES)('%s outputs logits for any class count and input size >= 16x16', (name: NetworkModelName) => {
    for (const [rows, frames, classes] of [
      [40, 100, 7],
      [16, 16, 2],
      [21, 37, 9],
    ] as const) {
      const model = createModel(name, { inputShape: [rows, frames, 1], numClasses: classes, seed: 5 });
      expect(model.outputs[0]!.shape).toEqual([null, classes]);
      const out = tf.tidy(() => (model.predict(modelInputs(model, randomInput(3, rows, frames))) as tf.Tensor).arraySync() as number[][]);
      expect(out).toHaveLength(3);
      expect(out[0]).toHaveLength(classes);
      // Logits, not probabilities.
      expect(out.some((row) => Math.abs(row.reduce((a, b) => a + b, 0) - 1) > 1e-3 || row.some((v) => v < 0))).toBe(true);
      model.dispose();
    }
  });

  it('res-cnn has 100-300k parameters and crnn a modest count; describeModel reports them', () => {
    for (const name of NETWORK_MODEL_NAMES) {
      const description = describeModel(name, { inputShape: [40, 100, 1], numClasses: 7 });
      expect(description.title.length).toBeGreaterThan(0);
      expect(description.parameters!.total).toBeGreaterThan(0);
    }
    const res = describeModel('res-cnn', { inputShape: [40, 100, 1], numClasses: 7 }).parameters!;
    expect(res.trainable).toBeGreaterThanOrEqual(100_000);
    expect(res.trainable).toBeLessThanOrEqual(300_000);
    expect(describeModel('crnn').parameters).toBeUndefined();
  });

  it('rejects bad options clearly', () => {
    expect(() => createModel('seed-cnn', { inputShape: [15, 100, 1], numClasses: 7 })).toThrow(/at least 16x16/);
    expect(() => createModel('crnn', { inputShape: [40, 100, 1], numClasses: 1 })).toThrow(/numClasses/);
    expect(() => createModel('nope' as NetworkModelName, { inputShape: [40, 100, 1], numClasses: 3 })).toThrow(/unknown model/);
  });

  it.each(NETWORK_MODEL_NAMES)(
    '%s: the same seed gives identical initial weights, another seed different ones',
    (name: NetworkModelName) => {
      const options = { inputShape: [24, 32, 1] as [number, number, number], numClasses: 4 };
      const a = createModel(name, { ...options, seed: 42 });
      const b = createModel(name, { ...options, seed: 42 });
      const c = createModel(name, { ...options, seed: 43 });
      const wa = weightsOf(a);
      const wb = weightsOf(b);
      const wc = weightsOf(c);
      expect(wa.length).toBe(wb.length);
      wa.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(wb[i]!)));
      // Kernels (the first weight) differ with the seed.
      expect(Array.from(wa[0]!)).not.toEqual(Array.from(wc[0]!));
      [a, b, c].forEach((m) => m.dispose());
    },
  );

  it('conv and dense weights follow PyTorch default init bounds (1/sqrt(fan_in))', () => {
    const model = createModel('seed-cnn', { inputShape: [40, 100, 1], numClasses: 7, seed: 1 });
    const check = (layer: string, fanIn: number) => {
      const [kernel, bias] = model.getLayer(layer).getWeights();
      const bound = 1 / Math.sqrt(fanIn);
      const largest = (t: tf.Tensor) => Array.from(t.dataSync()).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(largest(kernel!)).toBeLessThanOrEqual(bound + 1e-6);
      expect(largest(kernel!)).toBeGreaterThan(bound * 0.9);
      expect(largest(bias!)).toBeLessThanOrEqual(bound + 1e-6);
    };
    check('block2_conv', 9 * 32);
    check('fc1', 1024);
    model.dispose();
  });

  it.each(NETWORK_MODEL_NAMES)('%s saves and loads (custom layers included) with identical predictions', async (name: NetworkModelName) => {
    const model = createModel(name, { inputShape: [20, 24, 1], numClasses: 3, seed: 9 });
    // One training call so batch-norm moving statistics are not at their initial values.
    tf.tidy(() => {
      model.apply(modelInputs(model, randomInput(4, 20, 24, 11), [24, 20, 13, 8]), { training: true });
    });
    const loaded = await roundTrip(model);
    expect(loaded.inputs.length).toBe(model.inputs.length);
    const x = randomInput(2, 20, 24);
    const expected = (model.predict(modelInputs(model, x, [24, 13])) as tf.Tensor).dataSync();
    const actual = (loaded.predict(modelInputs(loaded, x, [24, 13])) as tf.Tensor).dataSync();
    expect(Array.from(actual)).toEqual(Array.from(expected));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });

  it.each(['cpu', 'wasm'] as const)('every model trains on %s: finite loss, weights move, no tensor leak', async (backendName) => {
    await initBackend(backendName, { threads: 1 });
    for (const name of NETWORK_MODEL_NAMES) {
      const model = createModel(name, { inputShape: [16, 20, 1], numClasses: 3, seed: 2 });
      const x = randomInput(4, 16, 20);
      const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
      const optimizer = tf.train.adam(1e-2);
      const before = weightsOf(model);
      const step = () =>
        optimizer.minimize(
          () =>
            tf.losses.softmaxCrossEntropy(
              labels,
              model.apply(modelInputs(model, x, [20, 12, 9, 20]), { training: true }) as tf.Tensor,
            ) as tf.Scalar,
          true,
        )!;
      step().dispose();
      const tensors = tf.memory().numTensors;
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const loss = step();
        losses.push(loss.dataSync()[0]!);
        loss.dispose();
      }
      expect(tf.memory().numTensors).toBe(tensors);
      expect(losses.every(Number.isFinite)).toBe(true);
      const after = weightsOf(model);
      expect(after.some((w, i) => w.some((v, j) => v !== before[i]![j]))).toBe(true);
      tf.dispose([x, labels]);
      optimizer.dispose();
      model.dispose();
    }
    await initBackend('wasm', { threads: 1 });
  });
});

describe('the conv on the model input', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it.each(NETWORK_MODEL_NAMES)(
    '%s: trains without the gradient w.r.t. the input, with the same output as inference, and saves as a stock Conv2D',
    async (name) => {
      const model = createModel(name as NetworkModelName, { inputShape: [20, 24, 1], numClasses: 3, seed: 5 });
      const first = model.layers.find((layer) => layer.getClassName() === 'Conv2D')!;
      const x = randomInput(2, 20, 24);
      // The layer's training path (conv2d + bias add) and its inference path (the fused op) agree.
      const [training, inference] = tf.tidy(() =>
        [first.apply(x, { training: true }), first.apply(x)].map((t) => (t as tf.Tensor).dataSync() as Float32Array),
      );
      expect(Math.max(...training!.map((v, i) => Math.abs(v - inference![i]!)))).toBeLessThan(1e-5);
      // A training gradient never computes the conv's input gradient (the [2, 20, 24, 1] input).
      const profile = await tf.profile(() =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(
            () => tf.sum(model.apply(modelInputs(model, x, [24, 15]), { training: true }) as tf.Tensor) as tf.Scalar,
          );
          return [value, ...Object.values(grads)];
        }),
      );
      tf.dispose(profile.result as tf.Tensor[]);
      const inputGradients = profile.kernels.filter(
        (k) =>
          k.name === 'Conv2DBackpropInput' && k.inputShapes[0]?.[3] === first.getWeights()[0]!.shape[3] && k.outputShapes[0]?.[3] === 1,
      );
      expect(inputGradients).toEqual([]);
      const loaded = await roundTrip(model);
      expect(loaded.layers.find((layer) => layer.name === first.name)?.getClassName()).toBe('Conv2D');
      tf.dispose(x);
      model.dispose();
      loaded.dispose();
    },
  );
});

describe('adaptive average pooling', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it('computes PyTorch bins and recognises when one pooling window reproduces them', () => {
    expect(adaptiveBins(10, 2)).toEqual([
      [0, 5],
      [5, 10],
    ]);
    expect(adaptiveBins(25, 2)).toEqual([
      [0, 13],
      [12, 25],
    ]);
    expect(adaptiveBins(5, 3)).toEqual([
      [0, 2],
      [1, 4],
      [3, 5],
    ]);
    expect(uniformPooling(10, 2)).toEqual({ size: 5, stride: 5 });
    expect(uniformPooling(25, 2)).toEqual({ size: 13, stride: 12 });
    expect(uniformPooling(7, 1)).toEqual({ size: 7, stride: 7 });
    expect(uniformPooling(5, 3)).toBeNull();
  });

  it('the custom layer matches a hand computation on unequal, overlapping bins', () => {
    // 5x5 single-channel input with values 0..24 (row-major), pooled to 3x3:
    // row bins [0,2) [1,4) [3,5), same column bins.
    const x = tf.tensor4d(
      Array.from({ length: 25 }, (_, i) => i),
      [1, 5, 5, 1],
    );
    const layer = new AdaptiveAveragePooling2D({ outputSize: [3, 3] });
    const out = tf.tidy(() => (layer.apply(x) as tf.Tensor).reshape([3, 3]).arraySync() as number[][]);
    const mean = (rows: number[], cols: number[]) => {
      let sum = 0;
      for (const r of rows) for (const c of cols) sum += r * 5 + c;
      return sum / (rows.length * cols.length);
    };
    const bins = [
      [0, 1],
      [1, 2, 3],
      [3, 4],
    ];
    const expected = bins.map((rows) => bins.map((cols) => mean(rows, cols)));
    // Spelled out for the corners: mean(0,1,5,6) = 3; mean(18,19,23,24) = 21.
    expect(expected[0]![0]).toBe(3);
    expect(expected[2]![2]).toBe(21);
    out.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 5)));
    x.dispose();
  });

  it('the custom layer is differentiable and serialisable', async () => {
    const input = tf.input({ shape: [5, 7, 2] });
    const output = new AdaptiveAveragePooling2D({ outputSize: [3, 2], name: 'adaptive' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const x = tf.randomNormal([2, 5, 7, 2], 0, 1, 'float32', 1);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(model.apply(t) as tf.Tensor))(x);
    // Every input cell falls in at least one bin, so every gradient entry is positive.
    expect(Math.min(...grad.dataSync())).toBeGreaterThan(0);
    const loaded = await roundTrip(model);
    expect(loaded.getLayer('adaptive').getClassName()).toBe('AdaptiveAveragePooling2D');
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    tf.dispose([x, grad]);
  });
});

describe('custom layers', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it('AttentionPooling is a softmax-weighted sum over time', () => {
    const layer = new AttentionPooling({ kernelInitializer: tf.initializers.ones() });
    // Two time steps; scores = sum of features: step 0 -> 1, step 1 -> 3.
    const x = tf.tensor3d([
      [
        [1, 0],
        [1, 2],
      ],
    ]);
    const out = tf.tidy(() => (layer.apply(x) as tf.Tensor).dataSync());
    const w0 = Math.exp(1) / (Math.exp(1) + Math.exp(3));
    const w1 = 1 - w0;
    expect(out[0]).toBeCloseTo(w0 * 1 + w1 * 1, 5);
    expect(out[1]).toBeCloseTo(w0 * 0 + w1 * 2, 5);
    x.dispose();
  });

  it('BatchNorm normalises with batch statistics in training and moving averages in inference', () => {
    const layer = new BatchNorm({ momentum: 0.9, epsilon: 1e-5 });
    const x = tf.tensor4d([1, 10, 3, 20, 5, 30, 7, 40], [2, 2, 1, 2]);
    const trained = tf.tidy(() => (layer.apply(x, { training: true }) as tf.Tensor).dataSync());
    // Channel 0: values 1,3,5,7 -> mean 4, biased var 5; normalised (1-4)/sqrt(5).
    expect(trained[0]).toBeCloseTo(-3 / Math.sqrt(5 + 1e-5), 4);
    const [, , movingMean, movingVariance] = layer.getWeights().map((w) => Array.from(w.dataSync()));
    // 0.9 * initial + 0.1 * batch value; the moving variance uses the unbiased variance (PyTorch).
    expect(movingMean![0]).toBeCloseTo(0.1 * 4, 5);
    expect(movingVariance![0]).toBeCloseTo(0.9 * 1 + 0.1 * (20 / 3), 4);
    const inferred = tf.tidy(() => (layer.apply(x) as tf.Tensor).dataSync());
    expect(inferred[0]).toBeCloseTo((1 - movingMean![0]!) / Math.sqrt(movingVariance![0]! + 1e-5), 4);
    x.dispose();
  });
});

describe('SeededDropout', () => {
  it('draws a fresh mask per training call, the same sequence for the same seed, and is the identity at inference', async () => {
    const { SeededDropout } = await import('../../main/models/dropout');
    const x = tf.ones([4, 64]);
    const masks = (seed: number) => {
      const layer = new SeededDropout({ rate: 0.5, seed });
      return [0, 1].map(() => Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync()));
    };
    const [a1, a2] = masks(11);
    const [b1, b2] = masks(11);
    expect(b1).toEqual(a1);
    expect(b2).toEqual(a2);
    expect(a2).not.toEqual(a1);
    expect(a1.filter((v) => v === 0).length).toBeGreaterThan(60);
    expect(a1.filter((v) => v === 0).length).toBeLessThan(196);
    const inference = new SeededDropout({ rate: 0.5, seed: 3 }).apply(x, { training: false }) as tf.Tensor;
    expect(Array.from(inference.dataSync())).toEqual(Array.from(x.dataSync()));
  });
});
