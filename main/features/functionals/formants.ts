/**
 * Formants F1–F3 by linear prediction, as Praat's "To Formant (burg)": pre-emphasis from 50 Hz,
 * a 50 ms Gaussian window, Burg's method with two coefficients per expected formant (five below
 * 5.5 kHz, so 10 at 11 kHz), and the roots of the prediction polynomial: each root above the real
 * axis at angle θ and radius ρ is a formant of frequency θ·fs/2π and bandwidth −ln ρ·fs/π. Roots
 * within 50 Hz of 0 or of the Nyquist frequency are left out, and so, unlike Praat, are roots wider
 * than 800 Hz: such poles model the glottal source's spectral tilt, not a resonance of the tract,
 * and counting them shifts every formant above them by one (Praat's F2 of a high /i/ is often one).
 */
import { fillFrame, frameCentre, gaussianWindow } from './framing';

export const FORMANT_WINDOW_S = 0.05;
const PRE_EMPHASIS_FROM_HZ = 50;
const MAX_FORMANT_HZ = 5500;
const FORMANTS_PER_MAX = 5;
const MAX_BANDWIDTH_HZ = 800;

export interface FormantTracks {
  /** [F1, F2, F3] frequency (Hz) per frame; NaN where not measured. */
  frequency: [Float64Array, Float64Array, Float64Array];
  bandwidth: [Float64Array, Float64Array, Float64Array];
}

/** The LPC order for a sample rate: two per formant expected below its Nyquist frequency (Praat: 5 below 5.5 kHz). */
export function lpcOrder(sampleRate: number): number {
  return 2 * Math.max(2, Math.round((FORMANTS_PER_MAX * sampleRate) / (2 * MAX_FORMANT_HZ)));
}

/** Formants of the frames where `measure[t]` is set (the voiced ones), on the decimated analysis signal. */
export function trackFormants(signal: Float32Array, sampleRate: number, frames: number, measure: (t: number) => boolean): FormantTracks {
  const emphasised = new Float32Array(signal.length);
  const alpha = Math.exp((-2 * Math.PI * PRE_EMPHASIS_FROM_HZ) / sampleRate);
  for (let i = signal.length - 1; i > 0; i--) emphasised[i] = signal[i] - alpha * signal[i - 1];
  if (signal.length > 0) emphasised[0] = signal[0];
  const window = gaussianWindow(Math.round(FORMANT_WINDOW_S * sampleRate));
  const frame = new Float64Array(window.length);
  const order = lpcOrder(sampleRate);
  const nan = () => new Float64Array(frames).fill(Number.NaN);
  const frequency: FormantTracks['frequency'] = [nan(), nan(), nan()];
  const bandwidth: FormantTracks['bandwidth'] = [nan(), nan(), nan()];
  for (let t = 0; t < frames; t++) {
    if (!measure(t)) continue;
    if (fillFrame(emphasised, frameCentre(t, sampleRate), window, frame) === 0) continue;
    const coefficients = burg(frame, order);
    if (!coefficients) continue;
    const found = polynomialFormants(coefficients, sampleRate);
    for (let f = 0; f < 3 && f < found.length; f++) {
      frequency[f][t] = found[f].frequency;
      bandwidth[f][t] = found[f].bandwidth;
    }
  }
  return { frequency, bandwidth };
}

let scratch = { forward: new Float64Array(0), backward: new Float64Array(0), previous: new Float64Array(0) };

function burgScratch(n: number, order: number): typeof scratch {
  if (scratch.forward.length !== n || scratch.previous.length !== order + 1) {
    scratch = { forward: new Float64Array(n), backward: new Float64Array(n), previous: new Float64Array(order + 1) };
  }
  return scratch;
}

/**
 * Burg's method: prediction coefficients a[1..order] of x[n] ≈ −Σ a[k] x[n−k] (a[0] = 1), or null
 * for a frame without energy.
 */
export function burg(x: Float64Array, order: number): Float64Array | null {
  const n = x.length;
  const { forward, backward, previous } = burgScratch(n, order);
  forward.set(x);
  backward.set(x);
  const a = new Float64Array(order + 1);
  a[0] = 1;
  let energy = 0;
  for (let i = 0; i < n; i++) energy += x[i] * x[i];
  if (!(energy > 0) || n <= order) return null;
  // Σ f[i]² + b[i−1]² over i = m .. n−1, kept up to date from one order to the next (Andersen 1978).
  let den = 2 * energy - x[0] * x[0] - x[n - 1] * x[n - 1];
  for (let m = 1; m <= order; m++) {
    let num = 0;
    for (let i = m; i < n; i++) num += forward[i] * backward[i - 1];
    if (!(den > 0)) return null;
    const k = (-2 * num) / den;
    previous.set(a);
    for (let i = 1; i <= m; i++) a[i] = previous[i] + k * previous[m - i];
    for (let i = n - 1; i >= m; i--) {
      const f = forward[i];
      forward[i] = f + k * backward[i - 1];
      backward[i] = backward[i - 1] + k * f;
    }
    den = (1 - k * k) * den - forward[m] * forward[m] - backward[n - 1] * backward[n - 1];
  }
  return a;
}

/** Formants (frequency-sorted) of the prediction polynomial z^p + a1 z^(p−1) + … + ap. */
export function polynomialFormants(a: Float64Array, sampleRate: number): { frequency: number; bandwidth: number }[] {
  const [re, im] = polynomialRoots(a);
  const nyquist = sampleRate / 2;
  const out: { frequency: number; bandwidth: number }[] = [];
  for (let i = 0; i < re.length; i++) {
    if (im[i] <= 0) continue;
    const frequency = (Math.atan2(im[i], re[i]) * sampleRate) / (2 * Math.PI);
    if (frequency < 50 || frequency > nyquist - 50) continue;
    const radius = Math.hypot(re[i], im[i]);
    const bandwidth = (-Math.log(Math.min(radius, 1)) * sampleRate) / Math.PI;
    if (bandwidth > MAX_BANDWIDTH_HZ) continue;
    out.push({ frequency, bandwidth });
  }
  return out.sort((x, y) => x.frequency - y.frequency);
}

/** Roots of the monic polynomial with coefficients a[0] = 1, a[1..p] by the Aberth–Ehrlich iteration. */
export function polynomialRoots(a: Float64Array): [Float64Array, Float64Array] {
  const p = a.length - 1;
  const re = new Float64Array(p);
  const im = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    const angle = (2 * Math.PI * k) / p + 0.4;
    re[k] = 0.9 * Math.cos(angle);
    im[k] = 0.9 * Math.sin(angle);
  }
  for (let iteration = 0; iteration < 80; iteration++) {
    let moved = 0;
    for (let k = 0; k < p; k++) {
      // Horner: value and derivative at z.
      const zr = re[k];
      const zi = im[k];
      let vr = 1;
      let vi = 0;
      let dr = 0;
      let di = 0;
      for (let j = 1; j <= p; j++) {
        const ndr = dr * zr - di * zi + vr;
        const ndi = dr * zi + di * zr + vi;
        dr = ndr;
        di = ndi;
        const nvr = vr * zr - vi * zi + a[j];
        const nvi = vr * zi + vi * zr;
        vr = nvr;
        vi = nvi;
      }
      // ratio = p(z) / p'(z)
      const dd = dr * dr + di * di;
      if (dd === 0) continue;
      const rr = (vr * dr + vi * di) / dd;
      const ri = (vi * dr - vr * di) / dd;
      // sum of 1 / (z − z_j)
      let sr = 0;
      let si = 0;
      for (let j = 0; j < p; j++) {
        if (j === k) continue;
        const xr = zr - re[j];
        const xi = zi - im[j];
        const xx = xr * xr + xi * xi;
        if (xx === 0) continue;
        sr += xr / xx;
        si += -xi / xx;
      }
      // w = ratio / (1 − ratio · sum)
      const denR = 1 - (rr * sr - ri * si);
      const denI = -(rr * si + ri * sr);
      const den = denR * denR + denI * denI;
      if (den === 0) continue;
      const wr = (rr * denR + ri * denI) / den;
      const wi = (ri * denR - rr * denI) / den;
      re[k] = zr - wr;
      im[k] = zi - wi;
      moved = Math.max(moved, Math.abs(wr) + Math.abs(wi));
    }
    if (moved < 1e-12) break;
  }
  return [re, im];
}
