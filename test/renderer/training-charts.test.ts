import { describe, expect, it } from 'vitest';
import type { EpochMetrics } from '../../main/api/contract';
import { COLORS } from '../../renderer/src/lib/palette';
import {
  accuracySeries,
  bestEpoch,
  bestMarks,
  epochRange,
  LEGEND_LABELS,
  learningRateRange,
  learningRateSeries,
  lossSeries,
} from '../../renderer/src/lib/trainingCharts';

function epoch(n: number, changes: Partial<EpochMetrics> = {}): EpochMetrics {
  return {
    epoch: n,
    trainLoss: 2 - n * 0.1,
    trainAccuracy: 0.3 + n * 0.05,
    valLoss: 2.1 - n * 0.05,
    valAccuracy: 0.25 + n * 0.04,
    valUar: 0.2 + n * 0.04,
    valMacroF1: 0.18 + n * 0.04,
    learningRate: 1e-3,
    nextLearningRate: 1e-3,
    lrReduced: false,
    improved: true,
    epochSeconds: 12,
    samplesPerSecond: 40,
    skippedSteps: 0,
    ...changes,
  };
}

describe('training chart builders', () => {
  const history = [
    epoch(1),
    epoch(2, { improved: false }),
    epoch(3, { learningRate: 5e-4, improved: true }),
    epoch(4, { improved: false }),
  ];

  it('draws train and val loss per epoch', () => {
    const [train, val] = lossSeries(history);
    expect(train!.label).toBe('train loss');
    expect(train!.color).toBe(COLORS.train);
    expect(train!.data.map((p) => p.x)).toEqual([1, 2, 3, 4]);
    expect(train!.data[0]!.y).toBeCloseTo(1.9);
    expect(val!.label).toBe('val loss');
    expect(val!.data[3]!.y).toBeCloseTo(1.9);
  });

  it('draws accuracy, UAR and macro-F1 in percent', () => {
    const series = accuracySeries(history);
    expect(series.map((s) => s.label)).toEqual(['train accuracy', 'val accuracy', 'val UAR', 'val macro-F1']);
    expect(series[0]!.data[1]!.y).toBeCloseTo(40);
    expect(series[2]!.data[0]!).toEqual({ x: 1, y: expect.closeTo(24, 6) as number });
    expect(series[3]!.dashed).toBe(true);
  });

  it('leaves out non-finite values instead of drawing them', () => {
    const [train, val] = lossSeries([epoch(1, { trainLoss: Number.NaN }), epoch(2)]);
    expect(train!.data.map((p) => p.x)).toEqual([2]);
    expect(val!.data.map((p) => p.x)).toEqual([1, 2]);
  });

  it('draws the learning rate, positive values only (log axis)', () => {
    const [lr] = learningRateSeries([...history, epoch(5, { learningRate: 0 })]);
    expect(lr!.data).toEqual([
      { x: 1, y: 1e-3 },
      { x: 2, y: 1e-3 },
      { x: 3, y: 5e-4 },
      { x: 4, y: 1e-3 },
    ]);
  });

  it('finds the last improving epoch, and empty history gives empty series', () => {
    expect(bestEpoch(history)).toBe(3);
    expect(bestEpoch([])).toBeNull();
    expect(lossSeries([]).every((s) => s.data.length === 0)).toBe(true);
  });
});

describe('shared x range and best-epoch marks', () => {
  it('every chart spans the same epochs', () => {
    expect(epochRange([])).toBeNull();
    expect(epochRange([epoch(1), epoch(2), epoch(3)])).toEqual({ min: 1, max: 3 });
    expect(epochRange([epoch(1)])).toEqual({ min: 1, max: 2 });
  });

  it('marks only the epoch checkpoints/best holds, not every epoch that improved', () => {
    const epochs = [epoch(1), epoch(2, { improved: false }), epoch(3), epoch(4, { improved: false })];
    expect([...bestMarks(epochs)]).toEqual([[3, 'best']]);
    expect([...bestMarks(epochs, { bestEpoch: 1, bestCheckpoint: { kind: 'epoch', epoch: 1, selectedBy: 'val_uar' } })]).toEqual([
      [1, 'best'],
    ]);
    const averaged = bestMarks(epochs, {
      bestEpoch: 4,
      bestCheckpoint: { kind: 'average', mode: 'last', epochs: [3, 4], batchNorm: 'average', selectedBy: 'val_uar' },
    });
    expect([...averaged]).toEqual([
      [3, 'averaged'],
      [4, 'averaged'],
    ]);
    expect(bestMarks([epoch(1, { improved: false })]).size).toBe(0);
  });
});

describe('the learning-rate axis', () => {
  it('spans whole decades around the planned rate before the first epoch', () => {
    expect(learningRateRange([], 1e-3)).toEqual({ min: 1e-4, max: 1e-2 });
    expect(learningRateRange([], 5e-3)).toEqual({ min: 1e-3, max: 1e-2 });
    expect(learningRateRange([], Number.NaN)).toBeNull();
    expect(learningRateRange([])).toBeNull();
  });

  it('spans the rates drawn once epochs are in', () => {
    expect(learningRateRange([epoch(1, { learningRate: 1e-3 }), epoch(2, { learningRate: 2.5e-5 })], 1e-3)).toEqual({
      min: 1e-5,
      max: 1e-3,
    });
    expect(learningRateRange([epoch(1, { learningRate: 0 })], 1e-3)).toEqual({ min: 1e-4, max: 1e-2 });
  });
});

describe('the chart legend', () => {
  it('draws each series as a stretch of its line, and macro-F1 in a colour of its own', () => {
    expect(LEGEND_LABELS).toMatchObject({ usePointStyle: true, pointStyle: 'line' });
    const colors = accuracySeries([epoch(1)]).map((series) => series.color);
    expect(new Set(colors).size).toBe(colors.length);
    expect(colors).not.toContain(COLORS.neutral);
  });
});
