export interface McNemarResult {
  /** Discordant pairs: A right and B wrong. */
  b: number;
  /** Discordant pairs: A wrong and B right. */
  c: number;
  /** Two-sided exact binomial p-value: min(1, 2·P(X ≤ min(b, c))), X ~ Bin(b + c, 1/2). */
  pValue: number;
  /** Mid-p variant of the exact test (less conservative): the tail counts half of P(X = min(b, c)). */
  midPValue: number;
  /** Chi-square statistic with continuity correction: max(0, |b − c| − 1)² / (b + c). */
  statistic: number;
  /** p-value of `statistic` against chi-square with 1 degree of freedom. */
  chiSquarePValue: number;
}

/** McNemar's test on the discordant pairs of two classifiers evaluated on the same clips. */
export function mcnemarExact(b: number, c: number): McNemarResult {
  for (const [name, v] of [
    ['b', b],
    ['c', c],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  }
  const n = b + c;
  if (n === 0) return { b, c, pValue: 1, midPValue: 1, statistic: 0, chiSquarePValue: 1 };

  // log P(X = j) for j = 0..m, built with the ratio C(n, j+1) / C(n, j) = (n − j) / (j + 1),
  // so large n neither overflows nor needs a log-gamma approximation.
  const m = Math.min(b, c);
  const logTerms = new Float64Array(m + 1);
  logTerms[0] = -n * Math.LN2;
  for (let j = 0; j < m; j++) logTerms[j + 1] = logTerms[j]! + Math.log(n - j) - Math.log(j + 1);
  const logTail = logSumExp(logTerms);
  const pValue = Math.min(1, 2 * Math.exp(logTail));
  const midPValue = Math.min(1, 2 * (Math.exp(logTail) - 0.5 * Math.exp(logTerms[m]!)));

  const corrected = Math.max(0, Math.abs(b - c) - 1);
  const statistic = (corrected * corrected) / n;
  // For 1 degree of freedom, P(chi² > s) = P(|Z| > √s) = erfc(√(s/2)).
  const chiSquarePValue = erfc(Math.sqrt(statistic / 2));
  return { b, c, pValue, midPValue, statistic, chiSquarePValue };
}

function logSumExp(values: Float64Array): number {
  let max = -Infinity;
  for (const v of values) max = Math.max(max, v);
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** Complementary error function, Chebyshev fit from Numerical Recipes (relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
