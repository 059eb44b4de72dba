/**
 * Emotion prediction with a trained checkpoint: audio file → decode and resample → feature matrix →
 * the checkpoint's normalisation → model logits → softmax, the same path the training data took.
 * A checkpoint trained with per-speaker normalisation uses the joint statistics of the files given
 * together for one speaker; a file whose speaker is unknown is standardised with its own statistics
 * (a matrix: its frames) or with the training clips' (a vector, which its own would make zeros),
 * with a warning either way.
 */
import { basename, join, resolve } from 'node:path';
import { AudioError, loadAudio, resample } from '../../audio';
import { computeFeatureMatrix, type FeatureMatrix } from '../../features/compute';
import {
  encoderIdentity,
  FEATURE_VERSION,
  featureConfigHash,
  featureRowCount,
  storedFeatureConfig,
  type EncoderIdentity,
  type FeatureConfig,
} from '../../features/config';
import { openEncoderFolder, type EncoderFolder } from '../../features/encoder/folder';
import { EncoderWorker } from '../../features/encoder/remote';
import {
  applyStandardizer,
  normalizeClips,
  recordedNormalizer,
  type ClipMatrix,
  type Normalizer,
  type StandardizerStats,
} from '../../features/standardize';
import { openCheckpoint, type LoadedCheckpoint } from '../../models/checkpoint';
import type { CheckpointManifest, CheckpointName } from '../../runs/types';
import { representationInputKind, type InputKind } from '../../schema/names';
import { resolveCheckpoint, type CheckpointSource } from './resolve';
import { scoresFromLogits, type Scores } from './scores';

export interface Prediction extends Scores {
  path: string;
  /** Duration of the original recording. */
  durationS: number;
  /** decode includes resampling; features is the raw matrix (standardising it takes microseconds and is not timed). */
  timingsMs: { decode: number; features: number; model: number; total: number };
  /** Set when the file could not be normalised the way the model was trained (unknown speaker). */
  warning?: string;
}

export interface PredictionFailure {
  path: string;
  /** code: the AudioError code for unreadable audio, 'prediction-failed' otherwise. */
  error: { code: string; message: string };
}

export type PredictionResult = Prediction | PredictionFailure;

export interface PredictorLoadOptions {
  /** Which checkpoint of a run folder; by default best, or final when best is unusable. */
  checkpoint?: CheckpointName;
  /** Longer clips are refused ('too-long'). Default: the audio module's limit. */
  maxDurationS?: number;
  /**
   * Where the checkpoint's encoder folder is now, instead of the folder it records (moved, or on
   * another machine); accepted only when its model file has the recorded SHA-256.
   */
  encoderDir?: string;
}

export interface PredictManyOptions {
  /** Called as each file is done, in order. */
  onResult?: (result: PredictionResult, index: number) => void;
  /**
   * The speaker of each file, aligned with the paths ('' = unknown). For a checkpoint trained with
   * per-speaker normalisation, the files of one speaker are standardised with their joint statistics.
   */
  speakers?: readonly string[];
}

/**
 * A raw (unstandardized) feature matrix, [rows][frames] row-major, as computeFeatureMatrix returns
 * it. Without validFrames, trailing all-zero frames are taken for the zero padding
 * computeFeatureMatrix adds.
 */
export type FeatureMatrixInput = Float32Array | { data: Float32Array; rows: number; frames: number; validFrames?: number };

/** The warning a prediction carries when a per-speaker model of matrices meets a file of unknown speaker. */
export const UNKNOWN_SPEAKER_WARNING =
  "the model was trained with per-speaker normalisation but this file's speaker is unknown: it was normalised with its own statistics instead (give several files of the speaker together for their joint statistics)";

/** The same for a model of feature vectors, which uses the training clips' statistics instead. */
export const TRAINING_STATISTICS_WARNING =
  "the model was trained with per-speaker normalisation but this file's speaker is unknown or has no other file here: its feature vector was normalised with the training clips' statistics instead (give several files of the speaker together for their joint statistics)";

export function isPredictionFailure<T extends object>(result: T | PredictionFailure): result is PredictionFailure {
  return 'error' in result;
}

/** A standardised clip with its warning, or the problem that keeps it from being predicted. */
interface Standardized {
  data: Float32Array;
  warning?: string;
  problem?: string;
}

/** The standardised values, or the clip's problem thrown as its one-line reason. */
function usable(standardized: Standardized): Float32Array {
  if (standardized.problem) throw new Error(standardized.problem);
  return standardized.data;
}

/** One file's raw features and what producing them took. */
interface ClipFeatures extends ClipMatrix {
  path: string;
  durationS: number;
  decodeMs: number;
  featuresMs: number;
}

export class EmotionPredictor {
  readonly labels: readonly string[];
  readonly featureConfig: FeatureConfig;
  readonly rows: number;
  readonly frames: number;
  /** One vector per clip (functionals, a pooled encoder) or a matrix of frames. */
  readonly inputKind: InputKind;
  /**
   * Why a feature vector of unknown speaker cannot be predicted: a per-speaker checkpoint from
   * before the training clips' statistics were recorded. null when it can.
   */
  readonly unknownSpeakerProblem: string | null;
  private readonly normalizer: Normalizer;
  private disposed = false;

  private constructor(
    private readonly model: LoadedCheckpoint,
    readonly manifest: CheckpointManifest,
    readonly source: CheckpointSource,
    featureConfig: FeatureConfig,
    private readonly maxDurationS: number | undefined,
    encoder: EncoderFolder | null,
    /** Encoder features are computed in a worker thread: the caller's thread may be the app's main process. */
    private readonly encoderWorker: EncoderWorker | null,
  ) {
    this.labels = Object.freeze([...manifest.labels]);
    this.featureConfig = featureConfig;
    this.rows = featureRowCount(featureConfig, encoder ?? undefined);
    this.frames = featureConfig.frames;
    this.inputKind = representationInputKind(featureConfig.representation, featureConfig.encoderPooling);
    this.normalizer = recordedNormalizer(manifest);
    this.unknownSpeakerProblem =
      this.inputKind === 'vector' && this.normalizer.mode === 'speaker' && !this.normalizer.globalStats
        ? `this checkpoint normalises per speaker and was trained before the training clips' statistics were recorded, so a feature vector of unknown speaker cannot be normalised (its own statistics make it zeros): give several files of the speaker together (--speaker), or retrain the model`
        : null;
  }

  /** Loads from a run folder (see PredictorLoadOptions.checkpoint) or a checkpoint folder. */
  static async load(runOrCheckpointPath: string, options: PredictorLoadOptions = {}): Promise<EmotionPredictor> {
    const source = await resolveCheckpoint(runOrCheckpointPath, options.checkpoint);
    const model = await openCheckpoint(source.dir);
    const { manifest } = model;
    let encoderWorker: EncoderWorker | null = null;
    try {
      const { config: featureConfig, encoder } = await checkFeatureManifest(manifest, source.dir, options.encoderDir);
      if (encoder) encoderWorker = await EncoderWorker.open(encoder, featureConfig.encoderLayer);
      const predictor = new EmotionPredictor(model, manifest, source, featureConfig, options.maxDurationS, encoder, encoderWorker);
      await predictor.warmUp();
      return predictor;
    } catch (err) {
      model.dispose();
      void encoderWorker?.close();
      throw err;
    }
  }

  /**
   * One file on its own: a per-speaker model normalises it with its own statistics (a matrix) or
   * the training clips' (a vector), and says so.
   */
  async predict(path: string): Promise<Prediction> {
    this.assertUsable();
    const clip = await this.features(path, '');
    return await this.score(clip, this.standardize([clip])[0]!);
  }

  /**
   * Predicts each file; a file that fails gives a PredictionFailure and the others go on. With
   * `speakers` and a per-speaker model, every file's features are computed first so that each
   * speaker's files share their joint statistics.
   */
  async predictMany(paths: readonly string[], options: PredictManyOptions = {}): Promise<PredictionResult[]> {
    this.assertUsable();
    const { speakers } = options;
    if (speakers !== undefined && speakers.length !== paths.length) {
      throw new Error(`predictMany got ${speakers.length} speakers for ${paths.length} files`);
    }
    const results: PredictionResult[] = [];
    const report = (result: PredictionResult): void => {
      results.push(result);
      options.onResult?.(result, results.length - 1);
    };
    if (speakers === undefined || this.normalizer.mode !== 'speaker') {
      for (const path of paths) report(await this.attempt(path, () => this.predict(path)));
      return results;
    }
    const clips: (ClipFeatures | PredictionFailure)[] = [];
    for (const [i, path] of paths.entries()) clips.push(await this.attempt(path, () => this.features(path, speakers[i]!)));
    const computed = clips.filter((c): c is ClipFeatures => !isPredictionFailure(c));
    const standardized = this.standardize(computed);
    const byClip = new Map(computed.map((clip, i) => [clip, standardized[i]!]));
    for (const clip of clips) {
      report(isPredictionFailure(clip) ? clip : await this.attempt(clip.path, async () => this.score(clip, byClip.get(clip)!)));
    }
    return results;
  }

  /**
   * Scores an unstandardized feature matrix computed with this predictor's featureConfig. A
   * per-speaker model standardises it with `speakerStats` (the speaker's joint statistics) when
   * given, and otherwise as `predict` does a file of unknown speaker, and says so.
   */
  async predictFeatures(matrix: FeatureMatrixInput, speakerStats?: StandardizerStats): Promise<Scores & { warning?: string }> {
    this.assertUsable();
    const data = matrix instanceof Float32Array ? matrix : matrix.data;
    const validFrames =
      matrix instanceof Float32Array || matrix.validFrames === undefined ? paddedFrom(data, this.rows, this.frames) : matrix.validFrames;
    if (!(matrix instanceof Float32Array) && (matrix.rows !== this.rows || matrix.frames !== this.frames)) {
      throw new Error(`Feature matrix is ${matrix.rows}×${matrix.frames} but the model expects ${this.rows}×${this.frames}`);
    }
    if (data.length !== this.rows * this.frames) {
      throw new Error(
        `Feature matrix has ${data.length} values but the model expects ${this.rows}×${this.frames} = ${this.rows * this.frames}`,
      );
    }
    const standardized: Standardized =
      speakerStats && this.normalizer.mode === 'speaker'
        ? { data: applyStandardizer(data, speakerStats, this.rows, this.frames, validFrames) }
        : this.standardize([{ data, validFrames, speaker: '' }])[0]!;
    return {
      ...scoresFromLogits(await this.logits(usable(standardized), validFrames), this.labels),
      ...(standardized.warning && { warning: standardized.warning }),
    };
  }

  /**
   * A clip's raw (unstandardized) features from its samples at the model's rate: computed here, or
   * by the encoder in its worker thread. Predict and live listening both compute them this way.
   */
  async featuresOf(samples: Float32Array): Promise<FeatureMatrix> {
    this.assertUsable();
    return await this.featureMatrix(samples);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
    void this.encoderWorker?.close();
  }

  /**
   * The first resample, feature matrix and model run build tables, filterbanks and kernels (a few
   * hundred ms); doing it at load keeps that out of the first clip's latency.
   */
  private async warmUp(): Promise<void> {
    const { sampleRate, nFft } = this.featureConfig;
    resample(new Float32Array(256), sampleRate * 2, sampleRate);
    // One second of a quiet tone: enough frames for the hot loops to be compiled.
    const tone = Float32Array.from({ length: Math.max(sampleRate, nFft * 2) }, (_, i) => 0.01 * Math.sin(i / 7));
    const matrix = await this.featureMatrix(tone);
    // Unstandardized: warming up needs the kernels, not meaningful scores.
    await this.logits(matrix.data, matrix.validFrames);
  }

  /** Decodes one file and computes its raw features, timing both. */
  private async features(path: string, speaker: string): Promise<ClipFeatures> {
    const started = performance.now();
    const audio = await loadAudio(path, { targetSampleRate: this.featureConfig.sampleRate, maxDurationS: this.maxDurationS });
    const decoded = performance.now();
    const matrix = await this.featureMatrix(audio.samples);
    const featured = performance.now();
    return {
      path,
      data: matrix.data,
      validFrames: matrix.validFrames,
      speaker,
      durationS: audio.durationS,
      decodeMs: decoded - started,
      featuresMs: featured - decoded,
    };
  }

  /** A clip's raw features: computed here, or by the encoder in its worker thread. */
  private async featureMatrix(samples: Float32Array): Promise<FeatureMatrix> {
    if (!this.encoderWorker) return computeFeatureMatrix(samples, this.featureConfig);
    return await this.encoderWorker.matrix(samples, this.featureConfig);
  }

  /**
   * The clips standardised together as the checkpoint's normalisation says, each with its warning
   * if any, or the problem that keeps it from being predicted.
   */
  private standardize(clips: readonly ClipMatrix[]): Standardized[] {
    const { matrices, ownStatistics, globalStatistics } = normalizeClips(clips, this.normalizer, this.rows, this.frames);
    const own = new Set(ownStatistics);
    const global = new Set(globalStatistics);
    return matrices.map((data, i) => {
      if (global.has(i)) return { data, warning: TRAINING_STATISTICS_WARNING };
      if (!own.has(i)) return { data };
      return this.unknownSpeakerProblem ? { data, problem: this.unknownSpeakerProblem } : { data, warning: UNKNOWN_SPEAKER_WARNING };
    });
  }

  private async score(clip: ClipFeatures, standardized: Standardized): Promise<Prediction> {
    const started = performance.now();
    const scores = scoresFromLogits(await this.logits(usable(standardized), clip.validFrames), this.labels);
    const modelMs = performance.now() - started;
    return {
      path: clip.path,
      ...scores,
      durationS: clip.durationS,
      timingsMs: { decode: clip.decodeMs, features: clip.featuresMs, model: modelMs, total: clip.decodeMs + clip.featuresMs + modelMs },
      ...(standardized.warning && { warning: standardized.warning }),
    };
  }

  /** `action`'s result, or the file's PredictionFailure when it throws (a disposed predictor still throws). */
  private async attempt<T>(path: string, action: () => Promise<T>): Promise<T | PredictionFailure> {
    try {
      return await action();
    } catch (err) {
      if (this.disposed) throw err;
      return { path, error: describeError(err, path) };
    }
  }

  /** A masked model's frame mask comes from the clip's own length, `validFrames`; a classifier's logits are its log-probabilities. */
  private async logits(standardized: Float32Array, validFrames: number): Promise<Float32Array> {
    return await this.model.predictLogits({ x: standardized, count: 1, validFrames: Int32Array.of(validFrames) });
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('This EmotionPredictor has been disposed');
  }
}

/**
 * A checkpoint's encoder folder is missing or holds another model: a door can offer to choose the
 * folder where that model is now (`encoderDir` of PredictorLoadOptions).
 */
export class EncoderNeededError extends Error {}

/**
 * The encoder a checkpoint was trained with, read from `config.encoderDir` (the folder it records,
 * or where the user says it is now); refused with the file to provide when the folder is missing
 * or holds another model.
 */
export async function checkpointEncoder(manifest: CheckpointManifest, config: FeatureConfig, dir: string): Promise<EncoderFolder> {
  const recorded = manifest.encoder;
  if (!recorded)
    throw new Error(`Checkpoint ${dir} has encoder features but no encoder record in its manifest: retrain it with this version`);
  const expectedFile = join(config.encoderDir, recorded.file);
  const provide = `provide ${expectedFile} (${recorded.name}, sha256 ${recorded.sha256})`;
  let folder: EncoderFolder;
  try {
    folder = await openEncoderFolder(config.encoderDir, config.encoderDtype);
  } catch (err) {
    throw new EncoderNeededError(`Checkpoint ${dir} needs the encoder it was trained with: ${(err as Error).message}; ${provide}`, {
      cause: err,
    });
  }
  if (folder.file !== recorded.file || folder.sha256 !== recorded.sha256) {
    throw new EncoderNeededError(
      `Checkpoint ${dir} was trained with another encoder: ${join(folder.dir, folder.file)} has sha256 ${folder.sha256}; ${provide}`,
    );
  }
  return folder;
}

/** The feature config a checkpoint recorded, its encoder folder replaced by where it is now when given. */
export function withEncoderDir(config: FeatureConfig, encoderDir: string | undefined): FeatureConfig {
  return config.representation === 'encoder' && encoderDir !== undefined ? { ...config, encoderDir: resolve(encoderDir) } : config;
}

/**
 * The feature config the checkpoint was trained with, refused when today's feature code would compute
 * different features for it or when it does not fit the manifest's input shape and standardizer; and
 * the encoder folder, for encoder features.
 */
async function checkFeatureManifest(
  manifest: CheckpointManifest,
  dir: string,
  encoderDir: string | undefined,
): Promise<{ config: FeatureConfig; encoder: EncoderFolder | null }> {
  let config: FeatureConfig;
  try {
    config = withEncoderDir(storedFeatureConfig(manifest.featureConfig), encoderDir);
  } catch (err) {
    throw new Error(`Checkpoint ${dir} has an unusable featureConfig: ${(err as Error).message}`, { cause: err });
  }
  const encoder = config.representation === 'encoder' ? await checkpointEncoder(manifest, config, dir) : null;
  const identity: EncoderIdentity | undefined = encoder ? encoderIdentity(config, encoder) : undefined;
  const hash = featureConfigHash(config, identity);
  if (hash !== manifest.featureConfigHash) {
    throw new Error(
      `Checkpoint ${dir} was trained on features with hash ${manifest.featureConfigHash}, but this version of the ` +
        `feature code (v${FEATURE_VERSION}) gives hash ${hash} for the same config: the feature extraction has ` +
        `changed since training, so predictions would be wrong. Retrain the model with this version.`,
    );
  }
  const rows = featureRowCount(config, identity);
  const expectedShape = [rows, config.frames, 1];
  if (manifest.inputShape.join(',') !== expectedShape.join(',')) {
    throw new Error(
      `Checkpoint ${dir} is inconsistent: its featureConfig gives input [${expectedShape.join(', ')}] but the manifest says [${manifest.inputShape.join(', ')}]`,
    );
  }
  if (manifest.standardizer && manifest.standardizer.mean.length !== rows) {
    throw new Error(
      `Checkpoint ${dir} is inconsistent: its standardizer has ${manifest.standardizer.mean.length} rows but the features have ${rows}`,
    );
  }
  const globalStats = manifest.normalization.globalStats;
  if (globalStats && globalStats.mean.length !== rows) {
    throw new Error(
      `Checkpoint ${dir} is inconsistent: its training statistics (normalization.globalStats) have ${globalStats.mean.length} rows but the features have ${rows}`,
    );
  }
  return { config, encoder };
}

/** The frames before the trailing run of all-zero frames (computeFeatureMatrix's padding). */
function paddedFrom(data: Float32Array, rows: number, frames: number): number {
  for (let t = frames - 1; t >= 0; t--) {
    for (let r = 0; r < rows; r++) if (data[r * frames + t] !== 0) return t + 1;
  }
  return 0;
}

function describeError(err: unknown, path: string): { code: string; message: string } {
  if (err instanceof AudioError) return { code: err.code, message: err.message };
  return { code: 'prediction-failed', message: `${basename(path)}: ${err instanceof Error ? err.message : String(err)}` };
}
