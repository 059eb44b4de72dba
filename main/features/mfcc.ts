/**
 * MFCCs exactly as librosa 0.10 computes them (`librosa.feature.mfcc` with its defaults):
 * centred STFT with zero padding and a periodic Hann window, power spectrogram, Slaney mel
 * filterbank, power_to_db with an 80 dB floor below the clip maximum, orthonormal DCT-II.
 * All matrices are row-major [row][frame]. Arithmetic is float64; only the final MFCCs are float32.
 */
import { getRealFft, RealFft } from './fft';
import { MAX_MFCC_FRAMES, wasmMel } from './wasm-mel';

export interface SpectrogramOptions {
  sampleRate: number;
  nFft: number;
  hopLength: number;
  nMels: number;
  /** Lowest filterbank frequency in Hz (default 0). */
  fmin?: number;
  /** Highest filterbank frequency in Hz; absent or 0 = sampleRate / 2 (as the feature config's fmax). */
  fmax?: number;
}

/** The filterbank of these options (cached). */
function filterbankFor(opts: SpectrogramOptions): MelFilterbank {
  const { sampleRate, nFft, nMels } = opts;
  return melFilterbank(sampleRate, nFft, nMels, opts.fmin ?? 0, opts.fmax || sampleRate / 2);
}

export interface MfccOptions extends SpectrogramOptions {
  nMfcc: number;
}

/** A float64 matrix, row-major [row][frame]. */
export interface Matrix64 {
  data: Float64Array;
  rows: number;
  frames: number;
}

/** A float32 matrix, row-major [row][frame]. */
export interface Matrix32 {
  data: Float32Array;
  rows: number;
  frames: number;
}

/** Mel filterbank in sparse form: each band keeps only the run of bins where its weight is nonzero. */
export interface MelFilterbank {
  sampleRate: number;
  nFft: number;
  nMels: number;
  fmin: number;
  fmax: number;
  /** FFT bins per frame: nFft / 2 + 1. */
  bins: number;
  /** The nMels + 2 band edges in Hz: band m rises from edge m, peaks at m + 1, falls to m + 2. */
  edgesHz: Float64Array;
  /** First nonzero bin of each band. */
  startBin: Int32Array;
  /** Band m's weights are weights[offset[m] .. offset[m + 1]), for bins startBin[m] onwards. */
  offset: Int32Array;
  weights: Float64Array;
}

/** Number of STFT frames librosa produces with center=True: 1 + floor(numSamples / hopLength). */
export function frameCount(numSamples: number, hopLength: number): number {
  return 1 + Math.floor(numSamples / hopLength);
}

// Slaney mel scale (librosa htk=False): linear below 1 kHz, logarithmic above.
const SLANEY_HZ_PER_MEL = 200 / 3;
const SLANEY_MIN_LOG_HZ = 1000;
const SLANEY_MIN_LOG_MEL = SLANEY_MIN_LOG_HZ / SLANEY_HZ_PER_MEL;
const SLANEY_LOG_STEP = Math.log(6.4) / 27;

export function hzToMel(hz: number): number {
  if (hz >= SLANEY_MIN_LOG_HZ) {
    return SLANEY_MIN_LOG_MEL + Math.log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOG_STEP;
  }
  return hz / SLANEY_HZ_PER_MEL;
}

export function melToHz(mel: number): number {
  if (mel >= SLANEY_MIN_LOG_MEL) {
    return SLANEY_MIN_LOG_HZ * Math.exp(SLANEY_LOG_STEP * (mel - SLANEY_MIN_LOG_MEL));
  }
  return SLANEY_HZ_PER_MEL * mel;
}

function buildMelFilterbank(sampleRate: number, nFft: number, nMels: number, fmin: number, fmax: number): MelFilterbank {
  const bins = nFft / 2 + 1;
  // Same operation order as numpy's rfftfreq and linspace, so edges and weights match librosa's bit for bit.
  const hzPerBin = 1 / (nFft * (1 / sampleRate));
  const melMin = hzToMel(fmin);
  const melMax = hzToMel(fmax);
  const melStep = (melMax - melMin) / (nMels + 1);
  const edgesHz = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) edgesHz[i] = melToHz(i === nMels + 1 ? melMax : i * melStep + melMin);

  const startBin = new Int32Array(nMels);
  const offset = new Int32Array(nMels + 1);
  const runs: number[][] = [];
  for (let m = 0; m < nMels; m++) {
    const lo = edgesHz[m];
    const peak = edgesHz[m + 1];
    const hi = edgesHz[m + 2];
    // Slaney area normalisation: every triangle has the same area.
    const norm = 2 / (hi - lo);
    const run: number[] = [];
    let first = -1;
    // Only bins strictly between lo and hi can have a nonzero weight; one bin of margin either
    // side covers any rounding in k * hzPerBin, so the weights are those of a full scan.
    const kFrom = Math.max(0, Math.floor(lo / hzPerBin) - 1);
    const kTo = Math.min(bins - 1, Math.ceil(hi / hzPerBin) + 1);
    for (let k = kFrom; k <= kTo; k++) {
      const freq = k * hzPerBin;
      const rising = (freq - lo) / (peak - lo);
      const falling = (hi - freq) / (hi - peak);
      // librosa stores the filterbank as float32, before and after normalising.
      const weight = Math.fround(Math.fround(Math.max(0, Math.min(rising, falling))) * norm);
      if (weight !== 0) {
        if (first < 0) first = k;
        // Fill any interior zero so the run stays contiguous (cannot happen for a triangle, but cheap to guard).
        while (first + run.length < k) run.push(0);
        run.push(weight);
      }
    }
    startBin[m] = Math.max(first, 0);
    offset[m + 1] = offset[m] + run.length;
    runs.push(run);
  }
  const weights = new Float64Array(offset[nMels]);
  runs.forEach((run, m) => weights.set(run, offset[m]));
  return { sampleRate, nFft, nMels, fmin, fmax, bins, edgesHz, startBin, offset, weights };
}

const filterbanks = new Map<string, MelFilterbank>();

/** librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax) with Slaney scale and Slaney norm (cached per arguments). */
export function melFilterbank(sampleRate: number, nFft: number, nMels: number, fmin = 0, fmax = sampleRate / 2): MelFilterbank {
  const key = `${sampleRate}|${nFft}|${nMels}|${fmin}|${fmax}`;
  let fb = filterbanks.get(key);
  if (!fb) {
    fb = buildMelFilterbank(sampleRate, nFft, nMels, fmin, fmax);
    filterbanks.set(key, fb);
  }
  return fb;
}

/** Band m of a filterbank as a dense row of `bins` weights (for inspection and tests). */
export function denseFilterbankRow(fb: MelFilterbank, band: number): Float64Array {
  const row = new Float64Array(fb.bins);
  row.set(fb.weights.subarray(fb.offset[band], fb.offset[band + 1]), fb.startBin[band]);
  return row;
}

const hannWindows = new Map<number, Float64Array>();

/** Periodic Hann window (scipy get_window('hann', n, fftbins=True)). */
export function periodicHann(size: number): Float64Array {
  let window = hannWindows.get(size);
  if (!window) {
    window = new Float64Array(size);
    for (let n = 0; n < size; n++) window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / size);
    hannWindows.set(size, window);
  }
  return window;
}

const dctMatrices = new Map<string, Float64Array>();

/** Orthonormal DCT-II as an [nOut][nIn] matrix (scipy.fft.dct(type=2, norm='ortho'), first nOut rows). */
export function dctOrthoMatrix(nOut: number, nIn: number): Float64Array {
  const key = `${nOut}|${nIn}`;
  let matrix = dctMatrices.get(key);
  if (!matrix) {
    matrix = new Float64Array(nOut * nIn);
    for (let k = 0; k < nOut; k++) {
      const scale = k === 0 ? Math.sqrt(1 / nIn) : Math.sqrt(2 / nIn);
      for (let n = 0; n < nIn; n++) matrix[k * nIn + n] = scale * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * nIn));
    }
    dctMatrices.set(key, matrix);
  }
  return matrix;
}

function checkSpectrogramOptions(opts: SpectrogramOptions): void {
  const { nFft, hopLength, nMels, sampleRate } = opts;
  if (!Number.isInteger(nFft) || nFft < 4 || (nFft & (nFft - 1)) !== 0) throw new Error(`nFft must be a power of two >= 4 (got ${nFft})`);
  if (!Number.isInteger(hopLength) || hopLength < 1) throw new Error(`hopLength must be a positive integer (got ${hopLength})`);
  if (!Number.isInteger(nMels) || nMels < 1) throw new Error(`nMels must be a positive integer (got ${nMels})`);
  if (!(sampleRate > 0)) throw new Error(`sampleRate must be positive (got ${sampleRate})`);
}

// Scratch memory reused across calls (grown on demand). Touching freshly allocated memory is
// slow (page faults: on the VMs this runs on, ~10 µs per 4 KiB page), so the per-clip work
// allocates nothing it does not return. JS is single-threaded per worker, and no function here
// re-enters another while it holds a scratch view. Requests above SCRATCH_KEEP get memory of
// their own, so one long recording does not pin tens of megabytes.
const SCRATCH_KEEP = 1 << 20; // float64 values (8 MiB)
let scratch64 = new Float64Array(0);
let edgeFrame32 = new Float32Array(0);
let power64 = new Float64Array(0);

function scratchFloat64(length: number): Float64Array {
  if (length > SCRATCH_KEEP) return new Float64Array(length);
  if (scratch64.length < length) scratch64 = new Float64Array(Math.min(SCRATCH_KEEP, Math.max(length, 2 * scratch64.length)));
  return scratch64.subarray(0, length);
}

/**
 * Mel power spectrogram in frame-major order [frame][mel], the layout the per-frame DCT reads,
 * in scratch memory (valid until the next call). Frames are centred: frame t covers samples
 * [t*hop - nFft/2, t*hop + nFft/2), zeros outside. Runs in WebAssembly where available
 * (wasm-mel.ts: same algorithm and numbers up to rounding), else in JavaScript.
 */
function melPowerFrames(samples: Float32Array, opts: SpectrogramOptions): { data: Float64Array; frames: number } {
  checkSpectrogramOptions(opts);
  const { nFft, hopLength, nMels } = opts;
  const fb = filterbankFor(opts);
  const window = periodicHann(nFft);
  const frames = frameCount(samples.length, hopLength);
  const mel = scratchFloat64(frames * nMels);
  const wasm = wasmMel();
  if (wasm) {
    wasm.run(samples, frames, hopLength, fb, window, mel);
    return { data: mel, frames };
  }

  const fft = getRealFft(nFft);
  const numSamples = samples.length;
  const leftPad = nFft / 2;
  if (edgeFrame32.length < nFft) edgeFrame32 = new Float32Array(nFft);
  if (power64.length < fb.bins) power64 = new Float64Array(fb.bins);
  const edgeFrame = edgeFrame32.subarray(0, nFft);
  const power = power64;
  for (let t = 0; t < frames; t++) {
    const first = t * hopLength - leftPad;
    if (first >= 0 && first + nFft <= numSamples) {
      fft.powerSpectrum(samples, power, first, window);
    } else {
      // Frame overlaps the zero padding at either end.
      edgeFrame.fill(0);
      const lo = Math.max(0, -first);
      const hi = Math.min(nFft, numSamples - first);
      for (let i = lo; i < hi; i++) edgeFrame[i] = samples[first + i];
      fft.powerSpectrum(edgeFrame, power, 0, window);
    }
    applyFilterbank(fb, power, mel, t * nMels);
  }
  return { data: mel, frames };
}

/** mel[at + m] = Σ_k weight[m][k] · power[k] over band m's nonzero run. */
function applyFilterbank(fb: MelFilterbank, power: Float64Array, mel: Float64Array, at: number): void {
  const { startBin, offset, weights, nMels } = fb;
  for (let m = 0; m < nMels; m++) {
    const end = offset[m + 1];
    let w = offset[m];
    let k = startBin[m];
    let sum = 0;
    for (; w < end; w++, k++) sum += weights[w] * power[k];
    mel[at + m] = sum;
  }
}

/**
 * librosa.feature.melspectrogram(y, sr, n_fft, hop_length, n_mels, center=True, pad_mode='constant',
 * power=2): the mel power spectrogram as [nMels][frames].
 */
export function melPowerSpectrogram(samples: Float32Array, opts: SpectrogramOptions): Matrix64 {
  const { data, frames } = melPowerFrames(samples, opts);
  const nMels = opts.nMels;
  const rowMajor = new Float64Array(data.length);
  for (let t = 0; t < frames; t++) for (let m = 0; m < nMels; m++) rowMajor[m * frames + t] = data[t * nMels + m];
  return { data: rowMajor, rows: nMels, frames };
}

/** librosa.power_to_db(melspectrogram(...)) with its defaults (ref 1, amin 1e-10, top_db 80): [nMels][frames] dB. */
export function logMelSpectrogram(samples: Float32Array, opts: SpectrogramOptions): Matrix64 {
  const mel = melPowerSpectrogram(samples, opts);
  powerToDbInPlace(mel.data);
  return mel;
}

export interface PowerToDbOptions {
  /** Reference power for 0 dB (default 1). */
  ref?: number;
  /** Floor applied before the logarithm (default 1e-10). */
  amin?: number;
  /** Clamp to this many dB below the maximum of the whole input; null disables (default 80). */
  topDb?: number | null;
}

const DB_PER_NEPER = 10 / Math.LN10;

/** librosa.power_to_db in place: 10·log10(max(amin, S)) − 10·log10(max(amin, ref)), floored at max − topDb. */
export function powerToDbInPlace(values: Float64Array, opts: PowerToDbOptions = {}): Float64Array {
  const amin = opts.amin ?? 1e-10;
  const topDb = opts.topDb === undefined ? 80 : opts.topDb;
  const refDb = DB_PER_NEPER * Math.log(Math.max(amin, opts.ref ?? 1));
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    // Math.log is about twice as fast as Math.log10 in V8; the difference is at rounding level.
    const db = DB_PER_NEPER * Math.log(Math.max(amin, values[i])) - refDb;
    values[i] = db;
    if (db > max) max = db;
  }
  if (topDb !== null) {
    const floor = max - topDb;
    for (let i = 0; i < values.length; i++) if (values[i] < floor) values[i] = floor;
  }
  return values;
}

/** librosa.power_to_db on a copy of `power` (any layout; the top_db floor uses the maximum over all of it). */
export function powerToDb(power: Float64Array | Float32Array, opts: PowerToDbOptions = {}): Float64Array {
  return powerToDbInPlace(new Float64Array(power), opts);
}

/**
 * Orthonormal DCT-II of one vector, first nOut coefficients. For a power-of-two length it uses
 * Makhoul's method (one real FFT of the even-odd reordered input, then a rotation per output);
 * otherwise the plain matrix product.
 */
class DctPlan {
  /** The DCT matrix, when nIn is not a power of two. */
  private readonly matrix: Float64Array | null;
  /** Set when nIn is a power of two: the fast path. */
  private readonly fft: RealFft | null;
  private readonly reordered: Float64Array;
  private readonly spectrumRe: Float64Array;
  private readonly spectrumIm: Float64Array;
  /** 2·f_k·cos(πk/2N) and 2·f_k·sin(πk/2N), f_k the ortho scale of coefficient k. */
  private readonly rotCos: Float64Array;
  private readonly rotSin: Float64Array;

  constructor(
    readonly nOut: number,
    readonly nIn: number,
  ) {
    const powerOfTwo = nIn >= 4 && (nIn & (nIn - 1)) === 0;
    this.matrix = powerOfTwo ? null : dctOrthoMatrix(nOut, nIn);
    this.fft = powerOfTwo ? new RealFft(nIn) : null;
    this.reordered = new Float64Array(nIn);
    this.spectrumRe = new Float64Array(nIn / 2 + 1);
    this.spectrumIm = new Float64Array(nIn / 2 + 1);
    this.rotCos = new Float64Array(nOut);
    this.rotSin = new Float64Array(nOut);
    for (let k = 0; k < nOut; k++) {
      const scale = 2 * (k === 0 ? Math.sqrt(1 / (4 * nIn)) : Math.sqrt(1 / (2 * nIn)));
      this.rotCos[k] = scale * Math.cos((Math.PI * k) / (2 * nIn));
      this.rotSin[k] = scale * Math.sin((Math.PI * k) / (2 * nIn));
    }
  }

  /** DCT of input[offset .. offset + nIn); coefficient k goes to out[outOffset + k * outStride]. */
  apply(input: Float64Array, offset: number, out: Float32Array, outOffset: number, outStride: number): void {
    const { nOut, nIn, matrix, fft } = this;
    if (!fft) {
      const m = matrix!;
      for (let k = 0; k < nOut; k++) {
        let acc = 0;
        for (let n = 0; n < nIn; n++) acc += m[k * nIn + n] * input[offset + n];
        out[outOffset + k * outStride] = acc;
      }
      return;
    }
    // v = (x0, x2, x4, …, x5, x3, x1); then y[k] = 2 f_k Re(e^{-iπk/2N} V[k]), V[N-k] = conj(V[k]).
    const { reordered, spectrumRe, spectrumIm, rotCos, rotSin } = this;
    const halfN = nIn / 2;
    for (let n = 0; n < halfN; n++) {
      reordered[n] = input[offset + 2 * n];
      reordered[nIn - 1 - n] = input[offset + 2 * n + 1];
    }
    fft.forward(reordered, spectrumRe, spectrumIm);
    for (let k = 0; k < nOut; k++) {
      const re = k <= halfN ? spectrumRe[k] : spectrumRe[nIn - k];
      const im = k <= halfN ? spectrumIm[k] : -spectrumIm[nIn - k];
      out[outOffset + k * outStride] = rotCos[k] * re + rotSin[k] * im;
    }
  }
}

const dctPlans = new Map<string, DctPlan>();

function dctPlan(nOut: number, nIn: number): DctPlan {
  const key = `${nOut}|${nIn}`;
  let plan = dctPlans.get(key);
  if (!plan) {
    plan = new DctPlan(nOut, nIn);
    dctPlans.set(key, plan);
  }
  return plan;
}

/** librosa.feature.mfcc(y, sr, n_mfcc, n_fft, hop_length, n_mels): [nMfcc][frames] float32. */
export function mfcc(samples: Float32Array, opts: MfccOptions): Matrix32 {
  checkMfccOptions(opts);
  checkSpectrogramOptions(opts);
  const frames = frameCount(samples.length, opts.hopLength);
  const out = new Float32Array(opts.nMfcc * frames);
  mfccInto(samples, opts, out, frames, frames);
  return { data: out, rows: opts.nMfcc, frames };
}

/**
 * mfcc() written straight into a [row][column] matrix with `columns` columns: coefficient k of
 * frame t goes to out[k * columns + t], for the first `maxFrames` frames only (the dB floor still
 * uses every frame, as librosa's does). Returns the natural frame count. Same numbers as mfcc().
 */
export function mfccInto(samples: Float32Array, opts: MfccOptions, out: Float32Array, columns: number, maxFrames: number): number {
  checkMfccOptions(opts);
  checkSpectrogramOptions(opts);
  const { nMfcc, nMels, nFft, hopLength } = opts;
  const wasm = wasmMel();
  const natural = frameCount(samples.length, hopLength);
  if (wasm && natural <= MAX_MFCC_FRAMES) {
    // Everything per frame in WebAssembly (same steps as below, same numbers up to rounding).
    const fb = filterbankFor(opts);
    const dct = dctOrthoMatrix(nMfcc, nMels);
    const used = Math.min(natural, maxFrames);
    if (wasm.mfcc(samples, natural, hopLength, fb, periodicHann(nFft), dct, nMfcc, out, columns, used)) return natural;
  }
  const { data: db, frames } = melPowerFrames(samples, opts);
  powerToDbInPlace(db);
  const dct = dctPlan(nMfcc, nMels);
  const used = Math.min(frames, maxFrames);
  for (let t = 0; t < used; t++) dct.apply(db, t * nMels, out, t, columns);
  return frames;
}

/**
 * The MFCCs of a clip as a [nMfcc][columns] matrix: zero-padded at the end or truncated to
 * `columns` frames (the librosa preset's feature matrix). `validFrames` = min(natural frames, columns).
 */
export function mfccMatrix(samples: Float32Array, opts: MfccOptions, columns: number): { data: Float32Array; validFrames: number } {
  const data = new Float32Array(opts.nMfcc * columns);
  const natural = mfccInto(samples, opts, data, columns, columns);
  return { data, validFrames: Math.min(natural, columns) };
}

function checkMfccOptions(opts: MfccOptions): void {
  const { nMfcc, nMels } = opts;
  if (!Number.isInteger(nMfcc) || nMfcc < 1 || nMfcc > nMels) {
    throw new Error(`nMfcc must be an integer in 1..nMels (${nMels}) (got ${nMfcc})`);
  }
}
