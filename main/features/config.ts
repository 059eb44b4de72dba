/**
 * Feature configuration: what the extractor computes for each clip, its validation, the stable hash
 * that names cached feature matrices, and the names of the matrix rows.
 */
import { createHash } from 'node:crypto';
import { FEATURE_FIELDS, type FeatureConfig } from '../schema/featureFields';
import { checkFieldValue, checkOverrides, defaultsFromTable, describeValue, mergeOverrides, withPrefix } from '../schema/fields';
import { MEYDA_DESCRIPTORS, type MeydaDescriptor } from '../schema/names';

export type { FeatureConfig } from '../schema/featureFields';
export { MEYDA_DESCRIPTORS, type FeaturePreset, type MeydaDescriptor } from '../schema/names';

/**
 * Bump when the numbers the extractor produces for a given config change (algorithm or bug fix),
 * so feature caches keyed by featureConfigHash are invalidated.
 */
export const FEATURE_VERSION = 1;

export const CHROMA_NAMES: readonly string[] = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

/** Meyda's MFCC extractor returns at most 40 coefficients. */
export const MEYDA_MAX_MFCC = 40;

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = Object.freeze(
  defaultsFromTable(FEATURE_FIELDS, 'default') as unknown as FeatureConfig,
);

const CONFIG_KEYS = Object.keys(FEATURE_FIELDS) as (keyof FeatureConfig)[];

const INVALID = 'Invalid feature config: ';

function invalid(field: string, allowed: string, value: unknown): Error {
  return new Error(`${INVALID}${field} must be ${allowed}, got ${describeValue(value)}`);
}

/** Descriptors deduplicated and sorted into canonical order; throws on an unknown name. */
export function canonicalExtras(extras: readonly string[]): MeydaDescriptor[] {
  withPrefix(INVALID, () => checkFieldValue('extras', FEATURE_FIELDS.extras, extras));
  return MEYDA_DESCRIPTORS.filter((d) => extras.includes(d));
}

/**
 * DEFAULT_FEATURE_CONFIG overridden by `partial` (untrusted: checked against the field table —
 * exact types, ranges, no unknown fields — then the limits between fields). Throws an Error naming
 * the bad field and the value received. The returned extras are deduplicated and in canonical order.
 */
export function resolveFeatureConfig(partial: unknown = {}): FeatureConfig {
  const merged = withPrefix(INVALID, () =>
    mergeOverrides({ ...DEFAULT_FEATURE_CONFIG }, checkOverrides(FEATURE_FIELDS, partial, 'the feature config')),
  );
  const within = (field: 'hopLength' | 'nMels' | 'nMfcc', max: number) => {
    if (merged[field] > max) throw invalid(field, `an integer in 1..${max}`, merged[field]);
  };
  within('hopLength', merged.nFft);
  within('nMels', Math.min(FEATURE_FIELDS.nMels.max, merged.nFft / 2 + 1));
  within('nMfcc', merged.preset === 'meyda' ? Math.min(merged.nMels, MEYDA_MAX_MFCC) : merged.nMels);
  return { ...merged, extras: canonicalExtras(merged.extras) };
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
