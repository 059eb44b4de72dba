/**
 * A classical classifier trained end to end through runTrainingJob on the demo set's egemaps-like
 * functionals (88 values per clip, extracted once into this test's cache), evaluated, and used by
 * the predictor.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const { runTrainingJob } = await import('../../main/pipeline/job');
const { resolveTrainingConfig } = await import('../../main/training/config');
const { evaluateCheckpoint } = await import('../../main/pipeline/evaluateCheckpoint');
const { openCheckpoint } = await import('../../main/models/checkpoint');
const { inspectCheckpoint } = await import('../../main/runs/checkpoints');
const { EmotionPredictor, TRAINING_STATISTICS_WARNING } = await import('../../main/pipeline/inference/predictor');
type ClassifierProgress = import('../../main/training/progress').ClassifierProgress;

const work = mkdtempSync(join(tmpdir(), 'ser-classical-job-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TEST_SPEAKERS = ['03', '08'];
const CACHE = join(work, 'cache');
const DIMS = 88;

async function train(model: string, runsDir: string, normalization = 'speaker') {
  const logs: string[] = [];
  const progress: ClassifierProgress[] = [];
  const result = await runTrainingJob({
    datasetRoot: resolve('resources/demo-emodb'),
    config: resolveTrainingConfig({
      model,
      normalization,
      seed: 3,
      split: { kind: 'speaker', testSpeakers: TEST_SPEAKERS, valSpeakers: ['09'] },
      classifier: { innerFolds: 4, hiddenUnits: 8 },
    }),
    featureConfig: { representation: 'egemaps-like' },
    cacheRoot: CACHE,
    runsDir,
    backend: 'cpu',
    onEvent: (event) => {
      if (event.type === 'log') logs.push(event.message);
      if (event.type === 'classifier') progress.push(event.progress);
      expect(event.type).not.toBe('batch');
    },
  });
  return { result, logs, progress };
}

describe('classical training job', () => {
  it('writes an ordinary run folder: run.json, one metrics line, best = final checkpoints, evaluations', async () => {
    const { result, logs, progress } = await train('svm-rbf', join(work, 'svm'));
    expect(result.status).toBe('done');
    // No batches: the Train view follows the inner CV candidate by candidate, the refit and the test.
    const candidates = logs.filter((l) => l.startsWith('inner CV: C=')).length;
    expect(progress.map((p) => (p.stage === 'inner-cv' ? `${p.done}/${p.candidates} on ${p.folds}` : p.stage))).toEqual([
      ...Array.from({ length: candidates + 1 }, (_, i) => `${i}/${candidates} on 4`),
      'refit',
      'test',
    ]);
    expect(progress[1]).toMatchObject({ last: { hyperParameters: { C: expect.any(Number) }, uar: expect.any(Number) } });
    expect(progress.at(-2)).toMatchObject({
      stage: 'refit',
      clips: 110,
      hyperParameters: expect.objectContaining({ C: expect.any(Number) }),
    });
    expect(progress.at(-1)).toEqual({ stage: 'test', clips: 25 });
    // 7 classes, two unseen speakers: chance is 0.14.
    expect(result.test.best!.uar).toBeGreaterThan(0.4);
    expect(result.test.final).toEqual(result.test.best);

    const record = JSON.parse(readFileSync(join(result.runDir, 'run.json'), 'utf8'));
    expect(record.status).toBe('done');
    expect(record.summary.classifier.hyperParameters).toHaveProperty('C');
    expect(record.summary.classifier.hyperParameters).toHaveProperty('gammaScale');
    const lines = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0].valUar).toBeCloseTo(record.summary.classifier.innerCvUar, 12);
    expect(logs.some((l) => l.startsWith('inner CV: C='))).toBe(true);
    expect(logs.some((l) => l.startsWith('chosen: '))).toBe(true);

    for (const name of ['best', 'final']) {
      const state = await inspectCheckpoint(join(result.runDir, 'checkpoints', name));
      expect(state.complete, state.problem).toBe(true);
      expect(state.manifest!.modelName).toBe('svm-rbf');
    }
    const classifier = JSON.parse(readFileSync(join(result.runDir, 'checkpoints/best/classifier.json'), 'utf8'));
    expect(classifier.formatVersion).toBe(1);
    expect(readFileSync(join(result.runDir, 'checkpoints/final/classifier.json'), 'utf8')).toBe(
      readFileSync(join(result.runDir, 'checkpoints/best/classifier.json'), 'utf8'),
    );
  });

  it('never lets a test speaker into the inner cross-validation', async () => {
    const { result } = await train('logreg', join(work, 'logreg'));
    const classifier = JSON.parse(readFileSync(join(result.runDir, 'checkpoints/best/classifier.json'), 'utf8'));
    const record = JSON.parse(readFileSync(join(result.runDir, 'run.json'), 'utf8'));
    const innerSpeakers = (classifier.innerCv.folds as string[][]).flat().sort();
    expect(innerSpeakers).toEqual([...record.split.speakers.train, ...record.split.speakers.val].sort());
    for (const speaker of TEST_SPEAKERS) expect(innerSpeakers).not.toContain(speaker);
    expect(classifier.innerCv.folds).toHaveLength(4);
  });

  it('is deterministic given the seed', async () => {
    const a = await train('mlp', join(work, 'mlp-a'));
    const b = await train('mlp', join(work, 'mlp-b'));
    const read = (dir: string) => readFileSync(join(dir, 'checkpoints/best/classifier.json'), 'utf8');
    expect(read(b.result.runDir)).toBe(read(a.result.runDir));
  });

  it('round-trips: the reloaded checkpoint, evaluate and the predictor give the job’s probabilities', async () => {
    const { result } = await train('knn', join(work, 'knn'), 'global');
    const job = result.evaluations.best!;
    const evaluated = await evaluateCheckpoint(result.runDir, { checkpoint: 'final' });
    expect(evaluated.report.predictions.map((p) => p.probabilities)).toEqual(job.predictions.map((p) => p.probabilities));
    expect(evaluated.report.metrics.uar).toBe(job.metrics.uar);

    const loaded = await openCheckpoint(join(result.runDir, 'checkpoints', 'best'));
    const manifest = loaded.manifest;
    expect(manifest.inputShape).toEqual([DIMS, 1, 1]);
    const predictor = await EmotionPredictor.load(result.runDir);
    try {
      // The first test clip's raw vector, as the extraction gave it.
      const { extractFeatures } = await import('../../main/features/extract');
      const { scanDataset } = await import('../../main/dataset');
      const scan = await scanDataset(resolve('resources/demo-emodb'));
      const features = await extractFeatures(scan, predictor.featureConfig, { cacheRoot: CACHE });
      const clip = job.predictions[0]!;
      const index = features.clips.findIndex((c) => c.id === clip.clipId);
      expect(index).toBeGreaterThanOrEqual(0);
      const scores = await predictor.predictFeatures({
        data: features.data.slice(index * DIMS, (index + 1) * DIMS),
        rows: DIMS,
        frames: 1,
      });
      manifest.labels.forEach((label, k) => expect(scores.probabilities[label]).toBeCloseTo(clip.probabilities[k]!, 5));
    } finally {
      predictor.dispose();
      loaded.dispose();
    }
  });

  it("predicts a file of unknown speaker with the training clips' statistics (speaker normalisation), and refuses it with an older checkpoint", async () => {
    const { result } = await train('logreg', join(work, 'logreg-unknown'));
    const manifestPath = (dir: string, name: string) => join(dir, 'checkpoints', name, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath(result.runDir, 'best'), 'utf8'));
    expect(manifest.formatVersion).toBe(4);
    expect(manifest.normalization.mode).toBe('speaker');
    const predictor = await EmotionPredictor.load(result.runDir);
    try {
      // The statistics are the training clips' (the classifier is refit on train and val), over their vectors.
      const { extractFeatures } = await import('../../main/features/extract');
      const { scanDataset } = await import('../../main/dataset');
      const { fitStandardizer } = await import('../../main/features/standardize');
      const scan = await scanDataset(resolve('resources/demo-emodb'));
      const features = await extractFeatures(scan, predictor.featureConfig, { cacheRoot: CACHE });
      const vectorOf = (id: string) => {
        const i = features.clips.findIndex((c) => c.id === id);
        return features.data.slice(i * DIMS, (i + 1) * DIMS);
      };
      const { split } = JSON.parse(readFileSync(join(result.runDir, 'run.json'), 'utf8'));
      const train = ([...split.train, ...split.val] as string[]).filter((id) => features.clips.some((c) => c.id === id));
      const expected = fitStandardizer(train.map(vectorOf), DIMS, 1);
      expect(manifest.normalization.globalStats.mean).toHaveLength(DIMS);
      manifest.normalization.globalStats.mean.forEach((m: number, r: number) => expect(m).toBeCloseTo(expected.mean[r]!, 6));
      manifest.normalization.globalStats.std.forEach((s: number, r: number) => expect(s).toBeCloseTo(expected.std[r]!, 6));

      const clip = '03a01Wa.wav';
      const alone = await predictor.predict(resolve('resources/demo-emodb', clip));
      expect(alone.warning).toBe(TRAINING_STATISTICS_WARNING);
      const raw = { data: vectorOf(clip), rows: DIMS, frames: 1 };
      const viaTraining = await predictor.predictFeatures(raw, manifest.normalization.globalStats);
      expect(alone.probabilities).toEqual(viaTraining.probabilities);
      // Its own statistics would have made it zeros: the scores of an all-zero input.
      const asZeros = await predictor.predictFeatures(raw, { mean: Array.from(raw.data), std: new Array(DIMS).fill(1) });
      expect(alone.probabilities).not.toEqual(asZeros.probabilities);
      // A speaker named with this one file only: one vector has no spread, so the training statistics again.
      const [named] = await predictor.predictMany([resolve('resources/demo-emodb', clip)], { speakers: ['03'] });
      expect(named).toMatchObject({ warning: TRAINING_STATISTICS_WARNING, probabilities: alone.probabilities });
    } finally {
      predictor.dispose();
    }

    // A checkpoint written before the statistics were recorded (format 3).
    const older = join(work, 'logreg-unknown-v3');
    cpSync(result.runDir, older, { recursive: true });
    for (const name of ['best', 'final']) {
      const { globalStats: _g, ...normalization } = manifest.normalization;
      writeFileSync(manifestPath(older, name), JSON.stringify({ ...manifest, normalization, formatVersion: 3 }));
    }
    const old = await EmotionPredictor.load(older);
    try {
      const files = ['03a01Wa.wav', '03a02Ta.wav', '03a04Ad.wav'].map((f) => resolve('resources/demo-emodb', f));
      await expect(old.predict(files[0]!)).rejects.toThrow(
        /^this checkpoint normalises per speaker and was trained before the training clips' statistics were recorded, .*: give several files of the speaker together \(--speaker\), or retrain the model$/,
      );
      const [failure] = await old.predictMany([files[0]!]);
      expect(failure).toMatchObject({ error: { code: 'prediction-failed', message: expect.stringContaining('or retrain the model') } });
      // Several files of the speaker together: their joint statistics, no warning.
      const together = await old.predictMany(files, { speakers: ['03', '03', '03'] });
      for (const r of together) expect(r).not.toHaveProperty('error');
      for (const r of together) expect(r).not.toHaveProperty('warning');
    } finally {
      old.dispose();
    }
  });

  it('finds a damaged classifier checkpoint', async () => {
    const { result } = await train('svm-linear', join(work, 'linear'));
    const path = join(result.runDir, 'checkpoints/best/classifier.json');
    const file = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...file, dims: DIMS - 1 }));
    const state = await inspectCheckpoint(join(result.runDir, 'checkpoints/best'));
    expect(state.complete).toBe(false);
    expect(state.problem).toMatch(/takes vectors of 87 values but the manifest says input \[88, 1, 1\]/);
    writeFileSync(path, JSON.stringify({ ...file, parameters: { ...file.parameters, weights: [1, 2] } }));
    await expect(openCheckpoint(join(result.runDir, 'checkpoints/best'))).rejects.toThrow(/classifier.json: weights must be/);
  });
});
