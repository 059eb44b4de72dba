/**
 * Feature standardisation. Statistics are fitted on training matrices only and stored as plain
 * number arrays so they can go into checkpoint manifests as JSON.
 */

export interface StandardizerStats {
  /** Per feature row. */
  mean: number[];
  /** Per feature row, population standard deviation. */
  std: number[];
}

const EPSILON = 1e-8;

function checkShape(matrix: Float32Array, rows: number, frames: number): void {
  if (matrix.length !== rows * frames) {
    throw new Error(`matrix has ${matrix.length} values, expected rows × frames = ${rows} × ${frames}`);
  }
}

/** Per-row mean and population std over every frame of every given (training) matrix, [row][frame] layout. */
export function fitStandardizer(matrices: readonly Float32Array[], rows: number, frames: number): StandardizerStats {
  if (matrices.length === 0) throw new Error('fitStandardizer needs at least one matrix');
  const count = matrices.length * frames;
  const mean = new Array<number>(rows).fill(0);
  const std = new Array<number>(rows).fill(0);
  for (const matrix of matrices) {
    checkShape(matrix, rows, frames);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let t = r * frames, end = t + frames; t < end; t++) sum += matrix[t];
      mean[r] += sum;
    }
  }
  for (let r = 0; r < rows; r++) mean[r] /= count;
  // Second pass around the mean: numerically safer than accumulating squares.
  for (const matrix of matrices) {
    for (let r = 0; r < rows; r++) {
      const m = mean[r];
      let squares = 0;
      for (let t = r * frames, end = t + frames; t < end; t++) squares += (matrix[t] - m) * (matrix[t] - m);
      std[r] += squares;
    }
  }
  for (let r = 0; r < rows; r++) std[r] = Math.sqrt(std[r] / count);
  return { mean, std };
}

/** (x - mean[row]) / (std[row] + 1e-8) for every value, as a new matrix. */
export function applyStandardizer(matrix: Float32Array, stats: StandardizerStats, rows: number, frames: number): Float32Array {
  checkShape(matrix, rows, frames);
  if (stats.mean.length !== rows || stats.std.length !== rows) {
    throw new Error(`standardizer has ${stats.mean.length} rows, matrix has ${rows}`);
  }
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) {
    const mean = stats.mean[r];
    const divisor = stats.std[r] + EPSILON;
    for (let t = r * frames, end = t + frames; t < end; t++) out[t] = (matrix[t] - mean) / divisor;
  }
  return out;
}

/** (x - mean(x)) / (std(x) + 1e-8) over the whole matrix, population std: the golden-file convention. */
export function standardizePerClip(matrix: Float32Array): Float32Array {
  if (matrix.length === 0) return new Float32Array(0);
  let sum = 0;
  for (let i = 0; i < matrix.length; i++) sum += matrix[i];
  const mean = sum / matrix.length;
  let squares = 0;
  for (let i = 0; i < matrix.length; i++) squares += (matrix[i] - mean) * (matrix[i] - mean);
  const divisor = Math.sqrt(squares / matrix.length) + EPSILON;
  const out = new Float32Array(matrix.length);
  for (let i = 0; i < matrix.length; i++) out[i] = (matrix[i] - mean) / divisor;
  return out;
}
