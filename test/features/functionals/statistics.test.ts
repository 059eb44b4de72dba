/** The functionals (statistics over a contour's selected frames) on contours whose answers are known by hand. */
import { describe, expect, it } from 'vitest';
import { delta, functionals, select, slopes, smooth3, type FunctionalName } from '../../../main/features/functionals/statistics';

function run(contour: number[], names: FunctionalName[], mask?: number[]): number[] {
  const out = new Float64Array(names.length);
  functionals(select(Float64Array.from(contour), mask ? Uint8Array.from(mask) : undefined), names, out, 0);
  return Array.from(out);
}

describe('functionals', () => {
  it('moments, extremes and positions', () => {
    const [mean, stddev, stddevNorm, min, max, range, minPos, maxPos] = run(
      [2, 4, 4, 4, 5, 5, 7, 9],
      ['mean', 'stddev', 'stddevNorm', 'min', 'max', 'range', 'minPos', 'maxPos'],
    );
    expect([mean, stddev, stddevNorm, min, max, range, minPos, maxPos]).toEqual([5, 2, 0.4, 2, 9, 7, 0, 1]);
  });

  it("percentiles interpolate linearly, as numpy's default", () => {
    // numpy.percentile([1, 2, 3, 4, 10], [20, 50, 80]) = [1.8, 3, 5.2]
    const [p20, p50, p80, range] = run([10, 1, 3, 2, 4], ['pctl20', 'pctl50', 'pctl80', 'pctlrange0-2']);
    expect(p20).toBeCloseTo(1.8, 12);
    expect(p50).toBe(3);
    expect(p80).toBeCloseTo(5.2, 12);
    expect(range).toBeCloseTo(3.4, 12);
  });

  it('rising and falling slopes in units per second, between turning points, within runs', () => {
    // 0 → 3 over 3 frames (100/s), 3 → 1 over 2 frames (−100/s), then a gap, then 5 → 6 (100/s).
    const contour = Float64Array.from([0, 1, 2, 3, 2, 1, Number.NaN, 5, 6]);
    expect(slopes(select(contour))).toEqual({ rising: [100, 100], falling: [-100] });
    const [meanRising, stdRising, meanFalling] = run(Array.from(contour), ['meanRisingSlope', 'stddevRisingSlope', 'meanFallingSlope']);
    expect([meanRising, stdRising, meanFalling]).toEqual([100, 0, -100]);
  });

  it('linear regression against time: slope per second, offset and mean squared error', () => {
    const [c1, c2, err] = run([1, 1.5, 2, 2.5], ['linregc1', 'linregc2', 'linregerrQ']);
    expect(c1).toBeCloseTo(50, 9);
    expect(c2).toBeCloseTo(1, 12);
    expect(err).toBeCloseTo(0, 12);
  });

  it('up-level times: the fraction of frames above min + x % of the range', () => {
    expect(run([0, 1, 2, 3, 4, 5, 6, 7, 8, 10], ['upleveltime25', 'upleveltime75', 'upleveltime90'])).toEqual([0.7, 0.2, 0.1]);
  });

  it('only masked, finite frames count; none at all gives zeros', () => {
    expect(run([1, 100, 3, Number.NaN], ['mean', 'max'], [1, 0, 1, 1])).toEqual([2, 3]);
    expect(run([Number.NaN, 4], ['mean', 'stddevNorm', 'pctl50', 'meanRisingSlope'], [1, 0])).toEqual([0, 0, 0, 0]);
    // A zero mean leaves stddevNorm at 0, not infinite.
    expect(run([-1, 1], ['stddevNorm'])).toEqual([0]);
  });

  it('smoothing and deltas keep undefined frames undefined and average only defined neighbours', () => {
    const contour = Float64Array.from([3, 6, Number.NaN, 9, 12]);
    expect(Array.from(smooth3(contour))).toEqual([4.5, 4.5, Number.NaN, 10.5, 10.5]);
    expect(Array.from(delta(contour))).toEqual([1.5, 1.5, Number.NaN, 1.5, 1.5]);
  });
});
