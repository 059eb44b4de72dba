/**
 * Feature standardisation, per feature row. Statistics are plain number arrays so they can go into
 * checkpoint manifests as JSON. They count only a clip's valid frames (the first `validFrames`
 * columns), never its zero padding, and padded frames are 0 after standardising.
 *
 * Three modes (the training config's `normalization`): `global` fits statistics on the training
 * split and applies them to every clip; `speaker` fits them on each speaker's own clips (whatever
 * pool of clips the caller gives: a split part, the files predicted together); `clip` on each
 * clip's own frames. Labels never enter any of them.
 */
import type { NormalizationMode } from '../schema/trainingFields';

export type { NormalizationMode } from '../schema/trainingFields';

export interface StandardizerStats {
  /** Per feature row. */
  mean: number[];
  /** Per feature row, population standard deviation. */
  std: number[];
}

/**
 * How clips are standardised. `maskPadding: false` reproduces checkpoints written before
 * padding was masked: their global statistics counted the padding and it was standardised too.
 * `speaker` mode of feature vectors carries the training clips' statistics (`globalStats`) for a
 * vector of unknown speaker: its own statistics would make it zeros (checkpoints before manifest
 * format 4 lack them).
 */
export type Normalizer =
  | { mode: 'global'; stats: StandardizerStats; maskPadding: boolean }
  | { mode: 'speaker'; globalStats?: StandardizerStats }
  | { mode: 'clip' };

/** One clip's raw matrix, [row][frame], with its valid frame count and speaker ('' = unknown). */
export interface ClipMatrix {
  data: Float32Array;
  validFrames: number;
  speaker: string;
}

export interface NormalizedClips {
  /** Standardised copies, in the order of the clips given. */
  matrices: Float32Array[];
  /** Indices of clips that `speaker` mode standardised with their own statistics: their speaker is unknown. */
  ownStatistics: number[];
  /** Indices of clips of unknown speaker that `speaker` mode standardised with its `globalStats` (vectors). */
  globalStatistics: number[];
}

const EPSILON = 1e-8;
/** A row whose std is below this (relative to its mean, for large means) has no spread: float rounding only. */
const FLAT_ROW = 1e-7;

function checkShape(matrix: Float32Array, rows: number, frames: number): void {
  if (matrix.length !== rows * frames) {
    throw new Error(`matrix has ${matrix.length} values, expected rows × frames = ${rows} × ${frames}`);
  }
}

function checkValidFrames(valid: number, frames: number): number {
  if (!Number.isInteger(valid) || valid < 0 || valid > frames) throw new Error(`validFrames ${valid} is not an integer in 0..${frames}`);
  return valid;
}

/**
 * Per-row mean and population std over the valid frames of the given matrices, [row][frame] layout.
 * `validFrames[i]` (default: all frames) is how many leading frames of matrix i hold audio.
 */
export function fitStandardizer(
  matrices: readonly Float32Array[],
  rows: number,
  frames: number,
  validFrames?: ArrayLike<number>,
): StandardizerStats {
  if (matrices.length === 0) throw new Error('fitStandardizer needs at least one matrix');
  if (validFrames !== undefined && validFrames.length !== matrices.length) {
    throw new Error(`fitStandardizer got ${validFrames.length} valid-frame counts for ${matrices.length} matrices`);
  }
  const valid = (i: number): number => (validFrames === undefined ? frames : checkValidFrames(validFrames[i]!, frames));
  let count = 0;
  const mean = new Array<number>(rows).fill(0);
  const std = new Array<number>(rows).fill(0);
  matrices.forEach((matrix, i) => {
    checkShape(matrix, rows, frames);
    const n = valid(i);
    count += n;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let t = r * frames, end = t + n; t < end; t++) sum += matrix[t]!;
      mean[r] += sum;
    }
  });
  if (count === 0) throw new Error('fitStandardizer got no valid frames: every clip is all padding');
  for (let r = 0; r < rows; r++) mean[r] /= count;
  // Second pass around the mean: numerically safer than accumulating squares.
  matrices.forEach((matrix, i) => {
    const n = valid(i);
    for (let r = 0; r < rows; r++) {
      const m = mean[r]!;
      let squares = 0;
      for (let t = r * frames, end = t + n; t < end; t++) squares += (matrix[t]! - m) * (matrix[t]! - m);
      std[r] += squares;
    }
  });
  for (let r = 0; r < rows; r++) std[r] = spreadOf(std[r]! / count, mean[r]!);
  return { mean, std };
}

/**
 * The std a row is standardised with, from its population variance. A row with no spread (an
 * empty mel band, a constant extra) is only centred: dividing by its std of ~0 would blow any
 * other value up, and a checkpoint with a zero std is refused.
 */
function spreadOf(variance: number, mean: number): number {
  const std = Math.sqrt(variance);
  return std <= FLAT_ROW * Math.max(1, Math.abs(mean)) ? 1 : std;
}

/**
 * fitStandardizer's statistics accumulated one matrix at a time, in fixed memory (per row: count,
 * mean and sum of squared deviations, merged by Chan's parallel formula): after adding matrices,
 * `stats()` equals fitStandardizer over all of them, to float64 rounding. A live session keeps
 * its speaker's statistics this way.
 */
export class RunningStandardizer {
  private count = 0;
  private readonly mean: Float64Array;
  private readonly squares: Float64Array;

  constructor(
    readonly rows: number,
    readonly frames: number,
  ) {
    this.mean = new Float64Array(rows);
    this.squares = new Float64Array(rows);
  }

  /** Frames counted so far. */
  get frameCount(): number {
    return this.count;
  }

  /** Adds the first `validFrames` frames of a [row][frame] matrix. */
  add(matrix: Float32Array, validFrames: number = this.frames): void {
    checkShape(matrix, this.rows, this.frames);
    const n = checkValidFrames(validFrames, this.frames);
    if (n === 0) return;
    const total = this.count + n;
    for (let r = 0; r < this.rows; r++) {
      const start = r * this.frames;
      let sum = 0;
      for (let t = start; t < start + n; t++) sum += matrix[t]!;
      const mean = sum / n;
      let squares = 0;
      for (let t = start; t < start + n; t++) squares += (matrix[t]! - mean) * (matrix[t]! - mean);
      const delta = mean - this.mean[r]!;
      this.mean[r] = this.mean[r]! + (delta * n) / total;
      this.squares[r] = this.squares[r]! + squares + (delta * delta * this.count * n) / total;
    }
    this.count = total;
  }

  stats(): StandardizerStats {
    if (this.count === 0) throw new Error('RunningStandardizer has no frames yet');
    const mean = Array.from(this.mean);
    return { mean, std: mean.map((m, r) => spreadOf(this.squares[r]! / this.count, m)) };
  }
}

/**
 * (x - mean[row]) / (std[row] + 1e-8) for the first `validFrames` frames of each row (default: all),
 * 0 for the padding after them, as a new matrix.
 */
export function applyStandardizer(
  matrix: Float32Array,
  stats: StandardizerStats,
  rows: number,
  frames: number,
  validFrames: number = frames,
): Float32Array {
  checkShape(matrix, rows, frames);
  if (stats.mean.length !== rows || stats.std.length !== rows) {
    throw new Error(`standardizer has ${stats.mean.length} rows, matrix has ${rows}`);
  }
  const valid = checkValidFrames(validFrames, frames);
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) {
    const mean = stats.mean[r]!;
    const divisor = stats.std[r]! + EPSILON;
    for (let t = r * frames, end = t + valid; t < end; t++) out[t] = (matrix[t]! - mean) / divisor;
  }
  return out;
}

/** One clip standardised with its own per-row statistics (a clip with no valid frames gives zeros). */
function standardizeOwn(clip: ClipMatrix, rows: number, frames: number): Float32Array {
  if (clip.validFrames === 0) return new Float32Array(rows * frames);
  return applyStandardizer(clip.data, fitStandardizer([clip.data], rows, frames, [clip.validFrames]), rows, frames, clip.validFrames);
}

/**
 * Statistics per speaker, each from that speaker's clips in `pool` only (clips with no valid
 * frames and clips of unknown speaker, '', contribute nothing). A speaker with a single frame in
 * all (one feature vector) gets none: its own statistics would turn that frame into zeros.
 */
export function fitSpeakerStandardizers(pool: readonly ClipMatrix[], rows: number, frames: number): Map<string, StandardizerStats> {
  const bySpeaker = new Map<string, ClipMatrix[]>();
  for (const clip of pool) {
    if (clip.speaker === '' || clip.validFrames === 0) continue;
    const clips = bySpeaker.get(clip.speaker);
    if (clips) clips.push(clip);
    else bySpeaker.set(clip.speaker, [clip]);
  }
  const stats = new Map<string, StandardizerStats>();
  for (const [speaker, clips] of bySpeaker) {
    if (clips.reduce((n, c) => n + c.validFrames, 0) < 2) continue;
    stats.set(
      speaker,
      fitStandardizer(
        clips.map((c) => c.data),
        rows,
        frames,
        clips.map((c) => c.validFrames),
      ),
    );
  }
  return stats;
}

/**
 * Standardised copies of `clips` under `normalizer`. In `speaker` mode each speaker's statistics
 * come from that speaker's clips in `pool` (default: the clips themselves); a clip whose speaker
 * has none there (unknown speaker) falls back to the normaliser's `globalStats` when it has them
 * (listed in `globalStatistics`), and otherwise to its own statistics (listed in `ownStatistics`).
 */
export function normalizeClips(
  clips: readonly ClipMatrix[],
  normalizer: Normalizer,
  rows: number,
  frames: number,
  pool: readonly ClipMatrix[] = clips,
): NormalizedClips {
  if (normalizer.mode === 'global') {
    const { stats, maskPadding } = normalizer;
    return {
      matrices: clips.map((clip) => applyStandardizer(clip.data, stats, rows, frames, maskPadding ? clip.validFrames : frames)),
      ownStatistics: [],
      globalStatistics: [],
    };
  }
  if (normalizer.mode === 'clip') {
    return { matrices: clips.map((clip) => standardizeOwn(clip, rows, frames)), ownStatistics: [], globalStatistics: [] };
  }
  const bySpeaker = fitSpeakerStandardizers(pool, rows, frames);
  const ownStatistics: number[] = [];
  const globalStatistics: number[] = [];
  const matrices = clips.map((clip, i) => {
    const stats = bySpeaker.get(clip.speaker);
    if (stats) return applyStandardizer(clip.data, stats, rows, frames, clip.validFrames);
    if (normalizer.globalStats) {
      globalStatistics.push(i);
      return applyStandardizer(clip.data, normalizer.globalStats, rows, frames, clip.validFrames);
    }
    ownStatistics.push(i);
    return standardizeOwn(clip, rows, frames);
  });
  return { matrices, ownStatistics, globalStatistics };
}

/**
 * The normaliser a checkpoint manifest records (its `normalization`, with the training clips'
 * statistics of a vector model in speaker mode, and `standardizer` for global).
 */
export function recordedNormalizer(recorded: {
  normalization: { mode: NormalizationMode; maskPadding: boolean; globalStats?: StandardizerStats };
  standardizer?: StandardizerStats;
}): Normalizer {
  const { mode, maskPadding, globalStats } = recorded.normalization;
  if (mode === 'speaker') return globalStats ? { mode, globalStats } : { mode };
  if (mode === 'clip') return { mode };
  if (!recorded.standardizer) throw new Error('global normalization needs the standardizer statistics, and none are recorded');
  return { mode, stats: recorded.standardizer, maskPadding };
}

/** (x - mean(x)) / (std(x) + 1e-8) over the whole matrix, population std: the golden-file convention. */
export function standardizePerClip(matrix: Float32Array): Float32Array {
  if (matrix.length === 0) return new Float32Array(0);
  let sum = 0;
  for (let i = 0; i < matrix.length; i++) sum += matrix[i]!;
  const mean = sum / matrix.length;
  let squares = 0;
  for (let i = 0; i < matrix.length; i++) squares += (matrix[i]! - mean) * (matrix[i]! - mean);
  const divisor = Math.sqrt(squares / matrix.length) + EPSILON;
  const out = new Float32Array(matrix.length);
  for (let i = 0; i < matrix.length; i++) out[i] = (matrix[i]! - mean) / divisor;
  return out;
}
