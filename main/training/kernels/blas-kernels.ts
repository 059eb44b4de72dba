/**
 * Conv2D (plain and fused), its two gradients, BatchMatMul and the per-channel Sum (conv bias
 * gradients) through an optimised BLAS (see ../blas.ts); the convs for stride 1 in NHWC, which
 * is every conv of the zoo's models.
 *
 * A stride-1 convolution is a sum of kH·kW matrix products, one per filter tap, if the input is
 * zero-padded once into a grid of Hp × Wp pixels: output pixel r (numbered in that grid) is
 * Σ_(i,j) Xp[r + i·Wp + j] · W[i, j], and "r + i·Wp + j" for all r is one contiguous block of
 * Xp. So each tap is one sgemm on a shifted view, without an im2col copy. The rows of pixels
 * that fall outside the output are computed too (the padding columns: 7–30 % extra work here)
 * and dropped; in the filter gradient the matching rows of dy are zero, so they add nothing.
 *
 * Anything else (strides, dilations, NCHW, few channels, no BLAS) goes to the kernel that was
 * registered before these.
 */
import * as tf from '@tensorflow/tfjs';
import type { Blas } from '../blas';
import { convGeometry, type ConvGeometry, type PadAttr } from './conv2d-grads';
import { reducesAllButLast } from './reductions';
import { KernelRunner, type FastBackendName } from './runner';

let blas: Blas | null = null;

/** Turns the BLAS kernels on (with this library) or off (null: the previous kernels run). */
export function useBlasKernels(library: Blas | null): void {
  blas = library;
}

export function blasKernelsActive(): boolean {
  return blas != null;
}

/** Channel counts below this make skinny products that the previous kernels do better. */
const MIN_CHANNELS = 8;
/** XNNPACK's forward conv is as fast as the im2col product below this many input channels. */
const MIN_FORWARD_CHANNELS = 64;

/** Reusable scratch buffers (plain memory, so they never move the wasm heap under a view). */
const scratch: Float32Array[] = [];

function scratchBuffer(slot: number, size: number): Float32Array {
  const existing = scratch[slot];
  if (existing != null && existing.length >= size) return existing.subarray(0, size);
  const buffer = new Float32Array(Math.max(size, Math.ceil((existing?.length ?? 0) * 1.25)));
  scratch[slot] = buffer;
  return buffer.subarray(0, size);
}

/** Where the padded grid starts and how big it is. */
interface Grid {
  batch: number;
  /** Grid rows and columns (input plus padding). */
  h: number;
  w: number;
  /** Rows of the product: every grid pixel whose taps all stay inside the grid. */
  rows: number;
}

function paddedGrid(g: ConvGeometry): Grid {
  const h = g.inH + g.padTop + g.padBottom;
  const w = g.inW + g.padLeft + g.padRight;
  return { batch: g.batch, h, w, rows: g.batch * h * w - ((g.kH - 1) * w + g.kW - 1) };
}

/** Copies images [batch, height, width, channels] into the middle of a zeroed grid. */
function padInto(
  grid: Float32Array,
  x: Float32Array,
  batch: number,
  height: number,
  width: number,
  channels: number,
  gridH: number,
  gridW: number,
  top: number,
  left: number,
): void {
  grid.fill(0);
  const rowLength = width * channels;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < height; h++) {
      const src = ((b * height + h) * width) * channels;
      const dst = ((b * gridH + h + top) * gridW + left) * channels;
      grid.set(x.subarray(src, src + rowLength), dst);
    }
  }
}

/**
 * out[b, oh, ow, :] = Σ_(i,j) grid[b, oh + i, ow + j, :] · tap(i, j), where `tap` names the
 * [inC × outC] block of the weights (or its transpose). `out` is [batch, outH, outW, outC].
 */
function correlate(
  lib: Blas,
  grid: Float32Array,
  layout: Grid,
  inC: number,
  kH: number,
  kW: number,
  tap: (i: number, j: number) => { block: Float32Array; transposed: boolean; ld: number },
  outC: number,
  outH: number,
  outW: number,
  out: Float32Array,
): void {
  const full = scratchBuffer(1, layout.rows * outC);
  let first = true;
  for (let i = 0; i < kH; i++) {
    for (let j = 0; j < kW; j++) {
      const { block, transposed, ld } = tap(i, j);
      const shift = (i * layout.w + j) * inC;
      lib.sgemm(false, transposed, layout.rows, outC, inC, grid.subarray(shift), inC, block, ld, first ? 0 : 1, full, outC);
      first = false;
    }
  }
  const rowLength = outW * outC;
  for (let b = 0; b < layout.batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const src = (b * layout.h + oh) * layout.w * outC;
      out.set(full.subarray(src, src + rowLength), ((b * outH + oh) * outW) * outC);
    }
  }
}

/** Patch rows of an im2col chunk are capped at about this many floats (64 MiB). */
const MAX_COLUMN_FLOATS = 16 * 1024 * 1024;

/**
 * out[b, oh, ow, :] = patch(b, oh, ow) · weights, where patch is the kH × kW × inC window of
 * the padded grid at (oh, ow) and weights is [kH·kW·inC × outC]. In the grid, each of the kH
 * rows of a window is one contiguous run of kW·inC floats, so im2col is kH copies per pixel;
 * then one long product per chunk of images (inner dimension kH·kW·inC: BLAS's best case).
 */
function im2colCorrelate(
  lib: Blas,
  grid: Float32Array,
  layout: Grid,
  inC: number,
  kH: number,
  kW: number,
  weights: Float32Array,
  outC: number,
  outH: number,
  outW: number,
  out: Float32Array,
  accumulate: boolean,
): void {
  const patch = kH * kW * inC;
  const run = kW * inC;
  const pixels = outH * outW;
  const imagesPerChunk = Math.max(1, Math.min(layout.batch, Math.floor(MAX_COLUMN_FLOATS / (pixels * patch))));
  const cols = scratchBuffer(2, imagesPerChunk * pixels * patch);
  for (let b0 = 0; b0 < layout.batch; b0 += imagesPerChunk) {
    const b1 = Math.min(layout.batch, b0 + imagesPerChunk);
    let d = 0;
    for (let b = b0; b < b1; b++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          for (let i = 0; i < kH; i++) {
            const src = ((b * layout.h + oh + i) * layout.w + ow) * inC;
            cols.set(grid.subarray(src, src + run), d);
            d += run;
          }
        }
      }
    }
    const rows = (b1 - b0) * pixels;
    lib.sgemm(false, false, rows, outC, patch, cols, patch, weights, outC, accumulate ? 1 : 0, out.subarray(b0 * pixels * outC), outC);
  }
}

/** out = conv(x, filter), or out += conv(x, filter) when `accumulate`. */
function forward(lib: Blas, x: Float32Array, filter: Float32Array, g: ConvGeometry, out: Float32Array, accumulate: boolean): void {
  const layout = paddedGrid(g);
  const grid = scratchBuffer(0, layout.batch * layout.h * layout.w * g.inC);
  padInto(grid, x, g.batch, g.inH, g.inW, g.inC, layout.h, layout.w, g.padTop, g.padLeft);
  // The filter [kH, kW, inC, outC] already is the [kH·kW·inC × outC] weight matrix.
  im2colCorrelate(lib, grid, layout, g.inC, g.kH, g.kW, filter, g.outC, g.outH, g.outW, out, accumulate);
}

/** dx = correlation of dy, padded by (k - 1 - pad), with the flipped filter, each tap transposed. */
function inputGradient(lib: Blas, dy: Float32Array, filter: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const top = g.kH - 1 - g.padTop;
  const left = g.kW - 1 - g.padLeft;
  const h = g.outH + top + (g.kH - 1 - g.padBottom);
  const w = g.outW + left + (g.kW - 1 - g.padRight);
  const layout: Grid = { batch: g.batch, h, w, rows: g.batch * h * w - ((g.kH - 1) * w + g.kW - 1) };
  const grid = scratchBuffer(0, g.batch * h * w * g.outC);
  padInto(grid, dy, g.batch, g.outH, g.outW, g.outC, h, w, top, left);
  const tapSize = g.inC * g.outC;
  correlate(
    lib,
    grid,
    layout,
    g.outC,
    g.kH,
    g.kW,
    (i, j) => ({ block: filter.subarray(((g.kH - 1 - i) * g.kW + (g.kW - 1 - j)) * tapSize), transposed: true, ld: g.outC }),
    g.inC,
    g.inH,
    g.inW,
    dx,
  );
}

/** The first layer's filter gradient (a few input channels) is faster in the previous kernel. */
const MAX_PATCH_FOR_PREVIOUS = 64;

/** dW[i, j] = Σ_r grid[r + i·w + j]ᵀ · dyGrid[r], with dy placed in the padded grid (zeros elsewhere). */
function filterGradient(lib: Blas, x: Float32Array, dy: Float32Array, g: ConvGeometry, dw: Float32Array): void {
  const layout = paddedGrid(g);
  const grid = scratchBuffer(0, layout.batch * layout.h * layout.w * g.inC);
  padInto(grid, x, g.batch, g.inH, g.inW, g.inC, layout.h, layout.w, g.padTop, g.padLeft);
  const dyGrid = scratchBuffer(1, layout.batch * layout.h * layout.w * g.outC);
  padInto(dyGrid, dy, g.batch, g.outH, g.outW, g.outC, layout.h, layout.w, 0, 0);
  const tapSize = g.inC * g.outC;
  for (let i = 0; i < g.kH; i++) {
    for (let j = 0; j < g.kW; j++) {
      const shift = (i * layout.w + j) * g.inC;
      const tap = (i * g.kW + j) * tapSize;
      lib.sgemm(true, false, g.inC, g.outC, layout.rows, grid.subarray(shift), g.inC, dyGrid, g.outC, 0, dw.subarray(tap, tap + tapSize), g.outC);
    }
  }
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function isOne(value: number | [number, number] | undefined): boolean {
  return value == null || (Array.isArray(value) ? value[0] === 1 && value[1] === 1 : value === 1);
}

/** The geometry when BLAS is on and the conv is one it handles, else null. */
function blasGeometry(xShape: number[], filterShape: number[], attrs: ConvAttrs): ConvGeometry | null {
  if (blas == null) return null;
  if (attrs.dataFormat === 'NCHW' || !isOne(attrs.strides) || !isOne(attrs.dilations)) return null;
  const g = convGeometry(xShape, filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  // The input gradient pads dy by k - 1 - pad on each side, which must not be negative.
  if (g.padTop >= g.kH || g.padBottom >= g.kH || g.padLeft >= g.kW || g.padRight >= g.kW) return null;
  return g;
}

type KernelFunc = tf.KernelConfig['kernelFunc'];

/** The kernel registered for this backend right now (ours, or the stock one). */
function previousKernel(kernelName: string, backendName: FastBackendName): KernelFunc {
  const kernel = tf.getKernel(kernelName, backendName);
  if (kernel == null) throw new Error(`kernel ${kernelName} is not registered for backend ${backendName}`);
  return kernel.kernelFunc;
}

function makeConv2D(backendName: FastBackendName, fused: boolean): KernelFunc {
  const kernelName = fused ? 'FusedConv2D' : 'Conv2D';
  const previous = previousKernel(kernelName, backendName);
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as ConvAttrs & { activation?: string };
    const activation = attrs.activation ?? 'linear';
    const g = blasGeometry(x!.shape, filter!.shape, attrs);
    const simpleEpilogue = (activation === 'linear' || activation === 'relu') && preluActivationWeights == null;
    const biasSize = bias != null ? tf.util.sizeFromShape(bias.shape) : 0;
    if (g == null || !simpleEpilogue || g.inC < MIN_FORWARD_CHANNELS || g.outC < MIN_CHANNELS || (bias != null && biasSize !== g.outC && biasSize !== 1)) {
      return previous(args);
    }
    const lib = blas!;
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.create([g.batch, g.outH, g.outW, g.outC], (out, read) => {
      if (bias != null) fillWithBias(out, read(bias), g.outC);
      forward(lib, read(x!), read(filter!), g, out, bias != null);
      if (activation === 'relu') relu(out);
    });
  };
}

/** Every pixel of `out` starts as the bias (per channel, or one scalar): memcpy, no loop. */
function fillWithBias(out: Float32Array, bias: Float32Array, channels: number): void {
  const row = bias.length === channels ? bias : new Float32Array(channels).fill(bias[0]!);
  for (let i = 0; i < out.length; i += channels) out.set(row, i);
}

function relu(out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    out[i] = v > 0 ? v : 0;
  }
}

function makeBackpropInput(backendName: FastBackendName): KernelFunc {
  const previous = previousKernel('Conv2DBackpropInput', backendName);
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const g = blasGeometry(attrs.inputShape, filter.shape, attrs);
    if (g == null || g.inC < MIN_CHANNELS || g.outC < MIN_CHANNELS) return previous(args);
    const lib = blas!;
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.create([g.batch, g.inH, g.inW, g.inC], (dx, read) => inputGradient(lib, read(dy), read(filter), g, dx));
  };
}

function makeBackpropFilter(backendName: FastBackendName): KernelFunc {
  const previous = previousKernel('Conv2DBackpropFilter', backendName);
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    const g = blasGeometry(x.shape, attrs.filterShape, attrs);
    if (g == null || g.kH * g.kW * g.inC <= MAX_PATCH_FOR_PREVIOUS) return previous(args);
    const lib = blas!;
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.create(attrs.filterShape, (dw, read) => filterGradient(lib, read(x), read(dy), g, dw));
  };
}

/** Below this many multiply-adds a product is not worth the FFI call. */
const MIN_MATMUL_WORK = 64 * 1024;

function makeBatchMatMul(backendName: FastBackendName): KernelFunc {
  const previous = previousKernel('BatchMatMul', backendName);
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const rankA = a.shape.length;
    const rankB = b.shape.length;
    const m = transposeA ? a.shape[rankA - 1]! : a.shape[rankA - 2]!;
    const k = transposeA ? a.shape[rankA - 2]! : a.shape[rankA - 1]!;
    const n = transposeB ? b.shape[rankB - 2]! : b.shape[rankB - 1]!;
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = tf.util.sizeFromShape(outerA);
    const batchB = tf.util.sizeFromShape(outerB);
    const simpleBatch = batchA === 1 || batchB === 1 || tf.util.arraysEqual(outerA, outerB);
    if (blas == null || !simpleBatch || m * k * n < MIN_MATMUL_WORK || a.dtype !== 'float32' || b.dtype !== 'float32') return previous(args);
    const lib = blas;
    const batch = Math.max(batchA, batchB);
    const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.create([...outer, m, n], (out, read) => {
      const av = read(a);
      const bv = read(b);
      for (let i = 0; i < batch; i++) {
        const aBlock = av.subarray((batchA === 1 ? 0 : i) * m * k);
        const bBlock = bv.subarray((batchB === 1 ? 0 : i) * k * n);
        lib.sgemm(transposeA, transposeB, m, n, k, aBlock, transposeA ? m : k, bBlock, transposeB ? k : n, 0, out.subarray(i * m * n), n);
      }
    });
  };
}

let ones = new Float32Array(0);

/** Per-channel sums (every axis but the last) as ones[1 × rows] · x[rows × channels]. */
function makeChannelSum(backendName: FastBackendName): KernelFunc {
  const previous = previousKernel('Sum', backendName);
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (blas == null || x.dtype !== 'float32' || !reducesAllButLast(axis, x.shape.length)) return previous(args);
    const channels = x.shape[x.shape.length - 1]!;
    const rows = tf.util.sizeFromShape(x.shape) / channels;
    if (rows * channels < MIN_MATMUL_WORK) return previous(args);
    if (ones.length < rows) ones = new Float32Array(rows).fill(1);
    const lib = blas;
    const outShape = keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.create(outShape, (out, read) => lib.sgemm(false, false, 1, channels, rows, ones, rows, read(x), channels, 0, out, channels));
  };
}

/** Builds the kernels; each captures the kernel registered now as its fallback, so call last. */
export function blasKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [
    { kernelName: 'Conv2D', backendName, kernelFunc: makeConv2D(backendName, false) },
    { kernelName: 'FusedConv2D', backendName, kernelFunc: makeConv2D(backendName, true) },
    { kernelName: 'Conv2DBackpropInput', backendName, kernelFunc: makeBackpropInput(backendName) },
    { kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: makeBackpropFilter(backendName) },
    { kernelName: 'BatchMatMul', backendName, kernelFunc: makeBatchMatMul(backendName) },
    { kernelName: 'Sum', backendName, kernelFunc: makeChannelSum(backendName) },
  ];
}
