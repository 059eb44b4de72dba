/**
 * Colormaps for heatmaps: viridis (perceptually uniform, for spectrograms, MFCCs and confusion
 * matrices) and a blue–white–red diverging map (for difference matrices). Both return CSS colours
 * and RGB triples (for filling ImageData).
 */

export type Rgb = [number, number, number];

// Viridis sampled at 9 evenly spaced stops (matplotlib's values); linear interpolation between them.
const VIRIDIS: Rgb[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

function clamp01(t: number): number {
  return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
}

function interpolate(stops: Rgb[], t: number): Rgb {
  const x = clamp01(t) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** t in [0, 1] → viridis RGB. */
export function viridisRgb(t: number): Rgb {
  return interpolate(VIRIDIS, t);
}

export function viridis(t: number): string {
  const [r, g, b] = viridisRgb(t);
  return `rgb(${r}, ${g}, ${b})`;
}

const DIVERGING: Rgb[] = [
  [33, 102, 172],
  [146, 197, 222],
  [247, 247, 247],
  [244, 165, 130],
  [178, 24, 43],
];

/** t in [-1, 1] → blue (negative) … white (0) … red (positive). */
export function divergingRgb(t: number): Rgb {
  return interpolate(DIVERGING, (Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0)) + 1) / 2);
}

export function diverging(t: number): string {
  const [r, g, b] = divergingRgb(t);
  return `rgb(${r}, ${g}, ${b})`;
}

/** Black or white, whichever reads better on the given background. */
export function textColorOn([r, g, b]: Rgb): string {
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#111' : '#fff';
}
