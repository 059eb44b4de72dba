import { describe, expect, it } from 'vitest';
import { scoresFromLogits, softmax } from '../../../main/pipeline/inference/scores';

describe('scoresFromLogits', () => {
  it('softmax is stable for large logits and sums to 1', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[0]);
    expect(p[0]).toBeCloseTo(Math.exp(-1) / (1 + Math.exp(-1) + Math.exp(-2)), 12);
  });

  it('ranks labels, most probable first, ties in label order', () => {
    const s = scoresFromLogits(Float32Array.from([0, 2, 0]), ['anger', 'fear', 'sadness']);
    expect(s.emotion).toBe('fear');
    expect(s.confidence).toBe(s.probabilities.fear);
    expect(s.ranked.map((r) => r.label)).toEqual(['fear', 'anger', 'sadness']);
    expect(Object.keys(s.probabilities)).toEqual(['anger', 'fear', 'sadness']);
  });

  it('refuses a score count that does not match the labels, and non-finite scores', () => {
    expect(() => scoresFromLogits([1, 2], ['a', 'b', 'c'])).toThrow(/2 scores for 3 labels/);
    expect(() => scoresFromLogits([1, NaN], ['a', 'b'])).toThrow(/non-finite score \(NaN\) for "b"/);
  });
});
