/**
 * Emotion prediction with a trained checkpoint: audio file → decode and resample → feature matrix →
 * the checkpoint's standardizer → model logits → softmax, the same path the training data took.
 */
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AudioError, loadAudio, resample } from '../../audio';
import { computeFeatureMatrix } from '../../features/compute';
import { FEATURE_VERSION, featureConfigHash, featureRowCount, resolveFeatureConfig, type FeatureConfig } from '../../features/config';
import { applyStandardizer } from '../../features/standardize';
import { loadCheckpoint } from '../../models/checkpoint';
import { modelInputs } from '../../models/mask';
import type { CheckpointManifest, CheckpointName } from '../../runs/types';
import { resolveCheckpoint, type CheckpointSource } from './resolve';
import { scoresFromLogits, type Scores } from './scores';

export interface Prediction extends Scores {
  path: string;
  /** Duration of the original recording. */
  durationS: number;
  /** decode includes resampling; features includes standardization. */
  timingsMs: { decode: number; features: number; model: number; total: number };
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
}

export interface PredictManyOptions {
  /** Called as each file is done, in order. */
  onResult?: (result: PredictionResult, index: number) => void;
}

/**
 * A raw (unstandardized) feature matrix, [rows][frames] row-major, as computeFeatureMatrix returns
 * it. Without validFrames, trailing all-zero frames are taken for the zero padding
 * computeFeatureMatrix adds.
 */
export type FeatureMatrixInput = Float32Array | { data: Float32Array; rows: number; frames: number; validFrames?: number };

export function isPredictionFailure(result: PredictionResult): result is PredictionFailure {
  return 'error' in result;
}

export class EmotionPredictor {
  readonly labels: readonly string[];
  readonly featureConfig: FeatureConfig;
  readonly rows: number;
  readonly frames: number;
  private disposed = false;

  private constructor(
    private readonly model: tf.LayersModel,
    readonly manifest: CheckpointManifest,
    readonly source: CheckpointSource,
    featureConfig: FeatureConfig,
    private readonly maxDurationS: number | undefined,
  ) {
    this.labels = Object.freeze([...manifest.labels]);
    this.featureConfig = featureConfig;
    this.rows = featureRowCount(featureConfig);
    this.frames = featureConfig.frames;
  }

  /** Loads from a run folder (see PredictorLoadOptions.checkpoint) or a checkpoint folder. */
  static async load(runOrCheckpointPath: string, options: PredictorLoadOptions = {}): Promise<EmotionPredictor> {
    const source = await resolveCheckpoint(runOrCheckpointPath, options.checkpoint);
    const { model, manifest } = await loadCheckpoint(source.dir);
    try {
      const featureConfig = checkFeatureManifest(manifest, source.dir);
      const predictor = new EmotionPredictor(model, manifest, source, featureConfig, options.maxDurationS);
      predictor.warmUp();
      return predictor;
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  async predict(path: string): Promise<Prediction> {
    this.assertUsable();
    const started = performance.now();
    const audio = await loadAudio(path, { targetSampleRate: this.featureConfig.sampleRate, maxDurationS: this.maxDurationS });
    const decoded = performance.now();
    const matrix = computeFeatureMatrix(audio.samples, this.featureConfig);
    const standardized = this.standardize(matrix.data);
    const featured = performance.now();
    const scores = scoresFromLogits(this.logits(standardized, matrix.validFrames), this.labels);
    const done = performance.now();
    return {
      path,
      ...scores,
      durationS: audio.durationS,
      timingsMs: { decode: decoded - started, features: featured - decoded, model: done - featured, total: done - started },
    };
  }

  /** Predicts each file in turn; a file that fails gives a PredictionFailure and the others go on. */
  async predictMany(paths: readonly string[], options: PredictManyOptions = {}): Promise<PredictionResult[]> {
    this.assertUsable();
    const results: PredictionResult[] = [];
    for (const [index, path] of paths.entries()) {
      let result: PredictionResult;
      try {
        result = await this.predict(path);
      } catch (err) {
        if (this.disposed) throw err;
        result = { path, error: describeError(err, path) };
      }
      results.push(result);
      options.onResult?.(result, index);
    }
    return results;
  }

  /** Scores an unstandardized feature matrix computed with this predictor's featureConfig. */
  predictFeatures(matrix: FeatureMatrixInput): Scores {
    this.assertUsable();
    const data = matrix instanceof Float32Array ? matrix : matrix.data;
    if (!(matrix instanceof Float32Array) && (matrix.rows !== this.rows || matrix.frames !== this.frames)) {
      throw new Error(`Feature matrix is ${matrix.rows}×${matrix.frames} but the model expects ${this.rows}×${this.frames}`);
    }
    if (data.length !== this.rows * this.frames) {
      throw new Error(
        `Feature matrix has ${data.length} values but the model expects ${this.rows}×${this.frames} = ${this.rows * this.frames}`,
      );
    }
    const validFrames = matrix instanceof Float32Array || matrix.validFrames === undefined ? paddedFrom(data, this.rows, this.frames) : matrix.validFrames;
    return scoresFromLogits(this.logits(this.standardize(data), validFrames), this.labels);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }

  /**
   * The first resample, feature matrix and model run build tables, filterbanks and kernels (a few
   * hundred ms); doing it at load keeps that out of the first clip's latency.
   */
  private warmUp(): void {
    const { sampleRate, nFft } = this.featureConfig;
    resample(new Float32Array(256), sampleRate * 2, sampleRate);
    // One second of a quiet tone: enough frames for the hot loops to be compiled.
    const tone = Float32Array.from({ length: Math.max(sampleRate, nFft * 2) }, (_, i) => 0.01 * Math.sin(i / 7));
    const matrix = computeFeatureMatrix(tone, this.featureConfig);
    this.logits(this.standardize(matrix.data), matrix.validFrames);
  }

  private standardize(data: Float32Array): Float32Array {
    return applyStandardizer(data, this.manifest.standardizer, this.rows, this.frames);
  }

  /** A masked model's frame mask comes from the clip's own length, `validFrames`. */
  private logits(standardized: Float32Array, validFrames: number): Float32Array {
    // apply (as training's evaluation does) skips predict's per-call batching and checks.
    const output = tf.tidy(() => {
      const features = tf.tensor4d(standardized, [1, this.rows, this.frames, 1]);
      return this.model.apply(modelInputs(this.model, features, [validFrames]), { training: false }) as tf.Tensor;
    });
    try {
      return output.dataSync() as Float32Array;
    } finally {
      output.dispose();
    }
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('This EmotionPredictor has been disposed');
  }
}

/**
 * The feature config the checkpoint was trained with, refused when today's feature code would compute
 * different features for it or when it does not fit the manifest's input shape and standardizer.
 */
function checkFeatureManifest(manifest: CheckpointManifest, dir: string): FeatureConfig {
  let config: FeatureConfig;
  try {
    config = resolveFeatureConfig(manifest.featureConfig as Partial<FeatureConfig>);
  } catch (err) {
    throw new Error(`Checkpoint ${dir} has an unusable featureConfig: ${(err as Error).message}`, { cause: err });
  }
  const hash = featureConfigHash(config);
  if (hash !== manifest.featureConfigHash) {
    throw new Error(
      `Checkpoint ${dir} was trained on features with hash ${manifest.featureConfigHash}, but this version of the ` +
        `feature code (v${FEATURE_VERSION}) gives hash ${hash} for the same config: the feature extraction has ` +
        `changed since training, so predictions would be wrong. Retrain the model with this version.`,
    );
  }
  const rows = featureRowCount(config);
  const expectedShape = [rows, config.frames, 1];
  if (manifest.inputShape.join(',') !== expectedShape.join(',')) {
    throw new Error(
      `Checkpoint ${dir} is inconsistent: its featureConfig gives input [${expectedShape.join(', ')}] but the manifest says [${manifest.inputShape.join(', ')}]`,
    );
  }
  if (manifest.standardizer.mean.length !== rows) {
    throw new Error(
      `Checkpoint ${dir} is inconsistent: its standardizer has ${manifest.standardizer.mean.length} rows but the features have ${rows}`,
    );
  }
  return config;
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
