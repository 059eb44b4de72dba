/**
 * Real-input FFT for power-of-two sizes, computed in float64.
 *
 * An N-point real FFT is done as one N/2-point complex FFT of the even/odd samples packed as
 * real/imaginary parts, followed by a split step that separates the two interleaved spectra.
 * The complex FFT is an iterative radix-4 decimation in time (a radix-2 first stage when
 * log2(N/2) is odd) on bit-reversed input: the first stage is fused with packing, windowing and
 * the bit-reversal gather; every later stage walks its butterflies in memory order with its
 * twiddles in one contiguous table. Tables and work buffers are allocated once per size, so a
 * transform allocates nothing; an instance is therefore not re-entrant (JS is single-threaded
 * per worker, which is all it needs).
 *
 * The hot loops take Float64Array / Float32Array arguments only, in separate functions, so V8
 * compiles each for one element kind.
 */
export class RealFft {
  readonly size: number;
  /** Number of output bins: size / 2 + 1 (DC through Nyquist). */
  readonly bins: number;
  private readonly half: number;
  /** 2 × the bit-reversed index, i.e. the offset of the packed sample pair, for each slot. */
  private readonly gather: Int32Array;
  /** Radix-2 first stage (log2(half) odd) instead of radix-4. */
  private readonly radix2First: boolean;
  /**
   * Twiddles of the radix-4 stages after the first, stage after stage: for the stage that merges
   * blocks of length s, 6·s values (w^j, w^2j, w^3j as re, im pairs, w = e^{-2πi/4s}) for j < s.
   */
  private readonly stageTwiddles: Float64Array;
  /** Real and imaginary parts of e^{-2πik/size}, k <= half: twiddles of the split step. */
  private readonly splitRe: Float64Array;
  private readonly splitIm: Float64Array;
  /** Work buffers: the packed complex signal, transformed in place. */
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  /** All-ones window used when none is given. */
  private readonly ones: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 4 || (size & (size - 1)) !== 0) {
      throw new Error(`RealFft: size must be a power of two >= 4 (got ${size})`);
    }
    this.size = size;
    this.half = size / 2;
    this.bins = this.half + 1;
    const half = this.half;

    const bits = Math.round(Math.log2(half));
    const reversed = new Int32Array(half);
    for (let i = 1; i < half; i++) reversed[i] = (reversed[i >> 1] >> 1) | ((i & 1) << (bits - 1));
    this.gather = new Int32Array(half);
    for (let i = 0; i < half; i++) this.gather[i] = 2 * reversed[i];
    this.radix2First = (bits & 1) === 1;

    let twiddleCount = 0;
    for (let s = this.radix2First ? 2 : 4; s < half; s *= 4) twiddleCount += 6 * s;
    this.stageTwiddles = new Float64Array(twiddleCount);
    let at = 0;
    for (let s = this.radix2First ? 2 : 4; s < half; s *= 4) {
      const span = 4 * s;
      for (let j = 0; j < s; j++) {
        for (let p = 1; p <= 3; p++) {
          // Reduce the angle index mod span first so every twiddle is computed from an exact argument.
          const angle = (2 * Math.PI * ((p * j) % span)) / span;
          this.stageTwiddles[at++] = Math.cos(angle);
          this.stageTwiddles[at++] = -Math.sin(angle);
        }
      }
    }

    this.splitRe = new Float64Array(half + 1);
    this.splitIm = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      this.splitRe[k] = Math.cos((2 * Math.PI * k) / size);
      this.splitIm[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.re = new Float64Array(half);
    this.im = new Float64Array(half);
    this.ones = new Float64Array(size).fill(1);
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
    splitPower(this.half, this.re, this.im, this.splitRe, this.splitIm, out);
  }

  /** Packs even/odd samples as complex values (in bit-reversed order) and runs the complex FFT in place. */
  private transformPacked(input: ArrayLike<number>, offset: number, window: ArrayLike<number> | undefined): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + this.size > input.length) {
      throw new Error(`RealFft: input[${offset} .. ${offset + this.size}) is out of range (length ${input.length})`);
    }
    const win = window instanceof Float64Array && window.length >= this.size ? window : window ? Float64Array.from(window) : this.ones;
    const { half, re, im, gather } = this;
    let s: number;
    if (this.radix2First) {
      if (input instanceof Float32Array) firstRadix2F32(input, offset, win, gather, re, im, half);
      else if (input instanceof Float64Array) firstRadix2F64(input, offset, win, gather, re, im, half);
      else firstRadix2F64(Float64Array.from(input), offset, win, gather, re, im, half);
      s = 2;
    } else {
      if (input instanceof Float32Array) firstRadix4F32(input, offset, win, gather, re, im, half);
      else if (input instanceof Float64Array) firstRadix4F64(input, offset, win, gather, re, im, half);
      else firstRadix4F64(Float64Array.from(input), offset, win, gather, re, im, half);
      s = 4;
    }
    radix4Stages(re, im, half, s, this.stageTwiddles);
  }
}

// The first stage of the decimation in time: slots i..i+3 of the bit-reversed order hold packed
// samples whose radix-4 (or radix-2) butterfly needs only trivial twiddles. At each later stage
// the four blocks of length s hold the DFTs of the residues 0, 2, 1, 3 (mod 4) of their merge.

function firstRadix4F32(
  input: Float32Array,
  offset: number,
  win: Float64Array,
  gather: Int32Array,
  re: Float64Array,
  im: Float64Array,
  half: number,
): void {
  for (let i = 0; i < half; i += 4) {
    const pa = gather[i];
    const pb = gather[i + 1];
    const pc = gather[i + 2];
    const pd = gather[i + 3];
    const ar = input[offset + pa] * win[pa];
    const ai = input[offset + pa + 1] * win[pa + 1];
    const br = input[offset + pb] * win[pb];
    const bi = input[offset + pb + 1] * win[pb + 1];
    const cr = input[offset + pc] * win[pc];
    const ci = input[offset + pc + 1] * win[pc + 1];
    const dr = input[offset + pd] * win[pd];
    const di = input[offset + pd + 1] * win[pd + 1];
    const sabR = ar + br;
    const sabI = ai + bi;
    const dabR = ar - br;
    const dabI = ai - bi;
    const scdR = cr + dr;
    const scdI = ci + di;
    const rotR = ci - di;
    const rotI = dr - cr;
    re[i] = sabR + scdR;
    im[i] = sabI + scdI;
    re[i + 1] = dabR + rotR;
    im[i + 1] = dabI + rotI;
    re[i + 2] = sabR - scdR;
    im[i + 2] = sabI - scdI;
    re[i + 3] = dabR - rotR;
    im[i + 3] = dabI - rotI;
  }
}

function firstRadix4F64(
  input: Float64Array,
  offset: number,
  win: Float64Array,
  gather: Int32Array,
  re: Float64Array,
  im: Float64Array,
  half: number,
): void {
  for (let i = 0; i < half; i += 4) {
    const pa = gather[i];
    const pb = gather[i + 1];
    const pc = gather[i + 2];
    const pd = gather[i + 3];
    const ar = input[offset + pa] * win[pa];
    const ai = input[offset + pa + 1] * win[pa + 1];
    const br = input[offset + pb] * win[pb];
    const bi = input[offset + pb + 1] * win[pb + 1];
    const cr = input[offset + pc] * win[pc];
    const ci = input[offset + pc + 1] * win[pc + 1];
    const dr = input[offset + pd] * win[pd];
    const di = input[offset + pd + 1] * win[pd + 1];
    const sabR = ar + br;
    const sabI = ai + bi;
    const dabR = ar - br;
    const dabI = ai - bi;
    const scdR = cr + dr;
    const scdI = ci + di;
    const rotR = ci - di;
    const rotI = dr - cr;
    re[i] = sabR + scdR;
    im[i] = sabI + scdI;
    re[i + 1] = dabR + rotR;
    im[i + 1] = dabI + rotI;
    re[i + 2] = sabR - scdR;
    im[i + 2] = sabI - scdI;
    re[i + 3] = dabR - rotR;
    im[i + 3] = dabI - rotI;
  }
}

function firstRadix2F32(
  input: Float32Array,
  offset: number,
  win: Float64Array,
  gather: Int32Array,
  re: Float64Array,
  im: Float64Array,
  half: number,
): void {
  for (let i = 0; i < half; i += 2) {
    const p0 = gather[i];
    const p1 = gather[i + 1];
    const r0 = input[offset + p0] * win[p0];
    const i0 = input[offset + p0 + 1] * win[p0 + 1];
    const r1 = input[offset + p1] * win[p1];
    const i1 = input[offset + p1 + 1] * win[p1 + 1];
    re[i] = r0 + r1;
    im[i] = i0 + i1;
    re[i + 1] = r0 - r1;
    im[i + 1] = i0 - i1;
  }
}

function firstRadix2F64(
  input: Float64Array,
  offset: number,
  win: Float64Array,
  gather: Int32Array,
  re: Float64Array,
  im: Float64Array,
  half: number,
): void {
  for (let i = 0; i < half; i += 2) {
    const p0 = gather[i];
    const p1 = gather[i + 1];
    const r0 = input[offset + p0] * win[p0];
    const i0 = input[offset + p0 + 1] * win[p0 + 1];
    const r1 = input[offset + p1] * win[p1];
    const i1 = input[offset + p1 + 1] * win[p1 + 1];
    re[i] = r0 + r1;
    im[i] = i0 + i1;
    re[i + 1] = r0 - r1;
    im[i + 1] = i0 - i1;
  }
}

/** Radix-4 stages merging blocks of length s (from `s` up to n), in place. */
function radix4Stages(re: Float64Array, im: Float64Array, n: number, s: number, twiddles: Float64Array): void {
  let tw0 = 0;
  for (; s < n; s *= 4) {
    const span = 4 * s;
    for (let base = 0; base < n; base += span) {
      for (let j = 0, t = tw0; j < s; j++, t += 6) {
        const w1r = twiddles[t];
        const w1i = twiddles[t + 1];
        const w2r = twiddles[t + 2];
        const w2i = twiddles[t + 3];
        const w3r = twiddles[t + 4];
        const w3i = twiddles[t + 5];
        const i0 = base + j;
        const i1 = i0 + s;
        const i2 = i1 + s;
        const i3 = i2 + s;
        // a = F0, b = W^{2j} F2, c = W^j F1, d = W^{3j} F3
        const ar = re[i0];
        const ai = im[i0];
        const xr1 = re[i1];
        const xi1 = im[i1];
        const xr2 = re[i2];
        const xi2 = im[i2];
        const xr3 = re[i3];
        const xi3 = im[i3];
        const br = xr1 * w2r - xi1 * w2i;
        const bi = xr1 * w2i + xi1 * w2r;
        const cr = xr2 * w1r - xi2 * w1i;
        const ci = xr2 * w1i + xi2 * w1r;
        const dr = xr3 * w3r - xi3 * w3i;
        const di = xr3 * w3i + xi3 * w3r;
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
    tw0 += 6 * s;
  }
}

/**
 * Split step fused with |X[k]|²: bins k and half - k share their inputs: with even/odd parts
 * E, O of bin k, X[k] = E + W^k O and X[half - k] = conj(E - W^k O).
 */
function splitPower(
  half: number,
  re: Float64Array,
  im: Float64Array,
  splitRe: Float64Array,
  splitIm: Float64Array,
  out: Float64Array,
): void {
  const dc = re[0] + im[0];
  const nyquist = re[0] - im[0];
  out[0] = dc * dc;
  out[half] = nyquist * nyquist;
  for (let k = 1, q = half - 1; k <= q; k++, q--) {
    const ar = re[k];
    const ai = im[k];
    const br = re[q];
    const bi = -im[q];
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
    out[q] = difRe * difRe + difIm * difIm;
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
