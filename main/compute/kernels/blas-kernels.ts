/**
 * Conv2D (plain and fused), its two gradients, BatchMatMul and the per-channel Sum (conv bias
 * gradients) through an optimised BLAS (see ../blas.ts); the convs for stride 1 in NHWC, which
 * is every conv of the zoo's models.
 *
 * Every input is zero-padded once into a grid of Hp × Wp pixels. Then:
 * - forward and filter gradient: im2col, where each of the kH rows of a window is one
 *   contiguous run of the grid (on wasm copied by a SIMD-module loop on the heap), and one
 *   long product per chunk of images;
 * - filter gradient with few input channels: a product per filter tap. Output pixel r
 *   (numbered in the grid) is Σ_(i,j) Xp[r + i·Wp + j] · W[i, j], and "r + i·Wp + j" for all r
 *   is one contiguous block of Xp, so each tap is one sgemm on a shifted view, with no copy.
 *   The grid's padding pixels are computed too (7–30 % extra work here); the matching rows of
 *   dy are zero, so they add nothing;
 * - input gradient: the same per-tap correlation of the padded dy with the flipped filter, or
 *   on wasm col2im (dy · filterᵀ, then a SIMD loop adds each window into dx).
 *
 * Anything else (strides, dilations, NCHW, few channels, no BLAS) goes to the kernel that was
 * registered before these.
 */
import * as tf from '@tensorflow/tfjs';
import type { Blas } from '../blas';
import type { Dnnl } from '../dnnl';
import { convGeometry, fillColumns, type ConvGeometry, type PadAttr } from './conv2d-grads';
import { matMulPlan } from './matmul';
import { reducesAllButLast } from './reductions';
import { KernelRunner, previousKernel, type FastBackendName } from './runner';
import type { SimdLoops } from './simd-loops';

let blas: Blas | null = null;

/** Turns the BLAS kernels on (with this library) or off (null: the previous kernels run). */
export function useBlasKernels(library: Blas | null): void {
  blas = library;
}

export function blasKernelsActive(): boolean {
  return blas != null;
}

let dnnl: Dnnl | null = null;

/** Runs the convs, batch norms and pools oneDNN takes through it (or, with null, the BLAS and loops again). */
export function useDnnl(library: Dnnl | null): void {
  dnnl = library;
}

export function dnnlActive(): boolean {
  return dnnl != null && blas != null;
}

/** The oneDNN the kernels run on, or null when it is off. */
export function activeDnnl(): Dnnl | null {
  return blas != null ? dnnl : null;
}

/** The library the BLAS kernels compute with, or null when they are off. */
export function activeBlas(): Blas | null {
  return blas;
}

/** Channel counts below this make skinny products that the previous kernels do better. */
const MIN_CHANNELS = 8;
/**
 * From this many input channels the forward conv and the filter gradient are im2col rows and
 * one long product: with the wasm im2col copy, 25–35 % faster than XNNPACK's forward conv and
 * the per-tap filter products at seed-cnn's 32-channel layer. Below, those run instead.
 */
const MIN_IM2COL_CHANNELS = 32;

/** Reusable scratch buffers (plain memory, so they never move the wasm heap under a view). */
const scratch: Float32Array[] = [];

function scratchBuffer(slot: number, size: number): Float32Array {
  const existing = scratch[slot];
  if (existing != null && existing.length >= size) return existing.subarray(0, size);
  const buffer = new Float32Array(Math.max(size, Math.ceil((existing?.length ?? 0) * 1.25)));
  scratch[slot] = buffer;
  return buffer.subarray(0, size);
}

/** A zero-padded copy of images, and the layout the correlations below walk. */
interface Grid {
  data: Float32Array;
  batch: number;
  /** Grid rows and columns (image plus padding) and channels. */
  h: number;
  w: number;
  channels: number;
  /** Rows of a kH × kW correlation's product: every grid pixel whose taps all stay inside the grid. */
  rows: number;
}

interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Copies images [batch, height, width, channels] into the middle of `data`, zeroed first: a padded grid. */
function padInto(
  data: Float32Array,
  images: Float32Array,
  shape: [number, number, number, number],
  pads: Pads,
  kH: number,
  kW: number,
): Grid {
  const [batch, height, width, channels] = shape;
  const h = height + pads.top + pads.bottom;
  const w = width + pads.left + pads.right;
  data.fill(0);
  const rowLength = width * channels;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < height; y++) {
      const src = (b * height + y) * width * channels;
      data.set(images.subarray(src, src + rowLength), ((b * h + y + pads.top) * w + pads.left) * channels);
    }
  }
  return { data, batch, h, w, channels, rows: batch * h * w - ((kH - 1) * w + kW - 1) };
}

function gridSize(shape: [number, number, number, number], pads: Pads): number {
  const [batch, height, width, channels] = shape;
  return batch * (height + pads.top + pads.bottom) * (width + pads.left + pads.right) * channels;
}

/** padInto a scratch buffer (`slot`). */
function padded(slot: number, images: Float32Array, shape: [number, number, number, number], pads: Pads, kH: number, kW: number): Grid {
  return padInto(scratchBuffer(slot, gridSize(shape, pads)), images, shape, pads, kH, kW);
}

/** A kH × kW correlation of a grid, giving [batch, outH, outW, outC]. */
interface Correlation {
  grid: Grid;
  kH: number;
  kW: number;
  outC: number;
  outH: number;
  outW: number;
}

/**
 * out[b, oh, ow, :] = Σ_(i,j) grid[b, oh + i, ow + j, :] · tap(i, j), where `tap` names the
 * [channels × outC] block of the weights (or its transpose): one product per tap on a shifted
 * view of the grid, into a grid-sized buffer whose valid pixels are then copied out.
 */
function correlateByTaps(
  lib: Blas,
  c: Correlation,
  tap: (i: number, j: number) => { block: Float32Array; transposed: boolean; ld: number },
  out: Float32Array,
): void {
  const { grid, outC } = c;
  const full = scratchBuffer(1, grid.rows * outC);
  for (let i = 0; i < c.kH; i++) {
    for (let j = 0; j < c.kW; j++) {
      const { block, transposed, ld } = tap(i, j);
      const shift = (i * grid.w + j) * grid.channels;
      const beta = i === 0 && j === 0 ? 0 : 1;
      lib.sgemm(false, transposed, grid.rows, outC, grid.channels, grid.data.subarray(shift), grid.channels, block, ld, beta, full, outC);
    }
  }
  copyRegion(out, full, { batch: grid.batch, h: grid.h, w: grid.w, channels: outC }, c.outH, c.outW, 0, 0);
}

/**
 * out [batch, height, width, channels] = the height × width block of a grid's images that starts
 * at (top, left): the valid part of a grid-shaped result, or the interior of a padded grid.
 */
function copyRegion(
  out: Float32Array,
  data: Float32Array,
  grid: { batch: number; h: number; w: number; channels: number },
  height: number,
  width: number,
  top: number,
  left: number,
): void {
  const rowLength = width * grid.channels;
  for (let b = 0; b < grid.batch; b++) {
    for (let y = 0; y < height; y++) {
      const src = ((b * grid.h + y + top) * grid.w + left) * grid.channels;
      out.set(data.subarray(src, src + rowLength), (b * height + y) * rowLength);
    }
  }
}

/** Patch rows of an im2col chunk are capped at about this many floats (64 MiB). */
const MAX_COLUMN_FLOATS = 16 * 1024 * 1024;
let columnChunkFloats = MAX_COLUMN_FLOATS;

/** Tests shrink the im2col chunk (floats) to run several chunks on small inputs; null restores it. */
export function setColumnChunkFloats(floats: number | null): void {
  columnChunkFloats = floats ?? MAX_COLUMN_FLOATS;
}

/**
 * out[b, oh, ow, :] (+)= patch(b, oh, ow) · weights, where patch is the kH × kW × channels window
 * of the grid at (oh, ow) and weights is [kH·kW·channels × outC]. In the grid, each of the kH rows
 * of a window is one contiguous run of kW·channels floats, so im2col is kH copies per pixel; then
 * one long product per chunk of images (inner dimension kH·kW·channels: BLAS's best case).
 */
function correlateByColumns(
  lib: Blas,
  c: Correlation,
  scratch: PatchScratch,
  weights: Float32Array,
  out: Float32Array,
  accumulate: boolean,
): void {
  const { grid, kH, kW, outC, outH, outW } = c;
  const patch = kH * kW * grid.channels;
  const pixels = outH * outW;
  forEachPatchChunk(c, scratch, (cols, b0, b1) => {
    const rows = (b1 - b0) * pixels;
    lib.sgemm(false, false, rows, outC, patch, cols, patch, weights, outC, accumulate ? 1 : 0, out.subarray(b0 * pixels * outC), outC);
  });
}

/** Images per chunk of im2col rows: equal chunks of at most columnChunkFloats floats. */
function chunkImages(batch: number, floatsPerImage: number): number {
  const maxImages = Math.max(1, Math.floor(columnChunkFloats / floatsPerImage));
  return Math.ceil(batch / Math.ceil(batch / maxImages));
}

/**
 * The buffers of one im2col kernel call, and what copies the rows: on wasm with the SIMD loops
 * both live on the heap and a wasm loop copies (4× faster than JavaScript, whose copies of short
 * runs cost a view object each); elsewhere JavaScript scratch and copies.
 */
interface PatchScratch {
  grid: Float32Array;
  cols: Float32Array;
  /** Writes the im2col rows of images [b0, b1) of the grid into `cols`. */
  copyRows(c: Correlation, cols: Float32Array, b0: number, b1: number): void;
}

/**
 * One row per output pixel, the kH × kW × channels window of the grid there. In the grid each
 * of the kH rows of a window is one contiguous run of kW·channels floats, so a row is kH copies.
 */
function copyRowsInJs(c: Correlation, cols: Float32Array, b0: number, b1: number): void {
  const { grid, kH, kW, outH, outW } = c;
  const run = kW * grid.channels;
  let d = 0;
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let i = 0; i < kH; i++) {
          const src = ((b * grid.h + oh + i) * grid.w + ow) * grid.channels;
          cols.set(grid.data.subarray(src, src + run), d);
          d += run;
        }
      }
    }
  }
}

function copyRowsBySimd(simd: SimdLoops): PatchScratch['copyRows'] {
  return (c, cols, b0, b1) => {
    const { grid } = c;
    const start = grid.data.byteOffset + b0 * grid.h * grid.w * grid.channels * 4;
    simd.patchRows(0, start, cols.byteOffset, b1 - b0, c.outH, c.outW, c.kH, c.kW, grid.h, grid.w, grid.channels);
  };
}

/** Calls `use` with the im2col rows of images [b0, b1), in equal chunks of at most columnChunkFloats floats. */
function forEachPatchChunk(c: Correlation, scratch: PatchScratch, use: (cols: Float32Array, b0: number, b1: number) => void): void {
  const floatsPerImage = c.outH * c.outW * c.kH * c.kW * c.grid.channels;
  const imagesPerChunk = chunkImages(c.grid.batch, floatsPerImage);
  for (let b0 = 0; b0 < c.grid.batch; b0 += imagesPerChunk) {
    const b1 = Math.min(c.grid.batch, b0 + imagesPerChunk);
    const cols = scratch.cols.subarray(0, (b1 - b0) * floatsPerImage);
    scratch.copyRows(c, cols, b0, b1);
    use(cols, b0, b1);
  }
}

/**
 * A kernel output whose `fill` gets the im2col scratch for a conv over x (geometry g). On wasm
 * with the SIMD loops, the grid and rows are two heap tensors allocated before the output and
 * viewed inside `fill` (nothing allocates in between, so the views stay valid).
 */
function createWithPatchScratch(
  runner: KernelRunner,
  shape: number[],
  g: ConvGeometry,
  fill: (out: Float32Array, read: (info: tf.TensorInfo) => Float32Array, scratch: PatchScratch) => void,
): tf.TensorInfo {
  const gridFloats = gridSize([g.batch, g.inH, g.inW, g.inC], convPads(g));
  const floatsPerImage = g.outH * g.outW * g.kH * g.kW * g.inC;
  const colsFloats = chunkImages(g.batch, floatsPerImage) * floatsPerImage;
  const simd = runner.simd();
  if (simd == null) {
    return runner.create(shape, (out, read) =>
      fill(out, read, { grid: scratchBuffer(0, gridFloats), cols: scratchBuffer(2, colsFloats), copyRows: copyRowsInJs }),
    );
  }
  const grid = runner.create([gridFloats], () => {});
  const cols = runner.create([colsFloats], () => {});
  try {
    return runner.create(shape, (out, read) => fill(out, read, { grid: read(grid), cols: read(cols), copyRows: copyRowsBySimd(simd) }));
  } finally {
    runner.dispose(grid, cols);
  }
}

const convPads = (g: ConvGeometry): Pads => ({ top: g.padTop, bottom: g.padBottom, left: g.padLeft, right: g.padRight });

/** out = conv(x, filter), or out += conv(x, filter) when `accumulate`. */
function forward(
  lib: Blas,
  scratch: PatchScratch,
  x: Float32Array,
  filter: Float32Array,
  g: ConvGeometry,
  out: Float32Array,
  accumulate: boolean,
): void {
  const grid = padInto(scratch.grid, x, [g.batch, g.inH, g.inW, g.inC], convPads(g), g.kH, g.kW);
  // The filter [kH, kW, inC, outC] already is the [kH·kW·inC × outC] weight matrix.
  correlateByColumns(lib, { grid, kH: g.kH, kW: g.kW, outC: g.outC, outH: g.outH, outW: g.outW }, scratch, filter, out, accumulate);
}

/** dx = correlation of dy, padded by (k - 1 - pad), with the flipped filter, each tap transposed. */
function inputGradient(lib: Blas, dy: Float32Array, filter: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const pads = { top: g.kH - 1 - g.padTop, bottom: g.kH - 1 - g.padBottom, left: g.kW - 1 - g.padLeft, right: g.kW - 1 - g.padRight };
  const grid = padded(0, dy, [g.batch, g.outH, g.outW, g.outC], pads, g.kH, g.kW);
  const tapSize = g.inC * g.outC;
  const flippedTap = (i: number, j: number) => ({
    block: filter.subarray(((g.kH - 1 - i) * g.kW + (g.kW - 1 - j)) * tapSize),
    transposed: true,
    ld: g.outC,
  });
  correlateByTaps(lib, { grid, kH: g.kH, kW: g.kW, outC: g.inC, outH: g.inH, outW: g.inW }, flippedTap, dx);
}

/**
 * dx by col2im, on the wasm heap: cols = dy · filterᵀ gives each output pixel's kH × kW × inC
 * window of input gradient in one long product per chunk of images (BLAS runs it 30–60 %
 * faster than the per-tap products, which are short in their inner dimension); a SIMD loop adds
 * the windows into a zero-padded dx grid, whose interior is dx.
 */
function inputGradientByCol2im(
  lib: Blas,
  simd: SimdLoops,
  runner: KernelRunner,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo {
  const h = g.inH + g.padTop + g.padBottom;
  const w = g.inW + g.padLeft + g.padRight;
  const patch = g.kH * g.kW * g.inC;
  const pixels = g.outH * g.outW;
  const imagesPerChunk = chunkImages(g.batch, pixels * patch);
  // Both scratch tensors come before the output and are viewed inside its fill (as in createWithPatchScratch).
  const grid = runner.create([g.batch * h * w * g.inC], () => {});
  const cols = runner.create([imagesPerChunk * pixels * patch], () => {});
  try {
    return runner.create([g.batch, g.inH, g.inW, g.inC], (dx, read) => {
      const gridValues = read(grid);
      const rows = read(cols);
      const dyValues = read(dy);
      gridValues.fill(0);
      for (let b0 = 0; b0 < g.batch; b0 += imagesPerChunk) {
        const images = Math.min(g.batch, b0 + imagesPerChunk) - b0;
        lib.sgemm(
          false,
          true,
          images * pixels,
          patch,
          g.outC,
          dyValues.subarray(b0 * pixels * g.outC),
          g.outC,
          read(filter),
          g.outC,
          0,
          rows,
          patch,
        );
        simd.patchRows(1, gridValues.byteOffset + b0 * h * w * g.inC * 4, rows.byteOffset, images, g.outH, g.outW, g.kH, g.kW, h, w, g.inC);
      }
      copyRegion(dx, gridValues, { batch: g.batch, h, w, channels: g.inC }, g.inH, g.inW, g.padTop, g.padLeft);
    });
  } finally {
    runner.dispose(grid, cols);
  }
}

/** Up to this many patch entries (kH·kW·inC: the first layer) the filter gradient uses explicit columns. */
const MAX_PATCH_FOR_COLUMNS = 64;

/**
 * dW = columnsᵀ · dy for a layer with few input channels: the transposed im2col [patch × pixels]
 * (the previous kernel's layout) times dy [pixels × outC], one product with a long inner
 * dimension. The per-tap products below would each stream the whole of dy for a 1-wide result.
 */
function filterGradientByColumns(lib: Blas, x: Float32Array, dy: Float32Array, g: ConvGeometry, dw: Float32Array): void {
  const pixels = g.batch * g.outH * g.outW;
  const patch = g.kH * g.kW * g.inC;
  let channelsFirst = x;
  if (g.inC > 1) {
    channelsFirst = scratchBuffer(0, x.length);
    const plane = x.length / g.inC;
    for (let i = 0; i < plane; i++) for (let c = 0; c < g.inC; c++) channelsFirst[c * plane + i] = x[i * g.inC + c]!;
  }
  const cols = scratchBuffer(2, patch * pixels);
  fillColumns(cols, channelsFirst, g, 0, g.batch);
  lib.sgemm(false, false, patch, g.outC, pixels, cols, pixels, dy, g.outC, 0, dw, g.outC);
}

/** dW = patchesᵀ · dy: the im2col rows of x (as in the forward pass) against dy, one long product per chunk. */
function filterGradientByPatches(
  lib: Blas,
  scratch: PatchScratch,
  x: Float32Array,
  dy: Float32Array,
  g: ConvGeometry,
  dw: Float32Array,
): void {
  const grid = padInto(scratch.grid, x, [g.batch, g.inH, g.inW, g.inC], convPads(g), g.kH, g.kW);
  const patch = g.kH * g.kW * g.inC;
  const pixels = g.outH * g.outW;
  forEachPatchChunk({ grid, kH: g.kH, kW: g.kW, outC: g.outC, outH: g.outH, outW: g.outW }, scratch, (cols, b0, b1) => {
    const rows = (b1 - b0) * pixels;
    lib.sgemm(true, false, patch, g.outC, rows, cols, patch, dy.subarray(b0 * pixels * g.outC), g.outC, b0 === 0 ? 0 : 1, dw, g.outC);
  });
}

/** dW[i, j] = Σ_r grid[r + i·w + j]ᵀ · dyGrid[r], with dy placed in the same grid layout (zeros elsewhere). */
function filterGradient(lib: Blas, x: Float32Array, dy: Float32Array, g: ConvGeometry, dw: Float32Array): void {
  const grid = padded(0, x, [g.batch, g.inH, g.inW, g.inC], convPads(g), g.kH, g.kW);
  const dyPads = { top: 0, bottom: grid.h - g.outH, left: 0, right: grid.w - g.outW };
  const dyGrid = padded(1, dy, [g.batch, g.outH, g.outW, g.outC], dyPads, g.kH, g.kW);
  const tapSize = g.inC * g.outC;
  for (let i = 0; i < g.kH; i++) {
    for (let j = 0; j < g.kW; j++) {
      const shift = (i * grid.w + j) * g.inC;
      const tap = (i * g.kW + j) * tapSize;
      lib.sgemm(
        true,
        false,
        g.inC,
        g.outC,
        grid.rows,
        grid.data.subarray(shift),
        g.inC,
        dyGrid.data,
        g.outC,
        0,
        dw.subarray(tap, tap + tapSize),
        g.outC,
      );
    }
  }
}

export interface ConvAttrs {
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
export function blasGeometry(xShape: number[], filterShape: number[], attrs: ConvAttrs): ConvGeometry | null {
  if (blas == null) return null;
  if (attrs.dataFormat === 'NCHW' || !isOne(attrs.strides) || !isOne(attrs.dilations)) return null;
  const g = convGeometry(xShape, filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  // The input gradient pads dy by k - 1 - pad on each side, which must not be negative.
  if (g.padTop >= g.kH || g.padBottom >= g.kH || g.padLeft >= g.kW || g.padRight >= g.kW) return null;
  return g;
}

type KernelFunc = tf.KernelConfig['kernelFunc'];

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
    if (g == null || !simpleEpilogue) return previous(args);
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    // oneDNN takes every channel count (the first layer's single input channel too).
    if (dnnl != null && (bias == null || biasSize === g.outC)) {
      const convs = dnnl;
      return runner.create([g.batch, g.outH, g.outW, g.outC], (out, read) => {
        convs.forward(read(x!), read(filter!), bias != null ? read(bias) : null, out, g);
        if (activation === 'relu') relu(out);
      });
    }
    if (g.inC < MIN_IM2COL_CHANNELS || g.outC < MIN_CHANNELS || (bias != null && biasSize !== g.outC && biasSize !== 1)) {
      return previous(args);
    }
    const lib = blas!;
    return createWithPatchScratch(runner, [g.batch, g.outH, g.outW, g.outC], g, (out, read, scratch) => {
      if (bias != null) fillWithBias(out, read(bias), g.outC);
      forward(lib, scratch, read(x!), read(filter!), g, out, bias != null);
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
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    if (dnnl != null) {
      const convs = dnnl;
      return runner.create([g.batch, g.inH, g.inW, g.inC], (dx, read) => convs.backwardData(read(dy), read(filter), dx, g));
    }
    const lib = blas!;
    const simd = runner.simd(g.inC);
    if (simd != null) return inputGradientByCol2im(lib, simd, runner, dy, filter, g);
    return runner.create([g.batch, g.inH, g.inW, g.inC], (dx, read) => inputGradient(lib, read(dy), read(filter), g, dx));
  };
}

/** The first layer's transposed columns; im2col patches from MIN_IM2COL_CHANNELS on; per tap in between. */
function filterGradientMethod(g: ConvGeometry): 'columns' | 'patches' | 'taps' {
  if (g.kH * g.kW * g.inC <= MAX_PATCH_FOR_COLUMNS) return 'columns';
  return g.inC >= MIN_IM2COL_CHANNELS ? 'patches' : 'taps';
}

function makeBackpropFilter(backendName: FastBackendName): KernelFunc {
  const previous = previousKernel('Conv2DBackpropFilter', backendName);
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    const g = blasGeometry(x.shape, attrs.filterShape, attrs);
    if (g == null) return previous(args);
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    if (dnnl != null) {
      const convs = dnnl;
      return runner.create(attrs.filterShape, (dw, read) => convs.backwardWeights(read(x), read(dy), dw, g));
    }
    const lib = blas!;
    const method = filterGradientMethod(g);
    if (method === 'patches') {
      return createWithPatchScratch(runner, attrs.filterShape, g, (dw, read, scratch) =>
        filterGradientByPatches(lib, scratch, read(x), read(dy), g, dw),
      );
    }
    const byTapsOrColumns = method === 'columns' ? filterGradientByColumns : filterGradient;
    return runner.create(attrs.filterShape, (dw, read) => byTapsOrColumns(lib, read(x), read(dy), g, dw));
  };
}

/** Below this many multiply-adds a product is not worth the FFI call. */
const MIN_MATMUL_WORK = 64 * 1024;

function makeBatchMatMul(backendName: FastBackendName): KernelFunc {
  const previous = previousKernel('BatchMatMul', backendName);
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = matMulPlan(a, b, transposeA, transposeB);
    if (blas == null || p == null || p.rows * p.inner * p.cols < MIN_MATMUL_WORK || a.dtype !== 'float32' || b.dtype !== 'float32')
      return previous(args);
    const lib = blas;
    const { batchA, batchB, rows: m, inner: k, cols: n } = p;
    const batch = Math.max(batchA, batchB);
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.create(p.outShape, (out, read) => {
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
    return runner.create(outShape, (out, read) =>
      lib.sgemm(false, false, 1, channels, rows, ones, rows, read(x), channels, 0, out, channels),
    );
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
