import { describe, expect, it } from 'vitest';
import { comparePairedCells, signFlipTest } from '../../main/evaluation/paired';
import { meanSd, poolCrossValidation, type FoldRow, type MemberPredictions } from '../../main/evaluation/pooled';
import { pred } from './helpers';

const labels = ['a', 'b'];

// Fold 0 (speaker s1): a→a, a→b, b→b.  Fold 1 (speaker s2): a→a, b→a, b→a, b→b.
const fold0 = [pred('a', 'a', { speaker: 's1' }), pred('a', 'b', { speaker: 's1' }), pred('b', 'b', { speaker: 's1' })];
const fold1 = [
  pred('a', 'a', { speaker: 's2' }),
  pred('b', 'a', { speaker: 's2' }),
  pred('b', 'a', { speaker: 's2' }),
  pred('b', 'b', { speaker: 's2' }),
];
const members: MemberPredictions[] = [
  { fold: 1, seed: 1, predictions: fold1 },
  { fold: 0, seed: 1, predictions: fold0 },
];

describe('meanSd', () => {
  it('is the mean and the sample standard deviation', () => {
    const { mean, sd } = meanSd([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(meanSd([0.7])).toEqual({ mean: 0.7, sd: 0 });
  });
});

describe('poolCrossValidation', () => {
  const summary = poolCrossValidation(members, labels, { seed: 3, iterations: 200 });

  it('pools the confusion matrix and the headline metrics over folds (hand-computed)', () => {
    expect(summary.pooled.n).toBe(7);
    expect(summary.pooled.confusion).toEqual([
      [2, 1],
      [2, 2],
    ]);
    expect(summary.pooled.accuracy).toBeCloseTo(4 / 7, 12);
    expect(summary.pooled.uar).toBeCloseTo((2 / 3 + 2 / 4) / 2, 12); // 7/12
    expect(summary.pooled.macroF1).toBeCloseTo(4 / 7, 12); // F1 = 2·tp/(support+predicted) = 4/7 for both classes
  });

  it('lists each fold (ordered) with mean ± sd over folds', () => {
    expect(summary.folds.map((f) => [f.fold, f.n])).toEqual([
      [0, 3],
      [1, 4],
    ]);
    expect(summary.folds[0]!.uar).toBeCloseTo(0.75, 12);
    expect(summary.folds[1]!.uar).toBeCloseTo(2 / 3, 12);
    expect(summary.mean.uar).toBeCloseTo((0.75 + 2 / 3) / 2, 12);
    expect(summary.sd.uar).toBeCloseTo((0.75 - 2 / 3) / Math.SQRT2, 12);
    expect(summary.seeds).toHaveLength(1);
    expect(summary.seeds[0]!.uar).toBeCloseTo(7 / 12, 12);
  });

  it('bootstraps speakers, not clips: deterministic per seed, and one speaker gives a zero-width interval', () => {
    expect(poolCrossValidation(members, labels, { seed: 3, iterations: 200 }).pooled.ci).toEqual(summary.pooled.ci);
    expect(summary.pooled.ci.groupBy).toBe('speaker');
    // Resampling the two speakers gives {s1,s1} (UAR 0.75), {s2,s2} (2/3) or both (7/12); a clip bootstrap would leave that range.
    expect(summary.pooled.ci.uar[0]).toBeGreaterThanOrEqual(7 / 12 - 1e-12);
    expect(summary.pooled.ci.uar[1]).toBeLessThanOrEqual(0.75 + 1e-12);
    const single = poolCrossValidation([{ fold: 0, seed: 1, predictions: fold0 }], labels, { seed: 9, iterations: 100 });
    expect(single.pooled.ci.uar).toEqual([0.75, 0.75]);
  });

  it('keeps every class in each speaker resample: a class one speaker holds stays in, with each seed', () => {
    // Speaker s3's fold holds the only 'c' clip, right in both seeds; every other clip is wrong.
    // A resample without s3 would give UAR 0 (two classes); kept, every resample is 1/3.
    const three = ['a', 'b', 'c'];
    const wrongFold = (speaker: string) => [pred('a', 'b', { speaker }), pred('b', 'a', { speaker })];
    const pooled = [1, 2].flatMap((seed) => [
      { fold: 0, seed, predictions: [...wrongFold('s3'), pred('c', 'c', { speaker: 's3' })] },
      { fold: 1, seed, predictions: wrongFold('s4') },
      { fold: 2, seed, predictions: wrongFold('s5') },
    ]);
    const result = poolCrossValidation(pooled, three, { seed: 4, iterations: 300 }).pooled;
    expect(result.uar).toBeCloseTo(1 / 3, 12);
    expect(result.ci.uar).toEqual([result.uar, result.uar]);
  });

  it('refuses folds that predict the same clip twice for one seed', () => {
    expect(() =>
      poolCrossValidation(
        [
          { fold: 0, seed: 1, predictions: fold0 },
          { fold: 1, seed: 1, predictions: fold0 },
        ],
        labels,
        { seed: 1 },
      ),
    ).toThrow(/predicted by folds 1 and 2 of seed 1: the folds overlap/);
    expect(() => poolCrossValidation([], labels, { seed: 1 })).toThrow(/no finished members/);
  });
});

describe('signFlipTest', () => {
  it('matches hand-enumerated p-values', () => {
    // [0.1, 0.2, 0.3]: only +++ and --- reach |sum| = 0.6, so p = 2/8.
    expect(signFlipTest([0.1, 0.2, 0.3])).toMatchObject({ n: 3, pValue: 0.25, exact: true });
    expect(signFlipTest([0.1, 0.2, 0.3]).meanDifference).toBeCloseTo(0.2, 12);
    // [1, 2, 3, 4, -1], sum 9: flipping a subset S gives 9 − 2·ΣS; |·| ≥ 9 for ΣS ∈ {0 ({}, {1,−1}), −1, 9 ({2,3,4}, {1,2,3,4,−1}), 10}: 6 of 32.
    expect(signFlipTest([1, 2, 3, 4, -1]).pValue).toBeCloseTo(6 / 32, 12);
    expect(signFlipTest([0, 0]).pValue).toBe(1);
  });

  it('falls back to a seeded Monte Carlo beyond 20 differences', () => {
    const diffs = Array.from({ length: 24 }, (_, i) => (i % 5 === 0 ? -0.01 : 0.02));
    const r = signFlipTest(diffs, { draws: 20_000, seed: 5 });
    expect(r.exact).toBe(false);
    expect(r.pValue).toBeLessThan(0.01);
    expect(signFlipTest(diffs, { draws: 20_000, seed: 5 })).toEqual(r);
  });
});

describe('comparePairedCells', () => {
  const rows = (uars: number[]): FoldRow[] => uars.map((uar, fold) => ({ fold, seed: 1, n: 10, uar, accuracy: uar, macroF1: uar }));
  const membersOf = (right: boolean[]): MemberPredictions[] => [
    { fold: 0, seed: 1, predictions: right.map((r, i) => ({ ...pred('a', r ? 'a' : 'b'), clipId: `c${i}` })) },
  ];

  it('says when a difference is significant, with the mean difference, p and the number of folds', () => {
    const c = comparePairedCells(
      { name: 'model=crnn', folds: rows([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]), members: membersOf([true, false, false, true]) },
      { name: 'model=res-cnn', folds: rows([0.55, 0.54, 0.53, 0.56, 0.52, 0.54]), members: membersOf([true, true, true, true]) },
    );
    expect(c.signFlip!.pValue).toBeCloseTo(2 / 64, 12);
    expect(c.uarDifference).toBeCloseTo(0.04, 12);
    expect(c.mcnemar).toMatchObject({ b: 0, c: 2, n: 4 });
    expect(c.significant).toBe(true);
    expect(c.verdict).toMatch(
      /^model=res-cnn better than model=crnn by 0\.04 UAR, p = 0\.03 over 6 folds; McNemar p = 0\.50 on 4 predictions$/,
    );
  });

  it('says when there is no significant difference, and when too few folds can never reach it', () => {
    const c = comparePairedCells(
      { name: 'A', folds: rows([0.5, 0.6, 0.7]), members: [] },
      { name: 'B', folds: rows([0.6, 0.8, 1.0]), members: [] },
    );
    expect(c.significant).toBe(false);
    expect(c.mcnemar).toBeNull();
    expect(c.verdict).toBe(
      'no significant difference between A and B: UAR +0.20 for B, p = 0.25 over 3 folds (3 folds cannot reach p < 0.05: the smallest possible p is 0.25)',
    );
  });
});
