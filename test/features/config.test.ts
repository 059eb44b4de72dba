import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FEATURE_CONFIG,
  FEATURE_VERSION,
  featureConfigHash,
  featureRowCount,
  featureRowNames,
  MEYDA_DESCRIPTORS,
  resolveFeatureConfig,
  type FeatureConfig,
} from '../../main/features/config';

describe('resolveFeatureConfig', () => {
  it('defaults to the librosa MFCC 40 setup', () => {
    expect(resolveFeatureConfig()).toEqual({
      preset: 'librosa',
      sampleRate: 22050,
      nMfcc: 40,
      nFft: 2048,
      hopLength: 512,
      nMels: 128,
      frames: 100,
      extras: [],
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
    [{ frames: 0 }, /frames must be an integer in 1\.\.100000/],
    [{ extras: ['mfcc' as never] }, /extras\[0\] must be chroma, spectralCentroid/],
    [{ extras: 'rms' as never }, /extras must be a list of chroma/],
    [{ nMfcc: '13' as never }, /nMfcc must be an integer in 1\.\.512, got the string "13"/],
    [{ frames: null as never }, /frames must be an integer in 1\.\.100000, got null/],
    [{ sampleRate: Number.NaN }, /sampleRate must be an integer in 4000\.\.192000, got NaN/],
    [{ nFft: 3000 }, /nFft must be a power of two in 256\.\.16384, got 3000/],
    [{ preset: true as never }, /preset must be librosa or meyda, got true/],
    [{ extras: ['rms', 7] as never }, /extras\[1\] must be .*, got 7/],
  ])('rejects %j', (partial, message) => {
    expect(() => resolveFeatureConfig(partial)).toThrow(message);
  });

  it('rejects a config that is not an object', () => {
    expect(() => resolveFeatureConfig(null)).toThrow('Invalid feature config: the feature config must be an object, got null');
  });

  it('rejects unknown fields', () => {
    expect(() => resolveFeatureConfig({ nmfcc: 13 } as never)).toThrow(/unknown field "nmfcc"/);
  });
});

describe('featureConfigHash', () => {
  const base = resolveFeatureConfig({ extras: ['rms', 'chroma'] });

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
    ];
    const hashes = new Set([featureConfigHash(base), ...variants.map((v) => featureConfigHash({ ...base, ...v }))]);
    expect(hashes.size).toBe(variants.length + 1);
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

  it('has one row per scalar descriptor', () => {
    const cfg = resolveFeatureConfig({ extras: [...MEYDA_DESCRIPTORS] });
    expect(featureRowCount(cfg)).toBe(40 + 12 + 6);
    expect(featureRowNames(cfg).slice(52)).toEqual(['spectralCentroid', 'spectralFlatness', 'spectralRolloff', 'rms', 'zcr', 'loudness']);
    expect(featureRowNames(DEFAULT_FEATURE_CONFIG)).toHaveLength(40);
  });
});
