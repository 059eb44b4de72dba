/**
 * A run folder written by release 0.1.0 (test/fixtures/runs/v0.1.0: no format versions anywhere)
 * opens, lists, evaluates, compares and predicts with the current code.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunSummaries } from '../../main/api/runViews';
import { compareEvaluations } from '../../main/evaluation/compare';
import { EmotionPredictor } from '../../main/pipeline/inference';
import { evaluateCheckpoint } from '../../main/pipeline/evaluateCheckpoint';
import { listRuns, openRun } from '../../main/runs/store';
import { readEvaluation } from '../../main/evaluation/file';
import { tempDir } from './helpers';

const FIXTURE = resolve('test/fixtures/runs/v0.1.0');
const RUN_ID = '20261201-201421-fixture-v010-cc05';
const DEMO = resolve('resources/demo-emodb');

describe('a 0.1.0 run folder', () => {
  let runsDir: string;
  let runDir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir: runsDir, cleanup } = await tempDir());
    cpSync(FIXTURE, runsDir, { recursive: true });
    runDir = join(runsDir, RUN_ID);
    // The folder was made elsewhere: point its dataset at this checkout's copy, as a user who moved
    // the data would. Nothing else is touched, so the file stays in the 0.1.0 format.
    const path = join(runDir, 'run.json');
    const record = JSON.parse(readFileSync(path, 'utf8'));
    expect(record.formatVersion).toBeUndefined();
    writeFileSync(path, JSON.stringify({ ...record, dataset: { ...record.dataset, root: DEMO } }, null, 2));
  });
  afterAll(() => cleanup());

  it('is listed and opens with typed, migrated records and complete checkpoints', async () => {
    const [listed] = await listRuns(runsDir);
    expect(listed!.record).toMatchObject({ id: RUN_ID, status: 'done', formatVersion: 2, bestEpoch: 1 });
    const opened = await openRun(runDir);
    expect(opened.record.config.training.model).toBe('crnn');
    expect(opened.record.config.features.nMfcc).toBe(16);
    expect(opened.record.split.test).toHaveLength(27);
    expect(opened.record.backend.name).toBe('wasm');
    expect(opened.record.summary?.test.best?.uar).toBeCloseTo(0.2024, 3);
    expect(opened.checkpoints.best).toMatchObject({ complete: true, manifest: { formatVersion: 4, modelName: 'crnn', epoch: 1 } });
    // Written before the normalisation was recorded: read as global, padding standardised like any frame.
    expect(opened.checkpoints.best.manifest).toMatchObject({ normalization: { mode: 'global', maskPadding: false } });
    expect(opened.checkpoints.best.manifest?.standardizer?.mean).toHaveLength(16);
    expect(opened.checkpoints.final.complete).toBe(true);
    const [summary] = await listRunSummaries(runsDir);
    expect(summary).toMatchObject({ id: RUN_ID, status: 'done', model: 'crnn', epochsRun: 1, test: { best: { uar: expect.any(Number) } } });
  });

  it('its stored evaluations read, and best vs final compare', async () => {
    const best = (await readEvaluation(runDir, 'best'))!;
    const final = (await readEvaluation(runDir, 'final'))!;
    expect(best).toMatchObject({ checkpoint: 'best', formatVersion: 2 });
    expect(best.predictions).toHaveLength(27);
    const comparison = compareEvaluations({ name: 'best', predictions: best.predictions }, { name: 'final', predictions: final.predictions }, best.labels);
    expect(comparison.a.uar).toBeCloseTo(best.metrics.uar, 9);
    expect(comparison.b.uar).toBeCloseTo(final.metrics.uar, 9);
    // One epoch: best and final are the same weights, so they agree on every clip.
    expect(comparison.disagreements).toEqual([]);
  });

  it('evaluates its best checkpoint again with the same result, and stores it in the current format', async () => {
    const stored = (await readEvaluation(runDir, 'best'))!;
    const { cleanup: dropCache, dir: cacheRoot } = await tempDir();
    const { report, path } = await evaluateCheckpoint(runDir, { checkpoint: 'best', cacheRoot, backend: 'auto' });
    await dropCache();
    // Probabilities, not labels: the untrained model's top two classes can be 2e-4 apart, and another
    // backend's rounding may order such a pair differently.
    expect(report.predictions.map((p) => p.clipId)).toEqual(stored.predictions.map((p) => p.clipId));
    report.predictions.forEach((p, i) => p.probabilities.forEach((q, k) => expect(q).toBeCloseTo(stored.predictions[i]!.probabilities[k]!, 4)));
    expect(JSON.parse(readFileSync(path, 'utf8')).formatVersion).toBe(2);
  }, 120_000);

  it('predicts with its checkpoint', async () => {
    const predictor = await EmotionPredictor.load(runDir);
    try {
      const prediction = await predictor.predict(join(DEMO, '03a01Fa.wav'));
      const stored = (await readEvaluation(runDir, 'best'))!.predictions.find((p) => p.clipId === '03a01Fa.wav')!;
      stored.probabilities.forEach((q, k) => expect(prediction.probabilities[predictor.labels[k]!]).toBeCloseTo(q, 4));
    } finally {
      predictor.dispose();
    }
  }, 60_000);
});
