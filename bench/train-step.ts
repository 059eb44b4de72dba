/**
 * Training-step throughput: forward + backward + one Adam update on random data, per model and
 * backend, reported as the median samples/s over timed steps after warm-up.
 *
 *   npx tsx bench/train-step.ts [--models seed-cnn,crnn,res-cnn] [--backends wasm,cpu]
 *       [--batch 64] [--steps 5] [--warmup 2] [--threads N] [--workers N] [--stock] [--profile] [--quick]
 *
 * --threads: XNNPACK threads of each wasm backend. --workers: data-parallel worker threads
 * besides the main one (parallel/), each with its own backend and a shard of the batch.
 * --stock: tfjs's own kernels only, for before/after comparisons.
 * --profile prints where one step's time goes, per kernel. The machine's other load counts:
 * run it on an idle machine for numbers worth comparing.
 */
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import '@tensorflow/tfjs-backend-wasm';
import { initBackend, type BackendInfo, type BackendName } from '../main/training/backend';
import { createModel, MODEL_NAMES, type ModelName } from '../main/training/models';
import { DataParallelGradients } from '../main/training/parallel';

export interface TrainStepOptions {
  models: ModelName[];
  backends: BackendName[];
  batch: number;
  steps: number;
  warmup: number;
  threads?: number;
  /** Data-parallel worker threads besides the main one (0: plain single-backend steps). */
  workers: number;
  /** Stock tfjs kernels only (none of main/training/kernels): the "before" numbers. */
  stock?: boolean;
  profile: boolean;
  inputShape: [number, number, number];
  numClasses: number;
}

export type TrainStepRow = Record<string, string | number | boolean | null>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function makeTrainStep(model: tf.LayersModel, batch: number, options: TrainStepOptions) {
  const [rows, frames] = options.inputShape;
  const features = new Float32Array(batch * rows * frames).map((_, i) => Math.sin(i * 12.9898) * 1.5);
  const labelValues = Int32Array.from({ length: batch }, (_, i) => i % options.numClasses);
  const x = tf.tensor4d(features, [batch, rows, frames, 1]);
  const labels = tf.oneHot(tf.tensor1d(labelValues, 'int32'), options.numClasses);
  const optimizer = tf.train.adam(1e-3);
  const parallel =
    options.workers > 0
      ? await DataParallelGradients.start(model, { loss: { kind: 'cross-entropy' }, workers: options.workers, threadsPerReplica: options.threads ?? 1 })
      : null;
  const step = async (): Promise<number> => {
    if (parallel) {
      const { value, grads, logits } = await parallel.compute({ features, labels: labelValues, n: batch });
      optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
      const loss = value.dataSync()[0]!;
      tf.dispose([value, logits, ...Object.values(grads)]);
      return loss;
    }
    const loss = optimizer.minimize(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, true)!;
    const value = loss.dataSync()[0]!;
    loss.dispose();
    return value;
  };
  const dispose = async () => {
    x.dispose();
    labels.dispose();
    optimizer.dispose();
    await parallel?.close();
  };
  return { step, dispose };
}

async function profileStep(step: () => Promise<number>): Promise<string> {
  const profile = await tf.profile(async () => {
    await step();
  });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const kernel of profile.kernels) {
    const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    byKernel.set(kernel.name, entry);
    total += ms;
  }
  const lines = [...byKernel.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 25)
    .map(([name, { ms, calls }]) => `  ${name.padEnd(28)} ${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${calls} calls`);
  return [`  kernels total ${total.toFixed(1)} ms, ${profile.kernels.length} kernel calls`, ...lines].join('\n');
}

/** The backend as tfjs ships it, without our kernels (wasm then has no conv filter gradient at all). */
async function stockBackend(name: BackendName): Promise<BackendInfo> {
  if (name !== 'cpu' && name !== 'wasm') throw new Error(`--stock supports cpu and wasm, not ${name}`);
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not start`);
  return { name, tfBackend: tf.getBackend(), skipped: [], threads: 1, version: 'stock kernels' };
}

export async function benchmarkTrainStep(options: TrainStepOptions): Promise<TrainStepRow[]> {
  const rows: TrainStepRow[] = [];
  for (const backendName of options.backends) {
    const info = options.stock ? await stockBackend(backendName) : await initBackend(backendName, options.threads != null ? { threads: options.threads } : {});
    for (const modelName of options.models) {
      const model = createModel(modelName, { inputShape: options.inputShape, numClasses: options.numClasses, seed: 1 });
      const { step, dispose } = await makeTrainStep(model, options.batch, options);
      for (let i = 0; i < options.warmup; i++) await step();
      const tensorsBefore = tf.memory().numTensors;
      const times: number[] = [];
      const cpuTimes: number[] = [];
      for (let i = 0; i < options.steps; i++) {
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        await step();
        times.push(performance.now() - start);
        const cpu = process.cpuUsage(cpuStart);
        cpuTimes.push((cpu.user + cpu.system) / 1000);
      }
      const ms = median(times);
      const row: TrainStepRow = {
        model: modelName,
        backend: info.name,
        threads: info.threads ?? null,
        replicas: options.workers + 1,
        batch: options.batch,
        stepMs: Math.round(ms),
        samplesPerSec: Number(((options.batch * 1000) / ms).toPrecision(3)),
        bestSamplesPerSec: Number(((options.batch * 1000) / Math.min(...times)).toPrecision(3)),
        // CPU time of this process per step (all threads): on a busy machine, a steadier measure of the work.
        cpuMsPerStep: Math.round(median(cpuTimes)),
        leakedTensors: tf.memory().numTensors - tensorsBefore,
      };
      rows.push(row);
      console.log(
        `${modelName.padEnd(9)} ${info.name.padEnd(5)} threads ${String(info.threads ?? '-').padEnd(2)} replicas ${options.workers + 1} batch ${options.batch}: ` +
          `${row.samplesPerSec} samples/s median, ${row.bestSamplesPerSec} best (median step ${row.stepMs} ms, CPU ${row.cpuMsPerStep} ms; steps ${times.map((t) => Math.round(t)).join(', ')})`,
      );
      if (options.profile) console.log(await profileStep(step));
      await dispose();
      model.dispose();
    }
  }
  return rows;
}

/** Entry for bench/index.ts. */
export async function runTrainStepBenchmarks({ quick }: { quick: boolean }): Promise<TrainStepRow[]> {
  return benchmarkTrainStep({
    models: quick ? ['seed-cnn'] : [...MODEL_NAMES],
    backends: ['wasm'],
    batch: 64,
    workers: 0,
    steps: quick ? 2 : 5,
    warmup: quick ? 1 : 2,
    profile: false,
    inputShape: [40, 100, 1],
    numClasses: 7,
  });
}

function parseArgs(argv: string[]): TrainStepOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const threads = value('--threads');
  return {
    models: (value('--models')?.split(',') as ModelName[] | undefined) ?? (quick ? ['seed-cnn'] : [...MODEL_NAMES]),
    backends: (value('--backends')?.split(',') as BackendName[] | undefined) ?? ['wasm'],
    batch: Number(value('--batch') ?? 64),
    steps: Number(value('--steps') ?? (quick ? 2 : 5)),
    warmup: Number(value('--warmup') ?? (quick ? 1 : 2)),
    ...(threads != null ? { threads: Number(threads) } : {}),
    workers: Number(value('--workers') ?? 0),
    stock: argv.includes('--stock'),
    profile: argv.includes('--profile'),
    inputShape: [Number(value('--rows') ?? 40), Number(value('--frames') ?? 100), 1],
    numClasses: Number(value('--classes') ?? 7),
  };
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchmarkTrainStep(parseArgs(process.argv.slice(2)))
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
