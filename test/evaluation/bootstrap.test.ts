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

  it('rejects bad options and empty input', () => {
    expect(() => bootstrapConfidenceIntervals([], labels, { seed: 1 })).toThrow(/empty/);
    expect(() => bootstrapConfidenceIntervals(predictions, labels, { seed: 1, level: 1 })).toThrow(/level/);
    expect(() => bootstrapConfidenceIntervals(predictions, labels, { seed: 1, iterations: 0 })).toThrow(/iterations/);
  });
});
