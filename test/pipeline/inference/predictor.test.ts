import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio } from '../../../main/audio';
import { computeFeatureMatrix } from '../../../main/features/compute';
import { EmotionPredictor, isPredictionFailure, type Prediction, type PredictionResult } from '../../../main/pipeline/inference';
import { demoFile, FEATURE_CONFIG, FRAMES, LABELS, ROWS, tempDir, writeTinyCheckpoint } from './helpers';

const GOOD = ['03a01Wa.wav', '03a02Ta.wav', '08a01Lc.wav'].map(demoFile);

let root: { dir: string; cleanup: () => Promise<void> };
let checkpointDir: string;
let predictor: EmotionPredictor;

beforeAll(async () => {
  root = await tempDir();
  checkpointDir = await writeTinyCheckpoint(join(root.dir, 'checkpoints'), 'best');
  predictor = await EmotionPredictor.load(checkpointDir);
});

afterAll(async () => {
  predictor?.dispose();
  await root?.cleanup();
});

function expectValidPrediction(p: Prediction): void {
  expect(Object.keys(p.probabilities)).toEqual(LABELS);
  const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
  expect(sum).toBeCloseTo(1, 6);
  expect(p.ranked.map((r) => r.label).sort()).toEqual([...LABELS].sort());
  for (let i = 1; i < p.ranked.length; i++) expect(p.ranked[i - 1].probability).toBeGreaterThanOrEqual(p.ranked[i].probability);
  expect(p.emotion).toBe(p.ranked[0].label);
  expect(p.confidence).toBe(p.probabilities[p.emotion]);
  expect(p.durationS).toBeGreaterThan(1);
  for (const ms of Object.values(p.timingsMs)) expect(ms).toBeGreaterThanOrEqual(0);
  expect(p.timingsMs.total).toBeGreaterThanOrEqual(p.timingsMs.decode + p.timingsMs.features + p.timingsMs.model - 1e-6);
}

describe('EmotionPredictor', () => {
  it('loads a checkpoint folder directly and exposes its labels and manifest', () => {
    expect(predictor.labels).toEqual(LABELS);
    expect(predictor.manifest.modelName).toBe('tiny-conv');
    expect(predictor.source).toEqual({ dir: checkpointDir, runDir: null, checkpoint: null, note: null });
    expect([predictor.rows, predictor.frames]).toEqual([ROWS, FRAMES]);
  });

  it('predicts demo clips: softmax over every manifest label', async () => {
    for (const path of GOOD) {
      const p = await predictor.predict(path);
      expect(p.path).toBe(path);
      expectValidPrediction(p);
    }
  });

  it('gives identical results for the same file twice', async () => {
    const first = await predictor.predict(GOOD[0]);
    const second = await predictor.predict(GOOD[0]);
    expect(second.probabilities).toEqual(first.probabilities);
    expect(second.ranked).toEqual(first.ranked);
  });

  it('predictFeatures on the same features equals predict', async () => {
    const audio = await loadAudio(GOOD[1], { targetSampleRate: FEATURE_CONFIG.sampleRate });
    const matrix = computeFeatureMatrix(audio.samples, FEATURE_CONFIG);
    const fromFile = await predictor.predict(GOOD[1]);
    const fromMatrix = await predictor.predictFeatures(matrix);
    expect(fromMatrix.probabilities).toEqual(fromFile.probabilities);
    expect((await predictor.predictFeatures(matrix.data)).probabilities).toEqual(fromFile.probabilities);
  });

  it('refuses a feature matrix of the wrong size', async () => {
    await expect(predictor.predictFeatures(new Float32Array(ROWS * FRAMES - 1))).rejects.toThrow(/expects 40×100/);
    await expect(predictor.predictFeatures({ data: new Float32Array(ROWS * FRAMES), rows: FRAMES, frames: ROWS })).rejects.toThrow(
      /100×40/,
    );
  });

  it('predictMany reports bad files per file and goes on with the others', async () => {
    const corrupt = join(root.dir, 'garbage.wav');
    await writeFile(corrupt, Buffer.from('this is not audio at all, just some bytes '.repeat(20)));
    const missing = join(root.dir, 'missing.wav');
    const paths = [GOOD[0], corrupt, GOOD[1], missing, GOOD[2]];
    const seen: [string, number][] = [];
    const results = await predictor.predictMany(paths, { onResult: (r: PredictionResult, i: number) => seen.push([r.path, i]) });

    expect(results.map((r) => r.path)).toEqual(paths);
    expect(seen).toEqual(paths.map((p, i) => [p, i]));
    const [a, bad, b, gone, c] = results;
    for (const good of [a, b, c]) {
      expect(isPredictionFailure(good)).toBe(false);
      expectValidPrediction(good as Prediction);
    }
    expect(isPredictionFailure(bad) && bad.error.code).toBe('not-audio');
    expect(isPredictionFailure(bad) && bad.error.message).toMatch(/garbage\.wav/);
    expect(isPredictionFailure(gone) && gone.error.code).toBe('unreadable');
    expect(isPredictionFailure(gone) && gone.error.message).toMatch(/missing\.wav/);
  });

  it('refuses a checkpoint whose featureConfigHash does not match the feature code', async () => {
    const dir = await writeTinyCheckpoint(join(root.dir, 'stale'), 'best', { manifest: { featureConfigHash: '0123456789abcdef' } });
    await expect(EmotionPredictor.load(dir)).rejects.toThrow(/feature extraction has changed since training/);
  });

  it('refuses a checkpoint whose label count differs from the model output', async () => {
    const dir = await writeTinyCheckpoint(join(root.dir, 'labels'), 'best', { numClasses: 5 });
    await expect(EmotionPredictor.load(dir)).rejects.toThrow(/outputs 5 classes but the manifest lists 7 labels/);
  });

  it('refuses a standardizer that does not fit the feature rows', async () => {
    const dir = await writeTinyCheckpoint(join(root.dir, 'stats'), 'best', {
      manifest: { standardizer: { mean: [0, 0], std: [1, 1] } },
    });
    await expect(EmotionPredictor.load(dir)).rejects.toThrow(/standardizer has 2 rows but the features have 40/);
  });

  it('cannot be used after dispose', async () => {
    const other = await EmotionPredictor.load(checkpointDir);
    other.dispose();
    await expect(other.predict(GOOD[0])).rejects.toThrow(/disposed/);
    await expect(other.predictFeatures(new Float32Array(ROWS * FRAMES))).rejects.toThrow(/disposed/);
  });

  it('says clearly when the path is neither a run nor a checkpoint', async () => {
    const empty = join(root.dir, 'empty');
    await mkdir(empty);
    await expect(EmotionPredictor.load(empty)).rejects.toThrow(/neither a run folder/);
    await expect(EmotionPredictor.load(join(root.dir, 'nope'))).rejects.toThrow(/No run or checkpoint folder/);
  });
});

describe('EmotionPredictor and the recorded normalisation', () => {
  const speakerManifest = { normalization: { mode: 'speaker' as const, maskPadding: true }, standardizer: undefined };

  it('a per-speaker model: one file alone is standardised with its own statistics and says so', async () => {
    const dir = await writeTinyCheckpoint(join(root.dir, 'speaker-alone'), 'best', { manifest: speakerManifest });
    const model = await EmotionPredictor.load(dir);
    try {
      const alone = await model.predict(GOOD[0]);
      expect(alone.warning).toMatch(/speaker is unknown/);
      const audio = await loadAudio(GOOD[0], { targetSampleRate: FEATURE_CONFIG.sampleRate });
      const fromMatrix = await model.predictFeatures(computeFeatureMatrix(audio.samples, FEATURE_CONFIG));
      expect(fromMatrix.probabilities).toEqual(alone.probabilities);
      expect(fromMatrix.warning).toBe(alone.warning);
    } finally {
      model.dispose();
    }
  });

  it("a per-speaker model: files given with their speakers share that speaker's statistics", async () => {
    const dir = await writeTinyCheckpoint(join(root.dir, 'speaker-joint'), 'best', { manifest: speakerManifest });
    const model = await EmotionPredictor.load(dir);
    try {
      const corrupt = join(root.dir, 'not-audio.wav');
      await writeFile(corrupt, Buffer.from('no audio here '.repeat(40)));
      const paths = [GOOD[0], GOOD[1], GOOD[2], corrupt];
      const seen: number[] = [];
      const results = await model.predictMany(paths, { speakers: ['03', '03', '08', '03'], onResult: (_r, i) => seen.push(i) });
      expect(seen).toEqual([0, 1, 2, 3]);
      const [a, b, c, bad] = results as [Prediction, Prediction, Prediction, PredictionResult];
      for (const p of [a, b, c]) expect(p.warning).toBeUndefined();
      expect(isPredictionFailure(bad) && bad.error.code).toBe('not-audio');
      // Speaker 03's two files: joint statistics, not each file's own.
      expect(a.probabilities).not.toEqual((await model.predict(GOOD[0])).probabilities);
      // Speaker 08 has one file: its statistics are that file's own.
      expect(c.probabilities).toEqual((await model.predict(GOOD[2])).probabilities);
      const unknown = await model.predictMany([GOOD[0], GOOD[1]], { speakers: ['', '03'] });
      expect((unknown[0] as Prediction).warning).toMatch(/speaker is unknown/);
      expect((unknown[1] as Prediction).warning).toBeUndefined();
      await expect(model.predictMany(paths, { speakers: ['03'] })).rejects.toThrow(/1 speakers for 4 files/);
    } finally {
      model.dispose();
    }
  });

  it('a global model with masked padding: statistics apply to the valid frames and the padding stays 0', async () => {
    const dir = await writeTinyCheckpoint(join(root.dir, 'global-masked'), 'best', {
      manifest: { normalization: { mode: 'global', maskPadding: true } },
    });
    const model = await EmotionPredictor.load(dir);
    try {
      const audio = await loadAudio(GOOD[1], { targetSampleRate: FEATURE_CONFIG.sampleRate });
      const matrix = computeFeatureMatrix(audio.samples, FEATURE_CONFIG);
      expect(matrix.validFrames).toBeLessThan(FRAMES);
      const fromFile = await model.predict(GOOD[1]);
      expect(fromFile.warning).toBeUndefined();
      expect((await model.predictFeatures(matrix)).probabilities).toEqual(fromFile.probabilities);
      // A bare matrix: its trailing all-zero frames are taken for the padding.
      expect((await model.predictFeatures(matrix.data)).probabilities).toEqual(fromFile.probabilities);
      // Told that every frame is audio, the padding is standardised like audio: other inputs, other scores.
      const allReal = { data: matrix.data, rows: matrix.rows, frames: matrix.frames, validFrames: FRAMES };
      expect((await model.predictFeatures(allReal)).probabilities).not.toEqual(fromFile.probabilities);
    } finally {
      model.dispose();
    }
  });
});
