/**
 * The MFCC hot path as a small WebAssembly SIMD module (mel.wat, assembled into the bundle at
 * build time), and the tables it runs on:
 * - melFrames: window → real FFT → |X|² → mel filterbank, frame after frame. Same algorithm as
 *   fft.ts (N-point real FFT as an N/2-point complex radix-4 FFT on bit-reversed input, then the
 *   split step), in float64, each complex number one f64x2.
 * - mfccFrames: power_to_db (a log of its own: wasm has none) and the orthonormal DCT-II.
 * Versus the JavaScript path (mfcc.ts, fft.ts): about 3× less time per clip, and full speed from
 * the first frame (wasm is compiled before it runs, while JavaScript spends the first clip of
 * every worker in the interpreter).
 *
 * The numbers differ from the JavaScript path by rounding only (1e-15 relative in the mel power;
 * test/features/wasm-mel.test.ts compares the two). Where WebAssembly is unavailable, or with
 * SER_WASM_MEL=0, `wasmMel()` returns null and callers use the JavaScript path.
 */
import melWasm from './mel.wat?bytes';

/** A mel filterbank in the sparse form of mfcc.ts: band m weighs bins startBin[m] onwards with weights[offset[m] .. offset[m + 1]). */
export interface SparseFilterbank {
  nFft: number;
  nMels: number;
  startBin: Int32Array;
  offset: Int32Array;
  weights: Float64Array;
}

interface FftTables {
  half: number;
  gather: number;
  twiddles: number;
  split: number;
  radix2First: boolean;
}

interface BankTables extends FftTables {
  window: number;
  bands: number;
  weights: number;
}

// The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65536;
/** Frames per call into the module: bounds its memory for long clips. */
const FRAMES_PER_BLOCK = 1024;
/** Longest clip (in frames) WasmMel.mfcc takes: its whole mel and dB matrices live in the module's memory. */
export const MAX_MFCC_FRAMES = 8192;

/** One instance per thread: its memory holds the tables of every (filterbank, window) seen, then per-call scratch. */
export class WasmMel {
  private readonly memory: WasmMemory;
  private readonly melFrames: (...args: number[]) => void;
  private readonly mfccFrames: (...args: number[]) => number;
  private readonly dcts = new Map<Float64Array, number>();
  /** Bump allocator for tables; per-call scratch lives above it. */
  private top = 64;
  private readonly ffts = new Map<number, FftTables>();
  private readonly banks = new Map<SparseFilterbank, { window: Float64Array; tables: BankTables }[]>();

  constructor(module: object) {
    const instance = new wasmApi!.Instance(module);
    this.memory = instance.exports.memory as WasmMemory;
    this.melFrames = instance.exports.melFrames as (...args: number[]) => void;
    this.mfccFrames = instance.exports.mfccFrames as (...args: number[]) => number;
  }

  private alloc(bytes: number): number {
    const at = (this.top + 15) & ~15;
    this.top = at + bytes;
    this.ensure(this.top);
    return at;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  private fftTables(nFft: number): FftTables {
    let fft = this.ffts.get(nFft);
    if (fft) return fft;
    const half = nFft / 2;
    const bits = Math.round(Math.log2(half));
    const radix2First = (bits & 1) === 1;
    const gather = this.alloc(4 * half);
    let stageJs = 0;
    for (let s = radix2First ? 2 : 4; s < half; s *= 4) stageJs += s;
    const twiddles = this.alloc(96 * stageJs);
    const split = this.alloc(32 * (half / 2 + 1));

    const gatherView = new Int32Array(this.memory.buffer, gather, half);
    const reversed = new Int32Array(half);
    for (let i = 1; i < half; i++) reversed[i] = (reversed[i >> 1] >> 1) | ((i & 1) << (bits - 1));
    for (let i = 0; i < half; i++) gatherView[i] = 8 * reversed[i]; // byte offset of samples 2r, 2r + 1 (float32)
    // Per radix-4 stage merging blocks of length s, per j < s: W^j, W^2j, W^3j (W = e^{-2πi/4s}),
    // each as A = [wr, wr], B = [-wi, wi] (see mel.wat).
    const twiddleView = new Float64Array(this.memory.buffer, twiddles, 12 * stageJs);
    let at = 0;
    for (let s = radix2First ? 2 : 4; s < half; s *= 4) {
      const span = 4 * s;
      for (let j = 0; j < s; j++) {
        for (let p = 1; p <= 3; p++) {
          const angle = (2 * Math.PI * ((p * j) % span)) / span;
          const wr = Math.cos(angle);
          const wi = -Math.sin(angle);
          twiddleView[at++] = wr;
          twiddleView[at++] = wr;
          twiddleView[at++] = -wi;
          twiddleView[at++] = wi;
        }
      }
    }
    const splitView = new Float64Array(this.memory.buffer, split, 4 * (half / 2 + 1));
    for (let k = 0; k <= half / 2; k++) {
      const wr = Math.cos((2 * Math.PI * k) / nFft);
      const wi = -Math.sin((2 * Math.PI * k) / nFft);
      splitView[4 * k] = wr;
      splitView[4 * k + 1] = wr;
      splitView[4 * k + 2] = -wi;
      splitView[4 * k + 3] = wi;
    }
    fft = { half, gather, twiddles, split, radix2First };
    this.ffts.set(nFft, fft);
    return fft;
  }

  private bankTables(bank: SparseFilterbank, window: Float64Array): BankTables {
    let entries = this.banks.get(bank);
    const found = entries?.find((entry) => entry.window === window);
    if (found) return found.tables;
    const fft = this.fftTables(bank.nFft);
    const { half } = fft;
    const windowAt = this.alloc(16 * half);
    const bands = this.alloc(8 * bank.nMels);
    const weights = this.alloc(8 * bank.weights.length);
    const gatherView = new Int32Array(this.memory.buffer, fft.gather, half);
    const windowView = new Float64Array(this.memory.buffer, windowAt, 2 * half);
    for (let i = 0; i < half; i++) {
      const p = gatherView[i] / 4;
      windowView[2 * i] = window[p];
      windowView[2 * i + 1] = window[p + 1];
    }
    const bandsView = new Int32Array(this.memory.buffer, bands, 2 * bank.nMels);
    for (let m = 0; m < bank.nMels; m++) {
      bandsView[2 * m] = bank.startBin[m];
      bandsView[2 * m + 1] = bank.offset[m + 1] - bank.offset[m];
    }
    new Float64Array(this.memory.buffer, weights, bank.weights.length).set(bank.weights);
    const tables = { ...fft, window: windowAt, bands, weights };
    if (!entries) this.banks.set(bank, (entries = []));
    entries.push({ window, tables });
    return tables;
  }

  /**
   * Mel power of the centred frames of `samples` (frame t covers [t·hop − nFft/2, t·hop + nFft/2),
   * zeros outside), frame-major [frame][mel], into out[0 .. frames · nMels).
   */
  run(samples: Float32Array, frames: number, hopLength: number, bank: SparseFilterbank, window: Float64Array, out: Float64Array): void {
    const tables = this.bankTables(bank, window);
    const nMels = bank.nMels;
    for (let first = 0; first < frames; first += FRAMES_PER_BLOCK) {
      const count = Math.min(FRAMES_PER_BLOCK, frames - first);
      const { melAt } = this.melBlock(samples, first, count, hopLength, bank, tables, 0);
      out.set(new Float64Array(this.memory.buffer, melAt, count * nMels), first * nMels);
    }
  }

  /**
   * librosa MFCCs of a clip of at most MAX_MFCC_FRAMES frames: mel power as `run`, power_to_db
   * (amin 1e-10, ref 1, top_db 80) and the orthonormal DCT-II `dct` ([nMfcc][nMels]), coefficient
   * k of frame t to out[k · columns + t] (float32) for t < used. Returns false, writing nothing,
   * when the mel power has a NaN or an infinity (the caller then takes the JavaScript path,
   * whose Math.log handles those), or when nMels is not a multiple of 8.
   */
  mfcc(
    samples: Float32Array,
    frames: number,
    hopLength: number,
    bank: SparseFilterbank,
    window: Float64Array,
    dct: Float64Array,
    nMfcc: number,
    out: Float32Array,
    columns: number,
    used: number,
  ): boolean {
    const nMels = bank.nMels;
    if (nMels % 8 !== 0) return false;
    const tables = this.bankTables(bank, window);
    const dctAt = this.dctTable(dct, nMfcc, nMels);
    const count = frames * nMels;
    const { melAt, end } = this.melBlock(samples, 0, frames, hopLength, bank, tables, 8 * count + 8 * nMels + 4 * nMfcc * columns + 32);
    const dbAt = (end + 15) & ~15;
    const foldAt = dbAt + 8 * count;
    const outAt = foldAt + 8 * nMels;
    if (this.mfccFrames(melAt, dbAt, count, nMels, dctAt, nMfcc, outAt, columns, used, foldAt, 1e-10, 0, 80) !== 0) return false;
    const result = new Float32Array(this.memory.buffer, outAt, nMfcc * columns);
    for (let k = 0; k < nMfcc; k++) out.set(result.subarray(k * columns, k * columns + used), k * columns);
    return true;
  }

  /** The first half of each row of `dct` ([nMfcc][nMels]), rows contiguous. */
  private dctTable(dct: Float64Array, nMfcc: number, nMels: number): number {
    let at = this.dcts.get(dct);
    if (at === undefined) {
      const half = nMels / 2;
      at = this.alloc(8 * nMfcc * half);
      const view = new Float64Array(this.memory.buffer, at, nMfcc * half);
      for (let k = 0; k < nMfcc; k++) view.set(dct.subarray(k * nMels, k * nMels + half), k * half);
      this.dcts.set(dct, at);
    }
    return at;
  }

  /**
   * Runs melFrames on frames [first, first + count) of `samples` with per-call scratch above the
   * tables (work buffer, power, the block's padded samples, its output), leaving `extra` bytes
   * free after the output. Returns where the output is and where it ends.
   */
  private melBlock(
    samples: Float32Array,
    first: number,
    count: number,
    hopLength: number,
    bank: SparseFilterbank,
    tables: BankTables,
    extra: number,
  ): { melAt: number; end: number } {
    const { nFft, nMels } = bank;
    const pad = nFft / 2;
    const half = tables.half;
    // Samples of these frames in padded coordinates: [first·hop, (first + count − 1)·hop + nFft).
    const from = first * hopLength;
    const length = (count - 1) * hopLength + nFft;
    const work = (this.top + 15) & ~15;
    const power = work + 16 * half;
    const samplesAt = (power + 8 * (half + 1) + 15) & ~15;
    const melAt = (samplesAt + 4 * length + 15) & ~15;
    const end = melAt + 8 * count * nMels;
    this.ensure(end + extra);
    const block = new Float32Array(this.memory.buffer, samplesAt, length);
    // padded[i] = samples[i − pad] inside the clip, 0 outside
    const lo = Math.min(length, Math.max(0, pad - from));
    const hi = Math.max(lo, Math.min(length, samples.length + pad - from));
    block.fill(0, 0, lo);
    block.set(samples.subarray(from + lo - pad, from + hi - pad), lo);
    block.fill(0, hi);
    this.melFrames(
      samplesAt,
      count,
      4 * hopLength,
      half,
      tables.gather,
      tables.window,
      tables.twiddles,
      work,
      tables.split,
      power,
      tables.bands,
      tables.weights,
      nMels,
      melAt,
      tables.radix2First ? 1 : 0,
    );
    return { melAt, end };
  }
}

let compiled: object | null | undefined;
let instance: WasmMel | null = null;
let enabled = process.env.SER_WASM_MEL !== '0';

/** This thread's WasmMel, or null where WebAssembly SIMD is unavailable or it is disabled (SER_WASM_MEL=0). */
export function wasmMel(): WasmMel | null {
  if (!enabled) return null;
  if (compiled === undefined) {
    compiled = null;
    try {
      if (wasmApi?.validate(melWasm)) compiled = new wasmApi.Module(melWasm);
      if (compiled) instance = new WasmMel(compiled);
    } catch {
      compiled = null; // no WebAssembly SIMD here: the JavaScript path
    }
  }
  return instance;
}

/** Turns the WebAssembly path off (JavaScript everywhere) or back on; for tests and benchmarks. */
export function setWasmMelEnabled(on: boolean): void {
  enabled = on;
}

/** The module's bytes (for tests and inspection). */
export function wasmMelModuleBytes(): Uint8Array {
  return melWasm;
}
