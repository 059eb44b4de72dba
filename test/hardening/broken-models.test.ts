/**
 * Broken models are not scored: a checkpoint whose weights hold NaN, or whose standardiser divides
 * by a zero std, is refused by evaluation and prediction, and a
 * training that diverges (absurd learning rate, plain SGD, no clipping) stops with its run marked
 * failed and the reason recorded, instead of ending "done" with Inf weights.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../main/models/checkpoint';
import { evaluateCheckpoint } from '../../main/pipeline/evaluateCheckpoint';
import { EmotionPredictor } from '../../main/pipeline/inference';
import { runTrainingJob } from '../../main/pipeline/job';
import { writeCheckpoint } from '../../main/runs/checkpoints';
import { resolveTrainingConfig, type TrainingOverrides } from '../../main/training/config';

const DEMO = resolve('resources/demo-emodb');
const work = mkdtempSync(join(tmpdir(), 'ser-broken-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function train(runsDir: string, overrides: TrainingOverrides) {
  return runTrainingJob({
    datasetRoot: DEMO,
    config: resolveTrainingConfig({
      preset: 'quick',
      model: 'res-cnn',
      batchSize: 32,
      seed: 3,
      split: { kind: 'speaker', testSpeakers: ['03'], valSpeakers: ['08'] },
      ...overrides,
    }),
    featureConfig: { nMfcc: 16, frames: 32 },
    runsDir,
    cacheRoot: join(work, 'cache'),
    backend: 'cpu',
  });
}

describe('broken models', () => {
  // Training-set statistics, so the checkpoints carry a standardiser.
  let sound: ReturnType<typeof train> | undefined;
  const soundRun = () => (sound ??= train(join(work, 'sound'), { epochs: 1, normalization: 'global' }));

  it('evaluation refuses a checkpoint whose weights hold NaN', async () => {
    const result = await soundRun();
    expect(result.status).toBe('done');
    const { model, manifest } = await loadCheckpoint(join(result.runDir, 'checkpoints', 'final'));
    tf.tidy(() => model.setWeights(model.getWeights().map((w, i) => (i === 0 ? tf.fill(w.shape, NaN) : w))));
    await writeCheckpoint(join(result.runDir, 'checkpoints'), 'final', model, manifest);
    model.dispose();
    await expect(
      evaluateCheckpoint(result.runDir, { checkpoint: 'final', cacheRoot: join(work, 'cache'), backend: 'cpu' }),
    ).rejects.toThrow(/checkpoint 'final' gives NaN or Inf outputs for 13 of 13 clips .* it is not scored/);
  }, 300_000);

  it('evaluation and prediction refuse a checkpoint whose standardiser has a zero std', async () => {
    const result = await soundRun();
    const manifestPath = join(result.runDir, 'checkpoints', 'best', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(manifest.standardizer.std.every((sd: number) => sd > 0)).toBe(true);
    manifest.standardizer.std[2] = 0;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const reason = /standardizer std of feature row 2 is 0: inputs would be divided by zero, so every clip would get one class/;
    await expect(evaluateCheckpoint(result.runDir, { checkpoint: 'best', cacheRoot: join(work, 'cache'), backend: 'cpu' })).rejects.toThrow(
      reason,
    );
    await expect(EmotionPredictor.load(result.runDir, { checkpoint: 'best' })).rejects.toThrow(reason);
    // A negative std is refused the same way (JSON cannot hold NaN or Infinity: those were refused already).
    manifest.standardizer.std[2] = -1;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    await expect(loadCheckpoint(join(result.runDir, 'checkpoints', 'best'))).rejects.toThrow(/std of feature row 2 is -1/);
  }, 300_000);

  it('a training that diverges stops and its run is marked failed with the reason', async () => {
    const runsDir = join(work, 'diverged');
    await expect(
      train(runsDir, { model: 'seed-cnn', epochs: 4, optimizer: 'sgd', learningRate: 10, clipNorm: 0, earlyStoppingPatience: 0 }),
    ).rejects.toThrow(/training diverged in epoch \d: .*lower the learning rate/);
    const [runId] = readdirSync(runsDir);
    const record = JSON.parse(readFileSync(join(runsDir, runId!, 'run.json'), 'utf8'));
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/training diverged in epoch \d/);
  }, 300_000);
});
