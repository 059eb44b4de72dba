/**
 * Training-step throughput: forward + backward + one Adam update on random data, per model and
 * backend, reported as the median samples/s over timed steps after warm-up.
 *
 *   npx tsx bench/train-step.ts [--models seed-cnn,crnn,res-cnn] [--backends wasm,cpu]
 *       [--batch 64] [--steps 5] [--warmup 2] [--threads N] [--profile] [--quick]
 *
 * --profile prints where one step's time goes, per kernel. The machine's other load counts:
 * run it on an idle machine for numbers worth comparing.
 */
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { initBackend, type BackendName } from '../main/training/backend';
import { createModel, MODEL_NAMES, type ModelName } from '../main/training/models';

export interface TrainStepOptions {
  models: ModelName[];
  backends: BackendName[];
  batch: number;
  steps: number;
  warmup: number;
  threads?: number;
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

function makeTrainStep(model: tf.LayersModel, batch: number, options: TrainStepOptions) {
  const [rows, frames] = options.inputShape;
  const x = tf.randomNormal([batch, rows, frames, 1], 0, 1, 'float32', 1);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % options.numClasses), 'int32'), options.numClasses);
  const optimizer = tf.train.adam(1e-3);
  const step = (): number => {
    const loss = optimizer.minimize(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, true)!;
    const value = loss.dataSync()[0]!;
    loss.dispose();
    return value;
  };
  const dispose = () => {
    x.dispose();
    labels.dispose();
    optimizer.dispose();
  };
  return { step, dispose };
}

async function profileStep(step: () => number): Promise<string> {
  const profile = await tf.profile(() => {
    step();
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

export async function benchmarkTrainStep(options: TrainStepOptions): Promise<TrainStepRow[]> {
  const rows: TrainStepRow[] = [];
  for (const backendName of options.backends) {
    const info = await initBackend(backendName, options.threads != null ? { threads: options.threads } : {});
    for (const modelName of options.models) {
      const model = createModel(modelName, { inputShape: options.inputShape, numClasses: options.numClasses, seed: 1 });
      const { step, dispose } = makeTrainStep(model, options.batch, options);
      for (let i = 0; i < options.warmup; i++) step();
      const tensorsBefore = tf.memory().numTensors;
      const times: number[] = [];
      for (let i = 0; i < options.steps; i++) {
        const start = performance.now();
        step();
        times.push(performance.now() - start);
      }
      const ms = median(times);
      const row: TrainStepRow = {
        model: modelName,
        backend: info.name,
        threads: info.threads ?? null,
        batch: options.batch,
        stepMs: Math.round(ms),
        samplesPerSec: Number(((options.batch * 1000) / ms).toFixed(1)),
        leakedTensors: tf.memory().numTensors - tensorsBefore,
      };
      rows.push(row);
      console.log(
        `${modelName.padEnd(9)} ${info.name.padEnd(5)} threads ${String(info.threads ?? '-').padEnd(2)} batch ${options.batch}: ` +
          `${row.samplesPerSec} samples/s (median step ${row.stepMs} ms; steps ${times.map((t) => Math.round(t)).join(', ')})`,
      );
      if (options.profile) console.log(await profileStep(step));
      dispose();
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
