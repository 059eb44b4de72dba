/**
 * Training and inference benchmark, through the real code paths:
 * - training samples/s per model and backend: the training loop (augmentation, loss, clipping,
 *   AdamW) on synthetic standardised features [40 × 100], batch 64, median over batches after
 *   warm-up;
 * - single-clip inference latency: EmotionPredictor on a demo WAV (decode → features → model),
 *   median over repeated calls after its warm-up;
 * - the CRNN with the fused GRU kernels against the op-by-op GRU, alternating in one process
 *   (`npm run bench -- crnn` runs only this);
 * - peak memory (RSS) of each measurement;
 * - the webgpu backend where an adapter is found (forced, so a software adapter too: then the
 *   rows say so, and use a tiny input, since SwiftShader emulates the GPU on the CPU). Its
 *   single-clip latency is the model alone (apply + read): EmotionPredictor reads synchronously,
 *   which webgpu cannot do in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, featureConfigHash, featureRowCount } from '../main/features/config';
import { AUTO_FRAMES_MIN } from '../main/features/frames';
import { EmotionPredictor } from '../main/pipeline/inference';
import { writeCheckpoint } from '../main/runs/checkpoints';
import { initBackend, type BackendInfo, type BackendName } from '../main/compute/backend';
import { activeDnnl, useDnnl, useFusedGru } from '../main/compute/kernels';
import { describeAdapter } from '../main/compute/webgpu';
import { resolveTrainingConfig } from '../main/training/config';
import { trainLoop, type LabelledSet } from '../main/training/loop';
import { createModel, NETWORK_MODEL_NAMES, type NetworkModelName } from '../main/models';
import { appVersions } from '../main/runs/version';
import { createRng } from '../main/util/random';
import { measurePeakRss, printTable, type BenchResult } from './report';
import { workbenchVersusTorch } from './torch';

const CLASSES = 7;

export interface Shape {
  rows: number;
  frames: number;
  batch: number;
}

const FULL: Shape = { rows: 40, frames: 100, batch: 64 };
/** What a software WebGPU adapter can do in a few minutes (compare with the wasm row of the same shape). */
const TINY: Shape = { rows: 16, frames: 16, batch: 8 };

/** The BLAS the kernels computed with, and oneDNN beside it where it was on. */
function blasColumn(info: BackendInfo): string {
  if (!info.blas?.active) return 'none';
  const dnnl = activeDnnl();
  return dnnl ? `${info.blas.description} + ${dnnl.description}` : info.blas.description;
}

function adapterColumn(info: BackendInfo): string {
  return info.adapter ? describeAdapter(info.adapter) : '';
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function syntheticSet(count: number, seed: number, shape: Shape): LabelledSet {
  const rng = createRng(seed);
  const x = new Float32Array(count * shape.rows * shape.frames);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = Int32Array.from({ length: count }, (_, i) => i % CLASSES);
  return { x, y, count };
}

export async function trainingThroughput(
  model: NetworkModelName,
  backend: BackendName,
  blas: boolean,
  batches: number,
  warmup: number,
  shape: Shape = FULL,
  threads?: number,
): Promise<BenchResult> {
  const { rows, frames, batch } = shape;
  const info = await initBackend(backend, { blas, threads });
  const { value: stats, peakRssMiB } = await measurePeakRss(async () => {
    const net = createModel(model, { inputShape: [rows, frames, 1], numClasses: CLASSES, seed: 1 });
    const train = syntheticSet(batch * batches, 1, shape);
    const val = syntheticSet(batch, 2, shape);
    const config = resolveTrainingConfig({ preset: 'quick', model, epochs: 1, batchSize: batch });
    const stamps: number[] = [];
    await trainLoop(net, train, val, { rows, frames, numClasses: CLASSES }, config, {
      onBatch: () => stamps.push(performance.now()),
    });
    net.dispose();
    const steps = stamps
      .slice(1)
      .map((t, i) => t - stamps[i]!)
      .slice(Math.max(0, warmup - 1));
    return { stepMs: median(steps), bestMs: Math.min(...steps), params: 0 };
  });
  const params = createModel(model, { inputShape: [rows, frames, 1], numClasses: CLASSES, seed: 1 });
  const count = params.countParams();
  params.dispose();
  return {
    benchmark: 'train',
    model,
    parameters: count,
    backend: info.name,
    threads: info.threads ?? null,
    blas: blasColumn(info),
    adapter: adapterColumn(info),
    input: `${rows}×${frames}`,
    batch,
    medianStepMs: Math.round(stats.stepMs),
    samplesPerSecond: Number(((batch * 1000) / stats.stepMs).toFixed(1)),
    bestSamplesPerSecond: Number(((batch * 1000) / stats.bestMs).toFixed(1)),
    peakRssMiB,
  };
}

/**
 * A checkpoint of an untrained `model` on the default features as auto frames resolve them on
 * clips up to 2.3 s (EmoDB's), in `dir/best`: what a default run's checkpoint costs to use.
 */
export async function benchCheckpoint(
  dir: string,
  model: NetworkModelName,
  backend: string,
  normalization: 'global' | 'speaker',
): Promise<string> {
  const features = { ...DEFAULT_FEATURE_CONFIG, frames: AUTO_FRAMES_MIN };
  const rows = featureRowCount(features);
  const net = createModel(model, { inputShape: [rows, features.frames, 1], numClasses: CLASSES, seed: 1 });
  try {
    return await writeCheckpoint(dir, 'best', net, {
      labels: ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'neutral', 'sadness'],
      featureConfig: features,
      featureConfigHash: featureConfigHash(features),
      normalization: { mode: normalization, maskPadding: true },
      ...(normalization === 'global' && {
        standardizer: { mean: new Array<number>(rows).fill(0), std: new Array<number>(rows).fill(1) },
      }),
      modelName: model,
      inputShape: [rows, features.frames, 1],
      epoch: 0,
      backend,
      versions: appVersions(),
      createdAt: new Date().toISOString(),
    });
  } finally {
    net.dispose();
  }
}

async function inferenceLatency(model: NetworkModelName, backend: BackendName, repeats: number, threads?: number): Promise<BenchResult> {
  const info = await initBackend(backend, { blas: true, threads });
  const dir = mkdtempSync(join(tmpdir(), 'ser-bench-ckpt-'));
  try {
    await benchCheckpoint(dir, model, info.name, 'global');
    const { value, peakRssMiB } = await measurePeakRss(async () => {
      const predictor = await EmotionPredictor.load(join(dir, 'best'));
      const clip = resolve('resources/demo-emodb/03a01Wa.wav');
      const timings = [];
      for (let i = 0; i < repeats; i++) timings.push((await predictor.predict(clip)).timingsMs);
      predictor.dispose();
      return timings;
    });
    const pick = (key: 'decode' | 'features' | 'model' | 'total') => Number(median(value.map((t) => t[key])).toFixed(1));
    return {
      benchmark: 'inference',
      model,
      backend: info.name,
      threads: info.threads ?? null,
      blas: blasColumn(info),
      clip: '2.0 s WAV, 22 050 Hz',
      decodeMs: pick('decode'),
      featuresMs: pick('features'),
      modelMs: pick('model'),
      totalMs: pick('total'),
      // The fastest call: on a busy machine the median says more about the neighbours.
      bestModelMs: Number(Math.min(...value.map((t) => t.model)).toFixed(1)),
      bestTotalMs: Number(Math.min(...value.map((t) => t.total)).toFixed(1)),
      peakRssMiB,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Single-clip model latency on webgpu: apply + asynchronous read of one example, median after one warm-up call. */
async function webgpuModelLatency(model: NetworkModelName, shape: Shape, repeats: number): Promise<BenchResult> {
  const info = await initBackend('webgpu');
  const { value: timings, peakRssMiB } = await measurePeakRss(async () => {
    const net = createModel(model, { inputShape: [shape.rows, shape.frames, 1], numClasses: CLASSES, seed: 1 });
    const x = syntheticSet(1, 3, shape).x;
    const times: number[] = [];
    for (let i = 0; i <= repeats; i++) {
      const started = performance.now();
      const out = tf.tidy(() => net.apply(tf.tensor4d(x, [1, shape.rows, shape.frames, 1]), { training: false }) as tf.Tensor);
      await out.data();
      out.dispose();
      if (i > 0) times.push(performance.now() - started);
    }
    net.dispose();
    return times;
  });
  return {
    benchmark: 'inference',
    model,
    backend: info.name,
    adapter: adapterColumn(info),
    clip: `features only, ${shape.rows}×${shape.frames}`,
    modelMs: Number(median(timings).toFixed(1)),
    totalMs: Number(median(timings).toFixed(1)),
    peakRssMiB,
  };
}

/**
 * Steps per crnn measurement, and the first ones left out: the op-by-op GRU's many small kernels
 * take a few steps to reach their speed (with 2 warm-up steps of 4 it looked 1.2-1.4x slower
 * than over longer runs).
 */
const CRNN_BATCHES = 10;
const CRNN_WARMUP = 4;

/**
 * `measure` under each path in turn, `rounds` times, in this process so that every path sees the
 * same load (`use` switches to a path, `restore` switches back afterwards); each path's runs and
 * the median of their samples/s.
 */
async function alternating<Path extends string>(
  rounds: number,
  paths: readonly Path[],
  use: (path: Path) => void,
  restore: () => void,
  measure: () => Promise<BenchResult>,
): Promise<{ runs: Record<Path, BenchResult[]>; speed: (path: Path) => number }> {
  const runs = Object.fromEntries(paths.map((path) => [path, [] as BenchResult[]])) as Record<Path, BenchResult[]>;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const path of paths) {
        use(path);
        runs[path].push(await measure());
      }
    }
  } finally {
    restore();
  }
  return { runs, speed: (path) => median(runs[path].map((r) => r.samplesPerSecond as number)) };
}

/**
 * CRNN training samples/s with the fused GRU kernels and with the op-by-op GRU (the path webgpu
 * and training without a BLAS take), alternating `rounds` times in this process so that both
 * see the same load; the medians and their ratio.
 */
async function crnnFusedVersusOps(rounds: number, threads?: number): Promise<BenchResult> {
  const { runs, speed } = await alternating(
    rounds,
    ['fused', 'ops'] as const,
    (path) => useFusedGru(path === 'fused'),
    () => useFusedGru(true),
    () => trainingThroughput('crnn', 'wasm', true, CRNN_BATCHES, CRNN_WARMUP, FULL, threads),
  );
  const first = runs.fused[0]!;
  return {
    benchmark: 'train-crnn-gru',
    model: 'crnn',
    backend: first.backend,
    threads: first.threads,
    blas: first.blas,
    input: first.input,
    batch: first.batch,
    rounds,
    fusedSamplesPerSecond: Number(speed('fused').toFixed(1)),
    opsSamplesPerSecond: Number(speed('ops').toFixed(1)),
    ratio: Number((speed('fused') / speed('ops')).toFixed(2)),
  };
}

/**
 * seed-cnn training samples/s with oneDNN on (convs, batch norm, pooling) and off (convs on the
 * BLAS as im2col + sgemm, the rest on the loops), alternating `rounds` times in this process;
 * the medians and their ratio. Null (with the reason printed) when oneDNN is not used here.
 */
async function seedCnnDnnlVersusBlas(rounds: number): Promise<BenchResult | null> {
  const info = await initBackend('wasm', { blas: true });
  const dnnl = activeDnnl();
  if (dnnl == null) {
    const why = info.blas?.active ? (info.blas.dnnl?.active === false ? info.blas.dnnl.reason : 'not loaded') : 'no BLAS';
    console.log(`\noneDNN vs BLAS row skipped: ${why}`);
    return null;
  }
  const { runs, speed } = await alternating(
    rounds,
    ['dnnl', 'blas'] as const,
    (path) => useDnnl(path === 'dnnl' ? dnnl : null),
    () => useDnnl(dnnl),
    () => trainingThroughput('seed-cnn', 'wasm', true, 8, 2),
  );
  const first = runs.blas[0]!;
  return {
    benchmark: 'train-seed-cnn-dnnl',
    model: 'seed-cnn',
    backend: first.backend,
    threads: first.threads,
    blas: first.blas,
    dnnl: dnnl.description,
    input: first.input,
    batch: first.batch,
    rounds,
    dnnlSamplesPerSecond: Number(speed('dnnl').toFixed(1)),
    blasSamplesPerSecond: Number(speed('blas').toFixed(1)),
    ratio: Number((speed('dnnl') / speed('blas')).toFixed(2)),
  };
}

function printDnnlRow(row: BenchResult): void {
  console.log(
    '\nseed-cnn: oneDNN (convs, batch norm, pooling) vs the BLAS (im2col + sgemm) and loops, alternating in this run (median samples/s of the rounds)',
  );
  printTable(
    [row],
    ['model', 'backend', 'threads', 'blas', 'dnnl', 'input', 'batch', 'rounds', 'dnnlSamplesPerSecond', 'blasSamplesPerSecond', 'ratio'],
  );
}

function printCrnnRows(rows: BenchResult[]): void {
  console.log('\ncrnn: fused GRU kernels vs the op-by-op GRU, alternating in this run (median samples/s of the rounds)');
  printTable(rows, [
    'model',
    'backend',
    'threads',
    'blas',
    'input',
    'batch',
    'rounds',
    'fusedSamplesPerSecond',
    'opsSamplesPerSecond',
    'ratio',
  ]);
}

/** `npm run bench -- crnn`: the fused-vs-ops comparison alone, with 1 thread (a study member) and all cores. */
export async function runCrnnBenchmarks(options: { quick: boolean }): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const threads of [1, undefined]) rows.push(await crnnFusedVersusOps(options.quick ? 3 : 5, threads));
  printCrnnRows(rows);
  await tf.setBackend('cpu');
  return rows;
}

/** Whether webgpu starts here (forced), and on what. */
async function webgpuAdapter(): Promise<BackendInfo | null> {
  try {
    return await initBackend('webgpu');
  } catch (error) {
    console.log(`webgpu rows skipped: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export async function runTrainBenchmarks(options: { quick: boolean }): Promise<BenchResult[]> {
  const models: NetworkModelName[] = options.quick ? ['seed-cnn'] : [...NETWORK_MODEL_NAMES];
  const training: BenchResult[] = [];
  const batches = options.quick ? 4 : 8;
  // Each model on the best CPU setup (wasm with the system BLAS when there is one), then the
  // seed CNN on every fallback: wasm (XNNPACK only), cpu with BLAS, and plain-JS cpu (a few batches
  // show its scale).
  for (const model of models) training.push(await trainingThroughput(model, 'wasm', true, batches, 2));
  training.push(await trainingThroughput('seed-cnn', 'wasm', false, batches, 2));
  training.push(await trainingThroughput('seed-cnn', 'cpu', true, batches, 2));
  training.push(await trainingThroughput('seed-cnn', 'cpu', false, 3, 1));
  const webgpu = await webgpuAdapter();
  const software = webgpu?.adapter?.software === true;
  const webgpuModels: NetworkModelName[] = software ? ['seed-cnn'] : ['seed-cnn', 'crnn'];
  if (webgpu) {
    const shape = software ? TINY : FULL;
    for (const model of webgpuModels) training.push(await trainingThroughput(model, 'webgpu', false, software ? 3 : batches, 1, shape));
    if (software) training.push(await trainingThroughput('seed-cnn', 'wasm', true, 3, 1, TINY));
  }
  console.log('training (real loop: augmentation, loss, clipping, AdamW)');
  printTable(training, [
    'model',
    'parameters',
    'backend',
    'adapter',
    'threads',
    'blas',
    'input',
    'batch',
    'medianStepMs',
    'samplesPerSecond',
    'bestSamplesPerSecond',
    'peakRssMiB',
  ]);

  const crnn = await crnnFusedVersusOps(options.quick ? 2 : 3);
  printCrnnRows([crnn]);
  const dnnlRow = await seedCnnDnnlVersusBlas(options.quick ? 2 : 3);
  if (dnnlRow) printDnnlRow(dnnlRow);

  // PyTorch right after, on the same cores: the seed CNN on the same exported features.
  const versus = await workbenchVersusTorch(options);
  console.log('\nside by side: the seed CNN in the workbench and in PyTorch, same features, threads and batch (noisy on a shared machine)');
  printTable([versus], ['processor', 'blas', 'threads', 'input', 'workbenchSamplesPerSecond', 'torchSamplesPerSecond', 'ratio', 'torch']);

  const inference: BenchResult[] = [];
  // With the default threads (the app's main process) and with 1 (`ser predict`).
  for (const model of models) {
    for (const threads of [undefined, 1]) inference.push(await inferenceLatency(model, 'wasm', options.quick ? 5 : 20, threads));
  }
  if (webgpu) {
    for (const model of webgpuModels) inference.push(await webgpuModelLatency(model, software ? TINY : FULL, options.quick ? 3 : 10));
  }
  console.log('\nsingle-clip inference (file → probabilities; webgpu: the model alone), median');
  printTable(inference, [
    'model',
    'backend',
    'adapter',
    'threads',
    'blas',
    'clip',
    'decodeMs',
    'featuresMs',
    'modelMs',
    'totalMs',
    'bestModelMs',
    'bestTotalMs',
    'peakRssMiB',
  ]);
  await tf.setBackend('cpu');
  return [...training, crnn, ...(dnnlRow ? [dnnlRow] : []), versus, ...inference];
}
