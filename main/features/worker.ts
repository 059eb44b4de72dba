/**
 * Feature worker: decode → mono → resample → feature matrix for one clip per message.
 * Runs inside a worker_threads Worker started by the extraction pool.
 */
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { loadAudio } from '../audio';
import { hashContent } from './cache';
import { computeFeatureMatrix } from './compute';
import type { FeatureConfig } from './config';

export interface FeatureTask {
  path: string;
  config: FeatureConfig;
  maxDurationS: number;
}

export type FeatureTaskResult =
  | {
      ok: true;
      data: Float32Array;
      validFrames: number;
      durationS: number;
      sampleRate: number;
      contentHash: string;
    }
  | { ok: false; reason: string };

export async function computeClipFeatures(task: FeatureTask): Promise<FeatureTaskResult> {
  try {
    const audio = await loadAudio(task.path, {
      targetSampleRate: task.config.sampleRate,
      maxDurationS: task.maxDurationS,
    });
    const contentHash = hashContent(await readFile(task.path));
    const matrix = computeFeatureMatrix(audio.samples, task.config);
    return {
      ok: true,
      data: matrix.data,
      validFrames: matrix.validFrames,
      durationS: audio.durationS,
      sampleRate: audio.originalSampleRate,
      contentHash,
    };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', async (message: { id: number; task: FeatureTask }) => {
    const result = await computeClipFeatures(message.task);
    port.postMessage({ id: message.id, result }, result.ok ? [result.data.buffer as ArrayBuffer] : []);
  });
}
