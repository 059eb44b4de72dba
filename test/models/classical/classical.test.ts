import { describe, expect, it } from 'vitest';
import { checkClassifier, classifierProbabilities, trainClassifier, type TrainingData } from '../../../main/models/classical';
import { speakerFolds } from '../../../main/models/classical/innerCv';
import { fitPlatt } from '../../../main/models/classical/svm';
import { CLASSICAL_MODEL_NAMES } from '../../../main/schema/names';
import { createRng } from '../../../main/util/random';

/** Gaussian blobs: `classes` means 3 apart on separate axes, unit noise, `perSpeaker` clips of each class per speaker. */
function blobs(speakers: string[], classes: number, d: number, perSpeaker: number, seed: number, spread = 3) {
  const rng = createRng(seed);
  const x: number[] = [];
  const y: number[] = [];
  const who: string[] = [];
  for (const speaker of speakers)
    for (let k = 0; k < classes; k++)
      for (let r = 0; r < perSpeaker; r++) {
        for (let t = 0; t < d; t++) x.push(rng.normal() + (t % classes === k ? spread : 0));
        y.push(k);
        who.push(speaker);
      }
  return { vectors: { x: Float64Array.from(x), n: y.length, d }, y: Int32Array.from(y), speakers: who };
}

const TRAIN_SPEAKERS = ['s1', 's2', 's3', 's4', 's5', 's6'];

function dataFor(seed = 7): TrainingData & { speakers: string[] } {
  const b = blobs(TRAIN_SPEAKERS, 3, 6, 8, seed);
  return { vectors: b.vectors, y: b.y, numClasses: 3, classWeights: 'balanced', seed: 1, speakers: b.speakers };
}

const OPTIONS = { innerFolds: 3, hiddenUnits: 8 };

describe('classical classifiers', () => {
  const data = dataFor();
  const test = blobs(['t1', 't2'], 3, 6, 10, 99);

  it.each(CLASSICAL_MODEL_NAMES)('%s separates separable classes on unseen speakers, with probabilities', (model) => {
    const { file, outOfFold } = trainClassifier(model, data, { ...OPTIONS, speakers: data.speakers });
    expect(() => checkClassifier(file)).not.toThrow();
    for (let i = 0; i < data.vectors.n; i++) expect(outOfFold[i * 3]! + outOfFold[i * 3 + 1]! + outOfFold[i * 3 + 2]!).toBeCloseTo(1, 9);
    const probabilities = classifierProbabilities(file, test.vectors);
    expect(probabilities.length).toBe(test.vectors.n * 3);
    let correct = 0;
    for (let i = 0; i < test.vectors.n; i++) {
      const row = Array.from(probabilities.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(row.every((p) => p >= 0 && Number.isFinite(p))).toBe(true);
      if (row.indexOf(Math.max(...row)) === test.y[i]) correct++;
    }
    expect(correct / test.vectors.n).toBeGreaterThan(0.9);
    expect(file.innerCv.candidates.length).toBeGreaterThan(1);
    expect(file.innerCv.candidates.map((c) => c.hyperParameters)).toContainEqual(file.hyperParameters);
  });

  it.each(CLASSICAL_MODEL_NAMES)('%s is deterministic given the seed and survives a JSON round trip', (model) => {
    const a = trainClassifier(model, dataFor(), { ...OPTIONS, speakers: data.speakers }).file;
    const b = trainClassifier(model, dataFor(), { ...OPTIONS, speakers: data.speakers }).file;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const restored = JSON.parse(JSON.stringify(a));
    expect(() => checkClassifier(restored)).not.toThrow();
    expect(classifierProbabilities(restored, test.vectors)).toEqual(classifierProbabilities(a, test.vectors));
  });

  it('refuses stored parameters of the wrong size', () => {
    const { file } = trainClassifier('logreg', data, { ...OPTIONS, speakers: data.speakers });
    expect(() => checkClassifier({ ...file, dims: 5 })).toThrow(/weights must be 15 finite numbers/);
    expect(() => checkClassifier({ ...file, model: 'svm-rbf' })).toThrow(/not those of a rbf SVM/);
  });

  it('uses the grids it is given', () => {
    const { file } = trainClassifier('svm-rbf', data, { ...OPTIONS, cValues: [1, 10], gammaScales: [0.5], speakers: data.speakers });
    expect(file.innerCv.candidates.map((c) => c.hyperParameters)).toEqual([
      { C: 1, gammaScale: 0.5 },
      { C: 10, gammaScale: 0.5 },
    ]);
    const knn = trainClassifier('knn', data, { ...OPTIONS, kValues: [3], speakers: data.speakers }).file;
    expect(knn.hyperParameters).toEqual({ k: 3 });
  });
});

describe('inner cross-validation folds', () => {
  it('keeps each speaker in one fold, every speaker in some fold, deterministically', () => {
    const speakers = ['a', 'a', 'b', 'c', 'b', 'd', 'e', 'e', 'f'];
    const folds = speakerFolds(speakers, 3, 5);
    expect(folds.speakers.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    for (let i = 0; i < speakers.length; i++) expect(folds.speakers[folds.fold[i]!]).toContain(speakers[i]);
    expect(speakerFolds(speakers, 3, 5)).toEqual(folds);
    expect(speakerFolds(speakers, 10, 5).speakers).toHaveLength(6);
  });

  it('treats clips without a speaker as groups of their own, and needs two groups', () => {
    expect(speakerFolds(['', '', 'x'], 5, 1).speakers.flat().sort()).toEqual(['clip 0', 'clip 1', 'x']);
    expect(() => speakerFolds(['x', 'x'], 5, 1)).toThrow(/at least 2 speakers in the training part, found 1/);
  });

  it('scores candidates only on the speakers of the data it is given', () => {
    const data = dataFor();
    const { file } = trainClassifier('knn', data, { ...OPTIONS, speakers: data.speakers });
    expect(file.innerCv.folds.flat().sort()).toEqual(TRAIN_SPEAKERS);
  });
});

describe('Platt scaling', () => {
  it('maps larger decision values of the positive class to higher probabilities', () => {
    const decisions = [-2, -1.5, -1, -0.5, 0.2, 0.5, 1, 1.5, 2, -0.1];
    const positive = decisions.map((d, i) => d > 0 || i === 9);
    const { a, b } = fitPlatt(decisions, positive);
    expect(a).toBeLessThan(0);
    const p = (d: number) => 1 / (1 + Math.exp(a * d + b));
    expect(p(2)).toBeGreaterThan(0.8);
    expect(p(-2)).toBeLessThan(0.2);
  });
});
