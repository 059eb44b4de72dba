import { describe, expect, it } from 'vitest';
import { getRealFft, RealFft } from '../../main/features/fft';
import { createRng } from '../../main/util/random';

/** Direct O(n²) DFT of a real signal, bins 0..n/2. */
function naiveDft(x: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const re = new Float64Array(n / 2 + 1);
  const im = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    for (let t = 0; t < n; t++) {
      const angle = (2 * Math.PI * ((k * t) % n)) / n;
      re[k] += x[t] * Math.cos(angle);
      im[k] -= x[t] * Math.sin(angle);
    }
  }
  return { re, im };
}

function randomSignal(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => rng.next() - 0.5);
}

describe('RealFft', () => {
  it.each([4, 8, 16, 32, 64, 128, 512, 2048])('matches a direct DFT for size %i', (size) => {
    const x = randomSignal(size, size);
    const fft = new RealFft(size);
    const re = new Float64Array(fft.bins);
    const im = new Float64Array(fft.bins);
    const power = new Float64Array(fft.bins);
    fft.forward(x, re, im);
    fft.powerSpectrum(x, power);
    const expected = naiveDft(x);
    const tolerance = 1e-12 * size;
    for (let k = 0; k < fft.bins; k++) {
      expect(Math.abs(re[k] - expected.re[k])).toBeLessThan(tolerance);
      expect(Math.abs(im[k] - expected.im[k])).toBeLessThan(tolerance);
      expect(Math.abs(power[k] - (expected.re[k] ** 2 + expected.im[k] ** 2))).toBeLessThan(tolerance * size);
    }
  });

  it('reads a window-weighted slice at an offset', () => {
    const size = 256;
    const signal = Float32Array.from(randomSignal(1000, 7));
    const window = Float64Array.from({ length: size }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / size));
    const offset = 300;
    const fft = getRealFft(size);
    const power = new Float64Array(fft.bins);
    fft.powerSpectrum(signal, power, offset, window);
    const windowed = Float64Array.from({ length: size }, (_, n) => signal[offset + n] * window[n]);
    const expected = naiveDft(windowed);
    for (let k = 0; k < fft.bins; k++) {
      expect(power[k]).toBeCloseTo(expected.re[k] ** 2 + expected.im[k] ** 2, 9);
    }
  });

  it('puts a pure tone in its bin', () => {
    const size = 2048;
    const x = Float64Array.from({ length: size }, (_, t) => Math.cos((2 * Math.PI * 100 * t) / size));
    const power = new Float64Array(size / 2 + 1);
    getRealFft(size).powerSpectrum(x, power);
    expect(power[100]).toBeCloseTo((size / 2) ** 2, 6);
    expect(power[99] + power[101]).toBeLessThan(1e-12);
  });

  it('is reused per size and rejects bad sizes and ranges', () => {
    expect(getRealFft(1024)).toBe(getRealFft(1024));
    expect(() => new RealFft(1000)).toThrow(/power of two/);
    expect(() => new RealFft(2)).toThrow(/power of two/);
    const fft = getRealFft(16);
    expect(() => fft.powerSpectrum(new Float64Array(20), new Float64Array(9), 5)).toThrow(/out of range/);
  });
});
