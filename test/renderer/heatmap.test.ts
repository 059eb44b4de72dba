import { describe, expect, it } from 'vitest';
import type { MatrixData } from '../../main/api/contract';
import { wavSampleRate } from '../../renderer/src/lib/audio';
import { viridisRgb } from '../../renderer/src/lib/colormap';
import {
  cellAtPoint,
  colorScaleCss,
  frameExtent,
  heatmapPixels,
  hzLabel,
  indexTicks,
  melBandCentres,
  melTicks,
  paddingExtent,
  niceStep,
  readoutText,
  sharedTimeSpan,
  timePercent,
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
    expect(readoutText(M, { row: 1, col: 0 }, undefined, '1.1 kHz')).toBe('frame 0, row 1 (1.1 kHz): 3.00');
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
    expect(css).toBe(
      `linear-gradient(to top, rgb(${viridisRgb(0).join(', ')}) 0%, rgb(${viridisRgb(0.5).join(', ')}) 50%, rgb(${viridisRgb(1).join(', ')}) 100%)`,
    );
  });
});

describe('mel frequency axis', () => {
  it('puts band centres where librosa does (Slaney scale, 128 bands, 0 to sr/2)', () => {
    // librosa 0.10.2 mel_frequencies(130, fmin=0, fmax=11025)[1:-1], 6 significant digits
    // (shared/golden/librosa-mfcc/mel_filterbank_sr22050_nfft2048_nmels128.json).
    const centres = melBandCentres(128, 22050);
    expect(centres).toHaveLength(128);
    const golden: [number, number][] = [
      [0, 25.7936],
      [1, 51.5872],
      [37, 980.156],
      [63, 1956.47],
      [127, 10735.6],
    ];
    for (const [band, hz] of golden) expect(Math.abs(centres[band]! - hz) / hz).toBeLessThan(1e-5);
    // Linear below 1 kHz: evenly spaced there.
    expect(centres[1]! - centres[0]!).toBeCloseTo(centres[2]! - centres[1]!, 9);
    expect(centres[127]!).toBeLessThan(11025);
  });

  it('labels round frequencies at their fractional band, low ones near the bottom', () => {
    const ticks = melTicks(128, 22050, 6, 0);
    expect(ticks.map((t) => t.label)).toEqual(['250 Hz', '500 Hz', '1 kHz', '2 kHz', '4 kHz', '8 kHz']);
    const centres = melBandCentres(128, 22050);
    for (const tick of ticks) {
      const i = Math.floor(tick.position);
      const hz = centres[i]! + (tick.position - i) * (centres[i + 1]! - centres[i]!);
      expect(hz).toBeCloseTo(Number.parseFloat(tick.label) * (tick.label.endsWith('kHz') ? 1000 : 1), 6);
    }
    // Positions rise with frequency; 1 kHz (15 of ~50 mels) sits about 30 % of the way up.
    expect(ticks.map((t) => t.position)).toEqual([...ticks.map((t) => t.position)].sort((a, b) => a - b));
    expect(ticks[2]!.position / 128).toBeGreaterThan(0.25);
    expect(ticks[2]!.position / 128).toBeLessThan(0.35);
    expect(melTicks(128, 22050, 3, 0).map((t) => t.label)).toEqual(['2 kHz', '4 kHz', '8 kHz']);
    // By default ticks keep a tenth of the rows apart: 250 Hz would crowd 500 Hz at the bottom.
    const spaced = melTicks(128, 22050);
    expect(spaced.map((t) => t.label)).toEqual(['100 Hz', '500 Hz', '1 kHz', '2 kHz', '4 kHz', '8 kHz']);
    spaced.slice(1).forEach((t, i) => expect(t.position - spaced[i]!.position).toBeGreaterThanOrEqual(12.8));
    expect(melTicks(0, 22050)).toEqual([]);
    expect(hzLabel(2500)).toBe('2.5 kHz');
  });
});

describe("the clip viewer's shared time axis", () => {
  const hop = 512 / 22050;

  it('spans the longest of the clip and its panels (frames centred on their times)', () => {
    expect(frameExtent(87, hop)).toEqual({ start: -hop / 2, end: 86.5 * hop });
    // A 2.0 s clip: mel frames end half a frame past it, the padded MFCC input (100 frames) later.
    const span = sharedTimeSpan(2.0, [
      { cols: 87, secondsPerCol: hop },
      { cols: 100, secondsPerCol: hop },
    ]);
    expect(span).toBeCloseTo(99.5 * hop, 9);
    expect(sharedTimeSpan(3, [{ cols: 100, secondsPerCol: hop }])).toBe(3);
    expect(sharedTimeSpan(Number.NaN, [])).toBe(0);
  });

  it("marks padding from the clip's end, but not the half frame every STFT adds", () => {
    expect(paddingExtent(2.0, 87, hop)).toBeNull();
    const pad = paddingExtent(2.0, 100, hop)!;
    expect(pad.start).toBe(2.0);
    expect(pad.end).toBeCloseTo(99.5 * hop, 9);
    expect(timePercent(1, 4)).toBe('25%');
    expect(timePercent(9, 4)).toBe('100%');
  });
});

describe('wavSampleRate', () => {
  it('reads the rate from the header the engine writes, null for anything else', () => {
    const header = new Uint8Array(44);
    header.set(
      [...'RIFF'].map((c) => c.charCodeAt(0)),
      0,
    );
    header.set(
      [...'WAVE'].map((c) => c.charCodeAt(0)),
      8,
    );
    header.set(
      [...'fmt '].map((c) => c.charCodeAt(0)),
      12,
    );
    new DataView(header.buffer).setUint32(24, 22050, true);
    expect(wavSampleRate(header)).toBe(22050);
    expect(wavSampleRate(header.subarray(0, 20))).toBeNull();
    const notWav = header.slice();
    notWav[8] = 0x41;
    expect(wavSampleRate(notWav)).toBeNull();
  });
});
