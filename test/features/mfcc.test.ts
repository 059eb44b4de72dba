import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAudio } from '../../main/audio';
import { computeFeatureMatrix } from '../../main/features/compute';
import { resolveFeatureConfig } from '../../main/features/config';
import {
  dctOrthoMatrix,
  denseFilterbankRow,
  frameCount,
  melFilterbank,
  melPowerSpectrogram,
  mfcc,
  powerToDb,
} from '../../main/features/mfcc';
import { standardizePerClip } from '../../main/features/standardize';
import { audioPath, flat, GOLDEN_DIR, goldenFiles, maxAbsDiff, meanAbsDiff, readGoldenClip } from './golden';

const SR = 22050;
const SPECTROGRAM = { sampleRate: SR, nFft: 2048, hopLength: 512, nMels: 128 };

interface GoldenFilterbank {
  mel_band_edges_hz: number[];
  bands: { start_bin: number; weights: number[] }[];
}

describe('melFilterbank', () => {
  it('matches librosa.filters.mel(sr=22050, n_fft=2048, n_mels=128)', () => {
    const golden = JSON.parse(readFileSync(join(GOLDEN_DIR, 'mel_filterbank_sr22050_nfft2048_nmels128.json'), 'utf8')) as GoldenFilterbank;
    const fb = melFilterbank(SR, 2048, 128);
    expect(fb.bins).toBe(1025);
    expect(golden.bands).toHaveLength(128);
    golden.bands.forEach((band, m) => {
      const expected = new Float64Array(1025);
      expected.set(band.weights, band.start_bin);
      expect(maxAbsDiff(denseFilterbankRow(fb, m), expected)).toBeLessThanOrEqual(1e-6);
    });
    golden.mel_band_edges_hz.forEach((edge, i) => {
      expect(Math.abs(fb.edgesHz[i] - edge)).toBeLessThanOrEqual(1e-5 * Math.max(edge, 1));
    });
  });

  it('keeps every band inside fmin..fmax and caches per arguments', () => {
    const fb = melFilterbank(16000, 512, 40, 300, 4000);
    const hzPerBin = 16000 / 512;
    for (let m = 0; m < 40; m++) {
      const row = denseFilterbankRow(fb, m);
      row.forEach((w, k) => {
        if (w > 0) {
          expect(k * hzPerBin).toBeGreaterThan(300);
          expect(k * hzPerBin).toBeLessThan(4000);
        }
      });
    }
    expect(melFilterbank(16000, 512, 40, 300, 4000)).toBe(fb);
  });
});

describe('librosa parity on EmoDB (22050 Hz, no resampling)', () => {
  const files = goldenFiles('emodb_');

  it('has the 8 golden clips', () => {
    expect(files).toHaveLength(8);
  });

  it.each(files)('%s: mel power, dB, MFCC 40/13, padded+normalised', async (file) => {
    const golden = readGoldenClip(file);
    const audio = await loadAudio(audioPath(golden), { targetSampleRate: SR });
    expect(audio.samples.length).toBe(golden.input.num_samples);

    const mel = melPowerSpectrogram(audio.samples, SPECTROGRAM);
    expect([mel.rows, mel.frames]).toEqual(golden.arrays.mel_power.shape);
    const goldenPower = flat(golden.arrays.mel_power);
    const maxPower = Math.max(...goldenPower);
    let worstRelative = 0;
    goldenPower.forEach((p, i) => {
      if (p >= maxPower * 1e-6) worstRelative = Math.max(worstRelative, Math.abs(mel.data[i] - p) / p);
    });
    expect(worstRelative).toBeLessThanOrEqual(1e-4);

    expect(maxAbsDiff(powerToDb(mel.data), flat(golden.arrays.mel_db))).toBeLessThanOrEqual(1e-3);

    const mfcc40 = mfcc(audio.samples, { ...SPECTROGRAM, nMfcc: 40 });
    expect([mfcc40.rows, mfcc40.frames]).toEqual(golden.arrays.mfcc40.shape);
    expect(maxAbsDiff(mfcc40.data, flat(golden.arrays.mfcc40))).toBeLessThanOrEqual(2e-3);

    const mfcc13 = mfcc(audio.samples, { ...SPECTROGRAM, nMfcc: 13 });
    expect(maxAbsDiff(mfcc13.data, flat(golden.arrays.mfcc13))).toBeLessThanOrEqual(2e-3);

    const matrix = computeFeatureMatrix(audio.samples, resolveFeatureConfig({ frames: 100 }));
    expect(matrix.validFrames).toBe(87);
    expect(maxAbsDiff(standardizePerClip(matrix.data), flat(golden.arrays.mfcc40_pad100_norm))).toBeLessThanOrEqual(1e-3);
  });
});

describe('librosa parity on CREMA-D (16 kHz resampled to 22050 Hz)', () => {
  const files = goldenFiles('crema_');

  it('has the 4 golden clips', () => {
    expect(files).toHaveLength(4);
  });

  it.each(files)('%s: MFCC 40 and padded/truncated normalised matrix', async (file) => {
    const golden = readGoldenClip(file);
    const audio = await loadAudio(audioPath(golden), { targetSampleRate: SR });
    const expected = flat(golden.arrays.mfcc40);
    const result = mfcc(audio.samples, { ...SPECTROGRAM, nMfcc: 40 });
    expect([result.rows, result.frames]).toEqual(golden.arrays.mfcc40.shape);
    const mean = meanAbsDiff(result.data, expected);
    const max = maxAbsDiff(result.data, expected);
    console.info(`${golden.name}: mfcc40 mean abs error ${mean.toExponential(2)}, max ${max.toExponential(2)}`);
    expect(mean).toBeLessThanOrEqual(0.5);
    expect(max).toBeLessThanOrEqual(0.05);

    const matrix = computeFeatureMatrix(audio.samples, resolveFeatureConfig({ frames: 100 }));
    expect(matrix.validFrames).toBe(Math.min(result.frames, 100));
    expect(maxAbsDiff(standardizePerClip(matrix.data), flat(golden.arrays.mfcc40_pad100_norm))).toBeLessThanOrEqual(1e-2);
  });
});

describe('MFCC pipeline details', () => {
  it('produces 1 + floor(n / hop) centred frames, also for short and empty input', () => {
    expect(frameCount(44100, 512)).toBe(87);
    for (const n of [0, 1, 100, 511, 512, 3000]) {
      const samples = Float32Array.from({ length: n }, (_, i) => Math.sin(i / 3));
      const result = mfcc(samples, { ...SPECTROGRAM, nMfcc: 20 });
      expect(result.frames).toBe(1 + Math.floor(n / 512));
      expect(result.data.every(Number.isFinite)).toBe(true);
    }
  });

  it('power_to_db floors at amin and at top_db below the maximum', () => {
    const power = Float64Array.from([1, 1e-3, 1e-9, 0]);
    const expectDb = (actual: Float64Array, expected: number[]): void => {
      expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-9);
    };
    expectDb(powerToDb(power), [0, -30, -80, -80]);
    expectDb(powerToDb(power, { topDb: null }), [0, -30, -90, -100]);
    expectDb(powerToDb(power, { ref: 1e-3, topDb: null }), [30, 0, -60, -70]);
  });

  it('orthonormal DCT-II matrix is orthogonal', () => {
    const n = 16;
    const d = dctOrthoMatrix(n, n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += d[a * n + i] * d[b * n + i];
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
      }
    }
  });

  it.each([128, 40])('MFCC equals DCT matrix × dB mel spectrogram (nMels %i)', (nMels) => {
    const samples = Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i * 0.05) * 0.3 + Math.sin(i * 0.71) * 0.1);
    const opts = { ...SPECTROGRAM, nMels, nMfcc: 30 };
    const result = mfcc(samples, opts);
    const mel = melPowerSpectrogram(samples, opts);
    const db = powerToDb(mel.data);
    const d = dctOrthoMatrix(30, nMels);
    for (let k = 0; k < 30; k++) {
      for (let t = 0; t < mel.frames; t++) {
        let expected = 0;
        for (let m = 0; m < nMels; m++) expected += d[k * nMels + m] * db[m * mel.frames + t];
        expect(Math.abs(result.data[k * mel.frames + t] - expected)).toBeLessThan(1e-3);
      }
    }
  });

  it('rejects invalid options', () => {
    const samples = new Float32Array(1000);
    expect(() => mfcc(samples, { ...SPECTROGRAM, nMfcc: 129 })).toThrow(/nMfcc/);
    expect(() => mfcc(samples, { ...SPECTROGRAM, nFft: 1000, nMfcc: 13 })).toThrow(/nFft/);
    expect(() => mfcc(samples, { ...SPECTROGRAM, hopLength: 0, nMfcc: 13 })).toThrow(/hopLength/);
  });
});
