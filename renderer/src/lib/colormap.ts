/**
 * Colormaps for heatmaps: viridis (perceptually uniform, for spectrograms, MFCCs and confusion
 * matrices) and a blue–white–red diverging map (for difference matrices). Both return CSS colours
 * and RGB triples (for filling ImageData).
 */

import { interpolateStops, viridisRgb, type RgbTriple } from '../../../main/schema/viridis';

export { viridisRgb };
export type Rgb = RgbTriple;

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
  return interpolateStops(DIVERGING, (Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0)) + 1) / 2);
}

export function diverging(t: number): string {
  const [r, g, b] = divergingRgb(t);
  return `rgb(${r}, ${g}, ${b})`;
}

/** Black or white, whichever reads better on the given background. */
export function textColorOn([r, g, b]: Rgb): string {
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#111' : '#fff';
}
