/**
 * Evaluates a run's checkpoint: on the run's own held-out test split (re-derived from run.json,
 * features served by the cache), or on another dataset folder (cross-corpus: labels meet through
 * the canonical vocabulary; classes the model does not know are reported and their clips left out).
 */
import { basename, join } from 'node:path';
import { scanDataset, type SchemeName } from '../dataset';
import { storedFeatureConfig, type FeatureConfig } from '../features/config';
import { extractFeatures, type ExtractionProgress } from '../features/extract';
import { openCheckpoint } from '../models/checkpoint';
import { openRun } from '../runs/store';
import { writeEvaluation } from '../evaluation/file';
import type { CheckpointName } from '../runs/types';
import { initBackend, type BackendName } from '../compute/backend';
import { recordedNormalizer } from '../features/standardize';
import { preparePart } from '../features/prepare';
import { alignLabels } from '../evaluation/crossCorpus';
import { buildEvaluationReport, type EvaluationReport } from '../evaluation/report';
import { checkpointEncoder, withEncoderDir } from './inference/predictor';

export interface EvaluateCheckpointOptions {
  checkpoint?: CheckpointName;
  /** Another dataset folder to evaluate on (cross-corpus); default: the run's own test split. */
  dataDir?: string;
  scheme?: SchemeName | 'auto';
  cacheRoot?: string;
  /** The tfjs backend to run the model on (default: the best available). */
  backend?: BackendName | 'auto';
  /** Where the checkpoint's encoder folder is now (PredictorLoadOptions.encoderDir). */
  encoderDir?: string;
  onProgress?: (progress: ExtractionProgress) => void;
  onLog?: (line: string) => void;
}

export interface CheckpointEvaluation {
  name: string;
  path: string;
  report: EvaluationReport;
}

export async function evaluateCheckpoint(runDir: string, options: EvaluateCheckpointOptions = {}): Promise<CheckpointEvaluation> {
  const checkpoint = options.checkpoint ?? 'best';
  const log = options.onLog ?? (() => undefined);
  const opened = await openRun(runDir);
  const state = opened.checkpoints[checkpoint];
  if (!state?.complete) {
    const other = checkpoint === 'best' ? 'final' : 'best';
    const hint = opened.checkpoints[other]?.complete ? ` (the run has a '${other}' checkpoint)` : '';
    const problem = state?.problem ? `: ${state.problem}` : '';
    throw new Error(`run ${opened.record.id} has no complete '${checkpoint}' checkpoint${problem}${hint}`);
  }
  await initBackend(options.backend ?? 'auto');
  const checkpointDir = join(runDir, 'checkpoints', checkpoint);
  const loaded = await openCheckpoint(checkpointDir);
  const { manifest } = loaded;
  try {
    const featureConfig: FeatureConfig = withEncoderDir(storedFeatureConfig(manifest.featureConfig), options.encoderDir);
    // The encoder folder must hold the model the checkpoint was trained with, as predict checks.
    if (featureConfig.representation === 'encoder') await checkpointEncoder(manifest, featureConfig, checkpointDir);
    const dataRoot = options.dataDir ?? opened.record.dataset.root;
    const scheme = options.scheme ?? (options.dataDir ? 'auto' : (opened.record.dataset.scheme as SchemeName));
    const scan = await scanDataset(dataRoot, { scheme });
    const features = await extractFeatures(scan, featureConfig, {
      cacheRoot: options.cacheRoot,
      onProgress: options.onProgress,
      onLog: log,
    });

    let ids: string[];
    let part: string;
    let splitDescription: string;
    let leaksSpeakers: boolean;
    let excluded: EvaluationReport['excluded'];
    if (options.dataDir) {
      const alignment = alignLabels(manifest.labels, scan.labels);
      const known = new Set(manifest.labels);
      ids = scan.clips.filter((c) => known.has(c.label)).map((c) => c.id);
      const excludedClips = scan.clips.length - ids.length;
      if (alignment.unknownToModel.length > 0) {
        log(`classes the model does not know (${excludedClips} clips left out): ${alignment.unknownToModel.join(', ')}`);
        excluded = { unknownToModel: alignment.unknownToModel, clips: excludedClips };
      }
      if (ids.length === 0)
        throw new Error(
          `none of the classes in ${dataRoot} (${scan.labels.join(', ')}) are known to the model (${manifest.labels.join(', ')})`,
        );
      part = 'all';
      splitDescription = `cross-corpus: every clip of ${dataRoot} whose class the model knows`;
      leaksSpeakers = false;
    } else {
      const { split } = opened.record;
      ids = split.test;
      part = 'test';
      splitDescription = split.description;
      leaksSpeakers = split.leaksSpeakers;
    }

    // Speaker statistics come from each speaker's own clips in the evaluated data: the test clips of
    // the run's split, or every clip of the other corpus (whatever its class: labels are not used).
    const pool = options.dataDir ? features.clips.map((c) => c.id) : ids;
    const prepared = preparePart(features, ids, manifest.labels, recordedNormalizer(manifest), pool);
    if (prepared.ownStatistics.length > 0)
      log(`${prepared.ownStatistics.length} clip(s) have no speaker id and were standardised with their own statistics`);
    if (prepared.globalStatistics.length > 0)
      log(`${prepared.globalStatistics.length} clip(s) have no speaker id and were standardised with the training clips' statistics`);
    if (prepared.clips.length < ids.length)
      log(`${ids.length - prepared.clips.length} clip(s) of the evaluation set could not be read and were left out`);
    const probabilities = await loaded.predictProbabilities(prepared.set);
    const report = buildEvaluationReport({
      checkpoint,
      labels: manifest.labels,
      clips: prepared.clips,
      probabilities,
      dataset: { root: scan.root, scheme: scan.scheme, part },
      splitDescription,
      leaksSpeakers,
      seed: opened.record.seed,
      excluded,
    });
    const name = options.dataDir ? `${checkpoint}-on-${basename(scan.root).replace(/[^A-Za-z0-9_-]/g, '_')}` : checkpoint;
    const path = await writeEvaluation(runDir, name, report);
    return { name, path, report };
  } finally {
    loaded.dispose();
  }
}
