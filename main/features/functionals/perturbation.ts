/**
 * Jitter and shimmer from glottal period marks, as Praat's "To PointProcess (periodic, peaks)"
 * followed by "Get jitter (local)" / "Get shimmer (local_dB)": in every voiced stretch the marks are
 * waveform maxima one period apart (the period read from the pitch track, each mark searched within
 * ±20 % of it and refined by a parabola), starting from the stretch's largest peak. Periods outside
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
  const marks: [number, number][] = [refinePeak(signal, start, sampleRate)];
  for (const direction of [1, -1]) {
    let at = start;
    for (;;) {
      const f0 = f0At(at);
      if (!(f0 > 0)) break;
      const period = sampleRate / f0;
      const expected = at + direction * period;
      const from = Math.max(lo, Math.round(expected - 0.2 * period));
      const to = Math.min(hi, Math.round(expected + 0.2 * period));
      if (from > to || (direction > 0 ? from <= at : to >= at)) break;
      let peak = from;
      for (let i = from + 1; i <= to; i++) if (signal[i] > signal[peak]) peak = i;
      if (direction > 0) marks.push(refinePeak(signal, peak, sampleRate));
      else marks.unshift(refinePeak(signal, peak, sampleRate));
      at = peak;
    }
  }
  return marks;
}

/** The parabola through a sample maximum and its neighbours: [time in s, amplitude]. */
function refinePeak(signal: Float32Array, i: number, sampleRate: number): [number, number] {
  if (i <= 0 || i >= signal.length - 1) return [i / sampleRate, Math.abs(signal[i])];
  const a = signal[i - 1];
  const b = signal[i];
  const c = signal[i + 1];
  const denom = a - 2 * b + c;
  const shift = denom < 0 ? (0.5 * (a - c)) / denom : 0;
  return [(i + shift) / sampleRate, Math.abs(b - 0.25 * (a - c) * shift)];
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
