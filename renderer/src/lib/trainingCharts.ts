/**
 * Per-epoch metrics → the series LineChart draws: loss (train/val), accuracy and UAR (train
 * accuracy, val accuracy, val UAR, val macro-F1, in percent) and the learning rate. Used by the
 * live Train view and by a run's detail in Runs, so both draw the same charts.
 */
import type { BestCheckpoint, EpochMetrics } from '../../../main/api/contract';
import { COLORS } from './palette';

/**
 * LineChart's legend: each series as a short stretch of its own line (dashed where the series is),
 * not chart.js's default box, which a dashed series draws as a notched outline.
 */
export const LEGEND_LABELS = { usePointStyle: true, pointStyle: 'line', pointStyleWidth: 24, boxHeight: 8, font: { size: 11 } } as const;

/** One line of a LineChart. */
export interface LineSeries {
  label: string;
  data: { x: number; y: number }[];
  color?: string;
  dashed?: boolean;
  yAxis?: 'y' | 'y2';
}

/** Points (epoch, value) with non-finite values left out (a skipped or diverged epoch). */
function points(epochs: readonly EpochMetrics[], value: (m: EpochMetrics) => number): { x: number; y: number }[] {
  const result: { x: number; y: number }[] = [];
  for (const m of epochs) {
    const y = value(m);
    if (Number.isFinite(y)) result.push({ x: m.epoch, y });
  }
  return result;
}

export function lossSeries(epochs: readonly EpochMetrics[]): LineSeries[] {
  return [
    { label: 'train loss', data: points(epochs, (m) => m.trainLoss), color: COLORS.train },
    { label: 'val loss', data: points(epochs, (m) => m.valLoss), color: COLORS.val },
  ];
}

/** Accuracy, UAR and macro-F1 in percent (0–100). */
export function accuracySeries(epochs: readonly EpochMetrics[]): LineSeries[] {
  const pct = (v: number) => v * 100;
  return [
    { label: 'train accuracy', data: points(epochs, (m) => pct(m.trainAccuracy)), color: COLORS.train },
    { label: 'val accuracy', data: points(epochs, (m) => pct(m.valAccuracy)), color: COLORS.val },
    { label: 'val UAR', data: points(epochs, (m) => pct(m.valUar)), color: COLORS.good },
    { label: 'val macro-F1', data: points(epochs, (m) => pct(m.valMacroF1)), color: COLORS.f1, dashed: true },
  ];
}

/** The rate each epoch trained with (only positive rates: the chart uses a log axis). */
export function learningRateSeries(epochs: readonly EpochMetrics[]): LineSeries[] {
  return [
    { label: 'learning rate', data: points(epochs, (m) => (m.learningRate > 0 ? m.learningRate : Number.NaN)), color: COLORS.accent },
  ];
}

/**
 * The learning-rate chart's log axis, whole decades around the rates drawn, or around the planned
 * rate before the first epoch (so 1e-3 is not drawn on chart.js's empty 1e+0–1e+1 axis); null when
 * neither is known.
 */
export function learningRateRange(epochs: readonly EpochMetrics[], plannedRate?: number): { min: number; max: number } | null {
  const rates = epochs.map((m) => m.learningRate).filter((rate) => Number.isFinite(rate) && rate > 0);
  if (rates.length === 0 && plannedRate !== undefined && Number.isFinite(plannedRate) && plannedRate > 0) rates.push(plannedRate);
  if (rates.length === 0) return null;
  let low = Math.floor(Math.log10(Math.min(...rates)) + 1e-9);
  let high = Math.ceil(Math.log10(Math.max(...rates)) - 1e-9);
  // One rate on a power of ten sits mid-axis, a decade either side.
  if (high === low) {
    low -= 1;
    high += 1;
  }
  return { min: Number(`1e${low}`), max: Number(`1e${high}`) };
}

/** The epoch with the best value of the selection metric (the one `checkpoints/best` holds). */
export function bestEpoch(epochs: readonly EpochMetrics[]): number | null {
  let best: EpochMetrics | null = null;
  for (const m of epochs) if (m.improved) best = m;
  return best?.epoch ?? null;
}

/** The epochs every chart spans, so loss, accuracy and learning rate share one x axis (null before the first epoch). */
export function epochRange(epochs: readonly EpochMetrics[]): { min: number; max: number } | null {
  if (epochs.length === 0) return null;
  const numbers = epochs.map((m) => m.epoch);
  const min = Math.min(...numbers);
  // One epoch still gets an axis of one epoch's width, so its points are drawn.
  return { min, max: Math.max(...numbers, min + 1) };
}

/**
 * How the epochs table marks rows: 'best' for the one epoch `checkpoints/best` holds, 'averaged'
 * for each epoch weight-averaged into it. While training (no outcome yet) that is the best epoch
 * so far: the last one that improved.
 */
export function bestMarks(
  epochs: readonly EpochMetrics[],
  outcome?: { bestEpoch?: number; bestCheckpoint?: BestCheckpoint } | null,
): Map<number, 'best' | 'averaged'> {
  const marks = new Map<number, 'best' | 'averaged'>();
  if (outcome?.bestCheckpoint?.kind === 'average') {
    for (const epoch of outcome.bestCheckpoint.epochs) marks.set(epoch, 'averaged');
    return marks;
  }
  const best = outcome ? (outcome.bestCheckpoint?.epoch ?? outcome.bestEpoch) : bestEpoch(epochs);
  if (best !== undefined && best !== null && best > 0) marks.set(best, 'best');
  return marks;
}
