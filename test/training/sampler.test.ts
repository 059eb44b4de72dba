import { describe, expect, it } from 'vitest';
import { batches, epochOrder, foldedBatchCount } from '../../main/training/sampler';

const LABELS = [...Array(90).fill(0), ...Array(9).fill(1), 2];

describe('epochOrder', () => {
  it('is a seeded permutation that depends on seed and epoch', () => {
    const order = epochOrder(LABELS, { seed: 7, epoch: 0, balanced: false });
    expect([...order].sort((a, b) => a - b)).toEqual(LABELS.map((_, i) => i));
    expect(epochOrder(LABELS, { seed: 7, epoch: 0, balanced: false })).toEqual(order);
    expect(epochOrder(LABELS, { seed: 7, epoch: 1, balanced: false })).not.toEqual(order);
    expect(epochOrder(LABELS, { seed: 8, epoch: 0, balanced: false })).not.toEqual(order);
  });

  it('balanced mode draws each class about equally often, same epoch length', () => {
    const counts = [0, 0, 0];
    for (let epoch = 0; epoch < 30; epoch++) {
      const order = epochOrder(LABELS, { seed: 1, epoch, balanced: true });
      expect(order).toHaveLength(LABELS.length);
      for (const i of order) counts[LABELS[i]!] += 1;
    }
    // 3000 draws, expected 1000 per class; 5 standard deviations ≈ 130.
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(130);
    expect(epochOrder(LABELS, { seed: 1, epoch: 3, balanced: true })).toEqual(epochOrder(LABELS, { seed: 1, epoch: 3, balanced: true }));
  });
});

describe('batches', () => {
  it('splits in order, keeping or dropping the short last batch', () => {
    expect(batches([5, 4, 3, 2, 1], 2)).toEqual([[5, 4], [3, 2], [1]]);
    expect(batches([5, 4, 3, 2, 1], 2, { dropLast: true })).toEqual([
      [5, 4],
      [3, 2],
    ]);
    expect(batches([], 2)).toEqual([]);
    // A last batch under half a batch joins the one before; half or more stays its own batch.
    expect(batches([1, 2, 3, 4, 5, 6, 7, 8, 9], 4, { foldShortLast: true })).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
    expect(batches([1, 2, 3, 4, 5, 6], 4, { foldShortLast: true })).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    expect(batches([1], 4, { foldShortLast: true })).toEqual([[1]]);
    for (const [count, size] of [
      [9, 4],
      [6, 4],
      [1, 4],
      [8, 4],
      [385, 64],
      [0, 3],
    ] as const) {
      expect(foldedBatchCount(count, size)).toBe(
        batches(
          Array.from({ length: count }, (_, i) => i),
          size,
          { foldShortLast: true },
        ).length,
      );
    }
    expect(() => batches([1], 0)).toThrow();
  });
});
