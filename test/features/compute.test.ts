import { describe, expect, it } from 'vitest';
import { computeFeatureMatrix } from '../../main/features/compute';
import { featureRowCount, resolveFeatureConfig } from '../../main/features/config';
import { meydaFeatures } from '../../main/features/meyda';
import { mfcc } from '../../main/features/mfcc';

const SR = 22050;

function speechLike(seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => {
    const t = i / SR;
    return 0.3 * Math.sin(2 * Math.PI * 180 * t) * (1 + Math.sin(2 * Math.PI * 3 * t)) + 0.05 * Math.sin(2 * Math.PI * 2500 * t);
  });
}

/** Row r, frames [0, count) of a row-major matrix. */
function rowSlice(data: Float32Array, frames: number, r: number, count = frames): Float32Array {
  return data.subarray(r * frames, r * frames + count);
}

describe('computeFeatureMatrix', () => {
  it('zero-pads short clips at the end to cfg.frames', () => {
    const samples = speechLike(1);
    const cfg = resolveFeatureConfig({ nMfcc: 20, frames: 100 });
    const natural = mfcc(samples, { ...cfg, nMfcc: 20 });
    const matrix = computeFeatureMatrix(samples, cfg);
    expect(natural.frames).toBe(44);
    expect([matrix.rows, matrix.frames, matrix.validFrames]).toEqual([20, 100, 44]);
    expect(matrix.data.length).toBe(20 * 100);
    // Owns its buffer, so a worker can transfer it.
    expect(matrix.data.buffer.byteLength).toBe(matrix.data.byteLength);
    for (let r = 0; r < 20; r++) {
      expect(Array.from(rowSlice(matrix.data, 100, r, 44))).toEqual(Array.from(rowSlice(natural.data, 44, r)));
      expect(
        rowSlice(matrix.data, 100, r)
          .subarray(44)
          .every((v) => v === 0),
      ).toBe(true);
    }
  });

  it('truncates long clips to the first cfg.frames frames', () => {
    const samples = speechLike(3);
    const cfg = resolveFeatureConfig({ frames: 50 });
    const natural = mfcc(samples, cfg);
    const matrix = computeFeatureMatrix(samples, cfg);
    expect(natural.frames).toBe(130);
    expect([matrix.rows, matrix.frames, matrix.validFrames]).toEqual([40, 50, 50]);
    for (let r = 0; r < 40; r++) {
      expect(Array.from(rowSlice(matrix.data, 50, r))).toEqual(Array.from(rowSlice(natural.data, 130, r, 50)));
    }
  });

  it('stacks librosa MFCC rows and then the Meyda descriptor rows', () => {
    const samples = speechLike(1);
    const cfg = resolveFeatureConfig({ nMfcc: 13, frames: 60, extras: ['rms', 'chroma'] });
    const matrix = computeFeatureMatrix(samples, cfg);
    expect(matrix.rows).toBe(featureRowCount(cfg));
    expect(matrix.rows).toBe(13 + 12 + 1);
    const natural = mfcc(samples, cfg);
    const extras = meydaFeatures(samples, { ...cfg, nMfcc: 0, descriptors: cfg.extras });
    for (let r = 0; r < 13; r++) {
      expect(Array.from(rowSlice(matrix.data, 60, r, 44))).toEqual(Array.from(rowSlice(natural.data, 44, r)));
    }
    for (let r = 0; r < 13; r++) {
      expect(Array.from(rowSlice(matrix.data, 60, 13 + r, 44))).toEqual(Array.from(rowSlice(extras.data, 44, r)));
    }
    expect(matrix.data.every(Number.isFinite)).toBe(true);
  });

  it('uses Meyda MFCCs for the meyda preset', () => {
    const samples = speechLike(1);
    const cfg = resolveFeatureConfig({ preset: 'meyda', nMfcc: 13, frames: 44, extras: ['zcr'] });
    const matrix = computeFeatureMatrix(samples, cfg);
    const expected = meydaFeatures(samples, { ...cfg, descriptors: ['zcr'] });
    expect([matrix.rows, matrix.frames, matrix.validFrames]).toEqual([14, 44, 44]);
    expect(Array.from(matrix.data)).toEqual(Array.from(expected.data));
    const librosa = computeFeatureMatrix(samples, { ...cfg, preset: 'librosa' });
    expect(Array.from(librosa.data.subarray(0, 44))).not.toEqual(Array.from(matrix.data.subarray(0, 44)));
  });

  it('handles an empty clip', () => {
    const matrix = computeFeatureMatrix(new Float32Array(0), resolveFeatureConfig({ frames: 100, extras: ['spectralCentroid'] }));
    expect([matrix.rows, matrix.frames, matrix.validFrames]).toEqual([41, 100, 1]);
    expect(matrix.data.every(Number.isFinite)).toBe(true);
  });
});
