import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAudio } from '../../main/audio';
import { computeFeatureMatrix } from '../../main/features/compute';
import { resolveFeatureConfig, type FeatureConfig } from '../../main/features/config';
import { DELTA_WIDTH, deltaRowsInto, deltaWindow } from '../../main/features/delta';
import { logMelSpectrogram } from '../../main/features/mfcc';
import { AUDIO_DIR, flat, GOLDEN_DIR, maxAbsDiff, readGoldenClip, type GoldenClip } from './golden';

interface Case {
  samples: number;
  params: Record<string, number>;
  array: { shape: [number, number]; data: number[][] };
}

const FIXTURE = JSON.parse(readFileSync('test/fixtures/features/feature-golden.json', 'utf8')) as {
  clip: string;
  cases: Record<string, Case>;
};
const clip = loadAudio(join(AUDIO_DIR, FIXTURE.clip));

/** Rows [from, from + rows) of a [rows][frames] matrix, first `frames` columns, flattened. */
function rowBlock(data: Float32Array, columns: number, from: number, rows: number, frames: number): number[] {
  const out: number[] = [];
  for (let r = from; r < from + rows; r++) out.push(...data.subarray(r * columns, r * columns + frames));
  return out;
}

async function features(samples: number, cfg: Partial<FeatureConfig>) {
  return computeFeatureMatrix((await clip).samples.subarray(0, samples), resolveFeatureConfig(cfg));
}

describe('log-mel features', () => {
  it('match librosa power_to_db(melspectrogram) with fmin 50 Hz and fmax 8000 Hz', async () => {
    const ref = FIXTURE.cases.logmel64_fmin50_fmax8000;
    const [rows, frames] = ref.array.shape;
    const m = await features(ref.samples, { representation: 'logmel', nMels: 64, fmin: 50, fmax: 8000, frames });
    expect([m.rows, m.validFrames]).toEqual([rows, frames]);
    expect(maxAbsDiff(m.data, ref.array.data.flat())).toBeLessThanOrEqual(1e-3);
    // The band matters: the full-band log-mel is a different matrix.
    const full = await features(ref.samples, { representation: 'logmel', nMels: 64, frames });
    expect(maxAbsDiff(full.data, ref.array.data.flat())).toBeGreaterThan(1);
  });

  it('match the mel_db arrays of the librosa golden files (and ../shared/golden when present)', async () => {
    const dirs = [GOLDEN_DIR, '../shared/golden/librosa-mfcc'].filter((dir) => existsSync(dir));
    if (dirs.length < 2) console.log('skipping ../shared/golden/librosa-mfcc: not present on this machine');
    let checked = 0;
    for (const dir of dirs) {
      for (const file of readdirSync(dir).filter((f) => f.startsWith('emodb_') && f.endsWith('.json'))) {
        const golden = JSON.parse(readFileSync(join(dir, file), 'utf8')) as GoldenClip;
        const path = join(AUDIO_DIR, golden.input.file);
        if (!existsSync(path)) continue;
        const [rows, frames] = golden.arrays.mel_db.shape;
        const m = computeFeatureMatrix((await loadAudio(path)).samples, resolveFeatureConfig({ representation: 'logmel', frames }));
        expect(m.rows).toBe(rows);
        expect(maxAbsDiff(m.data, flat(golden.arrays.mel_db))).toBeLessThanOrEqual(1e-3);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(readdirSync(GOLDEN_DIR).filter((f) => f.startsWith('emodb_')).length);
    expect(readGoldenClip('emodb_03a01Wa.json').arrays.mel_db.shape).toEqual([128, 87]);
  });

  it('shows the clip viewer the same band as the features', async () => {
    const samples = (await clip).samples.subarray(0, 22050);
    const mel = logMelSpectrogram(samples, { sampleRate: 22050, nFft: 2048, hopLength: 512, nMels: 64, fmin: 50, fmax: 8000 });
    expect(maxAbsDiff(mel.data, FIXTURE.cases.logmel64_fmin50_fmax8000.array.data.flat())).toBeLessThanOrEqual(1e-3);
  });
});

describe('delta rows', () => {
  it.each([1, 2])('match librosa.feature.delta(mfcc, order=%i) after the MFCC rows', async (order) => {
    const ref = FIXTURE.cases[`mfcc13_delta${order}`];
    const [rows, frames] = ref.array.shape;
    const m = await features(ref.samples, { nMfcc: 13, deltas: 2, frames });
    expect(m.rows).toBe(39);
    expect(maxAbsDiff(rowBlock(m.data, frames, rows * order, rows, frames), ref.array.data.flat())).toBeLessThanOrEqual(1e-3);
  });

  it.each(Object.keys(FIXTURE.cases).filter((name) => name.endsWith('frames')))(
    'match savgol_filter with the widest window that fits for %s (fewer frames than the width), then pad',
    async (name) => {
      const ref = FIXTURE.cases[name];
      const [rows, frames] = ref.array.shape;
      expect(frames).toBeLessThan(DELTA_WIDTH);
      const m = await features(ref.samples, { nMfcc: 13, deltas: 2, frames: 20 });
      expect(m.validFrames).toBe(frames);
      const block = rowBlock(m.data, 20, rows * ref.params.order, rows, 20);
      const natural = Array.from({ length: rows }, (_, r) => block.slice(r * 20, r * 20 + frames)).flat();
      expect(maxAbsDiff(natural, ref.array.data.flat())).toBeLessThanOrEqual(1e-3);
      expect(
        Array.from({ length: rows }, (_, r) => block.slice(r * 20 + frames, r * 20 + 20))
          .flat()
          .every((v) => v === 0),
      ).toBe(true);
    },
  );

  it('are taken on the natural frames before truncation', async () => {
    const ref = FIXTURE.cases.mfcc13_delta1;
    // Truncated to 10 frames, the deltas of frames 6..9 still see frames 10..13.
    const m = await features(ref.samples, { nMfcc: 13, deltas: 1, frames: 10 });
    const expected = ref.array.data.flatMap((row) => row.slice(0, 10));
    expect(maxAbsDiff(rowBlock(m.data, 10, 13, 13, 10), expected)).toBeLessThanOrEqual(1e-3);
  });

  it('give the exact derivative of a polynomial of their order, edges included', () => {
    const frames = 20;
    const line = Float64Array.from({ length: frames }, (_, t) => 3 * t - 7);
    const parabola = Float64Array.from({ length: frames }, (_, t) => 0.5 * t * t - t);
    const out = new Float32Array(frames);
    deltaRowsInto(line, 1, frames, 1, out, 0, frames);
    expect(Array.from(out).every((v) => Math.abs(v - 3) < 1e-5)).toBe(true);
    deltaRowsInto(line, 1, frames, 2, out, 0, frames);
    expect(Array.from(out).every((v) => Math.abs(v) < 1e-5)).toBe(true);
    deltaRowsInto(parabola, 1, frames, 2, out, 0, frames);
    expect(Array.from(out).every((v) => Math.abs(v - 1) < 1e-5)).toBe(true);
  });

  it('use the widest odd window that fits, and none at or below the order', () => {
    expect([20, 9, 8, 5, 4, 3, 2, 1].map((n) => deltaWindow(n, 1))).toEqual([9, 9, 7, 5, 3, 3, 0, 0]);
    expect([3, 2].map((n) => deltaWindow(n, 2))).toEqual([3, 0]);
  });

  it('follow the Meyda MFCC rows and come before the extras', async () => {
    const m = await features(22050, { preset: 'meyda', nMfcc: 13, deltas: 1, extras: ['rms'], frames: 44 });
    const plain = await features(22050, { preset: 'meyda', nMfcc: 13, extras: ['rms'], frames: 44 });
    expect(m.rows).toBe(27);
    expect(rowBlock(m.data, 44, 0, 13, 44)).toEqual(rowBlock(plain.data, 44, 0, 13, 44));
    expect(rowBlock(m.data, 44, 26, 1, 44)).toEqual(rowBlock(plain.data, 44, 13, 1, 44));
    const expected = new Float32Array(13 * 44);
    deltaRowsInto(plain.data.subarray(0, 13 * 44), 13, 44, 1, expected, 0, 44);
    expect(rowBlock(m.data, 44, 13, 13, 44)).toEqual(Array.from(expected));
  });
});
