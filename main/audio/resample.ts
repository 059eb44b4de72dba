/**
 * Band-limited sinc resampling that reproduces resampy's `kaiser_best` filter, i.e. what
 * `librosa.resample(y, orig_sr=..., target_sr=..., res_type="kaiser_best")` returns.
 *
 * The filter is the right half of a Kaiser-windowed sinc, tabulated at PRECISION points per zero
 * crossing; each output sample interpolates linearly between table entries (resampy's `resample_f`).
 */

const ZERO_CROSSINGS = 50;
const PRECISION = 8192; // 2^13 table entries per zero crossing
const KAISER_BETA = 12.9846;
const ROLLOFF = 0.917347;

/** 1 / k^2 for the Bessel series: multiplying is much faster than dividing, and it runs 400k times. */
const INVERSE_SQUARES = Float64Array.from({ length: 64 }, (_, k) => (k === 0 ? 0 : 1 / (k * k)));

/** Modified Bessel function of the first kind, order 0, by its power series (converges fast for x < 20). */
function besselI0(x: number): number {
  const quarterX2 = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < INVERSE_SQUARES.length && term > sum * 1e-17; k++) {
    term *= quarterX2 * INVERSE_SQUARES[k];
    sum += term;
  }
  return sum;
}

/**
 * The filter table with each entry's forward difference next to it (window, delta, window, delta ...)
 * so one cache line serves both reads in the inner loop. Built on first use (~400k entries) and kept.
 */
let cachedTable: Float64Array | null = null;

function kaiserBestTable(): Float64Array {
  if (cachedTable) return cachedTable;
  const n = ZERO_CROSSINGS * PRECISION;
  const window = new Float64Array(n + 1);
  const i0Beta = besselI0(KAISER_BETA);
  for (let k = 0; k <= n; k++) {
    // Same expressions as resampy.filters.sinc_window with a symmetric scipy Kaiser window.
    const x = k / PRECISION;
    const piX = Math.PI * (ROLLOFF * x);
    const sinc = k === 0 ? 1 : Math.sin(piX) / piX;
    const ratio = k / n;
    const taper = besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio)) / i0Beta;
    window[k] = taper * (ROLLOFF * sinc);
  }
  const table = new Float64Array(2 * (n + 1));
  for (let k = 0; k <= n; k++) {
    table[2 * k] = window[k];
    table[2 * k + 1] = k < n ? window[k + 1] - window[k] : 0; // np.diff(append=last) ends with 0
  }
  cachedTable = table;
  return table;
}

/** Greatest common divisor of two positive integers. */
function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Most filter weights worth precomputing (16 kHz -> 22.05 kHz needs 441 phases x 100 taps). */
const MAX_PRECOMPUTED_WEIGHTS = 1 << 20;

/**
 * Resamples `samples` from `fromRate` to `toRate` Hz. Returns the input itself when the rates are
 * equal. The output has `ceil(n * toRate / fromRate)` samples, like librosa (resampy computes
 * `floor(...)` samples; the rest are zeros). Sums are accumulated in float64; resampy rounds its
 * running sum to float32 after every tap, so results agree with it to float32 precision (~1e-7).
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(fromRate > 0 && toRate > 0 && Number.isFinite(fromRate) && Number.isFinite(toRate))) {
    throw new RangeError(`sample rates must be positive and finite, got ${fromRate} -> ${toRate}`);
  }
  if (fromRate === toRate) return samples;
  // Past this ratio the filter table has no step between taps and every output would sum the
  // whole input (work growing with the square of the length).
  if (toRate / fromRate < 1 / PRECISION) {
    throw new RangeError(`cannot resample ${fromRate} Hz to ${toRate} Hz: more than ${PRECISION}:1`);
  }
  const output = new Float32Array(Math.ceil(samples.length * (toRate / fromRate)));
  const computedLength = Math.min(output.length, Math.floor((samples.length * toRate) / fromRate));
  if (Number.isInteger(fromRate) && Number.isInteger(toRate)) {
    const phases = toRate / gcd(fromRate, toRate);
    const tapsPerPhase = (2 * ZERO_CROSSINGS) / Math.min(1, toRate / fromRate);
    if (phases * tapsPerPhase <= MAX_PRECOMPUTED_WEIGHTS) {
      resamplePolyphase(samples, fromRate, toRate, output, computedLength);
      return output;
    }
  }
  resampleDirect(samples, fromRate, toRate, output, computedLength);
  return output;
}

/** Weights of the wing that starts at filter position `frac` (in zero crossings of the scaled filter). */
function wingWeights(table: Float64Array, frac: number, indexStep: number, gain: number): Float64Array {
  const indexFrac = frac * PRECISION;
  const offset = Math.trunc(indexFrac);
  const eta = indexFrac - offset;
  const taps = Math.trunc((table.length / 2 - offset) / indexStep);
  const weights = new Float64Array(taps);
  for (let i = 0, at = 2 * offset; i < taps; i++, at += 2 * indexStep) {
    weights[i] = gain * (table[at] + eta * table[at + 1]);
  }
  return weights;
}

/**
 * One output phase as a single kernel over consecutive input samples: kernel[j] weighs
 * x[n - leftTaps + 1 + j], where the left wing (x[n], x[n-1], ...) is stored reversed.
 */
/**
 * kernel[k..k+count) · x[j..j+count), with four partial sums: they break the dependency chain of a
 * single accumulator (about 3x faster). Whole-signal and streaming resampling both use it, so their
 * values are identical.
 */
function kernelDot(kernel: Float64Array, k: number, x: Float32Array, j: number, count: number): number {
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  let i = 0;
  for (; i + 3 < count; i += 4) {
    sum0 += kernel[k + i]! * x[j + i]!;
    sum1 += kernel[k + i + 1]! * x[j + i + 1]!;
    sum2 += kernel[k + i + 2]! * x[j + i + 2]!;
    sum3 += kernel[k + i + 3]! * x[j + i + 3]!;
  }
  for (; i < count; i++) sum0 += kernel[k + i]! * x[j + i]!;
  return sum0 + sum1 + (sum2 + sum3);
}

interface PhaseKernel {
  kernel: Float64Array;
  leftTaps: number;
}

function phaseKernel(table: Float64Array, frac: number, scale: number, indexStep: number, gain: number): PhaseKernel {
  const left = wingWeights(table, frac, indexStep, gain);
  const right = wingWeights(table, scale - frac, indexStep, gain);
  const kernel = new Float64Array(left.length + right.length);
  for (let i = 0; i < left.length; i++) kernel[left.length - 1 - i] = left[i];
  kernel.set(right, left.length);
  return { kernel, leftTaps: left.length };
}

/**
 * For integer rates the fractional input position of output t repeats every `toRate / gcd` outputs,
 * so the interpolated weights are computed once per phase instead of once per output sample.
 * Exact integer arithmetic gives the phase; resampy's floating-point time differs from it by
 * far less than the filter table resolution.
 */
function resamplePolyphase(samples: Float32Array, fromRate: number, toRate: number, output: Float32Array, computedLength: number): void {
  const divisor = gcd(fromRate, toRate);
  const up = toRate / divisor;
  const down = fromRate / divisor;
  const { scale, gain, indexStep } = filterScaling(fromRate, toRate);
  const table = kaiserBestTable();
  const phases: PhaseKernel[] = [];
  for (let p = 0; p < up; p++) {
    phases.push(phaseKernel(table, scale * (((p * down) % up) / up), scale, indexStep, gain));
  }

  const inputLength = samples.length;
  for (let t = 0, phase = 0, n = 0, remainder = 0; t < computedLength; t++) {
    const { kernel, leftTaps } = phases[phase];
    const kernelStart = n - leftTaps + 1; // input index that kernel[0] weighs
    const from = Math.max(0, kernelStart);
    const to = Math.min(inputLength, kernelStart + kernel.length);
    output[t] = kernelDot(kernel, from - kernelStart, samples, from, to - from);

    // Advance the input position by down/up samples.
    phase = phase + 1 === up ? 0 : phase + 1;
    remainder += down;
    while (remainder >= up) {
      remainder -= up;
      n++;
    }
  }
}

/**
 * resample() for a stream that arrives in pieces (a live microphone, standard input): each output
 * sample is computed once, as soon as the input its filter spans has arrived, and equals what
 * resample() gives for the whole stream at that position (the stream's very end excepted, which
 * resample() pads with zeros and a stream waits on). Holds only the input the filter still needs.
 * Integer rates whose polyphase filter fits MAX_PRECOMPUTED_WEIGHTS × 4 weights (every common one).
 */
export class StreamResampler {
  private readonly phases: PhaseKernel[] = [];
  private readonly up: number;
  private readonly down: number;
  /** Input not yet consumed, from absolute index `inputStart`. */
  private input = new Float32Array(0);
  private inputStart = 0;
  private inputLength = 0;
  private phase = 0;
  private n = 0;
  private remainder = 0;
  /** How far back (in input samples) a phase's left wing reaches. */
  private reach = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new RangeError(`stream resampling needs whole positive rates, got ${fromRate} -> ${toRate}`);
    }
    const divisor = gcd(fromRate, toRate);
    this.up = toRate / divisor;
    this.down = fromRate / divisor;
    if (fromRate === toRate) return;
    const { scale, gain, indexStep } = filterScaling(fromRate, toRate);
    if (this.up * ((2 * ZERO_CROSSINGS) / scale) > 4 * MAX_PRECOMPUTED_WEIGHTS) {
      throw new RangeError(
        `cannot resample a stream of ${fromRate} Hz to ${toRate} Hz live (their ratio needs ${this.up} filter phases): resample it first`,
      );
    }
    const table = kaiserBestTable();
    for (let p = 0; p < this.up; p++) {
      this.phases.push(phaseKernel(table, scale * (((p * this.down) % this.up) / this.up), scale, indexStep, gain));
    }
    this.reach = Math.max(...this.phases.map((p) => p.leftTaps));
  }

  /** Input samples taken so far. */
  private taken = 0;
  private outputs = 0;

  /** Input samples held for the filter: bounded by its length, whatever the stream's. */
  get heldSamples(): number {
    return this.inputLength;
  }

  /** Takes the next input samples; returns the output samples they complete. */
  push(samples: Float32Array): Float32Array {
    this.taken += samples.length;
    if (this.fromRate === this.toRate) return samples.slice();
    this.append(samples);
    return this.run(this.inputStart + this.inputLength, Infinity);
  }

  /**
   * The stream has ended: the outputs still waiting for input, computed as resample() computes
   * the end of a whole signal (no samples past it), and its trailing zeros. Then the stream is done.
   */
  flush(): Float32Array {
    if (this.fromRate === this.toRate) return new Float32Array(0);
    const computed = Math.floor((this.taken * this.toRate) / this.fromRate);
    const total = Math.ceil(this.taken * (this.toRate / this.fromRate));
    const rest = this.run(this.inputStart + this.inputLength, computed, true);
    const out = new Float32Array(rest.length + Math.max(0, total - this.outputs));
    out.set(rest);
    this.outputs = total;
    return out;
  }

  /** Outputs while their filter lies within the input (or, at the end, up to `limit` outputs with the filter cut at the input's end). */
  private run(inputEnd: number, limit: number, atEnd = false): Float32Array {
    const out: number[] = [];
    while (this.outputs < limit) {
      const { kernel, leftTaps } = this.phases[this.phase]!;
      const kernelStart = this.n - leftTaps + 1;
      const end = atEnd ? Math.min(inputEnd, kernelStart + kernel.length) : kernelStart + kernel.length;
      if (end > inputEnd) break;
      const from = Math.max(0, kernelStart);
      // The same function as resamplePolyphase, so the values are identical.
      out.push(kernelDot(kernel, from - kernelStart, this.input, from - this.inputStart, end - from));
      this.outputs++;
      this.phase = this.phase + 1 === this.up ? 0 : this.phase + 1;
      this.remainder += this.down;
      while (this.remainder >= this.up) {
        this.remainder -= this.up;
        this.n++;
      }
    }
    this.dropConsumed();
    return Float32Array.from(out);
  }

  private append(samples: Float32Array): void {
    const needed = this.inputLength + samples.length;
    if (needed > this.input.length) {
      const grown = new Float32Array(Math.max(needed, 2 * this.input.length));
      grown.set(this.input.subarray(0, this.inputLength));
      this.input = grown;
    }
    this.input.set(samples, this.inputLength);
    this.inputLength = needed;
  }

  /** Forgets input no later output's filter reaches (each phase's left wing reaches back at most its leftTaps). */
  private dropConsumed(): void {
    const keepFrom = Math.max(this.inputStart, this.n - this.reach + 1);
    const drop = Math.min(this.inputLength, keepFrom - this.inputStart);
    if (drop <= 0) return;
    this.input.copyWithin(0, drop, this.inputLength);
    this.inputLength -= drop;
    this.inputStart += drop;
  }
}

function filterScaling(fromRate: number, toRate: number): { scale: number; gain: number; indexStep: number } {
  const sampleRatio = toRate / fromRate;
  // Downsampling stretches the filter (lower cut-off) and scales it by the ratio to keep unit gain.
  const scale = Math.min(1, sampleRatio);
  return { scale, gain: sampleRatio < 1 ? sampleRatio : 1, indexStep: Math.trunc(scale * PRECISION) };
}

/** resampy's `resample_f`: the filter is interpolated afresh for every output sample. */
function resampleDirect(samples: Float32Array, fromRate: number, toRate: number, output: Float32Array, computedLength: number): void {
  const table = kaiserBestTable();
  const tableLength = table.length / 2;
  const { scale, gain, indexStep } = filterScaling(fromRate, toRate);
  const timeIncrement = 1 / (toRate / fromRate);
  const inputLength = samples.length;

  for (let t = 0; t < computedLength; t++) {
    const time = t * timeIncrement;
    const n = Math.trunc(time);
    let acc = 0;

    // Left wing: input samples n, n-1, ... at filter positions frac, frac + 1, ...
    let frac = scale * (time - n);
    let indexFrac = frac * PRECISION;
    let offset = Math.trunc(indexFrac);
    let eta = indexFrac - offset;
    const leftTaps = Math.min(n + 1, Math.trunc((tableLength - offset) / indexStep));
    for (let i = 0, at = 2 * offset; i < leftTaps; i++, at += 2 * indexStep) {
      const weight = gain * (table[at] + eta * table[at + 1]);
      acc += weight * samples[n - i];
    }

    // Right wing: input samples n+1, n+2, ... at filter positions 1 - frac, 2 - frac, ...
    frac = scale - frac;
    indexFrac = frac * PRECISION;
    offset = Math.trunc(indexFrac);
    eta = indexFrac - offset;
    const rightTaps = Math.min(inputLength - n - 1, Math.trunc((tableLength - offset) / indexStep));
    for (let k = 0, at = 2 * offset; k < rightTaps; k++, at += 2 * indexStep) {
      const weight = gain * (table[at] + eta * table[at + 1]);
      acc += weight * samples[n + k + 1];
    }

    output[t] = acc;
  }
}
