/**
 * The per-clip feature matrix the extraction workers produce: the representation's rows (librosa
 * MFCC, Meyda MFCC or librosa log-mel), their deltas, then the Meyda descriptor rows, fixed to
 * cfg.frames columns; or, for a vector representation, one column of functionals (functionals/). Raw values: standardisation happens later, with training-split statistics
 * (standardize.ts).
 */
import { isVectorRepresentation } from '../schema/names';
import { featureRowCount, isPlainMfcc, type FeatureConfig } from './config';
import { deltaRowsInto } from './delta';
import { computeFunctionalVector } from './functionals/vector';
import { meydaFeatures } from './meyda';
import { logMelSpectrogram, mfcc, mfccMatrix, type Matrix32, type Matrix64, type SpectrogramOptions } from './mfcc';

export interface FeatureMatrix {
  /** [row][frame] row-major, rows × frames; owns its whole buffer (safe to transfer). */
  data: Float32Array;
  rows: number;
  /** Always cfg.frames. */
  frames: number;
  /** Frames computed from audio; the rest are zero padding: min(natural frames, cfg.frames). */
  validFrames: number;
  /** What the values of this clip do not describe (functionals of a silent or unvoiced clip, …). */
  notes?: string[];
}

/** Copies the first `frames` columns of each row of `source` into `target` starting at `targetRow`. */
function copyRows(source: Matrix32 | Matrix64, target: Float32Array, targetRow: number, frames: number): void {
  const columns = Math.min(source.frames, frames);
  for (let r = 0; r < source.rows; r++) {
    const start = r * source.frames;
    target.set(source.data.subarray(start, start + columns), (targetRow + r) * frames);
  }
}

/** The spectrogram options of a feature config (its fmax 0 means half the sample rate here too). */
export function spectrogramOptions(cfg: FeatureConfig): SpectrogramOptions {
  const { sampleRate, nFft, hopLength, nMels, fmin, fmax } = cfg;
  return { sampleRate, nFft, hopLength, nMels, fmin, fmax };
}

/** Feature matrix of one clip (mono samples at cfg.sampleRate): zero-padded at the end or truncated to cfg.frames. */
export function computeFeatureMatrix(samples: Float32Array, cfg: FeatureConfig): FeatureMatrix {
  if (cfg.representation === 'encoder')
    throw new Error('encoder features come from the encoder (features/encoder encoderMatrix), not computeFeatureMatrix');
  const { nMfcc, extras, frames } = cfg;
  const rows = featureRowCount(cfg);
  if (isVectorRepresentation(cfg.representation)) {
    // One frame of functionals, whatever cfg.frames asks (a viewer's auto length included).
    const vector = computeFunctionalVector(samples, cfg.sampleRate, cfg.representation);
    return { data: vector.values, rows, frames: 1, validFrames: 1, notes: vector.notes };
  }
  const spectrogram = spectrogramOptions(cfg);
  if (isPlainMfcc(cfg)) {
    // The common case, shared with the extraction worker (which loads this module, and Meyda
    // with it, only for configs that need more).
    return { ...mfccMatrix(samples, { ...spectrogram, nMfcc }, frames), rows, frames };
  }
  // The representation's rows over every natural frame: deltas are taken before padding or truncation.
  let base: Matrix32 | Matrix64;
  let extraRows: Matrix32 | null = null;
  if (cfg.preset === 'meyda') {
    const part = meydaFeatures(samples, { ...spectrogram, nMfcc, descriptors: extras });
    base = { data: part.data.subarray(0, nMfcc * part.frames), rows: nMfcc, frames: part.frames };
    extraRows = { data: part.data.subarray(nMfcc * part.frames), rows: part.rows - nMfcc, frames: part.frames };
  } else {
    base = cfg.representation === 'logmel' ? logMelSpectrogram(samples, spectrogram) : mfcc(samples, { ...spectrogram, nMfcc });
    if (extras.length > 0) extraRows = meydaFeatures(samples, { ...spectrogram, nMfcc: 0, descriptors: extras });
  }
  const data = new Float32Array(rows * frames);
  copyRows(base, data, 0, frames);
  let row = base.rows;
  for (let order = 1; order <= cfg.deltas; order++) {
    deltaRowsInto(base.data, base.rows, base.frames, order as 1 | 2, data, row, frames);
    row += base.rows;
  }
  if (extraRows) {
    copyRows(extraRows, data, row, frames);
    row += extraRows.rows;
  }
  if (row !== rows) throw new Error(`feature matrix has ${row} rows, expected ${rows}`);
  return { data, rows, frames, validFrames: Math.min(base.frames, frames) };
}
