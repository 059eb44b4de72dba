/**
 * The per-clip feature matrix the extraction workers produce: MFCC rows (librosa or Meyda preset)
 * followed by the Meyda descriptor rows, fixed to cfg.frames columns. Raw values: standardisation
 * happens later, with training-split statistics (standardize.ts).
 */
import { featureRowCount, type FeatureConfig } from './config';
import { meydaFeatures } from './meyda';
import { mfccInto, mfccMatrix, type Matrix32 } from './mfcc';

export interface FeatureMatrix {
  /** [row][frame] row-major, rows × frames; owns its whole buffer (safe to transfer). */
  data: Float32Array;
  rows: number;
  /** Always cfg.frames. */
  frames: number;
  /** Frames computed from audio; the rest are zero padding: min(natural frames, cfg.frames). */
  validFrames: number;
}

/** Copies the first `frames` columns of each row of `source` into `target` starting at `targetRow`. */
function copyRows(source: Matrix32, target: Float32Array, targetRow: number, frames: number): void {
  const columns = Math.min(source.frames, frames);
  for (let r = 0; r < source.rows; r++) {
    const start = r * source.frames;
    target.set(source.data.subarray(start, start + columns), (targetRow + r) * frames);
  }
}

/** Feature matrix of one clip (mono samples at cfg.sampleRate): zero-padded at the end or truncated to cfg.frames. */
export function computeFeatureMatrix(samples: Float32Array, cfg: FeatureConfig): FeatureMatrix {
  const { sampleRate, nFft, hopLength, nMels, nMfcc, extras, frames } = cfg;
  const rows = featureRowCount(cfg);
  if (cfg.preset === 'librosa' && extras.length === 0) {
    // The common case, shared with the extraction worker (which loads this module, and Meyda
    // with it, only for configs that need Meyda).
    return { ...mfccMatrix(samples, { sampleRate, nFft, hopLength, nMels, nMfcc }, frames), rows, frames };
  }
  const data = new Float32Array(rows * frames);

  if (cfg.preset === 'meyda') {
    const part = meydaFeatures(samples, { sampleRate, nFft, hopLength, nMels, nMfcc, descriptors: extras });
    copyRows(part, data, 0, frames);
    if (part.rows !== rows) throw new Error(`feature matrix has ${part.rows} rows, expected ${rows}`);
    return { data, rows, frames, validFrames: Math.min(part.frames, frames) };
  }
  // librosa MFCC rows go straight into the matrix (no intermediate [nMfcc][natural frames] copy).
  const natural = mfccInto(samples, { sampleRate, nFft, hopLength, nMels, nMfcc }, data, frames, frames);
  let row = nMfcc;
  if (extras.length > 0) {
    const part = meydaFeatures(samples, { sampleRate, nFft, hopLength, nMels, nMfcc: 0, descriptors: extras });
    copyRows(part, data, row, frames);
    row += part.rows;
  }
  if (row !== rows) throw new Error(`feature matrix has ${row} rows, expected ${rows}`);
  return { data, rows, frames, validFrames: Math.min(natural, frames) };
}
