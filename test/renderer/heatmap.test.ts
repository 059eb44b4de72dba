import { describe, expect, it } from 'vitest';
import type { MatrixData } from '../../main/api/contract';
import { viridisRgb } from '../../renderer/src/lib/colormap';
import {
  cellAtPoint,
  colorScaleCss,
  heatmapPixels,
  indexTicks,
  niceStep,
  readoutText,
  timeTicks,
  valueAt,
  valueRange,
} from '../../renderer/src/lib/heatmap';

// 2 rows × 3 columns, row-major: row 0 = [0, 1, 2], row 1 = [3, 4, 6].
const M: MatrixData = { rows: 2, cols: 3, values: [0, 1, 2, 3, 4, 6], min: 0, max: 6 };

function pixel(pixels: Uint8ClampedArray, width: number, x: number, y: number): number[] {
  const p = (y * width + x) * 4;
  return [...pixels.slice(p, p + 4)];
}

describe('heatmap pixels', () => {
  it('maps min → max onto viridis with row 0 at the bottom', () => {
    const pixels = heatmapPixels(M);
    expect(pixels).toHaveLength(2 * 3 * 4);
    // Bottom pixel row (y = 1) is matrix row 0.
    expect(pixel(pixels, 3, 0, 1)).toEqual([...viridisRgb(0), 255]);
    expect(pixel(pixels, 3, 2, 1)).toEqual([...viridisRgb(2 / 6), 255]);
    // Top pixel row (y = 0) is matrix row 1; its last value is the maximum.
    expect(pixel(pixels, 3, 2, 0)).toEqual([...viridisRgb(1), 255]);
    expect(pixel(pixels, 3, 0, 0)).toEqual([...viridisRgb(0.5), 255]);
  });

  it('can scale each row from its own minimum to its own maximum', () => {
    const pixels = heatmapPixels(M, valueRange(M), true);
    // Row 0 = [0, 1, 2] and row 1 = [3, 4, 6] each span the whole colour scale.
    expect(pixel(pixels, 3, 0, 1)).toEqual([...viridisRgb(0), 255]);
    expect(pixel(pixels, 3, 2, 1)).toEqual([...viridisRgb(1), 255]);
    expect(pixel(pixels, 3, 0, 0)).toEqual([...viridisRgb(0), 255]);
    expect(pixel(pixels, 3, 1, 0)).toEqual([...viridisRgb(1 / 3), 255]);
  });

  it('gives non-finite values and a flat matrix the minimum colour', () => {
    const flat: MatrixData = { rows: 1, cols: 2, values: [5, Number.NaN], min: 5, max: 5 };
    const pixels = heatmapPixels(flat);
    expect(pixel(pixels, 2, 0, 0)).toEqual([...viridisRgb(0), 255]);
    expect(pixel(pixels, 2, 1, 0)).toEqual([...viridisRgb(0), 255]);
  });

  it('computes the range from the values when min/max are unusable', () => {
    expect(valueRange({ rows: 1, cols: 3, values: [-2, Number.NaN, 7], min: Number.NaN, max: 0 })).toEqual({ min: -2, max: 7 });
    expect(valueRange(M)).toEqual({ min: 0, max: 6 });
    expect(valueRange({ rows: 0, cols: 0, values: [], min: Number.NaN, max: Number.NaN })).toEqual({ min: 0, max: 0 });
  });
});

describe('heatmap lookup', () => {
  it('reads values by row and column', () => {
    expect(valueAt(M, 0, 2)).toBe(2);
    expect(valueAt(M, 1, 0)).toBe(3);
    expect(valueAt(M, 2, 0)).toBeNull();
    expect(valueAt(M, 0, -1)).toBeNull();
  });

  it('finds the cell under a point, row 0 at the bottom', () => {
    // Drawn 300 × 100: each cell 100 × 50.
    expect(cellAtPoint(M, 10, 90, 300, 100)).toEqual({ row: 0, col: 0 });
    expect(cellAtPoint(M, 250, 10, 300, 100)).toEqual({ row: 1, col: 2 });
    expect(cellAtPoint(M, 300, 100, 300, 100)).toEqual({ row: 0, col: 2 });
    expect(cellAtPoint(M, 301, 10, 300, 100)).toBeNull();
    expect(cellAtPoint(M, -1, 10, 300, 100)).toBeNull();
  });

  it('writes the hover readout with and without time', () => {
    expect(readoutText(M, { row: 1, col: 2 }, 0.0232)).toBe('frame 2 (0.05 s), row 1: 6.00');
    expect(readoutText(M, { row: 0, col: 1 })).toBe('frame 1, row 0: 1.00');
  });
});

describe('axis ticks', () => {
  it('picks 1-2-5 steps', () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(40, 5)).toBe(10);
    expect(niceStep(2.3, 8)).toBeCloseTo(0.5);
    expect(niceStep(1, 10)).toBeCloseTo(0.1);
    expect(niceStep(0, 5)).toBe(1);
  });

  it('places integer index ticks below the count', () => {
    expect(indexTicks(40, 5).map((t) => t.position)).toEqual([0, 10, 20, 30]);
    expect(indexTicks(128, 4).map((t) => t.label)).toEqual(['0', '50', '100']);
    expect(indexTicks(3, 10).map((t) => t.position)).toEqual([0, 1, 2]);
    expect(indexTicks(0)).toEqual([]);
  });

  it('places time ticks in columns with labels in seconds', () => {
    // 100 columns of 23.2 ms = 2.32 s → steps of 0.5 s.
    const ticks = timeTicks(100, 0.0232, 8);
    expect(ticks.map((t) => t.label)).toEqual(['0.0', '0.5', '1.0', '1.5', '2.0']);
    expect(ticks[2]!.position).toBeCloseTo(1 / 0.0232);
    expect(timeTicks(10, 1, 5).map((t) => t.label)).toEqual(['0', '2', '4', '6', '8', '10']);
    expect(timeTicks(0, 0.01)).toEqual([]);
    expect(timeTicks(10, 0)).toEqual([]);
  });

  it('builds a CSS gradient from the viridis ends', () => {
    const css = colorScaleCss('to top', 3);
    expect(css).toBe(`linear-gradient(to top, rgb(${viridisRgb(0).join(', ')}) 0%, rgb(${viridisRgb(0.5).join(', ')}) 50%, rgb(${viridisRgb(1).join(', ')}) 100%)`);
  });
});
