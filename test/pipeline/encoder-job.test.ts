/**
 * Training on the tiny encoder's features (scripts/make-tiny-encoder.py) end to end: a classical
 * model on the pooled vectors and crnn on the frames, the encoder's provenance in run.json and the
 * checkpoints, and predict with the encoder, refused with the file to provide when the encoder
 * folder is gone or holds another model.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../cli/run-cli';
import { TINY, TINY_LAST_ONLY } from '../features/encoder/helpers';

const { runTrainingJob } = await import('../../main/pipeline/job');
const { resolveTrainingConfig } = await import('../../main/training/config');
const { EmotionPredictor } = await import('../../main/pipeline/inference/predictor');
const { evaluateCheckpoint } = await import('../../main/pipeline/evaluateCheckpoint');
const { EncoderSession } = await import('../../main/features/encoder/session');

const work = mkdtempSync(join(tmpdir(), 'ser-encoder-job-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CACHE = join(work, 'cache');
const ENCODER = join(work, 'tiny-wav2vec2');
cpSync(TINY, ENCODER, { recursive: true });
const CLIP = resolve('resources/demo-emodb/03a01Wa.wav');

async function train(model: string, features: Record<string, unknown>, runsDir: string) {
  const logs: string[] = [];
  const result = await runTrainingJob({
    datasetRoot: resolve('resources/demo-emodb'),
    config: resolveTrainingConfig({
      model,
      preset: 'quick',
      epochs: 1,
      batchSize: 16,
      seed: 3,
      split: { kind: 'speaker', testSpeakers: ['03', '08'], valSpeakers: ['09'] },
      classifier: { innerFolds: 3 },
    }),
    featureConfig: { representation: 'encoder', encoderDir: ENCODER, ...features },
    cacheRoot: CACHE,
    runsDir,
    backend: 'cpu',
    onEvent: (event) => {
      if (event.type === 'log') logs.push(event.message);
    },
  });
  return { result, logs };
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('a run on encoder features', () => {
  it('a classical model on the pooled vectors: run.json and both checkpoints record the encoder; predict uses it', async () => {
    const { result, logs } = await train('logreg', {}, join(work, 'logreg'));
    expect(result.status).toBe('done');
    expect(logs.find((line) => line.startsWith('encoder: '))).toMatch(
      /^encoder: ser-workbench\/tiny-wav2vec2 \(random weights, for tests\) \(onnx\/model\.onnx, sha256 [0-9a-f]{12}\), layer 2 of 2 \(last_hidden_state: the last layer\), on cpu$/,
    );
    const record = json(join(result.runDir, 'run.json'));
    const provenance = {
      name: 'ser-workbench/tiny-wav2vec2 (random weights, for tests)',
      file: 'onnx/model.onnx',
      layer: 2,
      hiddenSize: 32,
      dir: ENCODER,
    };
    expect(record.encoder).toMatchObject({ ...provenance, provider: { name: 'cpu' } });
    expect(record.config.features).toMatchObject({ representation: 'encoder', encoderDir: ENCODER, frames: 1 });
    for (const checkpoint of ['best', 'final']) {
      const manifest = json(join(result.runDir, 'checkpoints', checkpoint, 'manifest.json'));
      expect(manifest.encoder).toMatchObject(provenance);
      expect(manifest.inputShape).toEqual([64, 1, 1]);
    }
    const predictor = await EmotionPredictor.load(result.runDir);
    try {
      const prediction = await predictor.predict(CLIP);
      expect(Object.values(prediction.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      predictor.dispose();
    }
  });

  it('crnn on the frames (masked), with the layer chosen', async () => {
    const { result } = await train('crnn', { encoderPooling: 'frames', encoderLayer: 1, frames: 0 }, join(work, 'crnn'));
    expect(result.status).toBe('done');
    const manifest = json(join(result.runDir, 'checkpoints', 'final', 'manifest.json'));
    // 32 dimensions of hidden_states.1 over frames for the longest demo clip (50 per second).
    expect(manifest.inputShape[0]).toBe(32);
    expect(manifest.inputShape[1]).toBeGreaterThanOrEqual(100);
    expect(manifest.encoder).toMatchObject({ layer: 1, layerNote: 'layer 1 of 2 (hidden_states.1)' });
    const predictor = await EmotionPredictor.load(result.runDir);
    try {
      expect(predictor.labels).toContain((await predictor.predict(CLIP)).emotion);
    } finally {
      predictor.dispose();
    }
  });

  it('predict refuses a checkpoint whose encoder folder is missing or holds another model, naming the file to provide', async () => {
    const runsDir = join(work, 'logreg');
    const runDir = join(runsDir, (await import('node:fs')).readdirSync(runsDir)[0]!);
    const sha = json(join(runDir, 'run.json')).encoder.sha256 as string;
    const provide = `provide ${join(ENCODER, 'onnx/model.onnx')} (ser-workbench/tiny-wav2vec2 (random weights, for tests), sha256 ${sha})`;
    const moved = `${ENCODER}-moved`;
    cpSync(ENCODER, moved, { recursive: true });
    rmSync(ENCODER, { recursive: true });
    try {
      await expect(EmotionPredictor.load(runDir)).rejects.toThrow(
        `needs the encoder it was trained with: ${ENCODER}: missing: expected an encoder folder holding config.json, preprocessor_config.json and onnx/model.onnx, as a Hugging Face ONNX export has; ${provide}`,
      );
      // Another export (the same weights without hidden states) in its place.
      cpSync(TINY_LAST_ONLY, ENCODER, { recursive: true });
      await expect(EmotionPredictor.load(runDir)).rejects.toThrow(
        new RegExp(
          `was trained with another encoder: ${join(ENCODER, 'onnx/model.onnx')} has sha256 [0-9a-f]{64}; ${provide.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
        ),
      );
    } finally {
      rmSync(ENCODER, { recursive: true, force: true });
      cpSync(moved, ENCODER, { recursive: true });
    }
  });

  it('predict and evaluate take the folder where the encoder is now, only when it holds the recorded model', async () => {
    const runsDir = join(work, 'logreg');
    const runDir = join(runsDir, (await import('node:fs')).readdirSync(runsDir)[0]!);
    const sha = json(join(runDir, 'run.json')).encoder.sha256 as string;
    const moved = join(work, 'elsewhere', 'tiny-wav2vec2');
    cpSync(ENCODER, moved, { recursive: true });
    rmSync(ENCODER, { recursive: true });
    try {
      const predictor = await EmotionPredictor.load(runDir, { encoderDir: moved });
      try {
        expect(predictor.labels).toContain((await predictor.predict(CLIP)).emotion);
      } finally {
        predictor.dispose();
      }
      const evaluation = await evaluateCheckpoint(runDir, { cacheRoot: CACHE, backend: 'cpu', encoderDir: moved });
      expect(evaluation.report.metrics.n).toBeGreaterThan(0);
      await expect(evaluateCheckpoint(runDir, { cacheRoot: CACHE, backend: 'cpu' })).rejects.toThrow(
        `needs the encoder it was trained with: ${ENCODER}: missing`,
      );
      // Another model in the folder given: refused, naming the file and the hash to provide.
      const other = `provide ${join(TINY_LAST_ONLY, 'onnx/model.onnx')} (ser-workbench/tiny-wav2vec2 (random weights, for tests), sha256 ${sha})`;
      await expect(EmotionPredictor.load(runDir, { encoderDir: TINY_LAST_ONLY })).rejects.toThrow(other);
      await expect(evaluateCheckpoint(runDir, { cacheRoot: CACHE, backend: 'cpu', encoderDir: TINY_LAST_ONLY })).rejects.toThrow(other);

      const cli = await runCli(['predict', runDir, CLIP, '--encoder-dir', moved, '--backend', 'cpu', '--json']);
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).results[0].emotion).toBeTruthy();
      const refused = await runCli(['predict', runDir, CLIP, '--encoder-dir', TINY_LAST_ONLY, '--backend', 'cpu']);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain(other);
      const evaluated = await runCli(['evaluate', runDir, '--encoder-dir', moved, '--cache-dir', CACHE, '--backend', 'cpu', '--json']);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      expect(JSON.parse(evaluated.stdout).n).toBe(evaluation.report.metrics.n);
    } finally {
      cpSync(moved, ENCODER, { recursive: true });
    }
  }, 240_000);

  it('predict runs the encoder in a worker thread: the calling thread (the app main process) opens no model', async () => {
    const runsDir = join(work, 'logreg');
    const runDir = join(runsDir, (await import('node:fs')).readdirSync(runsDir)[0]!);
    const opened = vi.spyOn(EncoderSession, 'open');
    try {
      const predictor = await EmotionPredictor.load(runDir);
      try {
        const many = await predictor.predictMany([CLIP, CLIP]);
        expect(many.map((p) => ('emotion' in p ? p.emotion : p.error.message))).toEqual([
          (await predictor.predict(CLIP)).emotion,
          (await predictor.predict(CLIP)).emotion,
        ]);
      } finally {
        predictor.dispose();
      }
      expect(opened).not.toHaveBeenCalled();
    } finally {
      opened.mockRestore();
    }
  });
});
