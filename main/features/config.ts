/**
 * Feature configuration: what the extractor computes for each clip, its validation, the stable hash
 * that names cached feature matrices, and the names of the matrix rows.
 */
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { FEATURE_FIELDS, type FeatureConfig } from '../schema/featureFields';
import { checkFieldValue, checkOverrides, defaultsFromTable, describeValue, mergeOverrides, withPrefix } from '../schema/fields';
import { isVectorRepresentation, MEYDA_DESCRIPTORS, type MeydaDescriptor } from '../schema/names';
import { FUNCTIONALS_VERSION } from './functionals/version';
import { functionalNames } from './functionals/sets';
import { ENCODER_SAMPLE_RATE, type EncoderFolder } from './encoder/folder';
import type { EncoderIdentity } from '../schema/encoder';

export type { EncoderIdentity, EncoderProvenance } from '../schema/encoder';

export type { FeatureConfig } from '../schema/featureFields';
export { MEYDA_DESCRIPTORS, type FeaturePreset, type MeydaDescriptor } from '../schema/names';

/**
 * Bump when the numbers the extractor produces for a given config change (algorithm or bug fix),
 * so feature caches keyed by featureConfigHash are invalidated.
 */
export const FEATURE_VERSION = 1;

/** Bump when the encoder representation's numbers change (normalisation, windows, stitching, pooling). */
export const ENCODER_FEATURES_VERSION = 1;

/** The identity of the encoder a config names, read from its folder. */
export function encoderIdentity(cfg: Pick<FeatureConfig, 'encoderLayer'>, folder: EncoderFolder): EncoderIdentity {
  const { name, file, sha256, layers, hiddenSize, doNormalize } = folder;
  return { name, file, sha256, layer: cfg.encoderLayer === -1 ? layers : cfg.encoderLayer, layers, hiddenSize, doNormalize };
}

function needsEncoder(cfg: Pick<FeatureConfig, 'representation'>, encoder: EncoderIdentity | undefined): EncoderIdentity | null {
  if (cfg.representation !== 'encoder') return null;
  if (!encoder) throw new Error('the encoder representation needs its encoder folder read first (features/encoder openEncoderFolder)');
  return encoder;
}

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
  if (merged.representation === 'encoder') return resolveEncoderConfig(merged);
  if (isVectorRepresentation(merged.representation)) {
    if (merged.frames > 1)
      throw invalid(
        'frames',
        `0 (auto) or 1 with the ${merged.representation} representation (a vector per clip is one frame)`,
        merged.frames,
      );
    // Only the sample rate and the length apply to functionals: the rest keep their defaults, so
    // one vector config has one hash whatever a shared base config (a study's) sets for matrices.
    const vector: FeatureConfig = {
      ...DEFAULT_FEATURE_CONFIG,
      ...encoderFields(merged),
      extras: [],
      representation: merged.representation,
    };
    return { ...vector, sampleRate: merged.sampleRate, frames: merged.frames };
  }
  const within = (field: 'hopLength' | 'nMels' | 'nMfcc', max: number) => {
    if (merged[field] > max) throw invalid(field, `an integer in 1..${max}`, merged[field]);
  };
  within('hopLength', merged.nFft);
  within('nMels', Math.min(FEATURE_FIELDS.nMels.max, merged.nFft / 2 + 1));
  // nMfcc does not apply to log-mel features.
  if (merged.representation === 'mfcc') within('nMfcc', merged.preset === 'meyda' ? Math.min(merged.nMels, MEYDA_MAX_MFCC) : merged.nMels);
  const nyquist = merged.sampleRate / 2;
  if (merged.fmax > nyquist) throw invalid('fmax', `at most half the sample rate (${nyquist} Hz), or 0 for that`, merged.fmax);
  if (merged.fmin >= melFmax(merged)) throw invalid('fmin', `below fmax (${melFmax(merged)} Hz)`, merged.fmin);
  if (merged.preset === 'meyda') {
    if (merged.representation !== 'mfcc')
      throw invalid('representation', "'mfcc' with the meyda preset (Meyda has no log-mel output)", merged.representation);
    if (merged.fmin !== 0) throw invalid('fmin', '0 with the meyda preset (Meyda always uses the full band)', merged.fmin);
    if (melFmax(merged) !== nyquist) throw invalid('fmax', '0 with the meyda preset (Meyda always uses the full band)', merged.fmax);
  }
  return { ...merged, extras: canonicalExtras(merged.extras) };
}

const ENCODER_KEYS = ['encoderDir', 'encoderDtype', 'encoderLayer', 'encoderPooling', 'encoderWindowS'] as const;

/**
 * A config's encoder fields. Other representations keep them as given (a study's base may name the
 * encoder its grid switches to) but compute, and hash, nothing from them.
 */
function encoderFields(cfg: FeatureConfig): Pick<FeatureConfig, (typeof ENCODER_KEYS)[number]> {
  return Object.fromEntries(ENCODER_KEYS.map((key) => [key, cfg[key]])) as Pick<FeatureConfig, (typeof ENCODER_KEYS)[number]>;
}

/**
 * An encoder config: its folder (made absolute), layer, pooling and window; the framing fields keep
 * their defaults, and the sample rate is the encoder's. Pooled to mean and std, it is one frame.
 */
function resolveEncoderConfig(merged: FeatureConfig): FeatureConfig {
  if (merged.encoderDir.trim() === '')
    throw invalid(
      'encoderDir',
      'the folder of an ONNX speech encoder export with the encoder representation (--encoder-dir)',
      merged.encoderDir,
    );
  if (merged.encoderPooling === 'mean-std' && merged.frames > 1)
    throw invalid('frames', '0 (auto) or 1 with mean-std encoder pooling (one vector per clip)', merged.frames);
  return {
    ...DEFAULT_FEATURE_CONFIG,
    extras: [],
    ...encoderFields(merged),
    encoderDir: resolve(merged.encoderDir),
    representation: 'encoder',
    sampleRate: ENCODER_SAMPLE_RATE,
    frames: merged.frames,
  };
}

/** The highest mel filterbank frequency a config means: fmax, or half the sample rate for fmax 0. */
export function melFmax(cfg: Pick<FeatureConfig, 'fmax' | 'sampleRate'>): number {
  return cfg.fmax === 0 ? cfg.sampleRate / 2 : cfg.fmax;
}

/**
 * Fields added after FEATURE_VERSION 1 and the values that compute what configs without them did:
 * at these values they are left out of the hash, so caches and checkpoints made before the fields
 * existed keep their hash (and old configs resolve to these defaults).
 */
const ADDED_FIELD_NEUTRAL: Partial<Record<keyof FeatureConfig, unknown>> = {
  representation: 'mfcc',
  deltas: 0,
  fmin: 0,
  fmax: 0,
  encoderDir: '',
  encoderDtype: 'auto',
  encoderLayer: -1,
  encoderPooling: 'mean-std',
  encoderWindowS: 20,
};

/**
 * A feature config as stored before some fields existed (a checkpoint manifest, study.json), with
 * each missing one at the value that computes what it was made with, not at today's default.
 */
export function withStoredDefaults(stored: Record<string, unknown>): Record<string, unknown> {
  return { ...ADDED_FIELD_NEUTRAL, ...stored };
}

/** A stored feature config (see withStoredDefaults), checked and resolved. */
export function storedFeatureConfig(stored: unknown): FeatureConfig {
  const isObject = stored !== null && typeof stored === 'object' && !Array.isArray(stored);
  return resolveFeatureConfig(isObject ? withStoredDefaults(stored as Record<string, unknown>) : stored);
}

/**
 * Stable 16-hex-digit identity of a configuration: sha256 of FEATURE_VERSION and the canonical JSON
 * (sorted keys, canonical extras). Equal configs hash equal regardless of key or extras order. An
 * encoder config is known by its model's hash, resolved layer and preprocessing instead of its
 * folder and file choice (`encoder`: encoderIdentity of the folder).
 */
export function featureConfigHash(cfg: FeatureConfig, encoder?: EncoderIdentity): string {
  const resolved = resolveFeatureConfig(cfg);
  const identity = needsEncoder(resolved, encoder);
  if (resolved.frames === 0) throw new Error('frames 0 (auto) names no cache until resolveFrames has given it a length for the dataset');
  // fmax = half the sample rate is the same filterbank as fmax 0.
  if (resolved.fmax === resolved.sampleRate / 2) resolved.fmax = 0;
  const sortedKeys = [...CONFIG_KEYS].filter((key) => !(key in ADDED_FIELD_NEUTRAL) || resolved[key] !== ADDED_FIELD_NEUTRAL[key]).sort();
  const fields: Record<string, unknown> = Object.fromEntries(sortedKeys.map((key) => [key, resolved[key]]));
  // Functionals have a version of their own: changing them invalidates vector caches only.
  if (isVectorRepresentation(resolved.representation)) fields.functionalsVersion = FUNCTIONALS_VERSION;
  if (!identity) for (const key of ENCODER_KEYS) delete fields[key];
  if (identity) {
    for (const key of ['encoderDir', 'encoderDtype', 'encoderLayer'] as const) delete fields[key];
    Object.assign(fields, {
      encoderSha256: identity.sha256,
      encoderLayerUsed: identity.layer,
      encoderDoNormalize: identity.doNormalize,
      encoderVersion: ENCODER_FEATURES_VERSION,
    });
  }
  const canonical = JSON.stringify(fields);
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

type RowFields = Pick<FeatureConfig, 'representation' | 'nMfcc' | 'nMels' | 'deltas' | 'extras' | 'encoderPooling'>;

/** Rows of the representation itself: nMfcc MFCCs, nMels log-mel bands, the functionals of a set, or the encoder's. */
function baseRowCount(cfg: Pick<FeatureConfig, 'representation' | 'nMfcc' | 'nMels'>): number {
  if (isVectorRepresentation(cfg.representation)) return functionalNames(cfg.representation).length;
  return cfg.representation === 'logmel' ? cfg.nMels : cfg.nMfcc;
}

/**
 * Rows of a feature matrix: the representation's rows, their deltas (order 1, then 2), then the
 * extras' rows; an encoder's hidden size (frames), or twice that (mean then std).
 */
export function featureRowCount(cfg: RowFields, encoder?: Pick<EncoderIdentity, 'hiddenSize'>): number {
  if (cfg.representation === 'encoder') {
    const { hiddenSize } = needsEncoder(cfg, encoder as EncoderIdentity | undefined)!;
    return cfg.encoderPooling === 'frames' ? hiddenSize : 2 * hiddenSize;
  }
  if (isVectorRepresentation(cfg.representation)) return baseRowCount(cfg);
  return baseRowCount(cfg) * (1 + cfg.deltas) + canonicalExtras(cfg.extras).reduce((rows, d) => rows + descriptorRowCount(d), 0);
}

/**
 * Row names, e.g. ['mfcc0', …, 'mfcc39', 'd1_mfcc0', …, 'd2_mfcc39', 'chroma_C', …, 'chroma_B', 'rms'],
 * or every functional's name for a vector set (['F0semitone_mean', …, 'equivalentSoundLevel_dBp']).
 */
export function featureRowNames(cfg: RowFields, encoder?: Pick<EncoderIdentity, 'hiddenSize'>): string[] {
  if (cfg.representation === 'encoder') {
    const { hiddenSize } = needsEncoder(cfg, encoder as EncoderIdentity | undefined)!;
    const dims = Array.from({ length: hiddenSize }, (_, i) => i);
    return cfg.encoderPooling === 'frames'
      ? dims.map((i) => `enc${i}`)
      : [...dims.map((i) => `enc_mean${i}`), ...dims.map((i) => `enc_std${i}`)];
  }
  if (isVectorRepresentation(cfg.representation)) return functionalNames(cfg.representation);
  const prefix = cfg.representation === 'logmel' ? 'mel' : 'mfcc';
  const base = Array.from({ length: baseRowCount(cfg) }, (_, i) => `${prefix}${i}`);
  const names = [...base];
  for (let order = 1; order <= cfg.deltas; order++) names.push(...base.map((name) => `d${order}_${name}`));
  for (const d of canonicalExtras(cfg.extras)) names.push(...descriptorRowNames(d));
  return names;
}

/** Configs the fast path computes (librosa MFCC straight into the padded matrix, no Meyda, no deltas). */
export function isPlainMfcc(cfg: FeatureConfig): boolean {
  return cfg.preset === 'librosa' && cfg.representation === 'mfcc' && cfg.deltas === 0 && cfg.extras.length === 0;
}

/** What a matrix's rows are: "log-mel 64 (50–8000 Hz) + deltas 1–2 + rms". */
export function describeFeatureRows(cfg: FeatureConfig): string {
  if (cfg.representation === 'encoder') {
    const layer = cfg.encoderLayer === -1 ? 'last layer' : `layer ${cfg.encoderLayer}`;
    return `encoder ${basename(cfg.encoderDir)} (${layer}, ${cfg.encoderPooling === 'frames' ? 'frames' : 'mean + std'})`;
  }
  if (isVectorRepresentation(cfg.representation)) return `${cfg.representation} functionals`;
  const base = cfg.representation === 'logmel' ? `log-mel ${cfg.nMels}` : `MFCC ${cfg.nMfcc}`;
  const band = cfg.fmin !== 0 || melFmax(cfg) !== cfg.sampleRate / 2 ? ` (${cfg.fmin}–${melFmax(cfg)} Hz)` : '';
  const deltas = cfg.deltas > 0 ? ` + deltas ${cfg.deltas === 1 ? '1' : '1–2'}` : '';
  const extras = cfg.extras.length > 0 ? ` + ${cfg.extras.join(', ')}` : '';
  return `${base}${band}${deltas}${extras}`;
}

/** One line for logs and the CLI: "librosa log-mel 64 (50–8000 Hz) + deltas 1–2 + rms, 100 frames, 164 rows". */
export function describeFeatureConfig(cfg: FeatureConfig): string {
  if (cfg.representation === 'encoder') {
    const shape =
      cfg.encoderPooling === 'frames' ? (cfg.frames === 0 ? 'frames for the longest clip' : `${cfg.frames} frames`) : 'one vector per clip';
    return `${describeFeatureRows(cfg)} at ${cfg.sampleRate} Hz, ${shape}, windows of ${cfg.encoderWindowS} s`;
  }
  if (isVectorRepresentation(cfg.representation)) {
    return `${describeFeatureRows(cfg)} at ${cfg.sampleRate} Hz, one vector per clip, ${featureRowCount(cfg)} values`;
  }
  const frames = cfg.frames === 0 ? 'frames for the longest clip' : `${cfg.frames} frames`;
  return `${cfg.preset} ${describeFeatureRows(cfg)}, ${frames}, ${featureRowCount(cfg)} rows`;
}
