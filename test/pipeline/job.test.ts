import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTrainingConfig } from '../../main/training/config';
import { runTrainingJob, type TrainingEvent } from '../../main/pipeline/job';

const work = mkdtempSync(join(tmpdir(), 'ser-job-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function trainOnce(runsDir: string, seed: number) {
  const events: TrainingEvent[] = [];
  const result = await runTrainingJob({
    datasetRoot: resolve('resources/demo-emodb'),
    // seed-cnn has dropout and batch norm: both must follow the seed.
    config: resolveTrainingConfig({
      preset: 'quick',
      model: 'seed-cnn',
      epochs: 2,
      batchSize: 32,
      seed,
      split: { kind: 'speaker', testSpeakers: ['03'], valSpeakers: ['08'] },
    }),
    featureConfig: { nMfcc: 16, frames: 32 },
    runsDir,
    cacheRoot: join(work, 'cache'),
    onEvent: (event) => events.push(event),
  });
  const metrics = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { epochSeconds: _s, samplesPerSecond: _r, ...rest } = JSON.parse(line);
      return rest;
    });
  const predictions = result.evaluations.final!.predictions.map((p) => p.probabilities);
  return { result, events, metrics, predictions };
}

describe('training job', () => {
  it('is reproducible: the same seed gives the same split, metrics and predictions', async () => {
    const a = await trainOnce(join(work, 'a'), 5);
    const b = await trainOnce(join(work, 'b'), 5);
    expect(a.result.status).toBe('done');
    expect(b.metrics).toEqual(a.metrics);
    expect(b.predictions).toEqual(a.predictions);
    const c = await trainOnce(join(work, 'c'), 6);
    expect(c.metrics).not.toEqual(a.metrics);
  });

  it('cancelled mid-epoch, leaves a consistent run folder marked cancelled', async () => {
    const controller = new AbortController();
    let batches = 0;
    const result = await runTrainingJob({
      datasetRoot: resolve('resources/demo-emodb'),
      config: resolveTrainingConfig({ preset: 'quick', model: 'res-cnn', epochs: 3, batchSize: 16, seed: 2 }),
      featureConfig: { nMfcc: 16, frames: 32 },
      runsDir: join(work, 'cancelled'),
      cacheRoot: join(work, 'cache'),
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'batch' && event.progress.epoch === 2 && ++batches === 2) controller.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    const record = JSON.parse(readFileSync(join(result.runDir, 'run.json'), 'utf8'));
    expect(record.status).toBe('cancelled');
    expect(readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    const { loadCheckpoint } = await import('../../main/models/checkpoint');
    for (const name of ['best', 'final']) {
      const { model, manifest } = await loadCheckpoint(join(result.runDir, 'checkpoints', name));
      expect(manifest.epoch).toBe(1);
      model.dispose();
    }
  });

  it('streams backend, feature, batch and epoch events', async () => {
    const { events } = await trainOnce(join(work, 'd'), 1);
    const types = new Set(events.map((e) => e.type));
    for (const type of ['backend', 'features', 'run', 'batch', 'epoch', 'log']) expect(types.has(type as TrainingEvent['type'])).toBe(true);
    const epochs = events.filter((e): e is Extract<TrainingEvent, { type: 'epoch' }> => e.type === 'epoch');
    expect(epochs.map((e) => e.metrics.epoch)).toEqual([1, 2]);
  });

  it('with weight averaging, ships the averaged model as `best` and records how it was made', async () => {
    const runsDir = join(work, 'averaged');
    const result = await runTrainingJob({
      datasetRoot: resolve('resources/demo-emodb'),
      config: resolveTrainingConfig({
        preset: 'quick',
        model: 'seed-cnn',
        epochs: 3,
        batchSize: 32,
        seed: 3,
        earlyStoppingPatience: 0,
        weightAveraging: 'last',
        averageEpochs: 2,
        averageBatchNorm: 'recompute',
        split: { kind: 'speaker', testSpeakers: ['03'], valSpeakers: ['08'] },
      }),
      featureConfig: { nMfcc: 16, frames: 32 },
      runsDir,
      cacheRoot: join(work, 'cache'),
    });
    expect(result.status).toBe('done');
    expect(result.bestEpoch).toBe(3);
    const record = JSON.parse(readFileSync(join(result.runDir, 'run.json'), 'utf8'));
    expect(record.config.training.weightAveraging).toBe('last');
    expect(record.summary.bestCheckpoint).toMatchObject({ kind: 'average', mode: 'last', epochs: [2, 3], batchNorm: 'recompute' });
    expect(record.bestEpoch).toBe(3);
    const { loadCheckpoint } = await import('../../main/models/checkpoint');
    const best = await loadCheckpoint(join(result.runDir, 'checkpoints', 'best'));
    const final = await loadCheckpoint(join(result.runDir, 'checkpoints', 'final'));
    expect((best.manifest.metrics as { averagedEpochs: number[] }).averagedEpochs).toEqual([2, 3]);
    const differs = best.model.getWeights().some((w, i) => {
      const a = w.dataSync();
      const b = final.model.getWeights()[i]!.dataSync();
      return a.some((v, k) => v !== b[k]);
    });
    expect(differs).toBe(true);
    expect(result.evaluations.best!.predictions).toHaveLength(result.evaluations.final!.predictions.length);
    // Each report comes from its own weights (the final one is not the averaged model).
    const probabilities = (name: 'best' | 'final') => result.evaluations[name]!.predictions.map((p) => p.probabilities);
    expect(probabilities('final')).not.toEqual(probabilities('best'));
    best.model.dispose();
    final.model.dispose();
  });
});
