/**
 * Comparing two settings evaluated on the same folds: an exact sign-flip permutation test on the
 * per-fold UAR differences, McNemar's test on the pooled per-clip predictions, and the verdict in
 * words.
 */
import { createRng } from '../util/random';
import { mcnemarExact, type McNemarResult } from './mcnemar';
import type { FoldRow, MemberPredictions } from './pooled';

/** Up to this many differences every sign vector is enumerated (2^20 ≈ 1 M); beyond, a seeded Monte Carlo. */
export const EXACT_SIGN_FLIP_LIMIT = 20;

export interface SignFlipResult {
  n: number;
  meanDifference: number;
  /** Two-sided p-value: the share of sign vectors whose |mean| is at least the observed |mean|. */
  pValue: number;
  exact: boolean;
}

/**
 * Paired sign-flip permutation test of "the mean difference is 0". Under the null each difference
 * is as likely positive as negative, so all 2^n sign assignments are equally likely.
 */
export function signFlipTest(differences: readonly number[], options: { draws?: number; seed?: number } = {}): SignFlipResult {
  const n = differences.length;
  if (n === 0) throw new Error('the sign-flip test needs at least one paired difference');
  for (const d of differences) if (!Number.isFinite(d)) throw new Error(`paired differences must be finite numbers, got ${d}`);
  const observedSum = differences.reduce((a, b) => a + b, 0);
  // Sums are compared rather than means; the tolerance absorbs rounding in sums of equal magnitude.
  const threshold = Math.abs(observedSum) - 1e-12 * (1 + differences.reduce((a, d) => a + Math.abs(d), 0));
  if (n <= EXACT_SIGN_FLIP_LIMIT) {
    let extreme = 0;
    const total = 2 ** n;
    for (let mask = 0; mask < total; mask++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += mask & (1 << i) ? -differences[i]! : differences[i]!;
      if (Math.abs(sum) >= threshold) extreme++;
    }
    return { n, meanDifference: observedSum / n, pValue: extreme / total, exact: true };
  }
  const draws = options.draws ?? 100_000;
  const rng = createRng(options.seed ?? 1);
  let extreme = 0;
  for (let draw = 0; draw < draws; draw++) {
    let sum = 0;
    for (const d of differences) sum += rng.next() < 0.5 ? -d : d;
    if (Math.abs(sum) >= threshold) extreme++;
  }
  return { n, meanDifference: observedSum / n, pValue: (extreme + 1) / (draws + 1), exact: false };
}

export interface PairedComparison {
  a: string;
  b: string;
  /** Folds both cells finished, with each fold's UAR averaged over its seeds. */
  folds: { fold: number; a: number; b: number; difference: number }[];
  /** Mean over folds of (b − a) UAR. */
  uarDifference: number;
  signFlip: SignFlipResult | null;
  /** On clips (per seed) both cells predicted: b = only A right, c = only B right. */
  mcnemar: (McNemarResult & { n: number }) | null;
  /** True when the sign-flip p-value is below `alpha`. */
  significant: boolean;
  alpha: number;
  verdict: string;
}

function perFoldUar(rows: readonly FoldRow[]): Map<number, number> {
  const byFold = new Map<number, number[]>();
  for (const row of rows) byFold.set(row.fold, [...(byFold.get(row.fold) ?? []), row.uar]);
  return new Map([...byFold].map(([fold, values]) => [fold, values.reduce((x, y) => x + y, 0) / values.length]));
}

function correctness(members: readonly MemberPredictions[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const m of members) for (const p of m.predictions) out.set(`${m.seed}\t${p.clipId}`, p.predictedLabel === p.trueLabel);
  return out;
}

const fmt = (x: number) => x.toFixed(2);
const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p < 0.01 ? p.toFixed(3) : p.toFixed(2));

/** Compares cell B against cell A (positive differences mean B is better). */
export function comparePairedCells(
  a: { name: string; folds: readonly FoldRow[]; members: readonly MemberPredictions[] },
  b: { name: string; folds: readonly FoldRow[]; members: readonly MemberPredictions[] },
  options: { alpha?: number } = {},
): PairedComparison {
  const alpha = options.alpha ?? 0.05;
  const aUar = perFoldUar(a.folds);
  const bUar = perFoldUar(b.folds);
  const folds = [...aUar.keys()]
    .filter((fold) => bUar.has(fold))
    .sort((x, y) => x - y)
    .map((fold) => ({ fold, a: aUar.get(fold)!, b: bUar.get(fold)!, difference: bUar.get(fold)! - aUar.get(fold)! }));
  const signFlip = folds.length > 0 ? signFlipTest(folds.map((f) => f.difference)) : null;
  const uarDifference = signFlip?.meanDifference ?? Number.NaN;

  const aRight = correctness(a.members);
  const bRight = correctness(b.members);
  let onlyA = 0;
  let onlyB = 0;
  let shared = 0;
  for (const [key, right] of aRight) {
    const other = bRight.get(key);
    if (other === undefined) continue;
    shared++;
    if (right && !other) onlyA++;
    if (!right && other) onlyB++;
  }
  const mcnemar = shared > 0 ? { ...mcnemarExact(onlyA, onlyB), n: shared } : null;

  const significant = signFlip !== null && signFlip.pValue < alpha;
  const over = `over ${folds.length} fold${folds.length === 1 ? '' : 's'}`;
  const mc = mcnemar ? `; McNemar p = ${fmtP(mcnemar.pValue)} on ${mcnemar.n} predictions` : '';
  let verdict: string;
  if (!signFlip) verdict = `${a.name} and ${b.name} share no finished fold, so they cannot be compared yet`;
  else if (significant) {
    const [better, worse] = uarDifference > 0 ? [b.name, a.name] : [a.name, b.name];
    verdict = `${better} better than ${worse} by ${fmt(Math.abs(uarDifference))} UAR, p = ${fmtP(signFlip.pValue)} ${over}${mc}`;
  } else {
    const floor = 2 / 2 ** folds.length;
    const note =
      signFlip.exact && floor >= alpha
        ? ` (${folds.length} folds cannot reach p < ${alpha}: the smallest possible p is ${fmtP(floor)})`
        : '';
    verdict = `no significant difference between ${a.name} and ${b.name}: UAR ${uarDifference >= 0 ? '+' : '−'}${fmt(Math.abs(uarDifference))} for ${b.name}, p = ${fmtP(signFlip.pValue)} ${over}${mc}${note}`;
  }
  return { a: a.name, b: b.name, folds, uarDifference, signFlip, mcnemar, significant, alpha, verdict };
}
