import { describe, expect, it } from 'vitest';
import { compareEvaluations } from '../../main/evaluation/compare';
import { alignLabels, filterToModelLabels } from '../../main/evaluation/crossCorpus';
import { cellClips, misclassified } from '../../main/evaluation/inspect';
import { computeMetrics } from '../../main/evaluation/metrics';
import { pred } from './helpers';

const labels = ['anger', 'sadness'];

describe('compareEvaluations', () => {
  const truth = ['anger', 'anger', 'anger', 'sadness', 'sadness'];
  const aPred = ['anger', 'anger', 'sadness', 'anger', 'sadness'];
  const bPred = ['anger', 'sadness', 'anger', 'sadness', 'sadness'];
  const a = truth.map((t, i) => pred(t, aPred[i]!, { clipId: `c${i}`, confidence: 0.6 }));
  const b = truth.map((t, i) => pred(t, bPred[i]!, { clipId: `c${i}`, confidence: 0.8 })).reverse();

  it('matches clips by id and reports deltas, contingency and disagreements', () => {
    const cmp = compareEvaluations({ name: 'best', predictions: a }, { name: 'final', predictions: b }, labels);
    // a: 3/5 right, b: 4/5 right.
    expect(cmp.deltas.accuracy).toBeCloseTo(0.2, 12);
    expect(cmp.contingency).toEqual({ bothCorrect: 2, aOnly: 1, bOnly: 2, bothWrong: 0 });
    expect(cmp.mcnemar).toMatchObject({ b: 1, c: 2, pValue: 1 });
    expect(cmp.confusionDifference).toEqual([
      [0, 0],
      [-1, 1],
    ]);
    expect(cmp.disagreements.map((d) => [d.clipId, d.aPredicted, d.bPredicted, d.aCorrect, d.bCorrect])).toEqual([
      ['c1', 'anger', 'sadness', true, false],
      ['c2', 'sadness', 'anger', false, true],
      ['c3', 'anger', 'sadness', false, true],
    ]);
    expect(cmp.disagreements[0]).toMatchObject({ aConfidence: 0.6, bConfidence: 0.8, trueLabel: 'anger' });
    const sad = cmp.perClassDeltas[1]!;
    expect(sad.recall).toBeCloseTo(cmp.b.perClass[1]!.recall - cmp.a.perClass[1]!.recall, 12);
    expect(sad.recall).toBeCloseTo(0.5, 12);
    expect(cmp.deltas.uar).toBeCloseTo(cmp.b.uar - cmp.a.uar, 12);
  });

  it('refuses predictions on different clip sets, naming how many differ', () => {
    const bOther = [...b.slice(0, 4), pred('anger', 'anger', { clipId: 'other' })];
    expect(() => compareEvaluations({ name: 'best', predictions: a }, { name: 'final', predictions: bOther }, labels)).toThrow(
      /2 clips differ: 1 only in "best", 1 only in "final"/,
    );
  });
});

describe('cross-corpus label alignment', () => {
  const modelLabels = ['anger', 'happiness', 'neutral', 'sadness', 'fear'];
  const dataLabels = ['anger', 'boredom', 'neutral', 'sadness', 'disgust'];

  it('splits labels into shared, unknown to the model and absent from the data', () => {
    expect(alignLabels(modelLabels, dataLabels)).toEqual({
      shared: ['anger', 'neutral', 'sadness'],
      unknownToModel: ['boredom', 'disgust'],
      absentFromData: ['happiness', 'fear'],
    });
  });

  it('excludes clips the model cannot predict but counts them', () => {
    const predictions = [
      pred('anger', 'anger'),
      pred('boredom', 'neutral'),
      pred('boredom', 'sadness'),
      pred('disgust', 'anger'),
      pred('sadness', 'fear'),
    ];
    const f = filterToModelLabels(predictions, modelLabels);
    expect(f.total).toBe(5);
    expect(f.kept).toHaveLength(2);
    expect(f.excludedByLabel).toEqual({ boredom: 2, disgust: 1 });
    const m = computeMetrics(f.kept, modelLabels);
    expect(m.uar).toBe(0.5); // anger 1/1, sadness 0/1; absent classes have no support
  });
});

describe('inspection helpers', () => {
  const predictions = [
    pred('anger', 'sadness', { confidence: 0.4 }),
    pred('anger', 'anger', { confidence: 0.99 }),
    pred('sadness', 'anger', { confidence: 0.9 }),
    pred('anger', 'sadness', { confidence: 0.7 }),
  ];

  it('lists the wrong clips most-confident first', () => {
    expect(misclassified(predictions).map((p) => p.confidence)).toEqual([0.9, 0.7, 0.4]);
  });

  it('lists a confusion cell', () => {
    expect(cellClips(predictions, 'anger', 'sadness').map((p) => p.confidence)).toEqual([0.7, 0.4]);
    expect(cellClips(predictions, 'sadness', 'sadness')).toEqual([]);
  });
});
