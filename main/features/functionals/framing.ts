/**
 * The analysis grid every low-level descriptor (LLD) shares: frames every 10 ms, frame i centred
 * on sample round(i · hop), windows reaching past either end read zeros. Also the windows and the
 * low-pass decimation that gives pitch and formant analysis a signal of about 11 kHz.
 */

/** Seconds between frames (openSMILE's and Praat's usual step). */
export const HOP_S = 0.01;

/** Frames for a clip of `length` samples: one per hop, at least one (a clip shorter than a hop still has a frame). */
export function analysisFrames(length: number, sampleRate: number): number {
  const hop = HOP_S * sampleRate;
  return Math.max(1, Math.floor((length - 1) / hop) + 1);
}

export function frameCentre(frame: number, sampleRate: number): number {
  return Math.round(frame * HOP_S * sampleRate);
}

export function nextPowerOfTwo(n: number): number {
  let size = 4;
  while (size < n) size *= 2;
  return size;
}

/**
 * out[0 .. window.length) = window · signal around `centre` (zeros outside the signal), the rest of
 * `out` zeros. With `removeMean`, the frame's mean (over the samples inside the signal) is
 * subtracted before windowing. Returns the largest absolute sample of the (mean-removed) frame.
 */
export function fillFrame(signal: Float32Array, centre: number, window: Float64Array, out: Float64Array, removeMean = false): number {
  const length = window.length;
  const start = centre - (length >> 1);
  const from = Math.max(0, -start);
  const to = Math.min(length, signal.length - start);
  let mean = 0;
  if (removeMean && to > from) {
    for (let k = from; k < to; k++) mean += signal[start + k];
    mean /= to - from;
  }
  out.fill(0);
  let peak = 0;
  for (let k = from; k < to; k++) {
    const v = signal[start + k] - mean;
    const a = v < 0 ? -v : v;
    if (a > peak) peak = a;
    out[k] = v * window[k];
  }
  return peak;
}

const windows = new Map<string, Float64Array>();

function cachedWindow(kind: string, length: number, make: (n: number, length: number) => number): Float64Array {
  const key = `${kind}|${length}`;
  let window = windows.get(key);
  if (!window) {
    window = new Float64Array(length);
    for (let n = 0; n < length; n++) window[n] = make(n, length);
    windows.set(key, window);
  }
  return window;
}

/** Symmetric Hann window (Praat's "Hanning" for pitch analysis). */
export function hannWindow(length: number): Float64Array {
  return cachedWindow('hann', length, (n, L) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (n + 0.5)) / L));
}

export function hammingWindow(length: number): Float64Array {
  return cachedWindow('hamming', length, (n, L) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (L - 1)));
}

/** Praat's Gaussian window (as in To Formant (burg)): exp(-12 (t - 1/2)²), edges brought to zero. */
export function gaussianWindow(length: number): Float64Array {
  const edge = Math.exp(-12);
  return cachedWindow('gauss', length, (n, L) => {
    const t = (n + 0.5) / L - 0.5;
    return (Math.exp(-12 * t * t) - edge) / (1 - edge);
  });
}

/** Sample rate the pitch and formant analyses run at: the clip's rate divided by the largest integer keeping it ≥ 11 kHz. */
export function decimationFactor(sampleRate: number): number {
  return Math.max(1, Math.floor(sampleRate / 11000));
}

const DECIMATION_TAPS = 16;

const decimationFilters = new Map<number, { offsets: Int32Array; weights: Float64Array }>();

/**
 * The low-pass of decimate: a Hamming-windowed sinc cut at the new Nyquist frequency, as its
 * nonzero taps (every `factor`-th tap of such a filter is zero: half of them for factor 2).
 */
function decimationFilter(factor: number): { offsets: Int32Array; weights: Float64Array } {
  let filter = decimationFilters.get(factor);
  if (!filter) {
    const half = DECIMATION_TAPS;
    const offsets: number[] = [];
    const weights: number[] = [];
    for (let k = -half; k <= half; k++) {
      const x = (Math.PI * k) / factor;
      const sinc = k === 0 ? 1 : Math.sin(x) / x;
      const w = sinc * (0.54 + 0.46 * Math.cos((Math.PI * k) / (half + 1)));
      if (Math.abs(w) < 1e-12) continue;
      offsets.push(k);
      weights.push(w);
    }
    const sum = weights.reduce((a, b) => a + b, 0);
    filter = { offsets: Int32Array.from(offsets), weights: Float64Array.from(weights, (w) => w / sum) };
    decimationFilters.set(factor, filter);
  }
  return filter;
}

/** Low-pass at the new Nyquist frequency and keep every `factor`-th sample. */
export function decimate(signal: Float32Array, factor: number): Float32Array {
  if (factor === 1) return signal;
  const { offsets, weights } = decimationFilter(factor);
  const taps = offsets.length;
  const reach = DECIMATION_TAPS;
  const n = signal.length;
  const out = new Float32Array(Math.ceil(n / factor));
  for (let i = 0; i < out.length; i++) {
    const centre = i * factor;
    let acc = 0;
    if (centre >= reach && centre + reach < n) {
      for (let j = 0; j < taps; j++) acc += weights[j] * signal[centre + offsets[j]];
    } else {
      for (let j = 0; j < taps; j++) {
        const at = centre + offsets[j];
        if (at >= 0 && at < n) acc += weights[j] * signal[at];
      }
    }
    out[i] = acc;
  }
  return out;
}
