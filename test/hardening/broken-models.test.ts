/**
 * Broken models are not scored: a checkpoint whose weights hold NaN is refused by evaluation, and a
 * training that diverges (absurd learning rate, plain SGD, no clipping) stops with its run marked
 * failed and the reason recorded, instead of ending "done" with Inf weights.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../main/models/checkpoint';
import { evaluateCheckpoint } from '../../main/pipeline/evaluateCheckpoint';
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
  it('evaluation refuses a checkpoint whose weights hold NaN', async () => {
    const result = await train(join(work, 'sound'), { epochs: 1 });
    expect(result.status).toBe('done');
    const { model, manifest } = await loadCheckpoint(join(result.runDir, 'checkpoints', 'final'));
    tf.tidy(() => model.setWeights(model.getWeights().map((w, i) => (i === 0 ? tf.fill(w.shape, NaN) : w))));
    await writeCheckpoint(join(result.runDir, 'checkpoints'), 'final', model, manifest);
    model.dispose();
    await expect(
      evaluateCheckpoint(result.runDir, { checkpoint: 'final', cacheRoot: join(work, 'cache'), backend: 'cpu' }),
    ).rejects.toThrow(/checkpoint 'final' gives NaN or Inf outputs for 13 of 13 clips .* it is not scored/);
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
