/**
 * Cross-validation results pooled over folds: every member (one fold × one seed) predicts its
 * fold's test clips, so with LOSO or k folds each clip is predicted once per seed and the pooled
 * confusion matrix covers the whole corpus. Intervals come from a bootstrap over speakers.
 */
import { bootstrapConfidenceIntervals, type BootstrapIntervals } from './bootstrap';
import { computeMetrics } from './metrics';
import type { ClipPrediction } from './types';

/** One member's test predictions. */
export interface MemberPredictions {
  fold: number;
  seed: number;
  predictions: readonly ClipPrediction[];
}

export interface Headline {
  accuracy: number;
  uar: number;
  macroF1: number;
}

export interface PooledMetrics extends Headline {
  n: number;
  labels: string[];
  /** Counts, [true][predicted], summed over every member. */
  confusion: number[][];
  /** Speaker-level percentile bootstrap intervals (a speaker's clips from every seed move together). */
  ci: BootstrapIntervals;
}

export interface FoldRow extends Headline {
  fold: number;
  seed: number;
  n: number;
}

export interface SeedRow extends Headline {
  seed: number;
  n: number;
}

export interface CrossValidationSummary {
  pooled: PooledMetrics;
  /** One row per member, ordered by seed then fold. */
  folds: FoldRow[];
  /** Mean and sample standard deviation of the per-fold rows (over folds and seeds). */
  mean: Headline;
  sd: Headline;
  /** Each seed's predictions pooled over its folds. */
  seeds: SeedRow[];
  /** Mean and sample standard deviation of the per-seed pooled rows. */
  seedMean: Headline;
  seedSd: Headline;
}

export interface PoolOptions {
  /** Seed of the bootstrap. */
  seed: number;
  iterations?: number;
  level?: number;
}

const HEADLINE_KEYS = ['accuracy', 'uar', 'macroF1'] as const;

/** Mean and sample (n − 1) standard deviation; the sd of fewer than two values is 0. */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  if (values.length === 0) return { mean: Number.NaN, sd: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, sd: 0 };
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(ss / (values.length - 1)) };
}

function summarise(rows: readonly Headline[]): { mean: Headline; sd: Headline } {
  const mean = {} as Headline;
  const sd = {} as Headline;
  for (const key of HEADLINE_KEYS) {
    const s = meanSd(rows.map((r) => r[key]));
    mean[key] = s.mean;
    sd[key] = s.sd;
  }
  return { mean, sd };
}

function headline(predictions: readonly ClipPrediction[], labels: readonly string[]): Headline & { n: number } {
  const m = computeMetrics(predictions, labels);
  return { n: m.n, accuracy: m.accuracy, uar: m.uar, macroF1: m.macroF1 };
}

/**
 * Pools members' predictions. Throws when a clip is predicted twice for the same seed (the folds
 * overlap) or when there is nothing to pool.
 */
export function poolCrossValidation(
  members: readonly MemberPredictions[],
  labels: readonly string[],
  options: PoolOptions,
): CrossValidationSummary {
  if (members.length === 0) throw new Error('there are no finished members to pool');
  const seen = new Map<string, number>();
  for (const member of members) {
    for (const p of member.predictions) {
      const key = `${member.seed}\t${p.clipId}`;
      const other = seen.get(key);
      if (other !== undefined) {
        throw new Error(
          `clip ${p.clipId} is predicted by folds ${other + 1} and ${member.fold + 1} of seed ${member.seed}: the folds overlap`,
        );
      }
      seen.set(key, member.fold);
    }
  }
  const all = members.flatMap((m) => m.predictions);
  const metrics = computeMetrics(all, labels);
  const ci = bootstrapConfidenceIntervals(all, labels, {
    seed: options.seed,
    iterations: options.iterations ?? 1000,
    level: options.level ?? 0.95,
    groupBy: 'speaker',
  });
  const pooled: PooledMetrics = {
    n: metrics.n,
    labels: [...labels],
    accuracy: metrics.accuracy,
    uar: metrics.uar,
    macroF1: metrics.macroF1,
    confusion: metrics.confusion,
    ci,
  };

  const ordered = [...members].sort((a, b) => a.seed - b.seed || a.fold - b.fold);
  const folds: FoldRow[] = ordered.map((m) => ({ fold: m.fold, seed: m.seed, ...headline(m.predictions, labels) }));
  const seedValues = [...new Set(ordered.map((m) => m.seed))];
  const seeds: SeedRow[] = seedValues.map((seed) => ({
    seed,
    ...headline(
      ordered.filter((m) => m.seed === seed).flatMap((m) => m.predictions),
      labels,
    ),
  }));
  const overFolds = summarise(folds);
  const overSeeds = summarise(seeds);
  return { pooled, folds, mean: overFolds.mean, sd: overFolds.sd, seeds, seedMean: overSeeds.mean, seedSd: overSeeds.sd };
}
