import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunInit, ManifestInput } from '../../main/runs/store';

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ser-runs-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A tiny classifier: 4 inputs → 3 classes. */
export function smallModel(seed = 1): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [4], units: 5, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  return model;
}

export const sampleInput = (): tf.Tensor2D => tf.tensor2d([[0.1, -0.4, 2, 0.7], [1, 1, -1, 0]]);

export function predict(model: tf.LayersModel): number[][] {
  return tf.tidy(() => (model.predict(sampleInput()) as tf.Tensor2D).arraySync());
}

export const versions = { app: '0.1.0', tfjs: tf.version.tfjs, node: process.versions.node };

export function runInit(name = 'seed-cnn emodb'): RunInit {
  return {
    name,
    config: { epochs: 3, batchSize: 8 },
    dataset: { root: '/data/emodb', scheme: 'emodb', fingerprint: 'abc123', clips: 535, labels: ['anger', 'happiness', 'sadness'] },
    split: { kind: 'speaker', test: ['03', '08'] },
    seed: 42,
    backend: { name: 'cpu' },
    versions,
  };
}

export function manifest(epoch: number, overrides: Partial<ManifestInput> = {}): ManifestInput {
  return {
    labels: ['anger', 'happiness', 'sadness'],
    featureConfig: { kind: 'mfcc', nMfcc: 40 },
    featureConfigHash: 'f00d',
    standardizer: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1] },
    modelName: 'tiny-dense',
    inputShape: [4],
    epoch,
    backend: 'cpu',
    versions,
    ...overrides,
  };
}
