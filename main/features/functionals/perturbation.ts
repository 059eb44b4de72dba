/**
 * Jitter and shimmer from glottal period marks, as Praat's "To PointProcess (periodic, cc)"
 * followed by "Get jitter (local)" / "Get shimmer (local_dB)": in every voiced stretch, from its
 * largest peak outwards, each next mark is one period on, the period being the lag within ±20 % of
 * the pitch track's whose one-period window best matches the current one (normalised
 * cross-correlation, refined by a parabola); a mark's amplitude is the largest absolute sample
 * within half a period of it. Periods outside
 * 0.1–20 ms, or more than 1.3 times their neighbour, are not compared (Praat's defaults).
 */
import { HOP_S } from './framing';

const SHORTEST_PERIOD_S = 0.0001;
const LONGEST_PERIOD_S = 0.02;
const MAX_PERIOD_FACTOR = 1.3;
const MAX_AMPLITUDE_FACTOR = 1.6;
/** Half the span over which a frame's jitter and shimmer are measured (openSMILE uses 60 ms windows). */
const FRAME_SPAN_S = 0.03;

export interface PeriodMarks {
  /** Mark times in seconds, increasing. */
  times: Float64Array;
  amplitudes: Float64Array;
  /** Marks a and a + 1 belong to the same voiced stretch (a period lies between them). */
  joined: Uint8Array;
}

/** Period marks of `signal` (at `sampleRate`) in the stretches where `f0` (one value per 10 ms frame) is voiced. */
export function periodMarks(signal: Float32Array, sampleRate: number, f0: Float64Array): PeriodMarks {
  const times: number[] = [];
  const amplitudes: number[] = [];
  const joined: number[] = [];
  const f0At = (sample: number): number => {
    const frame = Math.min(f0.length - 1, Math.max(0, Math.round(sample / sampleRate / HOP_S)));
    return f0[frame];
  };
  let t = 0;
  while (t < f0.length) {
    if (f0[t] === 0) {
      t++;
      continue;
    }
    let end = t;
    while (end + 1 < f0.length && f0[end + 1] > 0) end++;
    const lo = Math.max(0, Math.round((t - 0.5) * HOP_S * sampleRate));
    const hi = Math.min(signal.length - 1, Math.round((end + 0.5) * HOP_S * sampleRate));
    if (hi - lo > 2) {
      const stretch = marksInStretch(signal, sampleRate, lo, hi, f0At);
      stretch.forEach(([time, amplitude], i) => {
        times.push(time);
        amplitudes.push(amplitude);
        joined.push(i + 1 < stretch.length ? 1 : 0);
      });
    }
    t = end + 1;
  }
  return { times: Float64Array.from(times), amplitudes: Float64Array.from(amplitudes), joined: Uint8Array.from(joined) };
}

function marksInStretch(
  signal: Float32Array,
  sampleRate: number,
  lo: number,
  hi: number,
  f0At: (sample: number) => number,
): [number, number][] {
  let start = lo;
  for (let i = lo; i <= hi; i++) if (signal[i] > signal[start]) start = i;
  const firstPeriod = sampleRate / f0At(start);
  const marks: [number, number][] = [[start / sampleRate, peakAmplitude(signal, start, firstPeriod)]];
  for (const direction of [1, -1]) {
    let at = start;
    for (;;) {
      const f0 = f0At(Math.round(at));
      if (!(f0 > 0)) break;
      const period = sampleRate / f0;
      const lag = matchingLag(signal, at, period, direction, lo, hi);
      if (lag === null) break;
      at += direction * lag;
      const mark: [number, number] = [at / sampleRate, peakAmplitude(signal, at, lag)];
      if (direction > 0) marks.push(mark);
      else marks.unshift(mark);
    }
  }
  return marks;
}

/**
 * The distance (samples, refined by a parabola) to the next period in `direction`: the lag within
 * ±20 % of `period` whose window of one period best correlates with the period around `at`
 * (normalised cross-correlation, as Praat's "To PointProcess (cc)"); null past the stretch
 * [lo, hi] or where no lag correlates positively.
 */
function matchingLag(signal: Float32Array, at: number, period: number, direction: number, lo: number, hi: number): number | null {
  const half = Math.max(1, Math.round(period / 2));
  const centre = Math.round(at);
  const minLag = Math.max(1, Math.floor(0.8 * period));
  const maxLag = Math.ceil(1.2 * period);
  if (centre - half < lo || centre + half > hi) return null;
  let refEnergy = 0;
  for (let k = -half; k < half; k++) refEnergy += signal[centre + k] * signal[centre + k];
  const correlations = new Float64Array(maxLag - minLag + 3);
  let best = -1;
  for (let lag = minLag - 1; lag <= maxLag + 1; lag++) {
    const other = centre + direction * lag;
    let value = Number.NEGATIVE_INFINITY;
    if (other - half >= lo && other + half <= hi) {
      let cross = 0;
      let energy = 0;
      for (let k = -half; k < half; k++) {
        const v = signal[other + k];
        cross += signal[centre + k] * v;
        energy += v * v;
      }
      value = refEnergy > 0 && energy > 0 ? cross / Math.sqrt(refEnergy * energy) : 0;
    }
    correlations[lag - minLag + 1] = value;
    if (lag >= minLag && lag <= maxLag && value > 0 && (best < 0 || value > correlations[best - minLag + 1])) best = lag;
  }
  if (best < 0) return null;
  const a = correlations[best - minLag];
  const b = correlations[best - minLag + 1];
  const c = correlations[best - minLag + 2];
  const denom = a - 2 * b + c;
  const shift = Number.isFinite(denom) && denom < 0 ? (0.5 * (a - c)) / denom : 0;
  return best + shift;
}

/** The largest absolute sample within half a period of `at`. */
function peakAmplitude(signal: Float32Array, at: number, period: number): number {
  const half = Math.max(1, Math.round(period / 2));
  const centre = Math.round(at);
  let peak = 0;
  for (let i = Math.max(0, centre - half); i < Math.min(signal.length, centre + half); i++) peak = Math.max(peak, Math.abs(signal[i]));
  return peak;
}

export interface Perturbation {
  /** Mean absolute difference of consecutive periods over the mean period (a fraction, Praat's jitter (local)). */
  jitterLocal: number;
  /** Mean absolute second difference of periods over the mean period (Praat's jitter (ddp)). */
  jitterDdp: number;
  /** Mean absolute dB difference of consecutive peak amplitudes (Praat's shimmer (local_dB)). */
  shimmerLocalDb: number;
  /** Periods the values are based on (0: the values are 0). */
  periods: number;
}

const isPeriod = (p: number) => p >= SHORTEST_PERIOD_S && p <= LONGEST_PERIOD_S;
const similar = (a: number, b: number, factor: number) => a > 0 && b > 0 && Math.max(a, b) / Math.min(a, b) <= factor;

/** Jitter and shimmer over the marks in [from, to) (indices into marks). */
export function perturbation(marks: PeriodMarks, from = 0, to = marks.times.length): Perturbation {
  let periodSum = 0;
  let periods = 0;
  let diffSum = 0;
  let diffs = 0;
  let ddpSum = 0;
  let ddps = 0;
  let shimmerSum = 0;
  let shimmers = 0;
  const period = (a: number) => (marks.joined[a] && a + 1 < to ? marks.times[a + 1] - marks.times[a] : 0);
  for (let a = from; a < to - 1; a++) {
    const p = period(a);
    if (!isPeriod(p)) continue;
    periodSum += p;
    periods++;
    const aA = marks.amplitudes[a];
    const aB = marks.amplitudes[a + 1];
    if (similar(aA, aB, MAX_AMPLITUDE_FACTOR)) {
      shimmerSum += Math.abs(20 * Math.log10(aB / aA));
      shimmers++;
    }
    if (a + 1 < to - 1) {
      const q = period(a + 1);
      if (isPeriod(q) && similar(p, q, MAX_PERIOD_FACTOR)) {
        diffSum += Math.abs(q - p);
        diffs++;
        if (a + 2 < to - 1) {
          const r = period(a + 2);
          if (isPeriod(r) && similar(q, r, MAX_PERIOD_FACTOR)) {
            ddpSum += Math.abs(r - q - (q - p));
            ddps++;
          }
        }
      }
    }
  }
  const meanPeriod = periods > 0 ? periodSum / periods : 0;
  return {
    jitterLocal: diffs > 0 && meanPeriod > 0 ? diffSum / diffs / meanPeriod : 0,
    jitterDdp: ddps > 0 && meanPeriod > 0 ? ddpSum / ddps / meanPeriod : 0,
    shimmerLocalDb: shimmers > 0 ? shimmerSum / shimmers : 0,
    periods,
  };
}

/** Jitter and shimmer per frame over the marks within ±30 ms of its centre; NaN where fewer than 3 periods are there. */
export function framePerturbation(
  marks: PeriodMarks,
  frames: number,
): { jitterLocal: Float64Array; jitterDdp: Float64Array; shimmerLocalDb: Float64Array } {
  const jitterLocal = new Float64Array(frames).fill(Number.NaN);
  const jitterDdp = new Float64Array(frames).fill(Number.NaN);
  const shimmerLocalDb = new Float64Array(frames).fill(Number.NaN);
  let from = 0;
  let to = 0;
  const n = marks.times.length;
  for (let t = 0; t < frames; t++) {
    const centre = t * HOP_S;
    while (from < n && marks.times[from] < centre - FRAME_SPAN_S) from++;
    if (to < from) to = from;
    while (to < n && marks.times[to] < centre + FRAME_SPAN_S) to++;
    if (to - from < 4) continue;
    const p = perturbation(marks, from, to);
    if (p.periods < 3) continue;
    jitterLocal[t] = p.jitterLocal;
    jitterDdp[t] = p.jitterDdp;
    shimmerLocalDb[t] = p.shimmerLocalDb;
  }
  return { jitterLocal, jitterDdp, shimmerLocalDb };
}
