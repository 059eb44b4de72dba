/**
 * A fused checkpoint: a self-contained folder holding copies of two or more checkpoints
 * (`members/01`, `members/02`, …) and `fusion.json`, a versioned manifest listing them. Predicting
 * with it averages the members' class probabilities for each file; every member computes its own
 * features and applies its own normalisation. The members must predict the same labels in the
 * same order, or the fusion is refused.
 */
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspectCheckpoint } from '../../runs/checkpoints';
import type { CheckpointName } from '../../runs/types';
import { pathExists, writeFolderAtomic } from '../../util/fs';
import { FUSION_FILE, FUSION_FORMAT, type FusionManifest } from '../../runs/fusionFile';
import { readVersionedJson, writeVersionedJson } from '../../util/versionedJson';
import {
  EmotionPredictor,
  isPredictionFailure,
  type PredictManyOptions,
  type Prediction,
  type PredictionResult,
  type PredictorLoadOptions,
} from './predictor';
import { resolveCheckpoint, type CheckpointSource } from './resolve';
import type { Scores } from './scores';

export { FUSION_FILE, type FusionManifest };

export async function isFusedCheckpoint(dir: string): Promise<boolean> {
  return pathExists(join(resolve(dir), FUSION_FILE));
}

/**
 * Writes a fused checkpoint at `outDir` (which must not exist) from run or checkpoint folders
 * (`checkpoint` picks a run's best or final). The folder appears whole or not at all.
 */
export async function writeFusedCheckpoint(
  sources: readonly string[],
  outDir: string,
  options: { checkpoint?: CheckpointName } = {},
): Promise<FusionManifest> {
  if (sources.length < 2) throw new Error('a fused checkpoint needs at least two runs or checkpoints');
  const target = resolve(outDir);
  if (await pathExists(target)) throw new Error(`${target} already exists: choose a new folder for the fused checkpoint`);
  const members: { dir: string; from: string; modelName: string; labels: string[] }[] = [];
  for (const [i, source] of sources.entries()) {
    if (await isFusedCheckpoint(source)) throw new Error(`${resolve(source)} is itself a fused checkpoint: fuse the original checkpoints`);
    const resolved = await resolveCheckpoint(source, options.checkpoint);
    const state = await inspectCheckpoint(resolved.dir);
    if (!state.complete || !state.manifest) throw new Error(`${resolved.dir} is not a usable checkpoint: ${state.problem}`);
    const labels = [...state.manifest.labels];
    const first = members[0];
    if (first && first.labels.join('\t') !== labels.join('\t')) {
      throw new Error(
        `${resolved.dir} predicts [${labels.join(', ')}] but ${first.from} predicts [${first.labels.join(', ')}]: fused members must predict the same labels in the same order`,
      );
    }
    members.push({ dir: `members/${String(i + 1).padStart(2, '0')}`, from: resolved.dir, modelName: state.manifest.modelName, labels });
  }
  return writeFolderAtomic(target, async (tmp) => {
    for (const m of members) await fsp.cp(m.from, join(tmp, m.dir), { recursive: true });
    const manifest: FusionManifest = {
      createdAt: new Date().toISOString(),
      labels: members[0]!.labels,
      members: members.map(({ dir, from, modelName }) => ({ dir, from, modelName })),
    };
    await writeVersionedJson(join(tmp, FUSION_FILE), FUSION_FORMAT, manifest);
    return manifest;
  });
}

/** Scores from averaged probabilities (ties keep the label order). */
function scoresFromProbabilities(probs: readonly number[], labels: readonly string[]): Scores {
  const ranked = labels.map((label, i) => ({ label, probability: probs[i]! })).sort((a, b) => b.probability - a.probability);
  const probabilities: Record<string, number> = {};
  labels.forEach((label, i) => (probabilities[label] = probs[i]!));
  return { emotion: ranked[0]!.label, confidence: ranked[0]!.probability, probabilities, ranked };
}

/** Averages the members' predictions of one file: probabilities, timings summed, warnings joined. */
export function fusePredictions(predictions: readonly Prediction[], labels: readonly string[]): Prediction {
  const mean = labels.map((label) => predictions.reduce((sum, p) => sum + p.probabilities[label]!, 0) / predictions.length);
  const total = (key: keyof Prediction['timingsMs']) => predictions.reduce((sum, p) => sum + p.timingsMs[key], 0);
  const warnings = [...new Set(predictions.flatMap((p) => (p.warning ? [p.warning] : [])))];
  return {
    path: predictions[0]!.path,
    ...scoresFromProbabilities(mean, labels),
    durationS: predictions[0]!.durationS,
    timingsMs: { decode: total('decode'), features: total('features'), model: total('model'), total: total('total') },
    ...(warnings.length > 0 && { warning: warnings.join('; ') }),
  };
}

/** Predicts with every member of a fused checkpoint and averages their class probabilities. */
export class FusedPredictor {
  readonly labels: readonly string[];

  private constructor(
    readonly members: readonly EmotionPredictor[],
    readonly manifest: FusionManifest,
    readonly source: CheckpointSource,
  ) {
    this.labels = Object.freeze([...manifest.labels]);
  }

  /** Loads the fused checkpoint folder `dir` (`source`: how it was found, e.g. as a run's best checkpoint). */
  static async load(
    dir: string,
    options: Pick<PredictorLoadOptions, 'maxDurationS' | 'encoderDir'> = {},
    source?: CheckpointSource,
  ): Promise<FusedPredictor> {
    const root = resolve(dir);
    const manifest = await readVersionedJson(join(root, FUSION_FILE), FUSION_FORMAT);
    if (!manifest) throw new Error(`${root} is not a fused checkpoint: it has no ${FUSION_FILE}`);
    const members: EmotionPredictor[] = [];
    try {
      for (const m of manifest.members) {
        const member = await EmotionPredictor.load(join(root, m.dir), {
          maxDurationS: options.maxDurationS,
          encoderDir: options.encoderDir,
        });
        members.push(member);
        if (member.labels.join('\t') !== manifest.labels.join('\t'))
          throw new Error(
            `${join(root, m.dir)} predicts [${member.labels.join(', ')}] but ${FUSION_FILE} lists [${manifest.labels.join(', ')}]`,
          );
      }
    } catch (err) {
      for (const m of members) m.dispose();
      throw err;
    }
    return new FusedPredictor(members, manifest, source ?? { dir: root, runDir: null, checkpoint: null, note: null });
  }

  /** The normalisation of each member ('speaker' members use the speakers given to predictMany). */
  get normalizations(): string[] {
    return this.members.map((m) => m.manifest.normalization.mode);
  }

  async predict(path: string): Promise<Prediction> {
    return fusePredictions(await Promise.all(this.members.map((m) => m.predict(path))), this.labels);
  }

  /** Each file as every member predicts it, averaged; a file any member cannot predict is that member's failure. */
  async predictMany(paths: readonly string[], options: PredictManyOptions = {}): Promise<PredictionResult[]> {
    const perMember: PredictionResult[][] = [];
    for (const m of this.members) perMember.push(await m.predictMany(paths, { speakers: options.speakers }));
    return paths.map((_, i) => {
      const results = perMember.map((r) => r[i]!);
      const failure = results.find(isPredictionFailure);
      const result = failure ?? fusePredictions(results as Prediction[], this.labels);
      options.onResult?.(result, i);
      return result;
    });
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

/** A predictor for a run folder, a checkpoint folder or a fused checkpoint folder (alone, or as a run's checkpoint). */
export async function loadPredictor(path: string, options: PredictorLoadOptions = {}): Promise<EmotionPredictor | FusedPredictor> {
  if (await isFusedCheckpoint(path)) {
    if (options.checkpoint !== undefined)
      throw new Error(
        `${resolve(path)} is a fused checkpoint; the checkpoint option ("${options.checkpoint}") applies to run folders only`,
      );
    return FusedPredictor.load(path, options);
  }
  const source = await resolveCheckpoint(path, options.checkpoint);
  if (await isFusedCheckpoint(source.dir)) return FusedPredictor.load(source.dir, options, source);
  return EmotionPredictor.load(path, options);
}
