/**
 * Feature worker: computes the features of a batch of clips per message (one message per clip
 * costs more than a short clip's features); the work itself is in clip.ts. It also analyses single
 * clips for the clip viewer, so that decoding a long or hostile file never blocks the thread that
 * answers requests. Runs inside a worker_threads Worker started by a WorkerPool; the main thread
 * imports only types from here (importing it would install the message handler there too).
 */
import { parentPort } from 'node:worker_threads';
import { loadAudio, serializeError, type SerializedError } from '../audio';
import { computeBatchFeatures, type FeatureBatch } from './clip';
import { computeFeatureMatrix, spectrogramOptions, type FeatureMatrix } from './compute';
import type { FeatureConfig } from './config';
import type { EncoderFolder } from './encoder/folder';
import type { EncoderRuntimeReport } from './encoder/index';
import { logMelSpectrogram } from './mfcc';

export { computeBatchFeatures, computeClipFeatures } from './clip';
export type { FeatureBatch, FeatureTask, FeatureTaskResult } from './clip';

/** Opens the encoder's session in this worker (kept for the clips to come) and says what it gives. */
export interface EncoderCheckTask {
  encoderCheck: { folder: EncoderFolder; layer: number };
}

export type EncoderCheckResult = { ok: true; report: EncoderRuntimeReport } | { ok: false; reason: string };

/** One clip's encoder features from its samples (the predictor's clips: encoder/remote.ts). */
export interface EncoderClipTask {
  encoderClip: { samples: Float32Array; config: FeatureConfig; folder: EncoderFolder };
}

export type EncoderClipResult = { ok: true; matrix: FeatureMatrix } | { ok: false; reason: string };

export interface ClipAnalysisTask {
  clipView: { path: string; config: FeatureConfig };
}

export interface ClipAnalysis {
  /** Mono samples at config.sampleRate. */
  samples: Float32Array;
  durationS: number;
  originalSampleRate: number;
  originalChannels: number;
  /** Log-mel power (dB), row-major nMels x frames. */
  melDb: { data: Float64Array; rows: number; frames: number };
  /** The feature matrix the model sees, before standardisation. */
  features: { data: Float32Array; rows: number; frames: number };
}

export type ClipAnalysisResult = ({ ok: true } & ClipAnalysis) | { ok: false; error: SerializedError };

/** Mel bands of the viewer's spectrogram at least. */
const VIEW_MEL_BANDS = 128;

/** What the clip viewer shows about one clip, computed with the training pipeline's code. */
export async function analyseClip(path: string, config: FeatureConfig): Promise<ClipAnalysis> {
  const audio = await loadAudio(path, { targetSampleRate: config.sampleRate });
  // The picture keeps 128 bands however few the model's features have.
  const mel = logMelSpectrogram(audio.samples, spectrogramOptions({ ...config, nMels: Math.max(config.nMels, VIEW_MEL_BANDS) }));
  // Auto frames (0): the viewer shows the whole clip.
  const features = computeFeatureMatrix(audio.samples, config.frames > 0 ? config : { ...config, frames: mel.frames });
  return {
    samples: audio.samples,
    durationS: audio.durationS,
    originalSampleRate: audio.originalSampleRate,
    originalChannels: audio.originalChannels,
    melDb: { data: mel.data, rows: mel.rows, frames: mel.frames },
    features: { data: features.data, rows: features.rows, frames: features.frames },
  };
}

async function answerClipAnalysis(task: ClipAnalysisTask): Promise<{ result: ClipAnalysisResult; transfer: ArrayBuffer[] }> {
  try {
    const analysis = await analyseClip(task.clipView.path, task.clipView.config);
    const buffers = [analysis.samples.buffer, analysis.melDb.data.buffer, analysis.features.data.buffer] as ArrayBuffer[];
    return { result: { ok: true, ...analysis }, transfer: [...new Set(buffers)] };
  } catch (err) {
    return { result: { ok: false, error: serializeError(err) }, transfer: [] };
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', async (message: { id: number; task: FeatureBatch | ClipAnalysisTask | EncoderCheckTask | EncoderClipTask }) => {
    if ('encoderCheck' in message.task) {
      const { folder, layer } = message.task.encoderCheck;
      const { checkEncoder } = await import('./encoder/index');
      const result: EncoderCheckResult = await checkEncoder(folder, layer).then(
        (report) => ({ ok: true as const, report }),
        (err: unknown) => ({ ok: false as const, reason: err instanceof Error ? err.message : String(err) }),
      );
      port.postMessage({ id: message.id, result });
      return;
    }
    if ('encoderClip' in message.task) {
      const { samples, config, folder } = message.task.encoderClip;
      const { encoderMatrix } = await import('./encoder/index');
      const result: EncoderClipResult = await encoderMatrix(samples, config, folder).then(
        (matrix) => ({ ok: true as const, matrix }),
        (err: unknown) => ({ ok: false as const, reason: err instanceof Error ? err.message : String(err) }),
      );
      port.postMessage({ id: message.id, result }, result.ok ? [result.matrix.data.buffer as ArrayBuffer] : []);
      return;
    }
    if ('clipView' in message.task) {
      const { result, transfer } = await answerClipAnalysis(message.task);
      port.postMessage({ id: message.id, result }, transfer);
      return;
    }
    const results = await computeBatchFeatures(message.task);
    const transfer = results.flatMap((r) => (r.ok ? [r.data.buffer as ArrayBuffer] : []));
    port.postMessage({ id: message.id, result: results }, transfer);
  });
}
