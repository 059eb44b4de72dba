/**
 * A training job, end to end: backend → dataset scan → features (cached) → split → train-only
 * standardisation → model → training loop → run folder (metrics, best/final checkpoints) →
 * evaluation of both checkpoints on the held-out test split. Every door (CLI, app, serve mode)
 * runs training through this one function and listens to its events.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { randomStratifiedSplit, scanDataset, speakerSplit, type Clip, type ScanResult, type SchemeName, type Split } from '../dataset';
import { buildEvaluationReport, type EvaluationReport } from '../evaluation/report';
import { featureRowCount, resolveFeatureConfig, type FeatureConfig } from '../features/config';
import { resolveFrames } from '../features/frames';
import { extractFeatures, type FeatureSet } from '../features/extract';
import { fitStandardizer, normalizeClips, type ClipMatrix, type Normalizer } from '../features/standardize';
import { loadCheckpoint } from '../models/checkpoint';
import { createRun, type RunHandle } from '../runs/store';
import { writeEvaluation } from '../evaluation/file';
import type { CheckpointManifest, RunStatus } from '../runs/types';
import { appVersions } from '../runs/version';
import { loadSnapshot, recomputeBatchNormStatistics } from '../training/averaging';
import { initBackend, type BackendName } from '../compute/backend';
import type { TrainingConfig } from '../training/config';
import { checkTrainingMemory, trainingMemoryBudget } from '../training/memory';
import { evaluateSet, trainLoop, type EpochMetrics, type ExampleShape, type LabelledSet } from '../training/loop';
import { createModel } from '../models';
import { predictProbabilities } from '../models/predict';
import { concatParts, SPEED_FACTORS, speedPerturbedSets } from './speedPerturb';
import type { BestCheckpoint, TrainingEvent, TrainingOutcome } from '../training/progress';
import { isClassicalModel, modelRepresentationProblem } from '../schema/names';
import { runClassicalJob } from './classicalJob';

export interface TrainJobOptions {
  datasetRoot: string;
  scheme?: SchemeName | 'auto';
  config: TrainingConfig;
  featureConfig?: Partial<FeatureConfig>;
  runsDir: string;
  cacheRoot?: string;
  backend?: BackendName | 'auto';
  /** A name for the run (defaults to model + dataset folder). */
  name?: string;
  /** A fixed run id (study members); by default one is generated from the time and name. */
  runId?: string;
  /** Compute threads (wasm/XNNPACK and BLAS); by default the number of cores, at most 8. */
  threads?: number;
  signal?: AbortSignal;
  onEvent?: (event: TrainingEvent) => void;
}

export type { TrainingEvent };

/** The outcome (what the UI is told, and run.json's summary), plus the run folder and the full reports. */
export interface TrainJobResult extends TrainingOutcome {
  runDir: string;
  evaluations: Partial<Record<'best' | 'final', EvaluationReport>>;
}

/** Standardised examples of one split part, plus the clips they came from. */
export interface PreparedPart {
  clips: Clip[];
  set: LabelledSet;
  /** Clips that `speaker` normalisation standardised with their own statistics (no speaker id). */
  ownStatistics: Clip[];
}

export function datasetFingerprint(scan: ScanResult): string {
  const hash = createHash('sha256');
  for (const clip of scan.clips) hash.update(`${clip.id}\t${clip.label}\t${clip.speaker}\t${clip.sizeBytes}\n`);
  return hash.digest('hex').slice(0, 16);
}

export function makeSplit(scan: ScanResult, config: TrainingConfig): Split {
  const { kind, testSpeakers, valSpeakers, testRatio, valRatio } = config.split;
  if (kind === 'random') return randomStratifiedSplit(scan.clips, { testRatio, valRatio, seed: config.seed });
  return speakerSplit(scan.clips, { testSpeakers, valSpeakers, testRatio, valRatio, seed: config.seed });
}

/** The raw matrices of the clips of `ids` that have features, with their positions in the feature set. */
function clipMatrices(features: FeatureSet, ids: readonly string[]): { positions: number[]; matrices: ClipMatrix[] } {
  const position = new Map(features.clips.map((clip, i) => [clip.id, i]));
  const slot = features.rows * features.frames;
  const positions = ids.map((id) => position.get(id)).filter((i): i is number => i !== undefined);
  const matrices = positions.map((i) => ({
    data: features.data.subarray(i * slot, (i + 1) * slot),
    validFrames: features.validFrames[i]!,
    speaker: features.clips[i]!.speaker,
  }));
  return { positions, matrices };
}

const NORMALIZATION_NOTES: Record<TrainingConfig['normalization'], string> = {
  global: "each feature row standardised with the training clips' statistics",
  speaker: "each feature row standardised with each speaker's own statistics (test speakers: their own test clips)",
  clip: "each feature row standardised with each clip's own statistics",
};

/**
 * The normaliser of a training run: `global` fits the statistics on the valid frames of the
 * training clips; `speaker` and `clip` fit theirs where they are applied (preparePart).
 */
export function fitNormalizer(mode: TrainingConfig['normalization'], features: FeatureSet, trainIds: readonly string[]): Normalizer {
  if (mode !== 'global') return { mode };
  const { matrices } = clipMatrices(features, trainIds);
  const stats = fitStandardizer(
    matrices.map((m) => m.data),
    features.rows,
    features.frames,
    matrices.map((m) => m.validFrames),
  );
  return { mode, stats, maskPadding: true };
}

/**
 * Gathers the clips of `ids` from the feature set, standardised by `normalizer`. In `speaker` mode
 * each speaker's statistics come from that speaker's clips among `poolIds` (default: `ids`, the
 * part itself), so a part never borrows statistics from another part or another speaker.
 */
export function preparePart(
  features: FeatureSet,
  ids: readonly string[],
  labels: readonly string[],
  normalizer: Normalizer,
  poolIds: readonly string[] = ids,
): PreparedPart {
  const labelIndex = new Map(labels.map((label, i) => [label, i]));
  const slot = features.rows * features.frames;
  const { positions, matrices } = clipMatrices(features, ids);
  const pool = poolIds === ids ? matrices : clipMatrices(features, poolIds).matrices;
  const normalized = normalizeClips(matrices, normalizer, features.rows, features.frames, pool);
  const x = new Float32Array(positions.length * slot);
  const y = new Int32Array(positions.length);
  const validFrames = new Int32Array(positions.length);
  positions.forEach((i, row) => {
    x.set(normalized.matrices[row]!, row * slot);
    y[row] = labelIndex.get(features.clips[i]!.label) ?? -1;
    validFrames[row] = features.validFrames[i]!;
  });
  const clips = positions.map((i) => features.clips[i]!);
  return {
    clips,
    set: { x, y, count: positions.length, validFrames },
    ownStatistics: normalized.ownStatistics.map((row) => clips[row]!),
  };
}

/** What every training job shares before its model: the data, features, split and standardised parts. */
export interface PreparedJob {
  backend: Awaited<ReturnType<typeof initBackend>>;
  scan: ScanResult;
  featureConfig: FeatureConfig;
  features: FeatureSet;
  split: Split;
  labels: string[];
  normalizer: Normalizer;
  train: PreparedPart;
  val: PreparedPart;
  test: PreparedPart;
}

type JobLog = (message: string, level?: 'info' | 'warn') => void;

/**
 * The preamble of every training job: backend → dataset scan → features (cached) → split →
 * normalisation (`global` statistics from `statisticsFrom`'s parts: the training part, or
 * training and validation for a classical classifier, which is fitted on both) → the parts.
 */
export async function prepareJob(
  options: TrainJobOptions,
  emit: (event: TrainingEvent) => void,
  log: JobLog,
  statisticsFrom: 'train' | 'train+val',
): Promise<PreparedJob> {
  const { config } = options;
  const backend = await initBackend(options.backend ?? 'auto', { threads: options.threads });
  emit({ type: 'backend', backend });
  const blas = backend.blas
    ? backend.blas.active
      ? `, conv layers on ${backend.blas.description}${backend.blas.core ? ` (core ${backend.blas.core.name}: ${backend.blas.core.reason})` : ''}`
      : `, no BLAS (${backend.blas.reason})`
    : '';
  log(
    `backend: ${backend.name}${blas}${backend.skipped.length ? ` (skipped ${backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}`,
  );
  for (const note of backend.notes ?? []) log(`backend: ${note}`, 'warn');

  const scan = await scanDataset(options.datasetRoot, { scheme: options.scheme ?? 'auto' });
  log(`dataset: ${scan.clips.length} clips, scheme ${scan.scheme}, ${scan.speakers.length} speakers, ${scan.skipped.length} skipped`);
  const frames = await resolveFrames(resolveFeatureConfig(options.featureConfig), scan.clips);
  if (frames.note) log(frames.note);
  const featureConfig = frames.config;
  // Before any feature is extracted: an input the backend cannot hold used to crash it mid-run.
  // (Classical models hold one vector per clip: nothing of theirs grows with the input length.)
  if (!isClassicalModel(config.model))
    checkTrainingMemory(
      {
        model: config.model,
        rows: featureRowCount(featureConfig),
        frames: featureConfig.frames,
        numClasses: Math.max(2, scan.labels.length),
        batchSize: config.batchSize,
      },
      trainingMemoryBudget(backend.name),
    );
  const features = await extractFeatures(scan, featureConfig, {
    cacheRoot: options.cacheRoot,
    signal: options.signal,
    onProgress: (progress) => emit({ type: 'features', progress }),
    onLog: (line) => log(line, 'warn'),
  });
  if (features.cancelled) throw new Error('cancelled during feature extraction');
  log(
    `features: ${features.clips.length} clips (${features.stats.fromCache} from cache, ${features.stats.computed} computed, ${features.failed.length} failed)`,
  );

  const split = makeSplit(scan, config);
  log(split.description);
  if (split.leaksSpeakers) log('this split puts the same speakers in train and test: results overstate accuracy on new speakers', 'warn');
  if (split.val.length === 0) throw new Error('the split has no validation clips: give --val-speakers or a validation ratio > 0');
  if (split.test.length === 0) throw new Error('the split has no test clips: give --test-speakers or a test ratio > 0');

  const labels = [...scan.labels];
  const normalizer = fitNormalizer(
    config.normalization,
    features,
    statisticsFrom === 'train' ? split.train : [...split.train, ...split.val],
  );
  const train = preparePart(features, split.train, labels, normalizer);
  const val = preparePart(features, split.val, labels, normalizer);
  const test = preparePart(features, split.test, labels, normalizer);
  log(`normalization: ${config.normalization}, ${NORMALIZATION_NOTES[config.normalization]}`);
  const unknownSpeakers = train.ownStatistics.length + val.ownStatistics.length + test.ownStatistics.length;
  if (unknownSpeakers > 0)
    log(`normalization: ${unknownSpeakers} clip(s) have no speaker id and are standardised with their own statistics`, 'warn');
  return { backend, scan, featureConfig, features, split, labels, normalizer, train, val, test };
}

/** The run folder of a prepared job (run.json written, the lock held). */
export async function createJobRun(
  options: TrainJobOptions,
  job: PreparedJob,
  emit: (event: TrainingEvent) => void,
  log: JobLog,
): Promise<RunHandle> {
  const { config } = options;
  const { scan, features, split, labels, backend, featureConfig } = job;
  const run = await createRun(
    options.runsDir,
    {
      name: options.name ?? `${config.model} on ${scan.root.split(/[\\/]/).filter(Boolean).pop() ?? 'dataset'}`,
      config: { training: config, features: featureConfig },
      dataset: { root: scan.root, scheme: scan.scheme, fingerprint: datasetFingerprint(scan), clips: features.clips.length, labels },
      split,
      seed: config.seed,
      backend,
      versions: appVersions(),
    },
    { id: options.runId },
  );
  emit({ type: 'run', runId: run.id, runDir: run.dir });
  log(`run folder: ${run.dir}`);
  return run;
}

export async function runTrainingJob(options: TrainJobOptions): Promise<TrainJobResult> {
  const { config } = options;
  const emit = options.onEvent ?? (() => undefined);
  const log: JobLog = (message, level = 'info') => emit({ type: 'log', level, message });
  const representationProblem = modelRepresentationProblem(config.model, resolveFeatureConfig(options.featureConfig).representation);
  if (representationProblem) throw new Error(representationProblem);
  if (isClassicalModel(config.model)) {
    const job = await prepareJob(options, emit, log, 'train+val');
    return await runClassicalJob(options, config.model, job, await createJobRun(options, job, emit, log), emit, log);
  }
  const networkModel = config.model;

  const job = await prepareJob(options, emit, log, 'train');
  const { backend, scan, featureConfig, features, split, labels, normalizer, val, test } = job;
  const shape: ExampleShape = { rows: features.rows, frames: features.frames, numClasses: labels.length };
  let train = job.train;
  if (config.augment.speedPerturb) {
    const perturbed = await speedPerturbedSets(scan, new Set(split.train), featureConfig, {
      cacheRoot: options.cacheRoot,
      signal: options.signal,
      onProgress: (progress) => emit({ type: 'features', progress }),
      onLog: (line) => log(line, 'warn'),
    });
    train = concatParts([train, ...perturbed.map((set) => preparePart(set, split.train, labels, normalizer))]);
    log(`speed perturbation: ${train.set.count} training examples (the training clips at speeds 1, ${SPEED_FACTORS.join(', ')})`);
  }

  const model = createModel(networkModel, { inputShape: [shape.rows, shape.frames, 1], numClasses: shape.numClasses, seed: config.seed });
  log(`model: ${config.model}, ${model.countParams().toLocaleString('en-US')} parameters`);

  const versions = appVersions();
  const run = await createJobRun(options, job, emit, log);

  const manifestFor = (epoch: number, metrics?: EpochMetrics | Record<string, unknown>): Omit<CheckpointManifest, 'createdAt'> => ({
    labels,
    featureConfig,
    featureConfigHash: features.configHash,
    normalization: { mode: normalizer.mode, maskPadding: true },
    ...(normalizer.mode === 'global' && { standardizer: normalizer.stats }),
    modelName: config.model,
    inputShape: [shape.rows, shape.frames, 1],
    epoch,
    metrics,
    backend: backend.name,
    versions,
  });

  try {
    const result = await trainLoop(model, train.set, val.set, shape, config, {
      signal: options.signal,
      onBatch: (progress) => emit({ type: 'batch', progress }),
      onLog: (line) => log(line),
      onEpoch: async (metrics) => {
        await run.appendMetrics(metrics);
        if (metrics.improved) await run.saveCheckpoint('best', model, manifestFor(metrics.epoch, metrics));
        await run.heartbeat();
        emit({ type: 'epoch', metrics });
      },
    });
    const lastEpoch = result.history.at(-1);
    if (lastEpoch) await run.saveCheckpoint('final', model, manifestFor(lastEpoch.epoch, lastEpoch));
    const evaluations: TrainJobResult['evaluations'] = {};
    const evaluate = !result.cancelled && lastEpoch !== undefined;
    // The final checkpoint is evaluated first: averaging replaces the model's weights.
    if (evaluate) evaluations.final = await evaluatePart(run, 'final', model, test, labels, shape, scan, split);
    // With weight averaging, `best` becomes the averaged model (it replaces the single best epoch saved during training).
    let bestEpoch = result.bestEpoch;
    let bestCheckpoint: BestCheckpoint = { kind: 'epoch', epoch: result.bestEpoch, selectedBy: config.bestBy };
    if (result.averaged) {
      const { epochs } = result.averaged;
      loadSnapshot(model, result.averaged.weights);
      if (config.averageBatchNorm === 'recompute') recomputeBatchNormStatistics(model, train.set, shape, Math.max(config.batchSize, 64));
      const validation = await evaluateSet(model, val.set, shape, Math.max(config.batchSize, 64));
      bestEpoch = epochs.at(-1)!;
      bestCheckpoint = {
        kind: 'average',
        mode: config.weightAveraging === 'top' ? 'top' : 'last',
        epochs,
        batchNorm: config.averageBatchNorm,
        selectedBy: config.bestBy,
      };
      await run.saveCheckpoint(
        'best',
        model,
        manifestFor(bestEpoch, {
          averagedEpochs: epochs,
          averaging: config.weightAveraging,
          batchNorm: config.averageBatchNorm,
          valLoss: validation.loss,
          valAccuracy: validation.accuracy,
          valUar: validation.uar,
          valMacroF1: validation.macroF1,
        }),
      );
      log(
        `best checkpoint: weight average of epochs ${epochs.join(', ')} (${config.averageBatchNorm === 'recompute' ? 'batch-norm statistics recomputed on the training set' : 'batch-norm statistics averaged'}); validation UAR ${validation.uar.toFixed(3)}, loss ${validation.loss.toFixed(4)}`,
      );
    }

    if (evaluate && bestEpoch > 0) {
      const best = await loadCheckpoint(`${run.dir}/checkpoints/best`);
      try {
        evaluations.best = await evaluatePart(run, 'best', best.model, test, labels, shape, scan, split);
      } finally {
        best.model.dispose();
      }
    }
    const status: RunStatus = result.cancelled ? 'cancelled' : 'done';
    const summary = {
      epochsRun: result.epochsRun,
      bestEpoch,
      bestCheckpoint,
      stoppedEarly: result.stoppedEarly,
      test: Object.fromEntries(
        Object.entries(evaluations).map(([name, report]) => [
          name,
          { accuracy: report.metrics.accuracy, uar: report.metrics.uar, macroF1: report.metrics.macroF1 },
        ]),
      ),
    };
    await run.setStatus(status, { summary, bestEpoch: bestEpoch || undefined });
    log(result.cancelled ? 'training cancelled; the run keeps its checkpoints' : 'training finished');
    return { runId: run.id, runDir: run.dir, status, ...summary, evaluations };
  } catch (err) {
    await run.setStatus('failed', { error: failureReason(err) }).catch(() => undefined);
    throw err;
  } finally {
    await run.close();
    model.dispose();
  }
}

/** The reason stored with a failed run; a full disk is named as such, with the file it could not write. */
export function failureReason(err: unknown): string {
  if ((err as NodeJS.ErrnoException | null)?.code === 'ENOSPC') {
    const path = (err as NodeJS.ErrnoException).path;
    return `no space left on device${path ? ` (writing ${path})` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

async function evaluatePart(
  run: RunHandle,
  checkpoint: 'best' | 'final',
  model: tf.LayersModel,
  part: PreparedPart,
  labels: string[],
  shape: ExampleShape,
  scan: ScanResult,
  split: Split,
): Promise<EvaluationReport> {
  const probabilities = await predictProbabilities(model, part.set, shape.rows, shape.frames);
  return await writePartEvaluation(run, checkpoint, probabilities, part, labels, scan, split);
}

/** The evaluation file of a checkpoint from its class probabilities on the held-out part. */
export async function writePartEvaluation(
  run: RunHandle,
  checkpoint: 'best' | 'final',
  probabilities: Float32Array,
  part: PreparedPart,
  labels: string[],
  scan: ScanResult,
  split: Split,
): Promise<EvaluationReport> {
  const report = buildEvaluationReport({
    checkpoint,
    labels,
    clips: part.clips,
    probabilities,
    dataset: { root: scan.root, scheme: scan.scheme, part: 'test' },
    splitDescription: split.description,
    leaksSpeakers: split.leaksSpeakers,
    seed: split.seed,
  });
  await writeEvaluation(run.dir, checkpoint, report);
  return report;
}
