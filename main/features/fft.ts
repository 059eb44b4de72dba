/**
 * Real-input FFT for power-of-two sizes, computed in float64.
 *
 * An N-point real FFT is done as one N/2-point complex FFT of the even/odd samples packed as
 * real/imaginary parts, followed by a split step that separates the two interleaved spectra.
 * Twiddles, the bit-reversal table and the work buffers are allocated once per size, so a
 * transform allocates nothing; an instance is therefore not re-entrant (JS is single-threaded
 * per worker, which is all it needs).
 */
export class RealFft {
  readonly size: number;
  /** Number of output bins: size / 2 + 1 (DC through Nyquist). */
  readonly bins: number;
  private readonly half: number;
  private readonly bitReversed: Uint32Array;
  /** Real and imaginary parts of e^{-2πik/half}, k < half: twiddles of the complex FFT. */
  private readonly twiddleRe: Float64Array;
  private readonly twiddleIm: Float64Array;
  /** Real and imaginary parts of e^{-2πik/size}, k <= half: twiddles of the split step. */
  private readonly splitRe: Float64Array;
  private readonly splitIm: Float64Array;
  /** Work buffers: the packed complex signal, transformed in place. */
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 4 || (size & (size - 1)) !== 0) {
      throw new Error(`RealFft: size must be a power of two >= 4 (got ${size})`);
    }
    this.size = size;
    this.half = size / 2;
    this.bins = this.half + 1;
    const half = this.half;

    const bits = Math.log2(half);
    this.bitReversed = new Uint32Array(half);
    for (let i = 0; i < half; i++) {
      let reversed = 0;
      for (let b = 0; b < bits; b++) reversed |= ((i >>> b) & 1) << (bits - 1 - b);
      this.bitReversed[i] = reversed;
    }

    this.twiddleRe = new Float64Array(half);
    this.twiddleIm = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      this.twiddleRe[k] = Math.cos((2 * Math.PI * k) / half);
      this.twiddleIm[k] = -Math.sin((2 * Math.PI * k) / half);
    }
    this.splitRe = new Float64Array(half + 1);
    this.splitIm = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      this.splitRe[k] = Math.cos((2 * Math.PI * k) / size);
      this.splitIm[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.re = new Float64Array(half);
    this.im = new Float64Array(half);
  }

  /**
   * Spectrum bins 0..size/2 of input[offset .. offset + size), multiplied sample-wise by `window`
   * when one is given, into outRe/outIm (length >= bins).
   */
  forward(input: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array, offset = 0, window?: ArrayLike<number>): void {
    this.transformPacked(input, offset, window);
    const { half, re, im, splitRe, splitIm } = this;
    outRe[0] = re[0] + im[0];
    outIm[0] = 0;
    outRe[half] = re[0] - im[0];
    outIm[half] = 0;
    for (let k = 1; k < half; k++) {
      const ar = re[k];
      const ai = im[k];
      const br = re[half - k];
      const bi = -im[half - k];
      // even part (a + conj b)/2 and odd part (a - conj b)/(2i), recombined with e^{-2πik/N}
      const evenRe = 0.5 * (ar + br);
      const evenIm = 0.5 * (ai + bi);
      const oddRe = 0.5 * (ai - bi);
      const oddIm = -0.5 * (ar - br);
      const wr = splitRe[k];
      const wi = splitIm[k];
      outRe[k] = evenRe + wr * oddRe - wi * oddIm;
      outIm[k] = evenIm + wr * oddIm + wi * oddRe;
    }
  }

  /** |X[k]|² for k = 0..size/2, otherwise as `forward`. */
  powerSpectrum(input: ArrayLike<number>, out: Float64Array, offset = 0, window?: ArrayLike<number>): void {
    this.transformPacked(input, offset, window);
    const { half, re, im, splitRe, splitIm } = this;
    const dc = re[0] + im[0];
    const nyquist = re[0] - im[0];
    out[0] = dc * dc;
    out[half] = nyquist * nyquist;
    // Bins k and half - k share their inputs: with even/odd parts E, O of bin k,
    // X[k] = E + W^k O and X[half - k] = conj(E - W^k O).
    for (let k = 1; k <= half / 2; k++) {
      const ar = re[k];
      const ai = im[k];
      const br = re[half - k];
      const bi = -im[half - k];
      const evenRe = 0.5 * (ar + br);
      const evenIm = 0.5 * (ai + bi);
      const oddRe = 0.5 * (ai - bi);
      const oddIm = -0.5 * (ar - br);
      const wr = splitRe[k];
      const wi = splitIm[k];
      const rotRe = wr * oddRe - wi * oddIm;
      const rotIm = wr * oddIm + wi * oddRe;
      const sumRe = evenRe + rotRe;
      const sumIm = evenIm + rotIm;
      const difRe = evenRe - rotRe;
      const difIm = evenIm - rotIm;
      out[k] = sumRe * sumRe + sumIm * sumIm;
      out[half - k] = difRe * difRe + difIm * difIm;
    }
  }

  /** Packs even/odd samples as complex values (in bit-reversed order) and runs the complex FFT in place. */
  private transformPacked(input: ArrayLike<number>, offset: number, window: ArrayLike<number> | undefined): void {
    const { half, re, im, bitReversed, twiddleRe, twiddleIm } = this;
    if (!Number.isInteger(offset) || offset < 0 || offset + this.size > input.length) {
      throw new Error(`RealFft: input[${offset} .. ${offset + this.size}) is out of range (length ${input.length})`);
    }
    // Decimation in time on bit-reversed input, two radix-2 stages at a time (radix-2²): at each
    // stage the four blocks of length `s` hold the DFTs of the residues 0, 2, 1, 3 (mod 4).
    // The first stage has only trivial twiddles (radix-2 if log2(half) is odd, else radix-4) and
    // is fused with packing and windowing the input.
    let s: number;
    if ((Math.log2(half) & 1) === 1) {
      for (let i = 0; i < half; i += 2) {
        const p0 = 2 * bitReversed[i];
        const p1 = 2 * bitReversed[i + 1];
        const w0 = window ? window[p0] : 1;
        const w1 = window ? window[p0 + 1] : 1;
        const w2 = window ? window[p1] : 1;
        const w3 = window ? window[p1 + 1] : 1;
        const r0 = input[offset + p0] * w0;
        const i0 = input[offset + p0 + 1] * w1;
        const r1 = input[offset + p1] * w2;
        const i1 = input[offset + p1 + 1] * w3;
        re[i] = r0 + r1;
        im[i] = i0 + i1;
        re[i + 1] = r0 - r1;
        im[i + 1] = i0 - i1;
      }
      s = 2;
    } else {
      for (let i = 0; i < half; i += 4) {
        const pa = 2 * bitReversed[i];
        const pb = 2 * bitReversed[i + 1];
        const pc = 2 * bitReversed[i + 2];
        const pd = 2 * bitReversed[i + 3];
        let ar: number, ai: number, br: number, bi: number, cr: number, ci: number, dr: number, di: number;
        if (window) {
          ar = input[offset + pa] * window[pa];
          ai = input[offset + pa + 1] * window[pa + 1];
          br = input[offset + pb] * window[pb];
          bi = input[offset + pb + 1] * window[pb + 1];
          cr = input[offset + pc] * window[pc];
          ci = input[offset + pc + 1] * window[pc + 1];
          dr = input[offset + pd] * window[pd];
          di = input[offset + pd + 1] * window[pd + 1];
        } else {
          ar = input[offset + pa];
          ai = input[offset + pa + 1];
          br = input[offset + pb];
          bi = input[offset + pb + 1];
          cr = input[offset + pc];
          ci = input[offset + pc + 1];
          dr = input[offset + pd];
          di = input[offset + pd + 1];
        }
        const rotR = ci - di;
        const rotI = dr - cr;
        re[i] = ar + br + cr + dr;
        im[i] = ai + bi + ci + di;
        re[i + 1] = ar - br + rotR;
        im[i + 1] = ai - bi + rotI;
        re[i + 2] = ar + br - cr - dr;
        im[i + 2] = ai + bi - ci - di;
        re[i + 3] = ar - br - rotR;
        im[i + 3] = ai - bi - rotI;
      }
      s = 4;
    }
    for (; s < half; s *= 4) {
      const span = 4 * s;
      const twiddleStep = half / span;
      for (let j = 0; j < s; j++) {
        const t1 = j * twiddleStep;
        const w1r = twiddleRe[t1];
        const w1i = twiddleIm[t1];
        const w2r = twiddleRe[2 * t1];
        const w2i = twiddleIm[2 * t1];
        const w3r = twiddleRe[3 * t1];
        const w3i = twiddleIm[3 * t1];
        for (let i0 = j; i0 < half; i0 += span) {
          const i1 = i0 + s;
          const i2 = i1 + s;
          const i3 = i2 + s;
          // a = F0, b = W^{2j} F2, c = W^j F1, d = W^{3j} F3
          const ar = re[i0];
          const ai = im[i0];
          const br = re[i1] * w2r - im[i1] * w2i;
          const bi = re[i1] * w2i + im[i1] * w2r;
          const cr = re[i2] * w1r - im[i2] * w1i;
          const ci = re[i2] * w1i + im[i2] * w1r;
          const dr = re[i3] * w3r - im[i3] * w3i;
          const di = re[i3] * w3i + im[i3] * w3r;
          const sumAbR = ar + br;
          const sumAbI = ai + bi;
          const difAbR = ar - br;
          const difAbI = ai - bi;
          const sumCdR = cr + dr;
          const sumCdI = ci + di;
          // -i (c - d)
          const rotR = ci - di;
          const rotI = dr - cr;
          re[i0] = sumAbR + sumCdR;
          im[i0] = sumAbI + sumCdI;
          re[i1] = difAbR + rotR;
          im[i1] = difAbI + rotI;
          re[i2] = sumAbR - sumCdR;
          im[i2] = sumAbI - sumCdI;
          re[i3] = difAbR - rotR;
          im[i3] = difAbI - rotI;
        }
      }
    }
  }
}

const instances = new Map<number, RealFft>();

/** The shared RealFft for `size` (twiddles and buffers are built on first use). */
export function getRealFft(size: number): RealFft {
  let fft = instances.get(size);
  if (!fft) {
    fft = new RealFft(size);
    instances.set(size, fft);
  }
  return fft;
}
