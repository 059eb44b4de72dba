import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildEvaluationReport, type EvaluationReport } from '../../main/evaluation/report';
import { DEFAULT_FEATURE_CONFIG } from '../../main/features/config';
import type { RunInit, ManifestInput } from '../../main/runs/store';
import { resolveTrainingConfig } from '../../main/training/config';

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
    config: { training: resolveTrainingConfig({ epochs: 3, batchSize: 8 }), features: { ...DEFAULT_FEATURE_CONFIG } },
    dataset: { root: '/data/emodb', scheme: 'emodb', fingerprint: 'abc123', clips: 535, labels: ['anger', 'happiness', 'sadness'] },
    split: {
      kind: 'speaker',
      leaksSpeakers: false,
      seed: 42,
      train: ['10a01Wa'],
      val: ['09a01Wa'],
      test: ['03a01Wa', '08a01Wa'],
      speakers: { train: ['10'], val: ['09'], test: ['03', '08'] },
      description: 'speaker-independent split',
    },
    seed: 42,
    backend: { name: 'cpu', tfBackend: 'cpu', skipped: [], version: '@tensorflow/tfjs-core' },
    versions,
  };
}

export function manifest(epoch: number, overrides: Partial<ManifestInput> = {}): ManifestInput {
  return {
    labels: ['anger', 'happiness', 'sadness'],
    featureConfig: { ...DEFAULT_FEATURE_CONFIG },
    featureConfigHash: 'f00d',
    normalization: { mode: 'global', maskPadding: true },
    standardizer: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1] },
    modelName: 'tiny-dense',
    inputShape: [4],
    epoch,
    backend: 'cpu',
    versions,
    ...overrides,
  };
}

/** A small but complete evaluation report over two clips. */
export function evaluationReport(checkpoint: string): EvaluationReport {
  const labels = ['anger', 'happiness', 'sadness'];
  const predictions = [
    { clipId: 'c1', path: '/data/c1.wav', speaker: '03', trueLabel: 'anger', predictedLabel: 'anger', confidence: 0.7, probabilities: [0.7, 0.2, 0.1] },
    { clipId: 'c2', path: '/data/c2.wav', speaker: '08', trueLabel: 'sadness', predictedLabel: 'anger', confidence: 0.5, probabilities: [0.5, 0.1, 0.4] },
  ];
  return buildEvaluationReport({
    checkpoint,
    labels,
    clips: predictions.map((p) => ({ id: p.clipId, path: p.path, speaker: p.speaker, label: p.trueLabel })),
    probabilities: Float32Array.from(predictions.flatMap((p) => p.probabilities)),
    dataset: { root: '/data', scheme: 'emodb', part: 'test' },
    splitDescription: 'speaker-independent split',
    leaksSpeakers: false,
    seed: 1,
  });
}
