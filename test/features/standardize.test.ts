import { describe, expect, it } from 'vitest';
import { applyStandardizer, fitStandardizer, standardizePerClip } from '../../main/features/standardize';
import { createRng } from '../../main/util/random';

function randomMatrix(rows: number, frames: number, seed: number, offset: (row: number) => number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from(
    { length: rows * frames },
    (_, i) => offset(Math.floor(i / frames)) + rng.normal() * (1 + Math.floor(i / frames)),
  );
}

describe('fitStandardizer', () => {
  it('computes per-row mean and population std over all frames of the given matrices', () => {
    const a = Float32Array.from([1, 2, 3, 10, 10, 10]);
    const b = Float32Array.from([4, 5, 6, 20, 20, 20]);
    const stats = fitStandardizer([a, b], 2, 3);
    expect(stats.mean[0]).toBeCloseTo(3.5, 12);
    expect(stats.std[0]).toBeCloseTo(Math.sqrt(17.5 / 6), 12);
    expect(stats.mean[1]).toBeCloseTo(15, 12);
    expect(stats.std[1]).toBeCloseTo(5, 12);
  });

  it('uses only the matrices it is given (the training split)', () => {
    const train = [0, 1, 2].map((s) => randomMatrix(4, 50, s, (r) => r * 10));
    const test = randomMatrix(4, 50, 99, () => 1000);
    const fromTrain = fitStandardizer(train, 4, 50);
    expect(fitStandardizer([...train], 4, 50)).toEqual(fromTrain);
    expect(fitStandardizer([...train, test], 4, 50).mean[0]).toBeGreaterThan(200);
    expect(fromTrain.mean[0]).toBeLessThan(1);
    fromTrain.mean.forEach((m, r) => expect(Math.abs(m - r * 10)).toBeLessThan(0.5 * (r + 1)));
  });

  it('is plain JSON', () => {
    const stats = fitStandardizer([randomMatrix(3, 10, 1, () => 0)], 3, 10);
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    expect(Array.isArray(stats.mean) && Array.isArray(stats.std)).toBe(true);
  });

  it('rejects shape mismatches and an empty training set', () => {
    expect(() => fitStandardizer([], 2, 3)).toThrow(/at least one/);
    expect(() => fitStandardizer([new Float32Array(5)], 2, 3)).toThrow(/rows × frames/);
  });
});

describe('applyStandardizer', () => {
  it('gives zero mean and unit std per row on the training data', () => {
    const train = [1, 2].map((s) => randomMatrix(3, 40, s, (r) => r * 5 - 3));
    const stats = fitStandardizer(train, 3, 40);
    const standardized = train.map((m) => applyStandardizer(m, stats, 3, 40));
    const again = fitStandardizer(standardized, 3, 40);
    again.mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-5));
    again.std.forEach((s) => expect(s).toBeCloseTo(1, 5));
  });

  it('computes (x - mean) / (std + 1e-8) and leaves its input alone', () => {
    const matrix = Float32Array.from([1, 3, 5, 7]);
    const out = applyStandardizer(matrix, { mean: [2, 6], std: [1, 0] }, 2, 2);
    expect(Array.from(out)).toEqual([
      Math.fround(-1 / (1 + 1e-8)),
      Math.fround(1 / (1 + 1e-8)),
      Math.fround(-1 / 1e-8),
      Math.fround(1 / 1e-8),
    ]);
    expect(Array.from(matrix)).toEqual([1, 3, 5, 7]);
    expect(() => applyStandardizer(matrix, { mean: [0], std: [1] }, 2, 2)).toThrow(/rows/);
  });
});

describe('standardizePerClip', () => {
  it('standardises over the whole matrix with the population std', () => {
    const out = standardizePerClip(Float32Array.from([1, 2, 3, 4]));
    const std = Math.sqrt(1.25);
    expect(Array.from(out)).toEqual([-1.5, -0.5, 0.5, 1.5].map((v) => Math.fround(v / (std + 1e-8))));
    expect(Array.from(standardizePerClip(new Float32Array(3)))).toEqual([0, 0, 0]);
  });
});
