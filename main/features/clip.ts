/**
 * One clip's features, as the extraction workers compute them: read → hash → decode → mono →
 * resample → feature matrix. Also run on the extracting thread itself while its workers start.
 */
import { loadAudioBytes, readAudioFileSync } from '../audio';
import { hashContent } from './cache';
import type { FeatureMatrix } from './compute';
import { isPlainMfcc, type FeatureConfig } from './config';
import type { EncoderFolder } from './encoder/folder';
import { mfccMatrix } from './mfcc';

export interface FeatureTask {
  path: string;
  config: FeatureConfig;
  maxDurationS: number;
  /** Speed perturbation factor (1 = none); see speedPerturbedRate. */
  speed?: number;
  /** The encoder folder, read by the extracting thread, for the encoder representation. */
  encoder?: EncoderFolder;
}

/** Several clips with the same config: one message to the worker, one answer with every result. */
export interface FeatureBatch {
  paths: string[];
  config: FeatureConfig;
  maxDurationS: number;
  speed?: number;
  encoder?: EncoderFolder;
}

/**
 * Kaldi-style speed perturbation (sox `speed`): the clip is resampled to sampleRate / speed and
 * its samples read at sampleRate, so tempo and pitch both change by the factor and the length by
 * 1 / speed. Done by the one resampling step decoding already does, to this rate (rounded to whole
 * Hz: 22050 / 1.1 becomes 20045, a factor off by 2e-5).
 */
export function speedPerturbedRate(sampleRate: number, speed: number): number {
  return speed === 1 ? sampleRate : Math.round(sampleRate / speed);
}

export type FeatureTaskResult =
  | {
      ok: true;
      data: Float32Array;
      validFrames: number;
      durationS: number;
      sampleRate: number;
      contentHash: string;
      /** What the features of this clip do not describe ("no voiced frame", …); absent for an ordinary clip. */
      note?: string;
    }
  | { ok: false; reason: string };

// Scratch for one clip at a time: the file's bytes and its decoded samples. Touching fresh memory
// is slow (page faults), so clip after clip reuses the same memory. A call takes the scratch for
// itself until it returns (decoding can await, and another call may run meanwhile: it gets fresh
// memory). Each buffer grows to the largest clip seen, up to SCRATCH_LIMIT_BYTES.
const SCRATCH_LIMIT_BYTES = 16 * 1024 * 1024;

interface Scratch {
  bytes: Uint8Array<ArrayBufferLike>;
  samples: Float32Array<ArrayBufferLike>;
}

let idleScratch: Scratch | null = null;

/** `used` when it is larger than `scratch` and not too large to keep, else `scratch`. */
function keepLarger<T extends Uint8Array<ArrayBufferLike> | Float32Array<ArrayBufferLike>>(scratch: T, used: T): T {
  return used.buffer !== scratch.buffer && used.length > scratch.length && used.byteLength <= SCRATCH_LIMIT_BYTES ? used : scratch;
}

export async function computeClipFeatures(task: FeatureTask): Promise<FeatureTaskResult> {
  const speed = task.speed ?? 1;
  const scratch = idleScratch ?? { bytes: new Uint8Array(0), samples: new Float32Array(0) };
  idleScratch = null;
  try {
    // The file is read once (its header checked against maxDurationS before the body is read):
    // the same bytes are hashed and decoded. Synchronous reads: a worker has nothing else to do.
    const bytes = readAudioFileSync(task.path, task.maxDurationS, scratch.bytes);
    scratch.bytes = keepLarger(scratch.bytes, bytes);
    const contentHash = hashContent(bytes);
    const audio = await loadAudioBytes(bytes, task.path, {
      targetSampleRate: speedPerturbedRate(task.config.sampleRate, speed),
      maxDurationS: task.maxDurationS,
      sampleBuffer: scratch.samples,
    });
    scratch.samples = keepLarger(scratch.samples, audio.samples);
    const matrix = await featureMatrix(audio.samples, task.config, task.encoder);
    return {
      ok: true,
      data: matrix.data,
      validFrames: matrix.validFrames,
      durationS: audio.durationS / speed,
      sampleRate: audio.originalSampleRate,
      contentHash,
      ...(matrix.notes && matrix.notes.length > 0 ? { note: matrix.notes.join('; ') } : {}),
    };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    // Another call may have put its scratch back meanwhile: keep the larger.
    const idle = idleScratch as Scratch | null;
    if (!idle || scratch.bytes.byteLength + scratch.samples.byteLength > idle.bytes.byteLength + idle.samples.byteLength) {
      idleScratch = scratch;
    }
  }
}

/**
 * computeFeatureMatrix, for plain librosa MFCC straight from mfcc.ts: the full version
 * (compute.ts) brings in Meyda, whose loading would add tens of milliseconds to every worker's
 * start; it is loaded on the first clip that needs it, and onnxruntime on the first encoder clip.
 */
async function featureMatrix(
  samples: Float32Array,
  cfg: FeatureConfig,
  encoder: EncoderFolder | undefined,
): Promise<Pick<FeatureMatrix, 'data' | 'validFrames' | 'notes'>> {
  if (cfg.representation === 'encoder') {
    if (!encoder) throw new Error('the encoder representation needs its folder read first');
    const { encoderMatrix } = await import('./encoder/index');
    return await encoderMatrix(samples, cfg, encoder);
  }
  if (isPlainMfcc(cfg)) {
    const { sampleRate, nFft, hopLength, nMels, nMfcc, fmin, fmax } = cfg;
    return mfccMatrix(samples, { sampleRate, nFft, hopLength, nMels, nMfcc, fmin, fmax }, cfg.frames);
  }
  const { computeFeatureMatrix } = await import('./compute');
  return computeFeatureMatrix(samples, cfg);
}

export async function computeBatchFeatures(batch: FeatureBatch): Promise<FeatureTaskResult[]> {
  const results: FeatureTaskResult[] = [];
  for (const path of batch.paths) {
    results.push(
      await computeClipFeatures({
        path,
        config: batch.config,
        maxDurationS: batch.maxDurationS,
        speed: batch.speed,
        encoder: batch.encoder,
      }),
    );
  }
  return results;
}
