import { createRng, type Rng } from '../util/random';
import { headlineFromCounts, labelIndices } from './metrics';
import type { ClipPrediction } from './types';

export type Interval = [lo: number, hi: number];

export interface BootstrapOptions {
  seed: number;
  iterations?: number;
  /** Central coverage of the interval, e.g. 0.95. */
  level?: number;
  /**
   * 'clip' resamples clips within each true class, so every class keeps its count (a stratified
   * bootstrap); 'speaker' resamples whole speakers (a cluster bootstrap), which gives honest, wider
   * intervals when clips of one speaker are correlated. A speaker resample that loses a class the
   * data has is drawn again, so every resample averages UAR and macro-F1 over the same classes as
   * the estimate (the interval is conditional on every class being present).
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
  const resample = groupCounts ? speakerResampler(groupCounts, k, rng) : classResampler(cells, trueIdx, rng);
  const counts = new Float64Array(kk);
  const accuracy = new Float64Array(iterations);
  const uar = new Float64Array(iterations);
  const macroF1 = new Float64Array(iterations);
  for (let it = 0; it < iterations; it++) {
    counts.fill(0);
    resample(counts);
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

/** Adds one resample's confusion counts ([true * k + pred]) to `counts`. */
type Resampler = (counts: Float64Array) => void;

/** Draws each class's clips from that class only, as many as it has. */
function classResampler(cells: Int32Array, trueIdx: ArrayLike<number>, rng: Rng): Resampler {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < cells.length; i++) {
    const c = trueIdx[i]!;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(cells[i]!);
  }
  const strata = [...byClass.values()].map((list) => Int32Array.from(list));
  return (counts) => {
    for (const stratum of strata) {
      const n = stratum.length;
      for (let draw = 0; draw < n; draw++) counts[stratum[rng.int(n)]!]! += 1;
    }
  };
}

/** Redraws per resample before giving up: keeps a pathological set from spinning for minutes. */
const MAX_SPEAKER_REDRAWS = 10_000;

/** Draws as many speakers as there are, with replacement, again until every class the data has is in. */
function speakerResampler(groups: readonly Float64Array[], k: number, rng: Rng): Resampler {
  const g = groups.length;
  const classesOf = groups.map((group) => {
    const present: number[] = [];
    for (let c = 0; c < k; c++) {
      let support = 0;
      for (let j = 0; j < k; j++) support += group[c * k + j]!;
      if (support > 0) present.push(c);
    }
    return present;
  });
  const needed = new Set(classesOf.flat()).size;
  const drawn = new Int32Array(g);
  const seenAt = new Int32Array(k).fill(-1);
  let attempt = 0;
  return (counts) => {
    for (let redraw = 0; ; redraw++) {
      if (redraw === MAX_SPEAKER_REDRAWS) {
        throw new Error(
          `the speaker bootstrap found no resample keeping every class in ${MAX_SPEAKER_REDRAWS} draws: the classes are spread over too few speakers`,
        );
      }
      attempt++;
      let covered = 0;
      for (let draw = 0; draw < g; draw++) {
        const s = rng.int(g);
        drawn[draw] = s;
        for (const c of classesOf[s]!) {
          if (seenAt[c] !== attempt) {
            seenAt[c] = attempt;
            covered++;
          }
        }
      }
      if (covered === needed) break;
    }
    for (let draw = 0; draw < g; draw++) {
      const group = groups[drawn[draw]!]!;
      for (let c = 0; c < group.length; c++) counts[c]! += group[c]!;
    }
  };
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
