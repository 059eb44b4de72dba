import { createRng } from '../util/random';
import { headlineFromCounts, labelIndices } from './metrics';
import type { ClipPrediction } from './types';

export type Interval = [lo: number, hi: number];

export interface BootstrapOptions {
  seed: number;
  iterations?: number;
  /** Central coverage of the interval, e.g. 0.95. */
  level?: number;
  /**
   * 'clip' resamples clips; 'speaker' resamples whole speakers (a cluster bootstrap), which gives
   * honest, wider intervals when clips of one speaker are correlated.
   */
  groupBy?: 'clip' | 'speaker';
}

export interface BootstrapIntervals {
  accuracy: Interval;
  uar: Interval;
  macroF1: Interval;
  iterations: number;
  level: number;
  groupBy: 'clip' | 'speaker';
}

/** Percentile bootstrap confidence intervals for accuracy, UAR and macro-F1. */
export function bootstrapConfidenceIntervals(
  predictions: readonly ClipPrediction[],
  labels: readonly string[],
  options: BootstrapOptions,
): BootstrapIntervals {
  const { seed, iterations = 1000, level = 0.95, groupBy = 'clip' } = options;
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`iterations must be a positive integer, got ${iterations}`);
  if (!(level > 0 && level < 1)) throw new Error(`level must be in (0, 1), got ${level}`);
  if (predictions.length === 0) throw new Error('Cannot bootstrap an empty set of predictions');

  const k = labels.length;
  const kk = k * k;
  const { trueIdx, predIdx } = labelIndices(predictions, labels);
  // Each resampling unit (a clip, or a speaker) is reduced to its cell index / its own counts up front.
  const cells = new Int32Array(trueIdx.length);
  for (let i = 0; i < cells.length; i++) cells[i] = trueIdx[i]! * k + predIdx[i]!;
  const groupCounts = groupBy === 'speaker' ? countsPerSpeaker(predictions, cells, kk) : null;

  const rng = createRng(seed);
  const counts = new Float64Array(kk);
  const accuracy = new Float64Array(iterations);
  const uar = new Float64Array(iterations);
  const macroF1 = new Float64Array(iterations);
  for (let it = 0; it < iterations; it++) {
    counts.fill(0);
    if (groupCounts) {
      const g = groupCounts.length;
      for (let draw = 0; draw < g; draw++) {
        const group = groupCounts[rng.int(g)]!;
        for (let c = 0; c < kk; c++) counts[c]! += group[c]!;
      }
    } else {
      const n = cells.length;
      for (let draw = 0; draw < n; draw++) counts[cells[rng.int(n)]!]! += 1;
    }
    const m = headlineFromCounts(counts, k);
    accuracy[it] = m.accuracy;
    uar[it] = m.uar;
    macroF1[it] = m.macroF1;
  }

  const alpha = (1 - level) / 2;
  const interval = (values: Float64Array): Interval => {
    values.sort();
    return [quantile(values, alpha), quantile(values, 1 - alpha)];
  };
  return { accuracy: interval(accuracy), uar: interval(uar), macroF1: interval(macroF1), iterations, level, groupBy };
}

function countsPerSpeaker(predictions: readonly ClipPrediction[], cells: Int32Array, kk: number): Float64Array[] {
  const bySpeaker = new Map<string, Float64Array>();
  predictions.forEach((p, i) => {
    let counts = bySpeaker.get(p.speaker);
    if (!counts) bySpeaker.set(p.speaker, (counts = new Float64Array(kk)));
    counts[cells[i]!]! += 1;
  });
  return [...bySpeaker.values()];
}

/** Linear-interpolated quantile of sorted values (numpy's default method). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
