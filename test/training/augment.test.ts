import { describe, expect, it } from 'vitest';
import {
  augmentBatch,
  type AugmentConfig,
  type AugmentedBatch,
  type FeatureBatch,
  MAX_FREQ_MASK_ROWS,
  MAX_TIME_MASK_FRAMES,
  NO_AUGMENT,
  PROTOTYPE_AUGMENT,
  sampleBeta,
} from '../../main/training/augment';
import { createRng, type Rng } from '../../main/util/random';

function makeBatch(batch: number, rows: number, frames: number, value: (clip: number, r: number, t: number) => number): FeatureBatch {
  const features = new Float32Array(batch * rows * frames);
  for (let c = 0; c < batch; c++)
    for (let r = 0; r < rows; r++) for (let t = 0; t < frames; t++) features[(c * rows + r) * frames + t] = value(c, r, t);
  return { features, labels: Array.from({ length: batch }, (_, c) => c % 4), batch, rows, frames, numClasses: 4 };
}

function clip(data: Float32Array, c: number, rows: number, frames: number): Float32Array {
  return data.subarray(c * rows * frames, (c + 1) * rows * frames);
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Augments a copy, so one input can be reused (augmentBatch works in place). */
function augmentCopy(input: FeatureBatch, config: AugmentConfig, rng: Rng): AugmentedBatch {
  return augmentBatch({ ...input, features: input.features.slice() }, config, rng);
}

const only = (overrides: Partial<AugmentConfig>): AugmentConfig => ({ ...NO_AUGMENT, ...overrides });
// Distinct positive values, so shifts and masks are recognisable.
const distinct = (c: number, r: number, t: number): number => 1 + c * 10000 + r * 1000 + t;

describe('augmentBatch', () => {
  it('is deterministic for a seed', () => {
    const input = makeBatch(16, 40, 100, distinct);
    const config = { ...PROTOTYPE_AUGMENT, mixupAlpha: 0.2 };
    const a = augmentCopy(input, config, createRng(42));
    const b = augmentCopy(input, config, createRng(42));
    const c = augmentCopy(input, config, createRng(43));
    // Plain comparisons: deep equality on 64 000 floats is slow.
    expect(sameValues(a.features, b.features)).toBe(true);
    expect(sameValues(a.targets!, b.targets!)).toBe(true);
    expect(sameValues(a.features, c.features)).toBe(false);
  });

  it('works in place without mixup', () => {
    const input = makeBatch(16, 4, 20, distinct);
    const original = input.features.slice();
    const result = augmentBatch(input, { ...PROTOTYPE_AUGMENT, noise: 1 }, createRng(1));
    expect(result.features).toBe(input.features);
    expect(sameValues(result.features, original)).toBe(false);
  });

  it('changes nothing with NO_AUGMENT (evaluation)', () => {
    const input = makeBatch(8, 4, 20, distinct);
    const original = input.features.slice();
    const result = augmentBatch(input, NO_AUGMENT, createRng(1));
    expect(sameValues(result.features, original)).toBe(true);
    expect(result.targets).toBeNull();
  });

  it('applies each transform with its probability, independently per clip', () => {
    const batch = 4000;
    const rows = 10;
    const frames = 50;
    // Small values, so float32 keeps the 0.05 noise.
    const input = makeBatch(batch, rows, frames, (_c, r, t) => 1 + r * 100 + t);
    const cases: [Partial<AugmentConfig>, number][] = [
      [{ noise: 0.3 }, 0.3],
      [{ timeShift: 0.3 }, 0.3],
      [{ freqMask: 0.2 }, 0.2],
      [{ timeMask: 0.2 }, 0.2],
    ];
    for (const [overrides, p] of cases) {
      const out = augmentCopy(input, only(overrides), createRng(5)).features;
      let changed = 0;
      for (let c = 0; c < batch; c++) {
        const a = clip(out, c, rows, frames);
        const b = clip(input.features, c, rows, frames);
        if (a.some((v, i) => v !== b[i])) changed++;
      }
      // Binomial(4000, p): 5 standard deviations is under 0.04.
      expect(Math.abs(changed / batch - p)).toBeLessThan(0.04);
    }
  });

  it('adds noise with std 0.05', () => {
    const input = makeBatch(50, 40, 100, () => 0);
    const out = augmentBatch(input, only({ noise: 1 }), createRng(9)).features;
    let sum = 0;
    let sumSq = 0;
    for (const v of out) {
      sum += v;
      sumSq += v * v;
    }
    const mean = sum / out.length;
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(Math.sqrt(sumSq / out.length - mean * mean)).toBeCloseTo(0.05, 3);
  });

  it('shifts circularly along time by a non-zero shift of at most 20 % of the frames', () => {
    const rows = 3;
    const frames = 50;
    const input = makeBatch(200, rows, frames, distinct);
    const out = augmentCopy(input, only({ timeShift: 1 }), createRng(3)).features;
    const seen = new Set<number>();
    for (let c = 0; c < 200; c++) {
      const a = clip(out, c, rows, frames);
      const b = clip(input.features, c, rows, frames);
      // The shift s maps b[t] to a[(t + s) mod frames]; find s from frame 0 of row 0.
      const shift = a.indexOf(b[0]!);
      expect(shift).toBeGreaterThanOrEqual(0);
      seen.add(shift);
      const signed = shift > frames / 2 ? shift - frames : shift;
      expect(signed).not.toBe(0);
      expect(Math.abs(signed)).toBeLessThanOrEqual(10);
      let circular = true;
      for (let r = 0; r < rows; r++)
        for (let t = 0; t < frames; t++) circular &&= a[r * frames + ((t + shift) % frames)] === b[r * frames + t];
      expect(circular).toBe(true);
    }
    expect(seen.size).toBe(20);
  });

  it('keeps masks to one in-bounds band of rows or run of frames', () => {
    const rows = 40;
    const frames = 100;
    const input = makeBatch(300, rows, frames, distinct);
    const freq = augmentCopy(input, only({ freqMask: 1 }), createRng(4)).features;
    const time = augmentCopy(input, only({ timeMask: 1 }), createRng(4)).features;
    for (let c = 0; c < 300; c++) {
      const f = clip(freq, c, rows, frames);
      const maskedRows = [];
      for (let r = 0; r < rows; r++) {
        const row = f.subarray(r * frames, (r + 1) * frames);
        const zeros = row.filter((v) => v === 0).length;
        expect(zeros === 0 || zeros === frames).toBe(true);
        if (zeros === frames) maskedRows.push(r);
      }
      expect(maskedRows.length).toBeGreaterThanOrEqual(1);
      expect(maskedRows.length).toBeLessThanOrEqual(MAX_FREQ_MASK_ROWS);
      expect(maskedRows.at(-1)! - maskedRows[0]!).toBe(maskedRows.length - 1);

      const t = clip(time, c, rows, frames);
      const maskedFrames = [];
      for (let k = 0; k < frames; k++) {
        let zeros = 0;
        for (let r = 0; r < rows; r++) if (t[r * frames + k] === 0) zeros++;
        expect(zeros === 0 || zeros === rows).toBe(true);
        if (zeros === rows) maskedFrames.push(k);
      }
      expect(maskedFrames.length).toBeGreaterThanOrEqual(1);
      expect(maskedFrames.length).toBeLessThanOrEqual(MAX_TIME_MASK_FRAMES);
      expect(maskedFrames.at(-1)! - maskedFrames[0]!).toBe(maskedFrames.length - 1);
    }
  });

  it('mixup mixes features and targets with the same λ and partner', () => {
    const batch = 32;
    // Every value of clip c is c and its label is c, so a mixed clip must equal Σ_k k·target_k.
    const input: FeatureBatch = {
      ...makeBatch(batch, 2, 5, (c) => c),
      labels: Array.from({ length: batch }, (_, c) => c),
      numClasses: batch,
    };
    const { features, targets } = augmentBatch(input, only({ mixupAlpha: 0.2 }), createRng(11));
    expect(targets).not.toBeNull();
    for (let c = 0; c < batch; c++) {
      const row = targets!.subarray(c * batch, (c + 1) * batch);
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
      const expected = row.reduce((s, v, k) => s + v * k, 0);
      for (const v of clip(features, c, 2, 5)) expect(v).toBeCloseTo(expected, 3);
    }
  });
});

describe('augmentBatch with validFrames (masked models)', () => {
  const rows = 3;
  const frames = 40;
  const valid = (c: number) => 5 + ((c * 7) % 36);

  it('rolls only the real frames, by up to 20 % of them, and masks time only within them; padding stays as it was', () => {
    const batch = 120;
    const input = { ...makeBatch(batch, rows, frames, distinct), validFrames: Int32Array.from({ length: batch }, (_, c) => valid(c)) };
    const shifted = augmentCopy(input, only({ timeShift: 1 }), createRng(5));
    expect(shifted.validFrames).toBe(input.validFrames);
    const masked = augmentCopy(input, only({ timeMask: 1 }), createRng(5)).features;
    for (let c = 0; c < batch; c++) {
      const v = valid(c);
      const a = clip(shifted.features, c, rows, frames);
      const m = clip(masked, c, rows, frames);
      const b = clip(input.features, c, rows, frames);
      const shift = a.indexOf(b[0]!);
      const signed = shift > v / 2 ? shift - v : shift;
      expect(Math.abs(signed)).toBeGreaterThanOrEqual(v >= 5 ? 1 : 0);
      expect(Math.abs(signed)).toBeLessThanOrEqual(Math.floor(v * 0.2));
      for (let r = 0; r < rows; r++) {
        for (let t = 0; t < v; t++) expect(a[r * frames + ((t + shift) % v)]).toBe(b[r * frames + t]);
        for (let t = v; t < frames; t++) {
          expect(a[r * frames + t]).toBe(b[r * frames + t]);
          expect(m[r * frames + t]).toBe(b[r * frames + t]);
        }
      }
      expect(m.some((x) => x === 0)).toBe(true);
    }
  });

  it('mixup: a mixed clip is real where either of its two clips is', () => {
    const batch = 16;
    const validFrames = Int32Array.from({ length: batch }, (_, c) => valid(c));
    // Clip c holds c + 1 in its real frames and 0 in its padding.
    const input = { ...makeBatch(batch, rows, frames, (c, _r, t) => (t < valid(c) ? c + 1 : 0)), validFrames };
    const out = augmentBatch(input, only({ mixupAlpha: 0.4 }), createRng(2));
    expect(out.validFrames).not.toBe(validFrames);
    for (let c = 0; c < batch; c++) {
      const mixed = clip(out.features, c, rows, frames);
      let last = 0;
      for (let t = 0; t < frames; t++) if (mixed[t] !== 0) last = t + 1;
      // The partner's length is the other one of the pair; the mixed clip has signal up to the longer one.
      expect(out.validFrames![c]).toBeGreaterThanOrEqual(validFrames[c]!);
      expect(last).toBe(out.validFrames![c]!);
    }
    expect(Array.from(out.validFrames!).some((v, c) => v > validFrames[c]!)).toBe(true);
  });
});

describe('sampleBeta', () => {
  it('has the Beta(a, b) mean and variance', () => {
    const rng = createRng(2);
    for (const [a, b] of [
      [0.2, 0.2],
      [2, 3],
    ] as const) {
      const n = 20000;
      const draws = Array.from({ length: n }, () => sampleBeta(rng, a, b));
      expect(draws.every((x) => x >= 0 && x <= 1)).toBe(true);
      const mean = draws.reduce((s, x) => s + x, 0) / n;
      const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
      expect(mean).toBeCloseTo(a / (a + b), 1);
      expect(variance).toBeCloseTo((a * b) / ((a + b) ** 2 * (a + b + 1)), 2);
    }
  });
});
