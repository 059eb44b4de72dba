/** The feature configuration's plain types (Node-free: run.json's type and the renderer use them). */

export type FeaturePreset = 'librosa' | 'meyda';

export type MeydaDescriptor = 'chroma' | 'spectralCentroid' | 'spectralFlatness' | 'spectralRolloff' | 'rms' | 'zcr' | 'loudness';

export interface FeatureConfig {
  /** 'librosa': librosa-exact MFCC; 'meyda': Meyda's own MFCC on the same framing. */
  preset: FeaturePreset;
  /** Sample rate the audio is resampled to before extraction (Hz). */
  sampleRate: number;
  nMfcc: number;
  nFft: number;
  hopLength: number;
  nMels: number;
  /** Every matrix is zero-padded at the end or truncated to this many frames. */
  frames: number;
  /** Meyda descriptors appended as extra rows, in canonical order (MEYDA_DESCRIPTORS). */
  extras: MeydaDescriptor[];
}
