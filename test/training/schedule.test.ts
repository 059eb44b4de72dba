import { describe, expect, it } from 'vitest';
import { EarlyStopping, ReduceLROnPlateau } from '../../main/training/schedule';

function rates(scheduler: ReduceLROnPlateau, metrics: number[]): number[] {
  return metrics.map((m) => scheduler.step(m).learningRate);
}

describe('ReduceLROnPlateau', () => {
  it('halves the rate once bad epochs exceed patience, then counts again', () => {
    const scheduler = new ReduceLROnPlateau({ learningRate: 1, patience: 2 });
    expect(rates(scheduler, [1, 1, 1, 1, 1, 1, 1])).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
  });

  it('needs a relative improvement beyond the threshold (mode min)', () => {
    const scheduler = new ReduceLROnPlateau({ learningRate: 1, patience: 1 });
    // 0.99995 is not below 1·(1 − 1e-4); 0.9 is.
    expect(rates(scheduler, [1, 0.99995, 0.9, 0.89995, 0.89995])).toEqual([1, 1, 1, 1, 0.5]);
  });

  it('supports mode max, cooldown, minLr and reports reductions', () => {
    const scheduler = new ReduceLROnPlateau({ learningRate: 1, mode: 'max', patience: 0, cooldown: 1, minLr: 0.3 });
    const results = [0.5, 0.5, 0.5, 0.5, 0.6, 0.5, 0.5].map((m) => scheduler.step(m));
    expect(results.map((r) => r.learningRate)).toEqual([1, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]);
    // The last reduction would go below minLr, so nothing changes and none is reported.
    expect(results.map((r) => r.reduced)).toEqual([false, true, false, true, false, false, false]);
  });

  it("uses absolute thresholds with thresholdMode 'abs'", () => {
    const scheduler = new ReduceLROnPlateau({ learningRate: 1, patience: 0, threshold: 0.1, thresholdMode: 'abs' });
    expect(rates(scheduler, [1, 0.95, 0.85])).toEqual([1, 0.5, 0.5]);
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without improvement and tracks the best epoch', () => {
    const stopper = new EarlyStopping({ patience: 3, mode: 'max' });
    const metrics = [0.5, 0.6, 0.6, 0.59, 0.61, 0.6, 0.6, 0.6];
    const results = metrics.map((m, epoch) => stopper.step(m, epoch));
    expect(results.map((r) => r.improved)).toEqual([true, true, false, false, true, false, false, false]);
    expect(results.map((r) => r.stop)).toEqual([false, false, false, false, false, false, false, true]);
    expect(results.at(-1)).toMatchObject({ bestEpoch: 4, bestValue: 0.61 });
  });

  it('requires improvement beyond minDelta (mode min)', () => {
    const stopper = new EarlyStopping({ patience: 2, mode: 'min', minDelta: 0.05 });
    const results = [1, 0.97, 0.9, 0.88].map((m, epoch) => stopper.step(m, epoch));
    expect(results.map((r) => r.improved)).toEqual([true, false, true, false]);
    expect(results.map((r) => r.stop)).toEqual([false, false, false, false]);
    expect(stopper.step(0.87, 4)).toEqual({ stop: true, improved: false, bestEpoch: 2, bestValue: 0.9 });
  });

  it('never counts NaN as an improvement', () => {
    const stopper = new EarlyStopping({ patience: 1, mode: 'min' });
    stopper.step(1, 0);
    expect(stopper.step(Number.NaN, 1)).toMatchObject({ stop: true, improved: false, bestValue: 1 });
  });
});
