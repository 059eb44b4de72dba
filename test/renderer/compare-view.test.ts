/** The Compare view's helpers: delta rows (B − A) and the McNemar sentence. */
import { describe, expect, it } from 'vitest';
import type { ClassMetrics, Comparison, Disagreement, EvaluationMetrics, McNemarResult } from '../../main/api/contract';
import {
  deltaDirection,
  disagreementVerdict,
  formatPValue,
  identicalComparisonNote,
  metricDeltaRows,
  perClassDeltaRows,
  significanceSentence,
  withRunNames,
} from '../../renderer/src/lib/compareView';

function classMetrics(label: string, recall: number, f1: number): ClassMetrics {
  return { label, precision: f1, recall, f1, support: 10, predicted: 10 };
}

function metrics(accuracy: number, uar: number, macroF1: number, perClass: ClassMetrics[]): EvaluationMetrics {
  return {
    n: 20,
    labels: perClass.map((c) => c.label),
    accuracy,
    uar,
    macroF1,
    weightedF1: macroF1,
    perClass,
    confusion: [],
    confusionNormalized: [],
    neverPredicted: [],
  };
}

function mcnemar(b: number, c: number, pValue: number): McNemarResult {
  return { b, c, pValue, midPValue: pValue, statistic: 0, chiSquarePValue: pValue };
}

const comparison: Comparison = {
  aName: 'r1/best',
  bName: 'r1/final',
  a: metrics(0.6, 0.55, 0.5, [classMetrics('anger', 0.7, 0.6), classMetrics('fear', 0.4, 0.4)]),
  b: metrics(0.65, 0.55, 0.45, [classMetrics('anger', 0.8, 0.7), classMetrics('fear', 0.3, 0.2)]),
  deltas: { accuracy: 0.05, uar: 0, macroF1: -0.05 },
  perClassDeltas: [
    { label: 'anger', precision: 0.1, recall: 0.1, f1: 0.1 },
    { label: 'fear', precision: -0.2, recall: -0.1, f1: -0.2 },
  ],
  confusionDifference: [],
  disagreements: [],
  contingency: { bothCorrect: 10, aOnly: 2, bOnly: 3, bothWrong: 5 },
  mcnemar: mcnemar(2, 3, 1),
};

describe('metricDeltaRows', () => {
  it('gives A, B, the delta and its direction for each headline metric', () => {
    expect(metricDeltaRows(comparison)).toEqual([
      { key: 'accuracy', title: 'Accuracy', a: 0.6, b: 0.65, delta: 0.05, direction: 'better' },
      { key: 'uar', title: 'UAR', a: 0.55, b: 0.55, delta: 0, direction: 'same' },
      { key: 'macroF1', title: 'Macro-F1', a: 0.5, b: 0.45, delta: -0.05, direction: 'worse' },
    ]);
  });

  it('treats rounding noise as no change', () => {
    expect(deltaDirection(1e-12)).toBe('same');
    expect(deltaDirection(Number.NaN)).toBe('same');
    expect(deltaDirection(-0.001)).toBe('worse');
  });
});

describe('perClassDeltaRows', () => {
  it('joins both sides per class with the deltas', () => {
    const rows = perClassDeltaRows(comparison);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({
      label: 'fear',
      support: 10,
      aRecall: 0.4,
      bRecall: 0.3,
      aF1: 0.4,
      bF1: 0.2,
      precision: -0.2,
      recall: -0.1,
      f1: -0.2,
    });
  });
});

describe('significanceSentence', () => {
  it('says when the difference is not significant', () => {
    expect(significanceSentence(mcnemar(4, 6, 0.754))).toBe(
      'McNemar exact test: A right/B wrong 4, A wrong/B right 6; p = 0.754 — not significant at 0.05.',
    );
  });

  it('says when it is significant and who is better', () => {
    expect(significanceSentence(mcnemar(1, 12, 0.0034))).toBe(
      'McNemar exact test: A right/B wrong 1, A wrong/B right 12; p = 0.003 — significant at 0.05: B is better on these clips.',
    );
    expect(significanceSentence(mcnemar(30, 2, 0.00000012))).toContain('p < 0.001 — significant at 0.05: A is better');
  });

  it('uses the given level', () => {
    expect(significanceSentence(mcnemar(1, 12, 0.0034), 0.001)).toContain('not significant at 0.001');
  });

  it('says there is nothing to test without discordant clips', () => {
    const text = significanceSentence(mcnemar(0, 0, 1));
    expect(text).toContain('no difference to test');
    expect(text).toContain('not significant');
  });

  it('formats p-values', () => {
    expect([formatPValue(0.5), formatPValue(0.0004), formatPValue(1), formatPValue(Number.NaN)]).toEqual(['0.500', '< 0.001', '1', '–']);
  });
});

describe('disagreementVerdict', () => {
  const base: Disagreement = {
    clipId: 'c',
    path: '/c.wav',
    trueLabel: 'anger',
    aPredicted: 'anger',
    bPredicted: 'fear',
    aConfidence: 0.6,
    bConfidence: 0.7,
    aCorrect: true,
    bCorrect: false,
  };
  it('names the side that was right', () => {
    expect(disagreementVerdict(base)).toBe('A right');
    expect(disagreementVerdict({ ...base, aCorrect: false, bCorrect: true })).toBe('B right');
    expect(disagreementVerdict({ ...base, aCorrect: false })).toBe('both wrong');
  });
});

describe('withRunNames', () => {
  const runs = [
    { id: '20260101-aaaa', name: 'crnn speaker' },
    { id: '20260101-aaaa-2', name: 'crnn again' },
  ];
  it('writes run names for folder ids, with or without a checkpoint', () => {
    expect(withRunNames('"20260101-aaaa/final" and "20260101-aaaa-2/best" differ', runs)).toBe(
      '"crnn speaker · final" and "crnn again · best" differ',
    );
    expect(withRunNames('no run 20260101-aaaa-2 in /runs', runs)).toBe('no run crnn again in /runs');
    expect(withRunNames('no run 20991231-zzzz in /runs', runs)).toBe('no run 20991231-zzzz in /runs');
  });
});

describe('identicalComparisonNote', () => {
  const same: Comparison = {
    ...comparison,
    b: comparison.a,
    deltas: { accuracy: 0, uar: 0, macroF1: 0 },
    perClassDeltas: comparison.perClassDeltas.map((d) => ({ ...d, precision: 0, recall: 0, f1: 0 })),
    contingency: { bothCorrect: 12, aOnly: 0, bOnly: 0, bothWrong: 8 },
    mcnemar: mcnemar(0, 0, 1),
  };
  const pair = { a: { runId: 'r1', checkpoint: 'best' as const }, b: { runId: 'r1', checkpoint: 'final' as const } };
  const run = (best: number, final: number, averaged = false) => ({
    id: 'r1',
    checkpoints: { best: { complete: true, epoch: best }, final: { complete: true, epoch: final } },
    ...(averaged
      ? {
          bestCheckpoint: {
            kind: 'average' as const,
            mode: 'last' as const,
            epochs: [4, 5],
            batchNorm: 'average' as const,
            selectedBy: 'val_uar' as const,
          },
        }
      : {}),
  });

  it('says best and final are one epoch when the last epoch was the best', () => {
    expect(identicalComparisonNote(same, pair, [run(5, 5)])).toBe(
      'Best and final both hold epoch 5 (the last epoch was the best): they are the same weights, so every difference here is zero.',
    );
  });

  it('says the predictions agree when the weights differ, and nothing when something differs', () => {
    expect(identicalComparisonNote(same, pair, [run(5, 5, true)])).toMatch(/^A and B predict the same class for every test clip/);
    expect(identicalComparisonNote(same, pair, [run(3, 5)])).toMatch(/^A and B predict the same class/);
    expect(identicalComparisonNote(comparison, pair, [run(5, 5)])).toBeNull();
  });
});
