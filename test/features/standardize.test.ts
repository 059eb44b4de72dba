import { describe, expect, it } from 'vitest';
import {
  applyStandardizer,
  fitStandardizer,
  normalizeClips,
  recordedNormalizer,
  RunningStandardizer,
  standardizePerClip,
  type ClipMatrix,
} from '../../main/features/standardize';
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

  it('centres a row with no spread without dividing it by ~0 (its std is recorded as 1)', () => {
    const constant = Float32Array.from([1, 2, 3, 0.1, 0.1, 0.1, -80, -80, -80]);
    const stats = fitStandardizer([constant, constant], 3, 3);
    expect(stats.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(stats.std[1]).toBe(1);
    expect(stats.std[2]).toBe(1);
    expect(stats.mean[2]).toBe(-80);
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

// Two rows × four frames. Padding slots hold 99 / 77 (real padding is 0) so that counting them would show.
const ROWS = 2;
const FRAMES = 4;
const clipA1: ClipMatrix = { data: Float32Array.from([1, 2, 3, 99, 10, 10, 10, 99]), validFrames: 3, speaker: 'A' };
const clipA2: ClipMatrix = { data: Float32Array.from([5, 6, 77, 77, 20, 20, 77, 77]), validFrames: 2, speaker: 'A' };
const clipB: ClipMatrix = { data: Float32Array.from([100, 200, 300, 400, 0, 0, 0, 0]), validFrames: 4, speaker: 'B' };
// Speaker A by hand: row 0 over 1 2 3 5 6, row 1 over 10 10 10 20 20.
const A_MEAN = [3.4, 14];
const A_STD = [Math.sqrt(3.44), Math.sqrt(24)];
const z = (x: number, mean: number, std: number): number => Math.fround((x - mean) / (std + 1e-8));

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 5));
}

describe('statistics over valid frames only', () => {
  it('fitStandardizer counts the first validFrames frames of each matrix, never the padding', () => {
    const stats = fitStandardizer([clipA1.data, clipA2.data], ROWS, FRAMES, [3, 2]);
    stats.mean.forEach((m, r) => expect(m).toBeCloseTo(A_MEAN[r]!, 12));
    stats.std.forEach((s, r) => expect(s).toBeCloseTo(A_STD[r]!, 12));
  });

  it('applyStandardizer sets padded frames to 0', () => {
    const out = applyStandardizer(clipA1.data, { mean: [1, 10], std: [1, 1] }, ROWS, FRAMES, 3);
    expectClose(out, [0, 1, 2, 0, 0, 0, 0, 0]);
  });

  it('refuses bad valid-frame counts and a set with no valid frame', () => {
    expect(() => fitStandardizer([clipA1.data], ROWS, FRAMES, [5])).toThrow(/validFrames 5 is not an integer in 0\.\.4/);
    expect(() => fitStandardizer([clipA1.data], ROWS, FRAMES, [3, 2])).toThrow(/2 valid-frame counts for 1 matrices/);
    expect(() => fitStandardizer([clipA1.data], ROWS, FRAMES, [0])).toThrow(/no valid frames/);
    expect(() => applyStandardizer(clipA1.data, { mean: [0, 0], std: [1, 1] }, ROWS, FRAMES, -1)).toThrow(/validFrames -1/);
  });
});

describe('normalizeClips', () => {
  const clips = [clipA1, clipA2, clipB];

  it('global: the given statistics on valid frames, padding 0 (or standardised like any frame for old checkpoints)', () => {
    const stats = { mean: [2, 10], std: [2, 5] };
    const masked = normalizeClips(clips, { mode: 'global', stats, maskPadding: true }, ROWS, FRAMES);
    expectClose(masked.matrices[0]!, [z(1, 2, 2), z(2, 2, 2), z(3, 2, 2), 0, 0, 0, 0, 0]);
    expect(masked.ownStatistics).toEqual([]);
    const unmasked = normalizeClips(clips, { mode: 'global', stats, maskPadding: false }, ROWS, FRAMES);
    expectClose(unmasked.matrices[0]!, [z(1, 2, 2), z(2, 2, 2), z(3, 2, 2), z(99, 2, 2), 0, 0, 0, z(99, 10, 5)]);
  });

  it("speaker: each speaker's joint statistics over its own clips' valid frames (hand-checked)", () => {
    const { matrices, ownStatistics } = normalizeClips(clips, { mode: 'speaker' }, ROWS, FRAMES);
    const a = (x: number, r: number): number => z(x, A_MEAN[r]!, A_STD[r]!);
    expectClose(matrices[0]!, [a(1, 0), a(2, 0), a(3, 0), 0, a(10, 1), a(10, 1), a(10, 1), 0]);
    expectClose(matrices[1]!, [a(5, 0), a(6, 0), 0, 0, a(20, 1), a(20, 1), 0, 0]);
    const bStd = Math.sqrt(12500);
    // Row 1 of B is constant: (x - mean) is 0 and so is the result.
    expectClose(matrices[2]!, [z(100, 250, bStd), z(200, 250, bStd), z(300, 250, bStd), z(400, 250, bStd), 0, 0, 0, 0]);
    expect(ownStatistics).toEqual([]);
  });

  it("speaker: another speaker's clips never change this speaker's values", () => {
    const before = normalizeClips(clips, { mode: 'speaker' }, ROWS, FRAMES).matrices;
    const otherB: ClipMatrix = { data: Float32Array.from([-5, 9, 1e4, 3, 7, -7, 70, 0.5]), validFrames: 4, speaker: 'B' };
    const extraB: ClipMatrix = { data: Float32Array.from([1, 1, 1, 1, 2, 2, 2, 2]), validFrames: 4, speaker: 'B' };
    const after = normalizeClips([clipA1, clipA2, otherB, extraB], { mode: 'speaker' }, ROWS, FRAMES).matrices;
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[2]).not.toEqual(before[2]);
  });

  it('speaker: padding values never count', () => {
    const repadded = clips.map((c) => ({ ...c, data: c.data.map((v, i) => (i % FRAMES >= c.validFrames ? -12345 : v)) }));
    const before = normalizeClips(clips, { mode: 'speaker' }, ROWS, FRAMES).matrices;
    expect(normalizeClips(repadded, { mode: 'speaker' }, ROWS, FRAMES).matrices).toEqual(before);
  });

  it('speaker: statistics come from the pool given; a speaker with no clip there falls back to its own and is listed', () => {
    const pool = [clipA1, clipA2];
    const { matrices, ownStatistics } = normalizeClips([clipA2, clipB], { mode: 'speaker' }, ROWS, FRAMES, pool);
    expect(matrices[0]).toEqual(normalizeClips(clips, { mode: 'speaker' }, ROWS, FRAMES).matrices[1]);
    expect(matrices[1]).toEqual(normalizeClips([clipB], { mode: 'clip' }, ROWS, FRAMES).matrices[0]);
    expect(ownStatistics).toEqual([1]);
    const unknown = normalizeClips([{ ...clipA1, speaker: '' }, clipA2], { mode: 'speaker' }, ROWS, FRAMES);
    expect(unknown.ownStatistics).toEqual([0]);
    // Alone, A2 is its own speaker's only clip.
    expect(unknown.matrices[1]).toEqual(normalizeClips([clipA2], { mode: 'clip' }, ROWS, FRAMES).matrices[0]);
  });

  it("clip: each clip's own per-row statistics over its valid frames (hand-checked); no frames gives zeros", () => {
    const { matrices } = normalizeClips([clipA1, { ...clipB, validFrames: 0 }], { mode: 'clip' }, ROWS, FRAMES);
    const std = Math.sqrt(2 / 3);
    expectClose(matrices[0]!, [z(1, 2, std), z(2, 2, std), z(3, 2, std), 0, 0, 0, 0, 0]);
    expect(Array.from(matrices[1]!)).toEqual(new Array(8).fill(0));
  });
});

describe('recordedNormalizer', () => {
  it("reads a manifest's normalisation", () => {
    const stats = { mean: [0], std: [1] };
    expect(recordedNormalizer({ normalization: { mode: 'global', maskPadding: false }, standardizer: stats })).toEqual({
      mode: 'global',
      stats,
      maskPadding: false,
    });
    expect(recordedNormalizer({ normalization: { mode: 'speaker', maskPadding: true } })).toEqual({ mode: 'speaker' });
    expect(() => recordedNormalizer({ normalization: { mode: 'global', maskPadding: true } })).toThrow(/needs the standardizer/);
  });
});

describe('RunningStandardizer', () => {
  it('equals fitStandardizer over the matrices added so far, valid frames only, flat rows at std 1', () => {
    const rows = 4;
    const frames = 50;
    const matrices = [1, 2, 3, 4].map((seed) => randomMatrix(rows, frames, seed, (r) => [100, -300, 0, 0][r]!));
    for (const m of matrices) for (let t = 0; t < frames; t++) m[3 * frames + t] = 7; // a flat row
    const valid = [50, 20, 0, 35];
    const running = new RunningStandardizer(rows, frames);
    matrices.forEach((m, i) => {
      running.add(m, valid[i]);
      if (valid.slice(0, i + 1).every((v) => v === 0)) return;
      const expected = fitStandardizer(matrices.slice(0, i + 1), rows, frames, valid.slice(0, i + 1));
      const got = running.stats();
      for (let r = 0; r < rows; r++) {
        expect(got.mean[r]).toBeCloseTo(expected.mean[r]!, 9);
        expect(got.std[r]).toBeCloseTo(expected.std[r]!, 9);
      }
    });
    expect(running.frameCount).toBe(105);
    expect(running.stats().std[3]).toBe(1);
  });

  it('refuses statistics before any frame, and matrices of another shape', () => {
    const running = new RunningStandardizer(2, 3);
    expect(() => running.stats()).toThrow(/no frames yet/);
    running.add(new Float32Array(6), 0);
    expect(() => running.stats()).toThrow(/no frames yet/);
    expect(() => running.add(new Float32Array(5))).toThrow(/expected rows × frames = 2 × 3/);
  });
});
