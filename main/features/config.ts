/**
 * Feature configuration: what the extractor computes for each clip, its validation, the stable hash
 * that names cached feature matrices, and the names of the matrix rows.
 */
import { createHash } from 'node:crypto';

import type { FeatureConfig, MeydaDescriptor } from '../schema/features';

export type { FeatureConfig, FeaturePreset, MeydaDescriptor } from '../schema/features';

/**
 * Bump when the numbers the extractor produces for a given config change (algorithm or bug fix),
 * so feature caches keyed by featureConfigHash are invalidated.
 */
export const FEATURE_VERSION = 1;

/** All descriptors, in the canonical order used for rows and hashing. */
export const MEYDA_DESCRIPTORS: readonly MeydaDescriptor[] = [
  'chroma',
  'spectralCentroid',
  'spectralFlatness',
  'spectralRolloff',
  'rms',
  'zcr',
  'loudness',
];

export const CHROMA_NAMES: readonly string[] = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

/** Meyda's MFCC extractor returns at most 40 coefficients. */
export const MEYDA_MAX_MFCC = 40;

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = Object.freeze({
  preset: 'librosa',
  sampleRate: 22050,
  nMfcc: 40,
  nFft: 2048,
  hopLength: 512,
  nMels: 128,
  frames: 100,
  extras: [],
});

const CONFIG_KEYS = Object.keys(DEFAULT_FEATURE_CONFIG) as (keyof FeatureConfig)[];

function invalid(field: string, allowed: string, value: unknown): Error {
  return new Error(`Invalid feature config: ${field} must be ${allowed} (got ${JSON.stringify(value)})`);
}

function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `an integer in ${min}..${max}`, value);
  }
  return value;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** Descriptors deduplicated and sorted into canonical order; throws on an unknown name. */
export function canonicalExtras(extras: readonly string[]): MeydaDescriptor[] {
  if (!Array.isArray(extras)) throw invalid('extras', `an array of ${MEYDA_DESCRIPTORS.join(', ')}`, extras);
  for (const name of extras) {
    if (!MEYDA_DESCRIPTORS.includes(name as MeydaDescriptor)) {
      throw invalid('extras', `a list of ${MEYDA_DESCRIPTORS.join(', ')}`, name);
    }
  }
  return MEYDA_DESCRIPTORS.filter((d) => extras.includes(d));
}

/**
 * DEFAULT_FEATURE_CONFIG overridden by `partial`, validated. Throws an Error naming the bad field
 * and its allowed range. The returned extras are deduplicated and in canonical order.
 */
export function resolveFeatureConfig(partial: Partial<FeatureConfig> = {}): FeatureConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_FEATURE_CONFIG };
  for (const [key, value] of Object.entries(partial)) {
    if (!CONFIG_KEYS.includes(key as keyof FeatureConfig)) {
      throw new Error(`Invalid feature config: unknown field "${key}" (allowed: ${CONFIG_KEYS.join(', ')})`);
    }
    if (value !== undefined) merged[key] = value;
  }

  if (merged.preset !== 'librosa' && merged.preset !== 'meyda') throw invalid('preset', `"librosa" or "meyda"`, merged.preset);
  const sampleRate = checkInteger('sampleRate', merged.sampleRate, 4000, 192000);
  const nFft = merged.nFft;
  if (typeof nFft !== 'number' || !isPowerOfTwo(nFft) || nFft < 256 || nFft > 16384) {
    throw invalid('nFft', 'a power of two in 256..16384', nFft);
  }
  const hopLength = checkInteger('hopLength', merged.hopLength, 1, nFft);
  const nMels = checkInteger('nMels', merged.nMels, 1, Math.min(512, nFft / 2 + 1));
  const maxMfcc = merged.preset === 'meyda' ? Math.min(nMels, MEYDA_MAX_MFCC) : nMels;
  const nMfcc = checkInteger('nMfcc', merged.nMfcc, 1, maxMfcc);
  const frames = checkInteger('frames', merged.frames, 1, 100000);
  const extras = canonicalExtras(merged.extras as string[]);
  return { preset: merged.preset, sampleRate, nMfcc, nFft, hopLength, nMels, frames, extras };
}

/**
 * Stable 16-hex-digit identity of a configuration: sha256 of FEATURE_VERSION and the canonical JSON
 * (sorted keys, canonical extras). Equal configs hash equal regardless of key or extras order.
 */
export function featureConfigHash(cfg: FeatureConfig): string {
  const resolved = resolveFeatureConfig(cfg);
  const sortedKeys = [...CONFIG_KEYS].sort();
  const canonical = JSON.stringify(Object.fromEntries(sortedKeys.map((key) => [key, resolved[key]])));
  return createHash('sha256').update(`ser-features v${FEATURE_VERSION}\n${canonical}`).digest('hex').slice(0, 16);
}

/** Rows one descriptor contributes: 12 for chroma, 1 for the others. */
export function descriptorRowCount(descriptor: MeydaDescriptor): number {
  return descriptor === 'chroma' ? CHROMA_NAMES.length : 1;
}

/** Names of the rows one descriptor contributes. */
export function descriptorRowNames(descriptor: MeydaDescriptor): string[] {
  return descriptor === 'chroma' ? CHROMA_NAMES.map((note) => `chroma_${note}`) : [descriptor];
}

/** Rows of a feature matrix: nMfcc MFCC rows, then the extras' rows. */
export function featureRowCount(cfg: Pick<FeatureConfig, 'nMfcc' | 'extras'>): number {
  return cfg.nMfcc + canonicalExtras(cfg.extras).reduce((rows, d) => rows + descriptorRowCount(d), 0);
}

/** Row names, e.g. ['mfcc0', …, 'mfcc39', 'chroma_C', …, 'chroma_B', 'rms']. */
export function featureRowNames(cfg: Pick<FeatureConfig, 'nMfcc' | 'extras'>): string[] {
  const names = Array.from({ length: cfg.nMfcc }, (_, i) => `mfcc${i}`);
  for (const d of canonicalExtras(cfg.extras)) names.push(...descriptorRowNames(d));
  return names;
}
