import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../../main/evaluation/metrics';
import { pred } from './helpers';

const labels = ['anger', 'happiness', 'sadness', 'neutral'];

describe('computeMetrics', () => {
  // anger ×4 → A A H N; happiness ×2 → A H; sadness ×2 → A H (never predicted); neutral: no support, predicted once.
  const predictions = [
    pred('anger', 'anger'),
    pred('anger', 'anger'),
    pred('anger', 'happiness'),
    pred('anger', 'neutral'),
    pred('happiness', 'anger'),
    pred('happiness', 'happiness'),
    pred('sadness', 'anger'),
    pred('sadness', 'happiness'),
  ];
  const m = computeMetrics(predictions, labels);

  it('counts the confusion matrix [true][pred]', () => {
    expect(m.n).toBe(8);
    expect(m.confusion).toEqual([
      [2, 1, 0, 1],
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(m.confusionNormalized[0]).toEqual([0.5, 0.25, 0, 0.25]);
    expect(m.confusionNormalized[3]).toEqual([0, 0, 0, 0]);
  });

  it('computes hand-checked per-class values', () => {
    const [anger, happiness, sadness, neutral] = m.perClass;
    expect(anger).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 4, predicted: 4 });
    expect(happiness!.precision).toBeCloseTo(1 / 3, 12);
    expect(happiness!.recall).toBe(0.5);
    expect(happiness!.f1).toBeCloseTo(0.4, 12);
    expect(sadness).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 2, predicted: 0 });
    expect(neutral).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 });
  });

  it('averages over classes with support only and flags never-predicted classes', () => {
    expect(m.accuracy).toBe(3 / 8);
    expect(m.uar).toBeCloseTo(1 / 3, 12);
    expect(m.macroF1).toBeCloseTo(0.3, 12);
    expect(m.weightedF1).toBeCloseTo(0.35, 12);
    expect(m.neverPredicted).toEqual(['sadness']);
  });

  it('handles perfect and all-wrong predictions', () => {
    const perfect = computeMetrics([pred('anger', 'anger'), pred('fear', 'fear'), pred('fear', 'fear')], ['anger', 'fear']);
    expect(perfect).toMatchObject({ accuracy: 1, uar: 1, macroF1: 1, weightedF1: 1, neverPredicted: [] });
    const wrong = computeMetrics([pred('anger', 'fear'), pred('fear', 'anger'), pred('fear', 'anger')], ['anger', 'fear']);
    expect(wrong).toMatchObject({ accuracy: 0, uar: 0, macroF1: 0, weightedF1: 0, neverPredicted: [] });
    expect(wrong.confusion).toEqual([
      [0, 1],
      [2, 0],
    ]);
  });

  it('returns zeros for no predictions and rejects unknown labels', () => {
    expect(computeMetrics([], labels)).toMatchObject({ n: 0, accuracy: 0, uar: 0, macroF1: 0 });
    expect(() => computeMetrics([pred('boredom', 'anger')], labels)).toThrow(/true label "boredom"/);
    expect(() => computeMetrics([pred('anger', 'calm')], labels)).toThrow(/predicted label "calm"/);
  });
});
