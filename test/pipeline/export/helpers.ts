/** Shared by the export tests: the optional outside tools (onnxruntime-node, Debian's python3-onnx) and test clips. */
import { expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadAudio } from '../../../main/audio';
import { computeFeatureMatrix } from '../../../main/features/compute';
import { applyStandardizer } from '../../../main/features/standardize';
import { createModel, type NetworkModelName as ModelName } from '../../../main/models';
import { writeCheckpoint } from '../../../main/runs/checkpoints';
import type { CheckpointName } from '../../../main/runs/types';
import { demoFile, FEATURE_CONFIG, FRAMES, LABELS, manifestFor, ROWS } from '../inference/helpers';

/** The part of onnxruntime-node the tests use, declared here so typechecking does not need the optional package. */
export interface OrtTensor {
  dims: readonly number[];
  data: unknown;
}
export interface OrtSession {
  inputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface Ort {
  InferenceSession: { create(path: string): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
}

const ORT_PACKAGE = 'onnxruntime-node';

/** onnxruntime-node, or why it cannot be used here (it is an optional dependency with a native binary). */
export async function loadOnnxRuntime(): Promise<{ ort: Ort } | { reason: string }> {
  try {
    const ort = (await import(/* @vite-ignore */ ORT_PACKAGE)) as Partial<Ort> & { default?: Ort };
    return { ort: ort.InferenceSession ? (ort as Ort) : ort.default! };
  } catch (err) {
    return { reason: `onnxruntime-node cannot be loaded: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** A Python that imports the onnx package (Debian's python3-onnx is in /usr/bin), or why there is none. */
export function findOnnxPython(): { python: string } | { reason: string } {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' });
    if (probe.status === 0) return { python };
  }
  return { reason: 'no python3 with the onnx package (Debian: apt install python3-onnx)' };
}

/** Runs onnx.checker.check_model (full check: shape inference too) on a file; '' when it passes, else its message. */
export function onnxCheckerProblem(python: string, file: string): string {
  const script = 'import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)';
  const result = spawnSync(python, ['-c', script, file], { encoding: 'utf8' });
  return result.status === 0 ? '' : (result.stderr.trim().split('\n').at(-1) ?? `exit ${result.status}`);
}

export const TEST_CLIPS = ['03a01Wa.wav', '03a02Nc.wav', '03a04Ad.wav'];

/** The test clips' standardised feature matrices (global statistics of manifestFor), as a batch. */
export async function testClipFeatures(): Promise<{ x: Float32Array; validFrames: Int32Array; count: number }> {
  const { standardizer } = manifestFor();
  const x = new Float32Array(TEST_CLIPS.length * ROWS * FRAMES);
  const validFrames = new Int32Array(TEST_CLIPS.length);
  for (const [i, name] of TEST_CLIPS.entries()) {
    const audio = await loadAudio(demoFile(name), { targetSampleRate: FEATURE_CONFIG.sampleRate });
    const matrix = computeFeatureMatrix(audio.samples, FEATURE_CONFIG);
    x.set(applyStandardizer(matrix.data, standardizer!, ROWS, FRAMES, matrix.validFrames), i * ROWS * FRAMES);
    validFrames[i] = matrix.validFrames;
  }
  return { x, validFrames, count: TEST_CLIPS.length };
}

/**
 * A zoo model with seeded random weights whose batch-norm statistics are not the identity
 * (a fresh model's are 0 and 1, which would test nothing), saved as a checkpoint of a run.
 */
export async function writeZooCheckpoint(runDir: string, modelName: ModelName, checkpoint: CheckpointName, seed: number): Promise<void> {
  await mkdir(join(runDir, 'checkpoints'), { recursive: true });
  await writeFile(join(runDir, 'run.json'), JSON.stringify({ id: 'export-test', status: 'done' }));
  const model = createModel(modelName, { inputShape: [ROWS, FRAMES, 1], numClasses: LABELS.length, seed });
  try {
    tf.tidy(() => {
      const weights = model.weights.map((w, i) => {
        const value = w.read();
        if (w.name.endsWith('moving_mean')) return tf.randomUniform(value.shape, -0.3, 0.3, 'float32', seed * 100 + i);
        if (w.name.endsWith('moving_variance')) return tf.randomUniform(value.shape, 0.5, 2, 'float32', seed * 100 + i);
        if (w.name.endsWith('gamma')) return tf.randomUniform(value.shape, 0.7, 1.3, 'float32', seed * 100 + i);
        if (w.name.endsWith('beta')) return tf.randomUniform(value.shape, -0.2, 0.2, 'float32', seed * 100 + i);
        return value;
      });
      model.setWeights(weights);
    });
    await writeCheckpoint(
      join(runDir, 'checkpoints'),
      checkpoint,
      model,
      manifestFor({ modelName, normalization: { mode: 'global', maskPadding: true } }),
    );
  } finally {
    model.dispose();
  }
}

/** The largest absolute difference between two arrays of the same length. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
