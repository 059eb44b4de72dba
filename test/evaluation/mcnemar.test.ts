import { describe, expect, it } from 'vitest';
import { erfc, mcnemarExact } from '../../main/evaluation/mcnemar';

/** Exact two-sided p with big integers: 2·Σ_{j≤min} C(n, j) / 2^n. */
function exactP(b: number, c: number): number {
  const n = BigInt(b + c);
  let term = 1n;
  let tail = 0n;
  for (let j = 0n; j <= BigInt(Math.min(b, c)); j++) {
    tail += term;
    term = (term * (n - j)) / (j + 1n);
  }
  const scale = 10n ** 18n;
  return Math.min(1, Number((2n * tail * scale) / 2n ** n) / 1e18);
}

describe('mcnemarExact', () => {
  it('gives p = 1 with no discordant pairs or a perfect tie', () => {
    expect(mcnemarExact(0, 0)).toMatchObject({ pValue: 1, midPValue: 1, statistic: 0, chiSquarePValue: 1 });
    expect(mcnemarExact(7, 7).pValue).toBe(1);
  });

  it('matches hand-computed small tables', () => {
    expect(mcnemarExact(1, 5).pValue).toBeCloseTo(14 / 64, 12); // 2·(1 + 6)/64
    expect(mcnemarExact(5, 1).pValue).toBeCloseTo(14 / 64, 12);
    expect(mcnemarExact(1, 5).midPValue).toBeCloseTo(8 / 64, 12); // 2·(7 − 3)/64
    expect(mcnemarExact(0, 5).pValue).toBeCloseTo(2 / 32, 12);
  });

  it('matches exact big-integer arithmetic', () => {
    expect(mcnemarExact(10, 25).pValue).toBeCloseTo(exactP(10, 25), 12);
    expect(mcnemarExact(10, 25).pValue).toBeCloseTo(0.0166738478, 9); // scipy.stats.binomtest(10, 35).pvalue
    expect(mcnemarExact(180, 240).pValue).toBeCloseTo(exactP(180, 240), 12);
  });

  it('agrees with the continuity-corrected chi-square on large tables without overflow', () => {
    const r = mcnemarExact(10_000, 10_300);
    expect(r.statistic).toBeCloseTo(299 ** 2 / 20_300, 9);
    expect(Number.isFinite(r.pValue)).toBe(true);
    expect(r.pValue).toBeGreaterThan(0.02);
    expect(Math.abs(r.pValue - r.chiSquarePValue) / r.chiSquarePValue).toBeLessThan(0.03);
    expect(mcnemarExact(0, 2000).pValue).toBe(0); // 2^-1999 underflows to 0, no NaN
  });

  it('rejects non-counts and has a sound erfc', () => {
    expect(() => mcnemarExact(-1, 2)).toThrow(/non-negative integer/);
    expect(() => mcnemarExact(1.5, 2)).toThrow(/non-negative integer/);
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 7);
  });
});
