/**
 * Acoustic functionals as a feature representation: the config rules, the named dimensions, finite
 * values with a note for every kind of bad audio (never NaN, never a throw), and the extraction
 * path end to end (cache, notes, export, per-speaker normalisation of the one-frame matrices).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWavPcm16 } from '../../main/audio/wav';
import { exportFeatureSet } from '../../main/cli/commands/features';
import { scanDataset } from '../../main/dataset';
import { computeFeatureMatrix } from '../../main/features/compute';
import {
  DEFAULT_FEATURE_CONFIG,
  describeFeatureConfig,
  featureConfigHash,
  featureRowCount,
  featureRowNames,
  resolveFeatureConfig,
} from '../../main/features/config';
import { extractFeatures, type FeatureSet } from '../../main/features/extract';
import { autoFrames } from '../../main/features/frames';
import { functionalNames } from '../../main/features/functionals/sets';
import { decodeNpyFloat32 } from '../../main/features/npy';
import { normalizeClips } from '../../main/features/standardize';
import { FEATURE_FIELDS } from '../../main/schema/featureFields';
import { VECTOR_REPRESENTATIONS } from '../../main/schema/names';

const SR = 22050;

/** A 180 Hz voice with harmonics and a 3 Hz tremolo. */
function voice(seconds: number, f0 = 180): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => {
    const t = i / SR;
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin(2 * Math.PI * h * f0 * t) / h;
    return 0.2 * v * (1.2 + Math.sin(2 * Math.PI * 3 * t));
  });
}

function noise(seconds: number, seed = 1): Float32Array {
  let state = seed;
  return Float32Array.from({ length: Math.round(seconds * SR) }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return 0.1 * (state / 2 ** 30 - 1);
  });
}

describe('the vector representations in the feature config', () => {
  it('keeps only the sample rate and length: fields that do not apply take their defaults', () => {
    const cfg = resolveFeatureConfig({
      representation: 'egemaps-like',
      nMfcc: 13,
      deltas: 2,
      preset: 'meyda',
      nFft: 512,
      extras: ['rms'],
      sampleRate: 16000,
    });
    expect(cfg).toEqual({ ...DEFAULT_FEATURE_CONFIG, representation: 'egemaps-like', sampleRate: 16000, extras: [] });
  });

  it('refuses any length but auto (0) or one frame, in one line', () => {
    expect(resolveFeatureConfig({ representation: 'compare-like', frames: 1 }).frames).toBe(1);
    expect(() => resolveFeatureConfig({ representation: 'egemaps-like', frames: 300 })).toThrow(
      /^Invalid feature config: frames must be 0 \(auto\) or 1 with the egemaps-like representation \(a vector per clip is one frame\), got 300$/,
    );
  });

  it('auto frames become 1, whatever the clips last', () => {
    const cfg = resolveFeatureConfig({ representation: 'egemaps-like' });
    expect(autoFrames([2.5, 9.3], cfg).config.frames).toBe(1);
  });

  it('hashes one vector config one way, apart from the sets, sample rates and matrix configs', () => {
    const hash = (partial: object) => featureConfigHash(resolveFeatureConfig({ frames: 1, ...partial }));
    const egemaps = hash({ representation: 'egemaps-like' });
    expect(hash({ representation: 'egemaps-like', nMfcc: 13, deltas: 1 })).toBe(egemaps);
    expect(
      new Set([egemaps, hash({ representation: 'compare-like' }), hash({ representation: 'egemaps-like', sampleRate: 16000 }), hash({})])
        .size,
    ).toBe(4);
  });

  it('names every dimension once: 88 for egemaps-like, thousands for compare-like', () => {
    const egemaps = featureRowNames(resolveFeatureConfig({ representation: 'egemaps-like' }));
    expect(egemaps).toHaveLength(88);
    expect(egemaps).toContain('F0semitone_mean');
    expect(egemaps).toContain('loudness_pctlrange0-2');
    expect(egemaps).toContain('mfcc4V_stddevNorm');
    expect(egemaps.at(-1)).toBe('equivalentSoundLevel_dBp');
    const compare = functionalNames('compare-like');
    expect(compare.length).toBeGreaterThan(3000);
    for (const names of [egemaps, compare]) expect(new Set(names).size).toBe(names.length);
    // The form's titles state the sizes.
    for (const representation of VECTOR_REPRESENTATIONS) {
      const title = FEATURE_FIELDS.representation.choices.find((c) => c.value === representation)!.title;
      expect(title).toContain(`${functionalNames(representation).length} values`);
      expect(featureRowCount(resolveFeatureConfig({ representation }))).toBe(functionalNames(representation).length);
    }
    expect(describeFeatureConfig(resolveFeatureConfig({ representation: 'egemaps-like' }))).toBe(
      'egemaps-like functionals at 22050 Hz, one vector per clip, 88 values',
    );
  });
});

describe('functionals of good and bad audio', () => {
  const egemaps = resolveFeatureConfig({ representation: 'egemaps-like', frames: 1 });
  const compare = resolveFeatureConfig({ representation: 'compare-like', frames: 1 });
  const value = (data: Float32Array, name: string) => data[functionalNames('egemaps-like').indexOf(name)];

  it('a voice: one frame of finite values, no note, F0 and formant-free values where they belong', () => {
    const matrix = computeFeatureMatrix(voice(1.5), egemaps);
    expect([matrix.rows, matrix.frames, matrix.validFrames]).toEqual([88, 1, 1]);
    expect(matrix.notes).toEqual([]);
    expect(matrix.data.every(Number.isFinite)).toBe(true);
    // 180 Hz is 32.5 semitones above 27.5 Hz.
    expect(value(matrix.data, 'F0semitone_mean')).toBeCloseTo(12 * Math.log2(180 / 27.5), 1);
    expect(value(matrix.data, 'VoicedSegmentsPerSec')).toBeGreaterThan(0);
  });

  const bad: [string, Float32Array, RegExp | null][] = [
    ['silence', new Float32Array(SR), /silent clip/],
    ['no samples at all', new Float32Array(0), /silent clip/],
    ['one sample', Float32Array.of(0.3), /shorter than the 40 ms pitch window/],
    ['10 ms of voice', voice(0.01), /10\.0 ms is shorter than the 40 ms pitch window/],
    ['a constant (DC) signal', new Float32Array(SR).fill(0.25), /constant signal/],
    ['unvoiced noise', noise(1), /no voiced frame: F0, jitter/],
    [
      'NaN and infinite samples',
      Float32Array.from(voice(0.5), (v, i) => (i % 97 === 0 ? Number.NaN : i % 89 === 0 ? Infinity : v)),
      /sample\(s\) were not finite/,
    ],
    [
      // Squares beyond float32 range: float64 sums keep them finite, nothing to note.
      'full-scale float32 extremes',
      new Float32Array(SR).map((_, i) => (i % 2 ? 3e38 : -3e38)),
      null,
    ],
  ];
  it.each(bad)('%s: finite values (and a note where some describe nothing)', (_, samples, note) => {
    for (const cfg of [egemaps, compare]) {
      const matrix = computeFeatureMatrix(samples, cfg);
      expect(matrix.frames).toBe(1);
      expect(matrix.data).toHaveLength(featureRowCount(cfg));
      expect(matrix.data.every(Number.isFinite)).toBe(true);
      if (note) expect(matrix.notes!.join('; ')).toMatch(note);
    }
  });
});

describe('extracting functionals for a dataset', () => {
  const DEMO = resolve('resources/demo-emodb');
  const CLIPS = ['03a01Wa.wav', '03a01Nc.wav', '08a01Na.wav', '08a01Wa.wav', '09a01Fa.wav', '09a02La.wav'];
  let dataDir: string;
  let cacheRoot: string;
  let cold: FeatureSet;
  let warm: FeatureSet;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ser-functionals-data-'));
    cacheRoot = mkdtempSync(join(tmpdir(), 'ser-functionals-cache-'));
    for (const name of CLIPS) copyFileSync(join(DEMO, name), join(dataDir, name));
    // A silent clip of speaker 10, named as EmoDB names its clips.
    writeFileSync(join(dataDir, '10a01Wa.wav'), encodeWavPcm16(new Float32Array(SR), SR));
    const scan = await scanDataset(dataDir, { scheme: 'emodb' });
    const config = resolveFeatureConfig({ representation: 'egemaps-like' });
    cold = await extractFeatures(scan, config, { cacheRoot, workers: 1 });
    warm = await extractFeatures(scan, config, { cacheRoot, workers: 1 });
  }, 120_000);

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(cacheRoot, { recursive: true, force: true });
  });

  it('gives one finite frame per clip, cached, with the silent clip noted both times', () => {
    expect([cold.rows, cold.frames, cold.clips.length]).toEqual([88, 1, CLIPS.length + 1]);
    expect(cold.data.every(Number.isFinite)).toBe(true);
    expect(Array.from(cold.validFrames)).toEqual(new Array(CLIPS.length + 1).fill(1));
    expect(cold.notes).toEqual([{ relPath: '10a01Wa.wav', note: expect.stringMatching(/silent clip/) }]);
    expect([warm.stats.fromCache, warm.stats.computed]).toEqual([CLIPS.length + 1, 0]);
    expect(warm.notes).toEqual(cold.notes);
    expect(Array.from(warm.data)).toEqual(Array.from(cold.data));
    expect(cold.rowNames).toEqual(functionalNames('egemaps-like'));
  });

  it('exports [clips, dims] with every dimension named beside it', async () => {
    const npy = join(cacheRoot, 'vectors.npy');
    await exportFeatureSet(cold, npy);
    const decoded = decodeNpyFloat32(readFileSync(npy));
    expect(decoded.shape).toEqual([CLIPS.length + 1, 88]);
    const sidecar = JSON.parse(readFileSync(join(cacheRoot, 'vectors.json'), 'utf8'));
    expect(sidecar.shape).toEqual([CLIPS.length + 1, 88]);
    expect(sidecar.rows).toEqual(functionalNames('egemaps-like'));
    expect(sidecar.notes).toEqual(cold.notes);
  });

  it("per-speaker normalisation standardises each dimension over the speaker's clips", () => {
    const clips = cold.clips.map((clip, i) => ({ data: cold.data.subarray(i * 88, (i + 1) * 88), validFrames: 1, speaker: clip.speaker }));
    const { matrices } = normalizeClips(clips, { mode: 'speaker' }, 88, 1);
    for (const speaker of ['03', '08', '09']) {
      const own = matrices.filter((_, i) => clips[i].speaker === speaker);
      expect(own).toHaveLength(2);
      for (let d = 0; d < 88; d++) {
        expect(Number.isFinite(own[0][d]) && Number.isFinite(own[1][d])).toBe(true);
        // Two clips: standardised to ±1, or both 0 where the dimension does not vary.
        expect(own[0][d] + own[1][d]).toBeCloseTo(0, 4);
      }
    }
  });
});
