/**
 * The preamble every training job shares, network or classical: backend → dataset scan →
 * features (cached) → split → train-only normalisation → the standardised parts → the run folder;
 * and what both write at the end (a checkpoint's evaluation, a failed run's reason).
 */
import { buildEvaluationReport, type EvaluationReport } from '../evaluation/report';
import { writeEvaluation } from '../evaluation/file';
import { datasetFingerprint, scanDataset, splitFromConfig, type ScanResult, type SchemeName, type Split } from '../dataset';
import { featureRowCount, resolveFeatureConfig, type FeatureConfig } from '../features/config';
import { resolveFrames } from '../features/frames';
import { openEncoderFolder } from '../features/encoder/folder';
import { extractFeatures, type FeatureSet } from '../features/extract';
import { fitNormalizer, preparePart, type PreparedPart } from '../features/prepare';
import type { Normalizer } from '../features/standardize';
import { createRun, type RunHandle } from '../runs/store';
import { appVersions } from '../runs/version';
import { initBackend, type BackendName } from '../compute/backend';
import type { TrainingConfig } from '../training/config';
import { checkTrainingMemory, trainingMemoryBudget } from '../training/memory';
import type { TrainingEvent, TrainingOutcome } from '../training/progress';
import { isClassicalModel } from '../schema/names';

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

/** The outcome (what the UI is told, and run.json's summary), plus the run folder and the full reports. */
export interface TrainJobResult extends TrainingOutcome {
  runDir: string;
  evaluations: Partial<Record<'best' | 'final', EvaluationReport>>;
}

const NORMALIZATION_NOTES: Record<TrainingConfig['normalization'], string> = {
  global: "each feature row standardised with the training clips' statistics",
  speaker: "each feature row standardised with each speaker's own statistics (test speakers: their own test clips)",
  clip: "each feature row standardised with each clip's own statistics",
};

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

export type JobLog = (message: string, level?: 'info' | 'warn') => void;

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
      ? `, ${backend.blas.dnnl?.active ? `conv layers, batch norm and pooling on ${backend.blas.dnnl.description}, matmuls` : 'conv layers and matmuls'} on ${backend.blas.description}${backend.blas.core ? ` (core ${backend.blas.core.name}: ${backend.blas.core.reason})` : ''}`
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
  // The encoder's folder says how many rows its features have (and is checked before anything runs).
  const encoderFolder =
    featureConfig.representation === 'encoder' ? await openEncoderFolder(featureConfig.encoderDir, featureConfig.encoderDtype) : null;
  // Before any feature is extracted: an input the backend cannot hold used to crash it mid-run.
  // (Classical models hold one vector per clip: nothing of theirs grows with the input length.)
  if (!isClassicalModel(config.model))
    checkTrainingMemory(
      {
        model: config.model,
        rows: featureRowCount(featureConfig, encoderFolder ?? undefined),
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
  if (features.encoder)
    log(
      `encoder: ${features.encoder.name} (${features.encoder.file}, sha256 ${features.encoder.sha256.slice(0, 12)}), ${features.encoder.layerNote ?? `layer ${features.encoder.layer} of ${features.encoder.layers}, every clip from the cache`}${features.encoder.provider ? `, on ${features.encoder.provider.name}` : ''}`,
    );
  log(
    `features: ${features.clips.length} clips (${features.stats.fromCache} from cache, ${features.stats.computed} computed, ${features.failed.length} failed)`,
  );

  const split = splitFromConfig(scan.clips, config);
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
  const parts = [train, val, test];
  const ownStatistics = parts.reduce((n, part) => n + part.ownStatistics.length, 0);
  const globalStatistics = parts.reduce((n, part) => n + part.globalStatistics.length, 0);
  if (ownStatistics > 0)
    log(`normalization: ${ownStatistics} clip(s) have no speaker id and are standardised with their own statistics`, 'warn');
  if (globalStatistics > 0)
    log(`normalization: ${globalStatistics} clip(s) have no speaker id and are standardised with the training clips' statistics`, 'warn');
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
      ...(features.encoder && { encoder: features.encoder }),
    },
    { id: options.runId },
  );
  emit({ type: 'run', runId: run.id, runDir: run.dir });
  log(`run folder: ${run.dir}`);
  return run;
}

/** The reason stored with a failed run; a full disk is named as such, with the file it could not write. */
export function failureReason(err: unknown): string {
  if ((err as NodeJS.ErrnoException | null)?.code === 'ENOSPC') {
    const path = (err as NodeJS.ErrnoException).path;
    return `no space left on device${path ? ` (writing ${path})` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
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
