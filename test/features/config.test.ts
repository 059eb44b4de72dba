import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FEATURE_CONFIG,
  describeFeatureConfig,
  FEATURE_VERSION,
  featureConfigHash,
  featureRowCount,
  featureRowNames,
  MEYDA_DESCRIPTORS,
  resolveFeatureConfig,
  storedFeatureConfig,
  withStoredDefaults,
  type FeatureConfig,
} from '../../main/features/config';

describe('resolveFeatureConfig', () => {
  it('defaults to the librosa MFCC 40 setup', () => {
    expect(resolveFeatureConfig()).toEqual({
      preset: 'librosa',
      representation: 'mfcc',
      deltas: 0,
      fmin: 0,
      fmax: 0,
      sampleRate: 22050,
      nMfcc: 40,
      nFft: 2048,
      hopLength: 512,
      nMels: 128,
      frames: 0,
      extras: [],
      encoderDir: '',
      encoderDtype: 'auto',
      encoderLayer: -1,
      encoderPooling: 'mean-std',
      encoderWindowS: 20,
    });
    expect(resolveFeatureConfig()).toEqual(DEFAULT_FEATURE_CONFIG);
  });

  it('overrides fields and puts extras in canonical order without duplicates', () => {
    const cfg = resolveFeatureConfig({ nMfcc: 13, extras: ['zcr', 'chroma', 'zcr', 'rms'] });
    expect(cfg.nMfcc).toBe(13);
    expect(cfg.extras).toEqual(['chroma', 'rms', 'zcr']);
    expect(resolveFeatureConfig({ nMfcc: undefined }).nMfcc).toBe(40);
  });

  it.each<[Partial<FeatureConfig>, RegExp]>([
    [{ preset: 'torch' as never }, /preset must be librosa or meyda/],
    [{ sampleRate: 22050.5 }, /sampleRate must be an integer in 4000\.\.192000/],
    [{ sampleRate: 1000 }, /sampleRate must be an integer in 4000\.\.192000/],
    [{ nFft: 1000 }, /nFft must be a power of two in 256\.\.16384/],
    [{ nFft: 128 }, /nFft must be a power of two/],
    [{ hopLength: 0 }, /hopLength must be an integer in 1\.\.16384/],
    [{ hopLength: 4096 }, /hopLength must be an integer in 1\.\.2048/],
    [{ nMels: 0 }, /nMels must be an integer in 1\.\.512/],
    [{ nFft: 256, hopLength: 128, nMels: 200 }, /nMels must be an integer in 1\.\.129/],
    [{ nMfcc: 0 }, /nMfcc must be an integer in 1\.\.512/],
    [{ nMfcc: 64, nMels: 40 }, /nMfcc must be an integer in 1\.\.40/],
    [{ preset: 'meyda', nMfcc: 41 }, /nMfcc must be an integer in 1\.\.40/],
    [{ frames: -1 }, /frames must be an integer in 0\.\.100000/],
    [{ extras: ['mfcc' as never] }, /extras\[0\] must be chroma, spectralCentroid/],
    [{ extras: 'rms' as never }, /extras must be a list of chroma/],
    [{ nMfcc: '13' as never }, /nMfcc must be an integer in 1\.\.512, got the string "13"/],
    [{ frames: null as never }, /frames must be an integer in 0\.\.100000, got null/],
    [{ sampleRate: Number.NaN }, /sampleRate must be an integer in 4000\.\.192000, got NaN/],
    [{ nFft: 3000 }, /nFft must be a power of two in 256\.\.16384, got 3000/],
    [{ preset: true as never }, /preset must be librosa or meyda, got true/],
    [{ extras: ['rms', 7] as never }, /extras\[1\] must be .*, got 7/],
    [
      { representation: 'mfe' as never },
      /representation must be mfcc, logmel, egemaps-like, compare-like or encoder, got the string "mfe"/,
    ],
    [{ deltas: 3 }, /deltas must be an integer in 0\.\.2, got 3/],
    [{ fmin: -1 }, /fmin must be a number in \[0, 96000\], got -1/],
    [{ fmax: 12000 }, /fmax must be at most half the sample rate \(11025 Hz\), or 0 for that, got 12000/],
    [{ sampleRate: 16000, fmax: 8001 }, /fmax must be at most half the sample rate \(8000 Hz\)/],
    [{ fmin: 8000, fmax: 8000 }, /fmin must be below fmax \(8000 Hz\), got 8000/],
    [{ fmin: 11025 }, /fmin must be below fmax \(11025 Hz\), got 11025/],
    [{ preset: 'meyda', representation: 'logmel' }, /representation must be 'mfcc' with the meyda preset/],
    [{ preset: 'meyda', fmin: 50 }, /fmin must be 0 with the meyda preset/],
    [{ preset: 'meyda', fmax: 8000 }, /fmax must be 0 with the meyda preset/],
  ])('rejects %j', (partial, message) => {
    expect(() => resolveFeatureConfig(partial)).toThrow(message);
  });

  it('takes log-mel with fewer bands than nMfcc, fmax at Nyquist, and deltas with Meyda', () => {
    expect(resolveFeatureConfig({ representation: 'logmel', nMels: 32 }).nMels).toBe(32);
    expect(resolveFeatureConfig({ fmin: 50, fmax: 11025 }).fmax).toBe(11025);
    expect(resolveFeatureConfig({ preset: 'meyda', deltas: 2, fmax: 11025 }).deltas).toBe(2);
  });

  it('rejects a config that is not an object', () => {
    expect(() => resolveFeatureConfig(null)).toThrow('Invalid feature config: the feature config must be an object, got null');
  });

  it('rejects unknown fields', () => {
    expect(() => resolveFeatureConfig({ nmfcc: 13 } as never)).toThrow(/unknown field "nmfcc"/);
  });
});

describe('featureConfigHash', () => {
  const base = resolveFeatureConfig({ frames: 100, extras: ['rms', 'chroma'] });

  it('is 16 hex digits and stable across key order and extras order', () => {
    const hash = featureConfigHash(base);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    const reordered = Object.fromEntries(Object.entries(base).reverse()) as unknown as FeatureConfig;
    expect(featureConfigHash(reordered)).toBe(hash);
    expect(featureConfigHash({ ...base, extras: ['chroma', 'rms', 'rms'] })).toBe(hash);
    expect(featureConfigHash(JSON.parse(JSON.stringify(base)) as FeatureConfig)).toBe(hash);
    expect(FEATURE_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('changes when any field changes', () => {
    const variants: Partial<FeatureConfig>[] = [
      { preset: 'meyda' },
      { sampleRate: 16000 },
      { nMfcc: 13 },
      { nFft: 1024 },
      { hopLength: 256 },
      { nMels: 64 },
      { frames: 200 },
      { extras: ['rms'] },
      { extras: ['rms', 'chroma', 'zcr'] },
      { representation: 'logmel' },
      { deltas: 1 },
      { deltas: 2 },
      { fmin: 50 },
      { fmax: 8000 },
    ];
    const hashes = new Set([featureConfigHash(base), ...variants.map((v) => featureConfigHash({ ...base, ...v }))]);
    expect(hashes.size).toBe(variants.length + 1);
  });

  it('is unchanged for configs made before representation, deltas, fmin and fmax existed', () => {
    // The v1 formula over the fields that existed then: caches and checkpoints made then still match.
    const legacyHash = (cfg: Record<string, unknown>) => {
      const json = JSON.stringify(
        Object.fromEntries(
          Object.keys(cfg)
            .sort()
            .map((key) => [key, cfg[key]]),
        ),
      );
      return createHash('sha256').update(`ser-features v1\n${json}`).digest('hex').slice(0, 16);
    };
    const legacy = { preset: 'librosa', sampleRate: 22050, nMfcc: 40, nFft: 2048, hopLength: 512, nMels: 128, frames: 100, extras: [] };
    // The default's auto frames become 100 on corpora of clips up to 2.3 s, like EmoDB's.
    expect(featureConfigHash({ ...DEFAULT_FEATURE_CONFIG, frames: 100 })).toBe(legacyHash(legacy));
    expect(() => featureConfigHash(DEFAULT_FEATURE_CONFIG)).toThrow(/frames 0 \(auto\) names no cache until resolveFrames/);
    expect(featureConfigHash(resolveFeatureConfig(legacy))).toBe(legacyHash(legacy));
    // Read back from a checkpoint or study made then, the fields it predates take the values it was
    // made with, whatever today's defaults are.
    expect(withStoredDefaults({ nMels: 64 })).toEqual({
      representation: 'mfcc',
      deltas: 0,
      fmin: 0,
      fmax: 0,
      encoderDir: '',
      encoderDtype: 'auto',
      encoderLayer: -1,
      encoderPooling: 'mean-std',
      encoderWindowS: 20,
      nMels: 64,
    });
    expect(featureConfigHash(storedFeatureConfig(legacy))).toBe(legacyHash(legacy));
    // fmax at half the sample rate is the same filterbank as fmax 0.
    expect(featureConfigHash(resolveFeatureConfig({ frames: 100, fmax: 11025 }))).toBe(legacyHash(legacy));
    const meyda = { ...legacy, preset: 'meyda', nMfcc: 13, extras: ['chroma', 'rms'] };
    expect(featureConfigHash(resolveFeatureConfig(meyda))).toBe(legacyHash(meyda));
  });

  it('refuses an invalid config', () => {
    expect(() => featureConfigHash({ ...base, nFft: 3000 })).toThrow(/nFft/);
  });
});

describe('feature rows', () => {
  it('counts and names MFCC rows then extras in canonical order', () => {
    const cfg = resolveFeatureConfig({ nMfcc: 3, extras: ['loudness', 'chroma', 'rms'] });
    expect(featureRowCount(cfg)).toBe(3 + 12 + 1 + 1);
    expect(featureRowNames(cfg)).toEqual([
      'mfcc0',
      'mfcc1',
      'mfcc2',
      'chroma_C',
      'chroma_C#',
      'chroma_D',
      'chroma_D#',
      'chroma_E',
      'chroma_F',
      'chroma_F#',
      'chroma_G',
      'chroma_G#',
      'chroma_A',
      'chroma_A#',
      'chroma_B',
      'rms',
      'loudness',
    ]);
  });

  it('counts log-mel bands and delta rows, named after their base rows, before the extras', () => {
    const cfg = resolveFeatureConfig({ representation: 'logmel', nMels: 3, nFft: 2048, deltas: 2, extras: ['rms'] });
    expect(featureRowCount(cfg)).toBe(3 * 3 + 1);
    expect(featureRowNames(cfg)).toEqual(['mel0', 'mel1', 'mel2', 'd1_mel0', 'd1_mel1', 'd1_mel2', 'd2_mel0', 'd2_mel1', 'd2_mel2', 'rms']);
    expect(featureRowCount(resolveFeatureConfig({ nMfcc: 13, deltas: 1 }))).toBe(26);
  });

  it('describes a config in one line', () => {
    expect(describeFeatureConfig(DEFAULT_FEATURE_CONFIG)).toBe('librosa MFCC 40, frames for the longest clip, 40 rows');
    expect(describeFeatureConfig({ ...DEFAULT_FEATURE_CONFIG, frames: 100 })).toBe('librosa MFCC 40, 100 frames, 40 rows');
    const cfg = resolveFeatureConfig({
      frames: 100,
      representation: 'logmel',
      nMels: 64,
      fmin: 50,
      fmax: 8000,
      deltas: 2,
      extras: ['rms'],
    });
    expect(describeFeatureConfig(cfg)).toBe('librosa log-mel 64 (50–8000 Hz) + deltas 1–2 + rms, 100 frames, 193 rows');
  });

  it('has one row per scalar descriptor', () => {
    const cfg = resolveFeatureConfig({ extras: [...MEYDA_DESCRIPTORS] });
    expect(featureRowCount(cfg)).toBe(40 + 12 + 6);
    expect(featureRowNames(cfg).slice(52)).toEqual(['spectralCentroid', 'spectralFlatness', 'spectralRolloff', 'rms', 'zcr', 'loudness']);
    expect(featureRowNames(DEFAULT_FEATURE_CONFIG)).toHaveLength(40);
  });
});

describe('the encoder representation', () => {
  const identity = {
    name: 'tiny',
    file: 'onnx/model.onnx',
    sha256: 'a'.repeat(64),
    layer: 2,
    layers: 2,
    hiddenSize: 32,
    doNormalize: true,
  };

  it('needs a folder, makes it absolute, and keeps the framing fields at their defaults', () => {
    expect(() => resolveFeatureConfig({ representation: 'encoder' })).toThrow(
      'Invalid feature config: encoderDir must be the folder of an ONNX speech encoder export with the encoder representation (--encoder-dir), got the string ""',
    );
    const cfg = resolveFeatureConfig({ representation: 'encoder', encoderDir: 'models/tiny', nMfcc: 13, sampleRate: 8000 });
    expect(cfg).toMatchObject({ encoderDir: resolve('models/tiny'), nMfcc: 40, sampleRate: 16000 });
    expect(() => resolveFeatureConfig({ representation: 'encoder', encoderDir: '/m', frames: 50 })).toThrow(
      /frames must be 0 \(auto\) or 1 with mean-std encoder pooling/,
    );
    expect(resolveFeatureConfig({ representation: 'encoder', encoderDir: '/m', encoderPooling: 'frames', frames: 50 }).frames).toBe(50);
  });

  it('elsewhere, the encoder fields are kept as given (a study grid may switch to it) and leave the hash as it was', () => {
    const cfg = resolveFeatureConfig({ encoderDir: '/m', encoderLayer: 3, frames: 100 });
    expect(cfg.encoderDir).toBe('/m');
    expect(resolveFeatureConfig({ representation: 'egemaps-like', encoderDir: '/m' }).encoderDir).toBe('/m');
    expect(featureConfigHash(cfg)).toBe(featureConfigHash(resolveFeatureConfig({ frames: 100 })));
  });

  it('hashes the model file and the layer used, not the folder or the file choice', () => {
    const cfg = resolveFeatureConfig({ representation: 'encoder', encoderDir: '/a', frames: 1 });
    expect(() => featureConfigHash(cfg)).toThrow(/needs its encoder folder read first/);
    const hash = featureConfigHash(cfg, identity);
    expect(featureConfigHash({ ...cfg, encoderDir: '/b', encoderDtype: 'fp32' }, identity)).toBe(hash);
    expect(featureConfigHash(cfg, { ...identity, sha256: 'b'.repeat(64) })).not.toBe(hash);
    expect(featureConfigHash(cfg, { ...identity, layer: 1 })).not.toBe(hash);
    expect(featureConfigHash({ ...cfg, encoderWindowS: 10 }, identity)).not.toBe(hash);
    expect(featureConfigHash({ ...cfg, encoderPooling: 'frames', frames: 50 }, identity)).not.toBe(hash);
  });

  it('names its rows: mean then std of each dimension, or one row per dimension for frames', () => {
    const pooled = resolveFeatureConfig({ representation: 'encoder', encoderDir: '/a' });
    expect(featureRowCount(pooled, identity)).toBe(64);
    expect(featureRowNames(pooled, identity).slice(31, 33)).toEqual(['enc_mean31', 'enc_std0']);
    const frames = { ...pooled, encoderPooling: 'frames' as const };
    expect(featureRowNames(frames, identity)).toHaveLength(32);
    expect(describeFeatureConfig({ ...pooled, encoderLayer: 3 })).toBe(
      'encoder a (layer 3, mean + std) at 16000 Hz, one vector per clip, windows of 20 s',
    );
  });
});
