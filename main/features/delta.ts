/**
 * librosa.feature.delta(data, width=9, order, axis=-1, mode='interp'), which is
 * scipy.signal.savgol_filter(data, 9, deriv=order, polyorder=order, mode='interp', axis=-1):
 * per row, the order-th derivative of the least-squares polynomial of degree `order` through each
 * window of 9 frames.
 *
 * With polyorder = deriv that derivative is the same everywhere in a window, so 'interp' mode (fit
 * the first and last window, evaluate at the edge frames) gives the edge frames the value of the
 * first and last full window. Rows shorter than the width, where librosa raises, use the widest odd
 * window that fits (savgol_filter with that window); a row of `order` frames or fewer, too short
 * for any such fit, gets zeros.
 */

export const DELTA_WIDTH = 9;

/**
 * Weights h[j], j = 0..w-1, with derivative[t] = Σ_j h[j]·x[t − (w−1)/2 + j] for a window of w
 * frames: the polynomials z and z² − mean(z²) on z = −(w−1)/2 … (w−1)/2 are orthogonal to 1 and
 * to each other, so the slope is Σ z·x / Σ z², and the second derivative is 2·Σ p·x / Σ p².
 */
function derivativeWeights(width: number, order: 1 | 2): Float64Array {
  const half = (width - 1) / 2;
  const z = Float64Array.from({ length: width }, (_, j) => j - half);
  let meanSquare = 0;
  for (const v of z) meanSquare += (v * v) / width;
  const basis = order === 1 ? z : z.map((v) => v * v - meanSquare);
  let norm = 0;
  for (const v of basis) norm += v * v;
  const scale = order === 1 ? 1 / norm : 2 / norm;
  return basis.map((v) => v * scale);
}

/** The window used for rows of `frames` frames: DELTA_WIDTH, or the widest odd one that fits; 0 when none does. */
export function deltaWindow(frames: number, order: 1 | 2): number {
  const width = Math.min(DELTA_WIDTH, frames % 2 === 1 ? frames : frames - 1);
  return width > order ? width : 0;
}

/**
 * Order-`order` deltas of each row of `source` ([rows][frames] row-major), written to
 * out[(outRow + r) * columns + t] for t < min(frames, columns).
 */
export function deltaRowsInto(
  source: ArrayLike<number>,
  rows: number,
  frames: number,
  order: 1 | 2,
  out: Float32Array,
  outRow: number,
  columns: number,
): void {
  const width = deltaWindow(frames, order);
  const used = Math.min(frames, columns);
  if (width === 0) {
    for (let r = 0; r < rows; r++) out.fill(0, (outRow + r) * columns, (outRow + r) * columns + used);
    return;
  }
  const h = derivativeWeights(width, order);
  const half = (width - 1) / 2;
  for (let r = 0; r < rows; r++) {
    const at = r * frames;
    const to = (outRow + r) * columns;
    for (let t = 0; t < used; t++) {
      // The window centred on t, moved inside the row at the edges (mode 'interp').
      const start = Math.min(Math.max(t - half, 0), frames - width);
      let sum = 0;
      for (let j = 0; j < width; j++) sum += h[j] * source[at + start + j];
      out[to + t] = sum;
    }
  }
}
