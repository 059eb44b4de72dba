/**
 * The webgpu backend on the software adapter (SwiftShader through Vulkan): outputs and gradients
 * of every model against the cpu backend, no leaks across steps, and a lost device failing reads.
 * SwiftShader emulates a GPU on the CPU, so every shape here is tiny.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { webgpuDevice, webgpuDeviceLost } from '../../main/compute/webgpu';
import { createModel, NETWORK_MODEL_NAMES, type NetworkModelName } from '../../main/models';
import { resolveTrainingConfig } from '../../main/training/config';
import { trainLoop } from '../../main/training/loop';
import { softmaxCrossEntropy } from '../../main/training/losses';
import { EmotionPredictor } from '../../main/pipeline/inference';
import { modelInputs } from '../../main/models/mask';
import { demoFile, LABELS, tempDir, writeTinyCheckpoint } from '../pipeline/inference/helpers';
import { webgpuSkipReason } from './adapter';

const ROWS = 16;
const FRAMES = 16;
const BATCH = 2;
const CLASSES = 4;

// SwiftShader's wall time depends on how busy the cores are (the whole file is ~20 s of CPU).
const SLOW = 300_000;

const skip = await webgpuSkipReason();
if (skip) console.log(`SKIPPED webgpu backend tests: ${skip}`);

interface Pass {
  outputs: Float32Array;
  loss: number;
  grads: Float32Array[];
}

/** Inference outputs, then the training-mode loss and its gradients, all read asynchronously. */
async function pass(name: NetworkModelName, weights: Float32Array[]): Promise<Pass> {
  const model = createModel(name, { inputShape: [ROWS, FRAMES, 1], numClasses: CLASSES, seed: 5 });
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i]!, w.shape)));
  const features = tf.randomNormal([BATCH, ROWS, FRAMES, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
  // A masked model (res-cnn, crnn) gets one clip with padding: the frame masks run on the GPU too.
  const x = modelInputs(model, features, [FRAMES - 4, FRAMES]);
  const y = tf.tensor1d([1, 3], 'int32');
  const outputs = tf.tidy(() => model.apply(x, { training: false }) as tf.Tensor);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y, {}) as tf.Scalar,
    variables,
  );
  const result: Pass = {
    outputs: (await outputs.data()) as Float32Array,
    loss: (await value.data())[0]!,
    grads: await Promise.all(variables.map(async (v) => (await grads[v.name]!.data()) as Float32Array)),
  };
  tf.dispose([features, x, y, outputs, value, ...Object.values(grads)]);
  model.dispose();
  return result;
}

/** Largest |a - b| relative to the largest |b| (at least 1e-3, so all-but-zero arrays compare absolutely). */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

describe.skipIf(skip != null)('webgpu backend (software adapter)', () => {
  beforeAll(async () => {
    await initBackend('webgpu');
  });
  afterAll(async () => {
    await initBackend('cpu');
  });

  it('reports the adapter and that it is a software one', async () => {
    const info = await initBackend('webgpu');
    expect(info).toMatchObject({ name: 'webgpu', tfBackend: 'webgpu', skipped: [] });
    expect(info.adapter).toMatchObject({ software: true });
    expect(`${info.adapter!.vendor} ${info.adapter!.architecture} ${info.adapter!.description}`).toMatch(/swiftshader/i);
    expect(info.notes?.join(' ')).toMatch(/software adapter/);
    expect(info.version).toMatch(/tfjs-backend-webgpu 4\.22\.0 on Dawn \(webgpu 0\.6\.\d+\)/);
  });

  it('auto never picks the software adapter, and names it in the report', async () => {
    const info = await initBackend('auto');
    expect(info.name).not.toBe('webgpu');
    const webgpu = info.skipped.find((s) => s.name === 'webgpu');
    expect(webgpu?.reason).toMatch(/only a software adapter was found \(.*swiftshader.*\)/i);
    expect(info.adapter?.software).toBe(true);
    await initBackend('webgpu');
  });

  // Tolerances: float32 on both sides, summed in different orders (tiled GPU matmuls, convs as
  // matmuls); 1e-3 of the largest value for outputs, 5e-3 for gradients (longer chains).
  it.each(NETWORK_MODEL_NAMES)(
    '%s: outputs and gradients match the cpu backend',
    async (name) => {
      await initBackend('cpu');
      const init = createModel(name, { inputShape: [ROWS, FRAMES, 1], numClasses: CLASSES, seed: 5 });
      const weights = init.getWeights().map((w) => w.dataSync().slice() as Float32Array);
      init.dispose();
      const cpu = await pass(name, weights);
      await initBackend('webgpu');
      const gpu = await pass(name, weights);
      expect(relativeError(gpu.outputs, cpu.outputs)).toBeLessThan(1e-3);
      expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu.loss)));
      expect(gpu.grads.length).toBe(cpu.grads.length);
      gpu.grads.forEach((g, i) => expect(relativeError(g, cpu.grads[i]!), `gradient ${i}`).toBeLessThan(5e-3));
    },
    SLOW,
  );

  it(
    'trains through the real loop without leaking tensors or GPU memory across epochs',
    async () => {
      await initBackend('webgpu');
      const model = createModel('res-cnn', { inputShape: [ROWS, FRAMES, 1], numClasses: CLASSES, seed: 2 });
      const set = (seed: number) => ({
        x: Float32Array.from({ length: 2 * ROWS * FRAMES }, (_, i) => Math.sin(i * 0.37 + seed)),
        y: Int32Array.from([0, 1]),
        count: 2,
      });
      const memory: { tensors: number; gpuBytes: number }[] = [];
      const config = resolveTrainingConfig({ preset: 'quick', model: 'res-cnn', epochs: 3, batchSize: 2, earlyStoppingPatience: 10 });
      const result = await trainLoop(model, set(1), set(2), { rows: ROWS, frames: FRAMES, numClasses: CLASSES }, config, {
        onEpoch: () => {
          const { numTensors, numBytesInGPU } = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
          memory.push({ tensors: numTensors, gpuBytes: numBytesInGPU });
        },
      });
      model.dispose();
      expect(result.epochsRun).toBe(3);
      expect(result.history.every((h) => Number.isFinite(h.trainLoss) && Number.isFinite(h.valLoss))).toBe(true);
      // The first epoch creates the optimizer's slots; after that nothing may grow.
      expect(memory[2]).toEqual(memory[1]);
    },
    SLOW,
  );

  it(
    'predicts a file from a checkpoint (the predictor reads asynchronously)',
    async () => {
      await initBackend('webgpu');
      const work = await tempDir();
      try {
        const dir = await writeTinyCheckpoint(join(work.dir, 'checkpoints'), 'best');
        const predictor = await EmotionPredictor.load(dir);
        try {
          const prediction = await predictor.predict(demoFile('03a01Wa.wav'));
          expect(Object.values(prediction.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
          expect(LABELS).toContain(prediction.emotion);
        } finally {
          predictor.dispose();
        }
      } finally {
        await work.cleanup();
      }
    },
    SLOW,
  );

  it('adds more tensors than the device can bind in one shader (AddN in groups)', async () => {
    await initBackend('webgpu');
    const terms = Array.from({ length: 20 }, (_, i) => tf.fill([256], i + 1));
    const sum = tf.addN(terms);
    expect((await sum.data()).every((v) => v === 210)).toBe(true);
    tf.dispose([...terms, sum]);
  });

  it('dataSync says to read asynchronously instead of failing on a missing canvas', async () => {
    await initBackend('webgpu');
    // Large enough that tfjs computes it on the GPU (small results are computed on the CPU).
    const t = tf.add(tf.ones([1024]), 1);
    expect(() => t.dataSync()).toThrow(/cannot read tensors synchronously.*await data\(\)/);
    expect((await t.data()).every((v) => v === 2)).toBe(true);
    t.dispose();
  });

  it('a lost device fails the next read with the reason (never a hang), and a new device replaces it', async () => {
    await initBackend('webgpu');
    const t = tf.add(tf.ones([1024]), 2);
    webgpuDevice()!.destroy();
    await expect(t.data()).rejects.toThrow(/the WebGPU device was lost \(destroyed/);
    expect(webgpuDeviceLost()).toMatch(/destroyed/);
    const again = await initBackend('webgpu');
    expect(again.name).toBe('webgpu');
    expect(webgpuDeviceLost()).toBeNull();
    const u = tf.add(tf.ones([1024]), 1);
    expect((await u.data()).every((v) => v === 2)).toBe(true);
    u.dispose();
  });
});
