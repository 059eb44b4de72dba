/**
 * F0 by Boersma's (1993) autocorrelation method, the algorithm of Praat's "To Pitch (ac)", with
 * Praat's default parameters: per 10 ms frame, the normalised autocorrelation of a 3-period Hann
 * window (divided by the window's own autocorrelation) gives pitch candidates, an unvoiced
 * candidate competes with them, and a Viterbi path with octave-jump and voicing-change costs picks
 * one per frame. Runs on the decimated signal (about 11 kHz; framing.ts). The power spectrum of
 * each frame is kept for the harmonic descriptors (H1–H2, H1–A3, formant levels).
 */
import { getRealFft } from '../fft';
import { fillFrame, frameCentre, hannWindow, nextPowerOfTwo } from './framing';

export const PITCH_FLOOR_HZ = 75;
export const PITCH_CEILING_HZ = 600;
const MAX_CANDIDATES = 15;
const SILENCE_THRESHOLD = 0.03;
const VOICING_THRESHOLD = 0.45;
const OCTAVE_COST = 0.01;
const OCTAVE_JUMP_COST = 0.35;
const VOICED_UNVOICED_COST = 0.14;

export interface PitchTrack {
  /** F0 per frame in Hz; 0 where unvoiced. */
  f0: Float64Array;
  /** Normalised autocorrelation at the chosen period (0 where unvoiced): the HNR's r. */
  strength: Float64Array;
  /** Highest autocorrelation peak per frame in [0, 1], voiced or not (voicing probability; 0 for near-silent frames). */
  voicing: Float64Array;
  /** Per frame power spectrum of the pitch window, frames × bins. */
  spectra: Float32Array;
  bins: number;
  /** Hz per spectrum bin. */
  binHz: number;
}

/** Pitch window length in seconds: three periods of the pitch floor. */
export const PITCH_WINDOW_S = 3 / PITCH_FLOOR_HZ;

/** `signal` at `sampleRate` (the decimated analysis signal); `frames` as the clip's analysis grid. */
export function trackPitch(signal: Float32Array, sampleRate: number, frames: number): PitchTrack {
  const windowLength = Math.round(PITCH_WINDOW_S * sampleRate);
  const minLag = Math.max(2, Math.floor(sampleRate / PITCH_CEILING_HZ));
  const maxLag = Math.min(windowLength - 1, Math.ceil(sampleRate / PITCH_FLOOR_HZ));
  const size = nextPowerOfTwo(windowLength + maxLag + 1);
  const fft = getRealFft(size);
  const bins = fft.bins;
  const window = hannWindow(windowLength);
  const windowAc = normalisedAutocorrelation(window, size, maxLag + 1);

  let globalPeak = 0;
  for (let i = 0; i < signal.length; i++) globalPeak = Math.max(globalPeak, Math.abs(signal[i]));

  const frame = new Float64Array(size);
  const power = new Float64Array(bins);
  const even = new Float64Array(size);
  const acRe = new Float64Array(bins);
  const acIm = new Float64Array(bins);
  const r = new Float64Array(maxLag + 2);
  const spectra = new Float32Array(frames * bins);
  const voicing = new Float64Array(frames);
  // Candidates of frame t at [t · MAX_CANDIDATES, + count[t]); the first is the unvoiced one (frequency 0).
  const candFreq = new Float64Array(frames * MAX_CANDIDATES);
  const candStrength = new Float64Array(frames * MAX_CANDIDATES);
  const candR = new Float64Array(frames * MAX_CANDIDATES);
  const count = new Int32Array(frames);
  const peakFreq = new Float64Array(maxLag + 1);
  const peakR = new Float64Array(maxLag + 1);
  const peakStrength = new Float64Array(maxLag + 1);

  for (let t = 0; t < frames; t++) {
    const localPeak = fillFrame(signal, frameCentre(t, sampleRate), window, frame, true);
    fft.powerSpectrum(frame, power);
    for (let k = 0; k < bins; k++) spectra[t * bins + k] = power[k];
    const base = t * MAX_CANDIDATES;
    candFreq[base] = 0;
    candR[base] = 0;
    candStrength[base] = VOICING_THRESHOLD + Math.max(0, 2 - localPeak / (globalPeak || 1) / (SILENCE_THRESHOLD / (1 + VOICING_THRESHOLD)));
    count[t] = 1;
    // Where the unvoiced candidate is this strong, no voiced one (strength ≤ 1.03) can be on the
    // best path even at the cost of two voicing changes: the autocorrelation is not needed.
    if (!(localPeak > 0) || candStrength[base] > 1.03 + 2 * VOICED_UNVOICED_COST) continue;
    // The autocorrelation is the (real, even) power spectrum's transform.
    for (let k = 0; k < bins; k++) even[k] = power[k];
    for (let k = 1; k < size / 2; k++) even[size - k] = power[k];
    fft.forward(even, acRe, acIm);
    const r0 = acRe[0];
    for (let lag = 0; lag <= maxLag + 1; lag++) r[lag] = acRe[lag] / r0 / (windowAc[Math.min(lag, maxLag)] || 1);
    let best = 0;
    let peaks = 0;
    for (let lag = minLag; lag <= maxLag; lag++) {
      if (r[lag] > best) best = r[lag];
      if (!(r[lag] > r[lag - 1] && r[lag] >= r[lag + 1] && r[lag] > 0.5 * VOICING_THRESHOLD)) continue;
      const denom = r[lag - 1] - 2 * r[lag] + r[lag + 1];
      const shift = denom < 0 ? (0.5 * (r[lag - 1] - r[lag + 1])) / denom : 0;
      let peak = r[lag] - 0.25 * (r[lag - 1] - r[lag + 1]) * shift;
      if (peak > 1) peak = 1 / peak;
      const exactLag = lag + shift;
      peakFreq[peaks] = sampleRate / exactLag;
      peakR[peaks] = peak;
      peakStrength[peaks] = peak - OCTAVE_COST * Math.log2(PITCH_FLOOR_HZ * (exactLag / sampleRate));
      peaks++;
    }
    voicing[t] = Math.min(1, Math.max(0, best));
    // The strongest peaks, strongest first.
    for (let c = 1; c < MAX_CANDIDATES && peaks > 0; c++) {
      let strongest = 0;
      for (let i = 1; i < peaks; i++) if (peakStrength[i] > peakStrength[strongest]) strongest = i;
      candFreq[base + c] = peakFreq[strongest];
      candR[base + c] = peakR[strongest];
      candStrength[base + c] = peakStrength[strongest];
      count[t]++;
      peaks--;
      peakFreq[strongest] = peakFreq[peaks];
      peakR[strongest] = peakR[peaks];
      peakStrength[strongest] = peakStrength[peaks];
    }
  }

  const path = viterbi(candFreq, candStrength, count);
  const f0 = new Float64Array(frames);
  const strength = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    f0[t] = candFreq[t * MAX_CANDIDATES + path[t]];
    strength[t] = candR[t * MAX_CANDIDATES + path[t]];
  }
  return { f0, strength, voicing, spectra, bins, binHz: sampleRate / size };
}

/** Autocorrelation of `window` (zero-padded to `size`) for lags below `lags`, divided by its value at lag 0. */
function normalisedAutocorrelation(window: Float64Array, size: number, lags: number): Float64Array {
  const out = new Float64Array(lags);
  for (let lag = 0; lag < lags; lag++) {
    let sum = 0;
    for (let n = 0; n + lag < window.length; n++) sum += window[n] * window[n + lag];
    out[lag] = sum;
  }
  const r0 = out[0];
  for (let lag = 0; lag < lags; lag++) out[lag] /= r0;
  return out;
}

/** The candidate path of least cost: −strength per frame plus Praat's transition costs (10 ms steps: no time correction). */
function viterbi(freqs: Float64Array, strengths: Float64Array, count: Int32Array): Int32Array {
  const frames = count.length;
  const back = new Int32Array(frames * MAX_CANDIDATES);
  let cost = new Float64Array(MAX_CANDIDATES);
  let next = new Float64Array(MAX_CANDIDATES);
  for (let j = 0; j < count[0]; j++) cost[j] = -strengths[j];
  for (let t = 1; t < frames; t++) {
    const prev = (t - 1) * MAX_CANDIDATES;
    const cur = t * MAX_CANDIDATES;
    for (let j = 0; j < count[t]; j++) {
      const fj = freqs[cur + j];
      let best = Infinity;
      let bestI = 0;
      for (let i = 0; i < count[t - 1]; i++) {
        const fi = freqs[prev + i];
        let transition: number;
        if (fi === 0 && fj === 0) transition = 0;
        else if (fi === 0 || fj === 0) transition = VOICED_UNVOICED_COST;
        else transition = OCTAVE_JUMP_COST * Math.abs(Math.log2(fi / fj));
        const c = cost[i] + transition;
        if (c < best) {
          best = c;
          bestI = i;
        }
      }
      next[j] = best - strengths[cur + j];
      back[cur + j] = bestI;
    }
    [cost, next] = [next, cost];
  }
  const path = new Int32Array(frames);
  let bestEnd = 0;
  for (let j = 1; j < count[frames - 1]; j++) if (cost[j] < cost[bestEnd]) bestEnd = j;
  path[frames - 1] = bestEnd;
  for (let t = frames - 1; t > 0; t--) path[t - 1] = back[t * MAX_CANDIDATES + path[t]];
  return path;
}

/** Semitones above 27.5 Hz (A0), as eGeMAPS' F0semitoneFrom27.5Hz. */
export function hzToSemitones(hz: number): number {
  return 12 * Math.log2(hz / 27.5);
}
