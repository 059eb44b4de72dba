/**
 * Functionals: statistics of one LLD contour over the frames a set selects (all, voiced,
 * unvoiced). Every functional is finite: over no frames it is 0 (and the clip's note says why),
 * a ratio whose denominator is 0 is 0. Times are in seconds (10 ms frames).
 */
import { HOP_S } from './framing';

export type FunctionalName =
  | 'mean'
  | 'stddev'
  | 'stddevNorm'
  | 'skewness'
  | 'kurtosis'
  | 'min'
  | 'max'
  | 'range'
  | 'minPos'
  | 'maxPos'
  | 'pctl1'
  | 'pctl20'
  | 'pctl50'
  | 'pctl80'
  | 'pctl99'
  | 'pctlrange0-2'
  | 'meanRisingSlope'
  | 'stddevRisingSlope'
  | 'meanFallingSlope'
  | 'stddevFallingSlope'
  | 'linregc1'
  | 'linregc2'
  | 'linregerrQ'
  | 'upleveltime25'
  | 'upleveltime75'
  | 'upleveltime90';

/** The frames of a contour a functional sees: their values in time order and their frame indices. */
export interface Selection {
  values: Float64Array;
  frames: Int32Array;
}

/** The finite values of `contour` at the frames `mask` keeps (all frames without a mask). */
export function select(contour: Float64Array, mask?: Uint8Array): Selection {
  const values = new Float64Array(contour.length);
  const frames = new Int32Array(contour.length);
  let n = 0;
  for (let t = 0; t < contour.length; t++) {
    if ((!mask || mask[t]) && Number.isFinite(contour[t])) {
      values[n] = contour[t];
      frames[n++] = t;
    }
  }
  return { values: values.subarray(0, n), frames: frames.subarray(0, n) };
}

/** numpy.percentile's linear interpolation on sorted values. */
function percentile(sorted: Float64Array, q: number): number {
  const position = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

function meanStd(values: number[]): [number, number] {
  if (values.length === 0) return [0, 0];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / values.length;
  return [mean, Math.sqrt(variance)];
}

/**
 * Slopes (units per second) from each local minimum to the next maximum (rising) and each maximum
 * to the next minimum (falling), within runs of consecutive selected frames.
 */
export function slopes(selection: Selection): { rising: number[]; falling: number[] } {
  const rising: number[] = [];
  const falling: number[] = [];
  const { values, frames } = selection;
  let runStart = 0;
  for (let i = 1; i <= values.length; i++) {
    if (i < values.length && frames[i] === frames[i - 1] + 1) continue;
    // Turning points of the run [runStart, i).
    let last = runStart;
    let direction = 0;
    for (let j = runStart + 1; j < i; j++) {
      const step = Math.sign(values[j] - values[j - 1]);
      if (step === 0) continue;
      if (direction !== 0 && step !== direction) {
        const turn = j - 1;
        const slope = (values[turn] - values[last]) / ((frames[turn] - frames[last]) * HOP_S);
        (direction > 0 ? rising : falling).push(slope);
        last = turn;
      }
      direction = step;
    }
    if (direction !== 0 && i - 1 > last) {
      const slope = (values[i - 1] - values[last]) / ((frames[i - 1] - frames[last]) * HOP_S);
      (direction > 0 ? rising : falling).push(slope);
    }
    runStart = i;
  }
  return { rising, falling };
}

/** The named functionals of a selection, in the order asked for. */
export function functionals(selection: Selection, names: readonly FunctionalName[], out: Float64Array, at: number): void {
  const { values, frames } = selection;
  const n = values.length;
  if (n === 0) {
    out.fill(0, at, at + names.length);
    return;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  let minI = 0;
  let maxI = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
    if (values[i] < values[minI]) minI = i;
    if (values[i] > values[maxI]) maxI = i;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  const std = Math.sqrt(m2);
  const min = values[minI];
  const max = values[maxI];
  let sorted: Float64Array | null = null;
  const pctl = (q: number) => percentile((sorted ??= values.slice().sort()), q);
  let slopeStats: { rising: number[]; falling: number[] } | null = null;
  const slopeOf = () => (slopeStats ??= slopes(selection));
  let regression: [number, number, number] | null = null;
  const linreg = (): [number, number, number] => {
    if (regression) return regression;
    // value ≈ c1 · time + c2, time in seconds from the first selected frame.
    let st = 0;
    let stt = 0;
    let sty = 0;
    for (let i = 0; i < n; i++) {
      const time = (frames[i] - frames[0]) * HOP_S;
      st += time;
      stt += time * time;
      sty += time * values[i];
    }
    const den = n * stt - st * st;
    const c1 = den > 0 ? (n * sty - st * sum) / den : 0;
    const c2 = (sum - c1 * st) / n;
    let errQ = 0;
    for (let i = 0; i < n; i++) {
      const e = values[i] - (c1 * (frames[i] - frames[0]) * HOP_S + c2);
      errQ += e * e;
    }
    return (regression = [c1, c2, errQ / n]);
  };
  const uplevel = (fraction: number) => {
    const level = min + fraction * (max - min);
    let above = 0;
    for (let i = 0; i < n; i++) if (values[i] > level) above++;
    return above / n;
  };
  names.forEach((name, i) => {
    let value: number;
    switch (name) {
      case 'mean':
        value = mean;
        break;
      case 'stddev':
        value = std;
        break;
      case 'stddevNorm':
        value = Math.abs(mean) > 1e-10 ? std / Math.abs(mean) : 0;
        break;
      case 'skewness':
        value = std > 0 ? m3 / (std * std * std) : 0;
        break;
      case 'kurtosis':
        value = m2 > 0 ? m4 / (m2 * m2) : 0;
        break;
      case 'min':
        value = min;
        break;
      case 'max':
        value = max;
        break;
      case 'range':
        value = max - min;
        break;
      case 'minPos':
        value = n > 1 ? minI / (n - 1) : 0;
        break;
      case 'maxPos':
        value = n > 1 ? maxI / (n - 1) : 0;
        break;
      case 'pctl1':
        value = pctl(1);
        break;
      case 'pctl20':
        value = pctl(20);
        break;
      case 'pctl50':
        value = pctl(50);
        break;
      case 'pctl80':
        value = pctl(80);
        break;
      case 'pctl99':
        value = pctl(99);
        break;
      case 'pctlrange0-2':
        value = pctl(80) - pctl(20);
        break;
      case 'meanRisingSlope':
        value = meanStd(slopeOf().rising)[0];
        break;
      case 'stddevRisingSlope':
        value = meanStd(slopeOf().rising)[1];
        break;
      case 'meanFallingSlope':
        value = meanStd(slopeOf().falling)[0];
        break;
      case 'stddevFallingSlope':
        value = meanStd(slopeOf().falling)[1];
        break;
      case 'linregc1':
        value = linreg()[0];
        break;
      case 'linregc2':
        value = linreg()[1];
        break;
      case 'linregerrQ':
        value = linreg()[2];
        break;
      case 'upleveltime25':
        value = uplevel(0.25);
        break;
      case 'upleveltime75':
        value = uplevel(0.75);
        break;
      case 'upleveltime90':
        value = uplevel(0.9);
        break;
    }
    out[at + i] = Number.isFinite(value) ? value : 0;
  });
}

/** 3-frame moving average (openSMILE's sma3) over the finite values; NaN frames stay NaN and are not averaged in. */
export function smooth3(contour: Float64Array): Float64Array {
  const out = new Float64Array(contour.length);
  for (let t = 0; t < contour.length; t++) {
    if (!Number.isFinite(contour[t])) {
      out[t] = Number.NaN;
      continue;
    }
    let sum = contour[t];
    let count = 1;
    if (t > 0 && Number.isFinite(contour[t - 1])) {
      sum += contour[t - 1];
      count++;
    }
    if (t + 1 < contour.length && Number.isFinite(contour[t + 1])) {
      sum += contour[t + 1];
      count++;
    }
    out[t] = sum / count;
  }
  return out;
}

/** First difference (x[t+1] − x[t−1]) / 2 with the available neighbours; NaN where the value is NaN. */
export function delta(contour: Float64Array): Float64Array {
  const out = new Float64Array(contour.length);
  for (let t = 0; t < contour.length; t++) {
    if (!Number.isFinite(contour[t])) {
      out[t] = Number.NaN;
      continue;
    }
    const prev = t > 0 && Number.isFinite(contour[t - 1]) ? contour[t - 1] : contour[t];
    const next = t + 1 < contour.length && Number.isFinite(contour[t + 1]) ? contour[t + 1] : contour[t];
    out[t] = (next - prev) / 2;
  }
  return out;
}
