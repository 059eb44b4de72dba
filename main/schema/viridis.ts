/**
 * The viridis colormap (perceptually uniform), one table for the app's heatmaps and the engine's
 * confusion-matrix PNG, so both colour a cell alike. Node-free: the renderer imports it.
 */

export type RgbTriple = [number, number, number];

// Viridis sampled at 9 evenly spaced stops (matplotlib's values); linear interpolation between them.
const VIRIDIS: readonly RgbTriple[] = [
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

/** t in [0, 1] (clamped; not finite = 0) → the colour between the two nearest stops. */
export function interpolateStops(stops: readonly RgbTriple[], t: number): RgbTriple {
  const x = (Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** t in [0, 1] → viridis RGB. */
export function viridisRgb(t: number): RgbTriple {
  return interpolateStops(VIRIDIS, t);
}
