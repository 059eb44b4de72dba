import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { featureConfigHash, featureRowCount, resolveFeatureConfig, type FeatureConfig } from '../../../main/features/config';
import { writeCheckpoint } from '../../../main/runs/checkpoints';
import type { CheckpointManifest, CheckpointName } from '../../../main/runs/types';

export const DEMO_DIR = fileURLToPath(new URL('../../../resources/demo-emodb', import.meta.url));
export const demoFile = (name: string): string => join(DEMO_DIR, name);

export const LABELS = ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'neutral', 'sadness'];
export const FEATURE_CONFIG: FeatureConfig = resolveFeatureConfig({ frames: 100 });
export const ROWS = featureRowCount(FEATURE_CONFIG);
export const FRAMES = FEATURE_CONFIG.frames;

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ser-inference-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Deterministic, varied weights in [-scale, scale) (a fixed sine pattern, no RNG). */
function patternedValues(size: number, offset: number, scale: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => scale * Math.sin(1.7 * (i + offset) + 0.3 * offset));
}

/** conv (strided) → flatten → dense logits on [ROWS, FRAMES, 1], with known weights. */
export function tinyModel(numClasses = LABELS.length, offset = 0): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [ROWS, FRAMES, 1], filters: 2, kernelSize: 3, strides: 4, activation: 'relu' }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: numClasses }));
  tf.tidy(() => model.setWeights(model.getWeights().map((w, i) => tf.tensor(patternedValues(w.size, i + offset, 0.3), w.shape))));
  return model;
}

export function manifestFor(overrides: Partial<CheckpointManifest> = {}): CheckpointManifest {
  return {
    labels: LABELS,
    featureConfig: FEATURE_CONFIG,
    featureConfigHash: featureConfigHash(FEATURE_CONFIG),
    // As checkpoints before manifest format 3: padding standardised like any frame.
    normalization: { mode: 'global', maskPadding: false },
    // Rough scale of librosa MFCCs: a large negative c0, smaller higher coefficients.
    standardizer: {
      mean: Array.from({ length: ROWS }, (_, r) => (r === 0 ? -300 : 0)),
      std: Array.from({ length: ROWS }, (_, r) => (r === 0 ? 100 : 20)),
    },
    modelName: 'tiny-conv',
    inputShape: [ROWS, FRAMES, 1],
    epoch: 3,
    backend: 'cpu',
    versions: { app: '0.1.0', tfjs: tf.version.tfjs, node: process.versions.node },
    createdAt: new Date(0).toISOString(),
    ...overrides,
  };
}

/** A checkpoint folder `dir/name` holding a tiny model and its manifest. */
export async function writeTinyCheckpoint(
  checkpointsDir: string,
  name: CheckpointName,
  options: { numClasses?: number; offset?: number; manifest?: Partial<CheckpointManifest> } = {},
): Promise<string> {
  const model = tinyModel(options.numClasses, options.offset);
  try {
    return await writeCheckpoint(checkpointsDir, name, model, manifestFor(options.manifest));
  } finally {
    model.dispose();
  }
}

/** A run folder with run.json and the checkpoints asked for; `best` and `final` differ in weights. */
export async function writeRun(root: string, checkpoints: CheckpointName[]): Promise<string> {
  const runDir = join(root, `run-${checkpoints.join('-') || 'empty'}`);
  await mkdir(join(runDir, 'checkpoints'), { recursive: true });
  await writeFile(join(runDir, 'run.json'), JSON.stringify({ id: 'test', status: 'done' }));
  for (const name of checkpoints) {
    await writeTinyCheckpoint(join(runDir, 'checkpoints'), name, {
      offset: name === 'best' ? 0 : 10,
      manifest: { epoch: name === 'best' ? 2 : 5 },
    });
  }
  return runDir;
}
