/**
 * The feature configuration, field by field: the table the engine's feature-config validation and
 * the CLI's feature flags are derived from. Limits that depend on other fields (hopLength ≤ nFft,
 * nMels ≤ nFft/2 + 1, nMfcc ≤ nMels, Meyda's 40 coefficients, fmin < fmax ≤ sampleRate/2, Meyda
 * only with MFCC over the full band) are checked after the table, in features/config.ts.
 */
import type { FieldTable } from './fields';
import {
  ENCODER_DTYPES,
  ENCODER_POOLINGS,
  FEATURE_PRESETS,
  MEYDA_DESCRIPTORS,
  type EncoderDtype,
  type EncoderPooling,
  type FeaturePreset,
  type MeydaDescriptor,
  type VectorRepresentation,
} from './names';

/**
 * What the main rows of a feature matrix are: MFCC or log-mel frames, a vector of acoustic
 * functionals (stored as a matrix of one frame; features/functionals/), or a pretrained speech
 * encoder's embeddings (features/encoder/: pooled to one frame, or its frames).
 */
export type FeatureRepresentation = 'mfcc' | 'logmel' | VectorRepresentation | 'encoder';
/** The representations that are frame matrices (the fields of the framing and the mel filterbank apply to them). */
export const MATRIX_REPRESENTATIONS: readonly FeatureRepresentation[] = ['mfcc', 'logmel'];

export interface FeatureConfig {
  /** 'librosa': librosa-exact MFCC; 'meyda': Meyda's own MFCC on the same framing. */
  preset: FeaturePreset;
  /**
   * 'mfcc': nMfcc MFCC rows; 'logmel': nMels rows of the dB mel spectrogram (librosa power_to_db,
   * top_db 80); 'egemaps-like' / 'compare-like': one frame of named acoustic functionals.
   */
  representation: FeatureRepresentation;
  /** 0: none; 1: + librosa.feature.delta rows; 2: + delta and delta-delta rows (width 9, mode 'interp'). */
  deltas: number;
  /** Lowest mel filterbank frequency (Hz). */
  fmin: number;
  /** Highest mel filterbank frequency (Hz); 0 = sampleRate / 2. */
  fmax: number;
  /** Sample rate the audio is resampled to before extraction (Hz). */
  sampleRate: number;
  nMfcc: number;
  nFft: number;
  hopLength: number;
  nMels: number;
  /**
   * Every matrix is zero-padded at the end or truncated to this many frames. 0 (auto) is resolved
   * against the dataset before extraction (features/frames.ts).
   */
  frames: number;
  /** Meyda descriptors appended as extra rows, in canonical order (MEYDA_DESCRIPTORS). */
  extras: MeydaDescriptor[];
  /** The encoder representation: the folder of an ONNX export of a speech encoder (absolute once resolved). */
  encoderDir: string;
  /** Which file of the export to run (onnx/model.onnx, model_fp16.onnx, …). */
  encoderDtype: EncoderDtype;
  /** Which hidden state: 0 = the transformer's input, N = after layer N; -1 = the last layer. */
  encoderLayer: number;
  /** Mean and standard deviation over the clip (one vector), or the frames themselves. */
  encoderPooling: EncoderPooling;
  /** Longer clips run in windows of this many seconds, overlapping by a fifth, stitched. */
  encoderWindowS: number;
}

/** The parts of the Features form, in order. */
export const FEATURE_GROUPS = [
  { id: 'features', title: 'Features' },
  { id: 'encoder', title: 'Pretrained encoder' },
  { id: 'framing', title: 'Framing' },
] as const;

const ENCODER_ONLY = [{ path: 'representation', values: ['encoder'] }] as const;

/**
 * The form disables a field while another field has none of the values of one of its conditions
 * (it does not apply then). Fields that do not apply to a vector representation are set to their
 * defaults by the engine (features/config.ts).
 */
export const FEATURE_FIELD_APPLIES: Partial<
  Record<keyof FeatureConfig, readonly { path: keyof FeatureConfig; values: readonly string[] }[]>
> = {
  preset: [{ path: 'representation', values: MATRIX_REPRESENTATIONS }],
  deltas: [{ path: 'representation', values: MATRIX_REPRESENTATIONS }],
  nMfcc: [{ path: 'representation', values: ['mfcc'] }],
  fmin: [
    { path: 'preset', values: ['librosa'] },
    { path: 'representation', values: MATRIX_REPRESENTATIONS },
  ],
  fmax: [
    { path: 'preset', values: ['librosa'] },
    { path: 'representation', values: MATRIX_REPRESENTATIONS },
  ],
  nFft: [{ path: 'representation', values: MATRIX_REPRESENTATIONS }],
  hopLength: [{ path: 'representation', values: MATRIX_REPRESENTATIONS }],
  nMels: [{ path: 'representation', values: MATRIX_REPRESENTATIONS }],
  extras: [{ path: 'representation', values: MATRIX_REPRESENTATIONS }],
  sampleRate: [{ path: 'representation', values: ['mfcc', 'logmel', 'egemaps-like', 'compare-like'] }],
  encoderDir: ENCODER_ONLY,
  encoderDtype: ENCODER_ONLY,
  encoderLayer: ENCODER_ONLY,
  encoderPooling: ENCODER_ONLY,
  encoderWindowS: ENCODER_ONLY,
};

/**
 * Whether `field` applies to a feature config (every condition of FEATURE_FIELD_APPLIES holds); the
 * one rule behind the form, the run details and the study settings. `values` may be partial: a
 * missing field counts as its default.
 */
export function featureFieldApplies(values: Readonly<Record<string, unknown>>, field: string): boolean {
  const rules = FEATURE_FIELD_APPLIES[field as keyof FeatureConfig] ?? [];
  return rules.every((rule) => {
    const value = values[rule.path] ?? (FEATURE_FIELDS[rule.path] as { default: unknown }).default;
    return rule.values.includes(String(value));
  });
}

/** Feature configs have one set of defaults. */
export type FeatureDefaults = 'default';

export const FEATURE_FIELDS = {
  preset: {
    kind: 'enum',
    choices: FEATURE_PRESETS.map((value) => ({ value, title: value === 'librosa' ? 'librosa-exact MFCC' : "Meyda's MFCC" })),
    default: 'librosa',
    label: 'MFCC implementation',
    help: 'librosa-exact MFCC, or Meyda’s own MFCC on the same framing',
    flag: 'preset',
    group: 'features',
  },
  sampleRate: {
    kind: 'integer',
    min: 4000,
    max: 192000,
    default: 22050,
    label: 'Sample rate (Hz)',
    help: 'audio is resampled to this rate first',
    flag: 'sample-rate',
    group: 'framing',
  },
  representation: {
    kind: 'enum',
    choices: [
      { value: 'mfcc', title: 'MFCC' },
      { value: 'logmel', title: 'log-mel energies' },
      { value: 'egemaps-like', title: 'eGeMAPS-like, 88 values' },
      { value: 'compare-like', title: 'ComParE-like, 3707 values' },
      { value: 'encoder', title: 'pretrained encoder (ONNX)' },
    ],
    default: 'mfcc',
    label: 'Representation',
    help: 'MFCC rows, the dB mel spectrogram (nMels rows; librosa preset only), a vector of acoustic functionals per clip (one frame), or a pretrained speech encoder run from a local ONNX folder',
    flag: 'representation',
    group: 'features',
  },
  deltas: {
    kind: 'integer',
    min: 0,
    max: 2,
    default: 0,
    label: 'Deltas',
    help: 'append librosa delta rows (1) or delta and delta-delta rows (2), width 9, computed before padding',
    flag: 'deltas',
    group: 'features',
  },
  fmin: {
    kind: 'number',
    min: 0,
    max: 96000,
    default: 0,
    label: 'Lowest frequency (Hz)',
    help: 'lowest mel filterbank frequency (below the highest)',
    flag: 'fmin',
    group: 'features',
  },
  fmax: {
    kind: 'number',
    min: 0,
    max: 96000,
    minNote: '(0 = half the sample rate)',
    default: 0,
    label: 'Highest frequency (Hz)',
    help: 'highest mel filterbank frequency, at most half the sample rate; 0 = half the sample rate',
    flag: 'fmax',
    group: 'features',
  },
  nMfcc: {
    kind: 'integer',
    min: 1,
    max: 512,
    default: 40,
    label: 'MFCC coefficients',
    help: 'MFCC rows (at most nMels; 40 with meyda)',
    flag: 'n-mfcc',
    group: 'features',
  },
  nFft: {
    kind: 'integer',
    min: 256,
    max: 16384,
    powerOfTwo: true,
    default: 2048,
    label: 'FFT size',
    help: 'window length in samples (a power of two)',
    flag: 'n-fft',
    group: 'framing',
  },
  hopLength: {
    kind: 'integer',
    min: 1,
    max: 16384,
    default: 512,
    label: 'Hop length',
    help: 'samples between frames (at most the FFT size)',
    flag: 'hop-length',
    group: 'framing',
  },
  nMels: {
    kind: 'integer',
    min: 1,
    max: 512,
    default: 128,
    label: 'Mel bands',
    help: 'mel filter bands (at most FFT size / 2 + 1)',
    flag: 'n-mels',
    group: 'framing',
  },
  frames: {
    kind: 'integer',
    min: 0,
    max: 100000,
    default: 0,
    label: 'Frames',
    help: 'every matrix is zero-padded or truncated to this many frames; 0: enough for the longest clip (100 to 500); functionals: 0 or 1 (one frame)',
    flag: 'frames',
    group: 'framing',
  },
  extras: {
    kind: 'list',
    maxItems: 64,
    maxLength: 32,
    choices: MEYDA_DESCRIPTORS.map((value) => ({ value, title: value })),
    default: [],
    label: 'Extra descriptors',
    help: 'Meyda descriptors appended as rows',
    flag: 'extras',
    group: 'features',
  },
  encoderDir: {
    kind: 'text',
    maxLength: 4096,
    picks: 'folder',
    default: '',
    label: 'Encoder folder',
    help: 'a Hugging Face ONNX export of a speech encoder on this machine (config.json, preprocessor_config.json, onnx/model.onnx); nothing is downloaded',
    flag: 'encoder-dir',
    group: 'encoder',
  },
  encoderDtype: {
    kind: 'enum',
    choices: ENCODER_DTYPES.map((value) => ({ value, title: value === 'auto' ? 'auto (fp32 first)' : value })),
    default: 'auto',
    label: 'Encoder file',
    help: 'which export to run: fp32 model.onnx, q8 model_quantized.onnx, int8/uint8 model_int8/uint8.onnx, fp16 model_fp16.onnx; auto: the first present in that order',
    flag: 'encoder-dtype',
    group: 'encoder',
  },
  encoderLayer: {
    kind: 'integer',
    min: -1,
    max: 64,
    minNote: '(-1 = the last layer)',
    default: -1,
    label: 'Encoder layer',
    help: 'hidden state to keep: 0 = the transformer input, N = after layer N (needs an export with hidden_states outputs); -1 = the last layer',
    flag: 'encoder-layer',
    group: 'encoder',
  },
  encoderPooling: {
    kind: 'enum',
    choices: ENCODER_POOLINGS.map((value) => ({
      value,
      title: value === 'mean-std' ? 'mean + std (vector models)' : 'frames (sequence models)',
    })),
    default: 'mean-std',
    label: 'Encoder pooling',
    help: 'mean and standard deviation of the frames (one vector, for the classical models and the MLP), or the frames with their mask (crnn and the CNNs)',
    flag: 'encoder-pooling',
    group: 'encoder',
  },
  encoderWindowS: {
    kind: 'number',
    min: 1,
    max: 60,
    default: 20,
    label: 'Encoder window (s)',
    help: "longer clips run in windows of this length overlapping by a fifth, stitched at the overlaps' middles; memory grows with the window, not the clip",
    flag: 'encoder-window',
    group: 'encoder',
  },
} as const satisfies FieldTable<FeatureConfig, FeatureDefaults>;
