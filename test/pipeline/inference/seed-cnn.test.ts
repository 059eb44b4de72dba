import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio } from '../../../main/audio';
import { computeFeatureMatrix } from '../../../main/features/compute';
import { applyStandardizer } from '../../../main/features/standardize';
import { EmotionPredictor } from '../../../main/pipeline/inference';
import { writeCheckpoint } from '../../../main/runs/checkpoints';
import { createModel } from '../../../main/models';
import { predictProbabilities } from '../../../main/models/predict';
import { demoFile, FEATURE_CONFIG, FRAMES, LABELS, manifestFor, ROWS, tempDir } from './helpers';

let root: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  root = await tempDir();
});

afterAll(async () => {
  await root?.cleanup();
});

describe('EmotionPredictor with a zoo model', () => {
  it('loads a seed-cnn checkpoint (custom layers) and matches the training evaluation path', async () => {
    const file = demoFile('03a01Wa.wav');
    const manifest = manifestFor({ modelName: 'seed-cnn' });
    const model = createModel('seed-cnn', { inputShape: [ROWS, FRAMES, 1], numClasses: LABELS.length, seed: 3 });
    const dir = await writeCheckpoint(join(root.dir, 'checkpoints'), 'best', model, manifest);
    // What training's evaluation computes for this clip with the in-memory model.
    const audio = await loadAudio(file, { targetSampleRate: FEATURE_CONFIG.sampleRate });
    const x = applyStandardizer(computeFeatureMatrix(audio.samples, FEATURE_CONFIG).data, manifest.standardizer!, ROWS, FRAMES);
    const expected = await predictProbabilities(model, { x, count: 1 }, ROWS, FRAMES);
    model.dispose();

    const predictor = await EmotionPredictor.load(dir);
    try {
      const p = await predictor.predict(file);
      expect(Object.keys(p.probabilities)).toEqual(LABELS);
      LABELS.forEach((label, i) => expect(p.probabilities[label]).toBeCloseTo(expected[i], 5));
    } finally {
      predictor.dispose();
    }
  });

  it("gives a masked model (crnn) the frame mask of the clip's own length", async () => {
    const file = demoFile('03a01Wa.wav');
    const manifest = manifestFor({ modelName: 'crnn' });
    const model = createModel('crnn', { inputShape: [ROWS, FRAMES, 1], numClasses: LABELS.length, seed: 3 });
    const dir = await writeCheckpoint(join(root.dir, 'checkpoints'), 'final', model, manifest);
    const audio = await loadAudio(file, { targetSampleRate: FEATURE_CONFIG.sampleRate });
    const matrix = computeFeatureMatrix(audio.samples, FEATURE_CONFIG);
    expect(matrix.validFrames).toBeLessThan(FRAMES);
    const x = applyStandardizer(matrix.data, manifest.standardizer!, ROWS, FRAMES);
    const expected = await predictProbabilities(model, { x, count: 1, validFrames: Int32Array.of(matrix.validFrames) }, ROWS, FRAMES);
    // Counting the padding as signal would give another answer.
    const unmasked = await predictProbabilities(model, { x, count: 1 }, ROWS, FRAMES);
    expect(Math.max(...expected.map((p, i) => Math.abs(p - unmasked[i]!)))).toBeGreaterThan(1e-4);
    model.dispose();

    const predictor = await EmotionPredictor.load(dir);
    try {
      const p = await predictor.predict(file);
      LABELS.forEach((label, i) => expect(p.probabilities[label]).toBeCloseTo(expected[i]!, 5));
      // A bare matrix: its trailing all-zero frames are taken for the padding.
      const bare = await predictor.predictFeatures(matrix.data);
      LABELS.forEach((label, i) => expect(bare.probabilities[label]).toBeCloseTo(expected[i]!, 5));
    } finally {
      predictor.dispose();
    }
  });
});
