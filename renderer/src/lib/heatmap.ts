/**
 * Pure helpers behind Heatmap.vue: a matrix → RGBA pixels (viridis, min → max, row 0 at the
 * bottom), the cell under the pointer, and "nice" axis ticks.
 */
import type { MatrixData } from '../../../main/api/contract';
import { viridisRgb } from './colormap';
import { number } from './format';

export interface ValueRange {
  min: number;
  max: number;
}

export interface Cell {
  row: number;
  col: number;
}

export interface Tick {
  /** Position along the axis in columns (x) or rows (y), from the start of the axis. */
  position: number;
  label: string;
}

/** The matrix's own min/max when usable, otherwise computed from its finite values. */
export function valueRange(matrix: MatrixData): ValueRange {
  if (Number.isFinite(matrix.min) && Number.isFinite(matrix.max) && matrix.max >= matrix.min) {
    return { min: matrix.min, max: matrix.max };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of matrix.values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

const LUT_LEVELS = 256;
let viridisLut: Uint8Array | null = null;

/** viridis at 256 levels, RGB interleaved (filling ImageData per pixel through it is cheap). */
function lut(): Uint8Array {
  if (!viridisLut) {
    viridisLut = new Uint8Array(LUT_LEVELS * 3);
    for (let i = 0; i < LUT_LEVELS; i++) viridisLut.set(viridisRgb(i / (LUT_LEVELS - 1)), i * 3);
  }
  return viridisLut;
}

/**
 * RGBA pixels for an ImageData of width `cols` and height `rows`. Row 0 of the matrix is the
 * bottom pixel row (low frequencies / first coefficients at the bottom, as in librosa's plots).
 * Non-finite values get the colour of the minimum.
 */
/**
 * RGBA pixels of the matrix (row 0 at the bottom). With `perRow`, each row is scaled from its own
 * minimum to its own maximum, so rows with small ranges (higher MFCCs next to c0) stay readable.
 */
export function heatmapPixels(matrix: MatrixData, range: ValueRange = valueRange(matrix), perRow = false): Uint8ClampedArray<ArrayBuffer> {
  const { rows, cols, values } = matrix;
  const colors = lut();
  const pixels = new Uint8ClampedArray(rows * cols * 4);
  for (let r = 0; r < rows; r++) {
    const y = rows - 1 - r;
    const rowRange = perRow ? valueRange({ rows: 1, cols, values: values.slice(r * cols, (r + 1) * cols), min: NaN, max: NaN }) : range;
    const span = rowRange.max - rowRange.min;
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c]!;
      const t = span > 0 && Number.isFinite(v) ? Math.min(1, Math.max(0, (v - rowRange.min) / span)) : 0;
      const level = Math.round(t * (LUT_LEVELS - 1)) * 3;
      const p = (y * cols + c) * 4;
      pixels[p] = colors[level]!;
      pixels[p + 1] = colors[level + 1]!;
      pixels[p + 2] = colors[level + 2]!;
      pixels[p + 3] = 255;
    }
  }
  return pixels;
}

/** The value at (row, col), or null outside the matrix. */
export function valueAt(matrix: MatrixData, row: number, col: number): number | null {
  if (!Number.isInteger(row) || !Number.isInteger(col)) return null;
  if (row < 0 || row >= matrix.rows || col < 0 || col >= matrix.cols) return null;
  return matrix.values[row * matrix.cols + col] ?? null;
}

/**
 * The cell under a point (x, y) of a drawing `width` × `height` pixels that shows the whole
 * matrix with row 0 at the bottom; null outside it.
 */
export function cellAtPoint(matrix: MatrixData, x: number, y: number, width: number, height: number): Cell | null {
  if (width <= 0 || height <= 0 || x < 0 || y < 0 || x > width || y > height) return null;
  if (matrix.rows === 0 || matrix.cols === 0) return null;
  const col = Math.min(matrix.cols - 1, Math.floor((x / width) * matrix.cols));
  const rowFromTop = Math.min(matrix.rows - 1, Math.floor((y / height) * matrix.rows));
  return { row: matrix.rows - 1 - rowFromTop, col };
}

/**
 * The hover text: "frame 12 (0.28 s), row 3: -12.41" (no time without seconds per column), with
 * what the row stands for when known: "row 40 (1.1 kHz)".
 */
export function readoutText(matrix: MatrixData, cell: Cell, secondsPerCol?: number, rowName?: string): string {
  const value = valueAt(matrix, cell.row, cell.col);
  const time = secondsPerCol && secondsPerCol > 0 ? ` (${number(cell.col * secondsPerCol, 2)} s)` : '';
  const row = rowName ? ` (${rowName})` : '';
  return `frame ${cell.col}${time}, row ${cell.row}${row}: ${number(value, 2)}`;
}

/** A step of 1, 2 or 5 × 10^k so that `span` splits into at most `maxTicks` intervals. */
export function niceStep(span: number, maxTicks: number): number {
  if (!(span > 0) || !(maxTicks > 0)) return 1;
  const raw = span / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    if (m * magnitude >= raw * (1 - 1e-9)) return m * magnitude;
  }
  return 10 * magnitude;
}

/** Integer index ticks 0, step, 2·step … below `count` (e.g. rows of a heatmap). */
export function indexTicks(count: number, maxTicks = 5): Tick[] {
  if (count <= 0) return [];
  const step = Math.max(1, Math.round(niceStep(count, maxTicks)));
  const ticks: Tick[] = [];
  for (let i = 0; i < count; i += step) ticks.push({ position: i, label: String(i) });
  return ticks;
}

/** Time ticks in seconds over `cols` columns of `secondsPerCol` each; positions in columns. */
export function timeTicks(cols: number, secondsPerCol: number, maxTicks = 8): Tick[] {
  if (cols <= 0 || !(secondsPerCol > 0)) return [];
  const total = cols * secondsPerCol;
  const step = niceStep(total, maxTicks);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: Tick[] = [];
  for (let i = 0; i * step <= total * (1 + 1e-9); i++) {
    const seconds = i * step;
    ticks.push({ position: seconds / secondsPerCol, label: seconds.toFixed(decimals) });
  }
  return ticks;
}

/** A CSS gradient of the viridis scale (left = min), for the colour legend. */
export function colorScaleCss(direction = 'to right', stops = 9): string {
  const parts: string[] = [];
  for (let i = 0; i < stops; i++) {
    const t = i / (stops - 1);
    const [r, g, b] = viridisRgb(t);
    parts.push(`rgb(${r}, ${g}, ${b}) ${Math.round(t * 100)}%`);
  }
  return `linear-gradient(${direction}, ${parts.join(', ')})`;
}

// Slaney mel scale (librosa's default, htk=False), as the engine's filterbank uses it: linear
// below 1 kHz, logarithmic above.
const HZ_PER_MEL = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / HZ_PER_MEL;
const LOG_STEP = Math.log(6.4) / 27;

function hzToMel(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / HZ_PER_MEL;
}

function melToHz(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : HZ_PER_MEL * mel;
}

/** Centre frequencies (Hz) of `nMels` Slaney mel bands from fmin to fmax (librosa.mel_frequencies(n + 2)[1:-1]). */
export function melBandCentres(nMels: number, sampleRate: number, fmin = 0, fmax = sampleRate / 2): number[] {
  const lo = hzToMel(fmin);
  const step = (hzToMel(fmax) - lo) / (nMels + 1);
  return Array.from({ length: nMels }, (_, i) => melToHz(lo + (i + 1) * step));
}

/** "500 Hz", "1 kHz", "2.5 kHz". */
export function hzLabel(hz: number): string {
  return hz >= 1000 ? `${Number((hz / 1000).toFixed(1))} kHz` : `${Math.round(hz)} Hz`;
}

const HZ_TICK_CANDIDATES = [100, 250, 500, 1000, 2000, 4000, 8000, 16000];

/**
 * Frequency ticks for a mel spectrogram of `nMels` rows at `sampleRate` (bands from 0 to sr/2):
 * round frequencies placed at their fractional band index (row 0 at the bottom), at most
 * `maxTicks` and at least `minGap` rows apart, keeping the higher ones when there is not room.
 */
export function melTicks(nMels: number, sampleRate: number, maxTicks = 6, minGap = nMels / 10): Tick[] {
  if (nMels <= 0 || !(sampleRate > 0)) return [];
  const centres = melBandCentres(nMels, sampleRate);
  const kept: Tick[] = [];
  for (const hz of [...HZ_TICK_CANDIDATES].reverse()) {
    if (hz < centres[0]! || hz > centres[nMels - 1]! || kept.length >= maxTicks) continue;
    let i = 0;
    while (i < nMels - 2 && centres[i + 1]! < hz) i++;
    const position = i + (hz - centres[i]!) / (centres[i + 1]! - centres[i]!);
    const above = kept.at(-1);
    if (!above || above.position - position >= minGap) kept.push({ position, label: hzLabel(hz) });
  }
  return kept.reverse();
}

/**
 * Where a spectrogram-like matrix lies in time: column c is the frame centred at c × step (the
 * STFT pads half a window at both ends), so the image runs from −step/2 to (cols − ½) × step.
 */
export function frameExtent(cols: number, secondsPerCol: number): { start: number; end: number } {
  return { start: -secondsPerCol / 2, end: (cols - 0.5) * secondsPerCol };
}

/**
 * The span of the clip viewer's shared time axis, from 0: the longest of the clip and of its
 * panels (the model's MFCC input is padded past the clip's end).
 */
export function sharedTimeSpan(durationS: number, panels: readonly { cols: number; secondsPerCol: number }[]): number {
  let span = Number.isFinite(durationS) && durationS > 0 ? durationS : 0;
  for (const { cols, secondsPerCol } of panels)
    if (cols > 0 && secondsPerCol > 0) span = Math.max(span, frameExtent(cols, secondsPerCol).end);
  return span;
}

/**
 * The padding of a panel on the shared axis: from the clip's end to the panel's end, when that is
 * more than one frame (the half frame every STFT adds is not padding); null otherwise.
 */
export function paddingExtent(clipSeconds: number, cols: number, secondsPerCol: number): { start: number; end: number } | null {
  const { end } = frameExtent(cols, secondsPerCol);
  return end - clipSeconds > secondsPerCol ? { start: clipSeconds, end } : null;
}

/** A time as a CSS percentage of the shared axis (clamped to 0–100 %). */
export function timePercent(seconds: number, spanS: number): string {
  if (!(spanS > 0) || !Number.isFinite(seconds)) return '0%';
  return `${Math.min(100, Math.max(0, (seconds / spanS) * 100))}%`;
}
