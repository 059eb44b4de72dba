import { describe, expect, it } from 'vitest';
import { bootstrapConfidenceIntervals } from '../../main/evaluation/bootstrap';
import { computeMetrics } from '../../main/evaluation/metrics';
import type { ClipPrediction } from '../../main/evaluation/types';
import { createRng } from '../../main/util/random';
import { pred } from './helpers';

const labels = ['anger', 'happiness', 'neutral', 'sadness'];

/** 2000 clips from 20 speakers; each speaker has its own accuracy so speakers matter. */
function syntheticPredictions(): ClipPrediction[] {
  const rng = createRng(7);
  const out: ClipPrediction[] = [];
  for (let s = 0; s < 20; s++) {
    const speakerAccuracy = 0.3 + 0.6 * rng.next();
    for (let i = 0; i < 100; i++) {
      const t = labels[rng.int(labels.length)]!;
      const p = rng.next() < speakerAccuracy ? t : labels[rng.int(labels.length)]!;
      out.push(pred(t, p, { speaker: `spk${s}` }));
    }
  }
  return out;
}

describe('bootstrapConfidenceIntervals', () => {
  const predictions = syntheticPredictions();
  const point = computeMetrics(predictions, labels);

  it('is deterministic for a seed, contains the point estimate and is fast', () => {
    const start = performance.now();
    const a = bootstrapConfidenceIntervals(predictions, labels, { seed: 42 });
    const elapsed = performance.now() - start;
    expect(elapsed).toBeLessThan(1000);
    expect(bootstrapConfidenceIntervals(predictions, labels, { seed: 42 })).toEqual(a);
    expect(bootstrapConfidenceIntervals(predictions, labels, { seed: 43 })).not.toEqual(a);
    for (const key of ['accuracy', 'uar', 'macroF1'] as const) {
      const [lo, hi] = a[key];
      expect(lo).toBeLessThanOrEqual(point[key]);
      expect(hi).toBeGreaterThanOrEqual(point[key]);
      expect(hi - lo).toBeGreaterThan(0.01);
      expect(hi - lo).toBeLessThan(0.15);
    }
    expect(a).toMatchObject({ iterations: 1000, level: 0.95, groupBy: 'clip' });
  });

  it('gives wider intervals when resampling whole speakers', () => {
    const byClip = bootstrapConfidenceIntervals(predictions, labels, { seed: 1 });
    const bySpeaker = bootstrapConfidenceIntervals(predictions, labels, { seed: 1, groupBy: 'speaker' });
    const width = ([lo, hi]: [number, number]): number => hi - lo;
    expect(width(bySpeaker.accuracy)).toBeGreaterThan(width(byClip.accuracy));
    expect(bySpeaker.accuracy[0]).toBeLessThanOrEqual(point.accuracy);
    expect(bySpeaker.accuracy[1]).toBeGreaterThanOrEqual(point.accuracy);
  });

  it('collapses to the point value when every resample is identical', () => {
    const perfect = [pred('anger', 'anger'), pred('neutral', 'neutral')];
    const ci = bootstrapConfidenceIntervals(perfect, labels, { seed: 3, iterations: 50 });
    expect(ci.accuracy).toEqual([1, 1]);
  });

  describe('a test set with a one-clip class', () => {
    // Seven classes, one fear clip. A resample that dropped it would average UAR over six classes,
    // so the interval of a set whose only right answer is that clip ran from 0 to 1/6 (the CLI
    // showed "14.3 % [14.3, 16.7]"). Resamples now keep every class, and the interval collapses.
    const seven = ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'neutral', 'sadness'];
    const wrong = (label: string): string => seven[(seven.indexOf(label) + 1) % 7]!;
    const others = seven.filter((c) => c !== 'fear');
    const set: ClipPrediction[] = [pred('fear', 'fear', { speaker: 'spk0' })];
    for (let s = 0; s < 5; s++) for (const c of others) for (let i = 0; i < 4; i++) set.push(pred(c, wrong(c), { speaker: `spk${s}` }));
    const estimate = computeMetrics(set, seven);

    it.each(['clip', 'speaker'] as const)('keeps every class in every %s resample', (groupBy) => {
      expect(estimate.uar).toBeCloseTo(1 / 7, 10);
      const ci = bootstrapConfidenceIntervals(set, seven, { seed: 5, groupBy });
      expect(ci.uar).toEqual([estimate.uar, estimate.uar]);
    });

    it('holds the estimate when the other classes vary', () => {
      const rng = createRng(11);
      const noisy = set.map((p) => (p.trueLabel === 'fear' || rng.next() < 0.6 ? p : { ...p, predictedLabel: p.trueLabel }));
      const point = computeMetrics(noisy, seven);
      for (const groupBy of ['clip', 'speaker'] as const) {
        const ci = bootstrapConfidenceIntervals(noisy, seven, { seed: 5, groupBy });
        for (const key of ['accuracy', 'uar', 'macroF1'] as const) {
          expect(ci[key][0], `${groupBy} ${key}`).toBeLessThanOrEqual(point[key]);
          expect(ci[key][1], `${groupBy} ${key}`).toBeGreaterThanOrEqual(point[key]);
        }
      }
    });

    it('refuses a speaker bootstrap that can almost never keep every class, instead of spinning', () => {
      const twenty = Array.from({ length: 20 }, (_, i) => `class${i}`);
      const spread = twenty.map((c, i) => pred(c, c, { speaker: `only-${i}` }));
      expect(() => bootstrapConfidenceIntervals(spread, twenty, { seed: 1, groupBy: 'speaker' })).toThrow(
        /no resample keeping every class/,
      );
    });
  });

  it('rejects bad options and empty input', () => {
    expect(() => bootstrapConfidenceIntervals([], labels, { seed: 1 })).toThrow(/empty/);
    expect(() => bootstrapConfidenceIntervals(predictions, labels, { seed: 1, level: 1 })).toThrow(/level/);
    expect(() => bootstrapConfidenceIntervals(predictions, labels, { seed: 1, iterations: 0 })).toThrow(/iterations/);
  });
});
