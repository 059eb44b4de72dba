/**
 * Fast conv2d gradients for the wasm and cpu backends (NHWC).
 *
 * - Filter gradient: im2col of the input, laid out [kh*kw*inC, batch*outH*outW], times dy seen
 *   as [batch*outH*outW, outC]. That is one plain matmul, which wasm runs in XNNPACK; the
 *   layout is chosen so no operand needs transposing.
 * - Input gradient, stride 1: a forward conv of dy with the spatially flipped filter whose in and
 *   out channels are swapped (wasm runs it in XNNPACK). Other strides: dy times the transposed
 *   filter matrix, then col2im (scatter-add of the columns back onto the input grid).
 */
import * as tf from '@tensorflow/tfjs';
import { KernelRunner, originalKernel, type FastBackendName } from './runner';

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

export type PadAttr = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

export function convGeometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: PadAttr,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as 'same' | 'valid' | number,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padBottom: info.padInfo.bottom,
    padLeft: info.padInfo.left,
    padRight: info.padInfo.right,
  };
}

/** The output columns [start, end) whose input column `ow*stride + k - pad` lies inside [0, size). */
function validRange(k: number, pad: number, stride: number, size: number, outSize: number): [number, number] {
  const start = Math.min(outSize, Math.max(0, Math.ceil((pad - k) / stride)));
  const end = Math.max(start, Math.min(outSize, Math.floor((size - 1 - k + pad) / stride) + 1));
  return [start, end];
}

// The loops below are plain functions of typed arrays (no captured state) so V8 compiles them tightly.

/**
 * im2col, transposed, for images [b0, b1): row (kh, kw, c), column (b - b0, oh, ow) holds
 * x[b, oh*sh+kh-pt, ow*sw+kw-pl, c] (0 in the padding). `x` is the input transposed to
 * [c, b, h, w] so rows copy contiguously.
 */
export function fillColumns(cols: Float32Array, x: Float32Array, g: ConvGeometry, b0: number, b1: number): void {
  const { batch, inH, inW, inC, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const plane = inH * inW;
  // Stride 1 with rows as wide as the input ('same'-style): the valid part of every (kh, kw, c, b)
  // block is one contiguous run of x, shifted; copy it at once and zero the padded edge columns.
  const blockCopy = strideH === 1 && strideW === 1 && outW === inW;
  let d = 0;
  for (let kh = 0; kh < kH; kh++) {
    const [ohStart, ohEnd] = validRange(kh, padTop, strideH, inH, outH);
    for (let kw = 0; kw < kW; kw++) {
      const [owStart, owEnd] = validRange(kw, padLeft, strideW, inW, outW);
      for (let c = 0; c < inC; c++) {
        for (let b = b0; b < b1; b++) {
          const base = (c * batch + b) * plane;
          cols.fill(0, d, d + ohStart * outW);
          d += ohStart * outW;
          if (blockCopy && ohEnd > ohStart) {
            const first = d + owStart;
            const last = d + (ohEnd - ohStart - 1) * outW + owEnd;
            const src = base + (ohStart + kh - padTop) * inW + owStart + kw - padLeft;
            cols.set(x.subarray(src, src + (last - first)), first);
            for (let oh = ohStart; oh < ohEnd; oh++, d += outW) {
              for (let ow = 0; ow < owStart; ow++) cols[d + ow] = 0;
              for (let ow = owEnd; ow < outW; ow++) cols[d + ow] = 0;
            }
          } else {
            for (let oh = ohStart; oh < ohEnd; oh++) {
              const rowStart = d;
              while (d < rowStart + owStart) cols[d++] = 0;
              let s = base + (oh * strideH + kh - padTop) * inW + owStart * strideW + kw - padLeft;
              while (d < rowStart + owEnd) {
                cols[d++] = x[s]!;
                s += strideW;
              }
              while (d < rowStart + outW) cols[d++] = 0;
            }
          }
          const tail = (outH - ohEnd) * outW;
          cols.fill(0, d, d + tail);
          d += tail;
        }
      }
    }
  }
}

function im2colTransposed(runner: KernelRunner, xChannelsFirst: tf.TensorInfo, g: ConvGeometry, b0: number, b1: number): tf.TensorInfo {
  const shape = [g.kH * g.kW * g.inC, (b1 - b0) * g.outH * g.outW];
  return runner.create(shape, (cols, read) => fillColumns(cols, read(xChannelsFirst), g, b0, b1));
}

/** col2im: adds each column entry (row n = (b, oh, ow), column (kh, kw, c)) onto dx. */
function scatterColumns(dx: Float32Array, cols: Float32Array, g: ConvGeometry): void {
  const { batch, inH, inW, inC, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const patch = kH * kW * inC;
  dx.fill(0);
  let n = 0;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, n++) {
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * strideH + kh - padTop;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * strideW + kw - padLeft;
            if (iw < 0 || iw >= inW) continue;
            const dst = ((b * inH + ih) * inW + iw) * inC;
            const src = n * patch + (kh * kW + kw) * inC;
            for (let c = 0; c < inC; c++) dx[dst + c] = dx[dst + c]! + cols[src + c]!;
          }
        }
      }
    }
  }
}

/** Inner-dimension length of each filter-gradient product (see makeConv2DBackpropFilter). */
const COLUMNS_PER_CHUNK = 2048;
const MIN_ROWS_TO_CHUNK = 64;

function requireNHWC(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== 'NHWC' && dataFormat != null) {
    throw new Error(`${kernel}: only NHWC (channels last) is supported here, got ${String(dataFormat)}`);
  }
}

function makeConv2DBackpropFilter(backendName: FastBackendName): tf.KernelFunc {
  const stock = originalKernel('Conv2DBackpropFilter', backendName);
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: [number, number];
      pad: PadAttr;
      dataFormat: string;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    if (dataFormat === 'NCHW' && stock != null) return stock({ inputs, backend, attrs });
    requireNHWC('Conv2DBackpropFilter', dataFormat);
    const g = convGeometry(x.shape, filterShape, strides, pad, dimRoundingMode);
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);

    const xChannelsFirst = runner.transpose(x, [3, 0, 1, 2]);
    const pixels = g.outH * g.outW;
    const dyMatrix = runner.reshape(dy, [g.batch * pixels, g.outC]);
    // A product with many rows and a long inner dimension streams its operands through memory
    // on every output tile; summing chunks of ~COLUMNS_PER_CHUNK columns keeps them in cache.
    const rows = g.kH * g.kW * g.inC;
    const imagesPerChunk = rows < MIN_ROWS_TO_CHUNK ? g.batch : Math.max(1, Math.floor(COLUMNS_PER_CHUNK / pixels));
    let dwMatrix: tf.TensorInfo | null = null;
    for (let b0 = 0; b0 < g.batch; b0 += imagesPerChunk) {
      const b1 = Math.min(g.batch, b0 + imagesPerChunk);
      const cols = im2colTransposed(runner, xChannelsFirst, g, b0, b1);
      const dyChunk = b1 - b0 === g.batch ? dyMatrix : runner.rows(dyMatrix, b0 * pixels, b1 * pixels);
      const part = runner.matMul(cols, dyChunk);
      runner.dispose(cols);
      if (dyChunk !== dyMatrix) runner.dispose(dyChunk);
      if (dwMatrix == null) {
        dwMatrix = part;
      } else {
        const sum = runner.run('Add', { a: dwMatrix, b: part });
        runner.dispose(dwMatrix, part);
        dwMatrix = sum;
      }
    }
    runner.dispose(xChannelsFirst, dyMatrix);
    const dw = runner.reshape(dwMatrix!, filterShape);
    runner.dispose(dwMatrix!);
    return dw;
  };
}

/** dx for stride 1 with pads no larger than the filter: conv(dy, flipped filter with in/out swapped). */
function inputGradByFlippedConv(runner: KernelRunner, dy: tf.TensorInfo, filter: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const flipped = runner.run('Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = runner.transpose(flipped, [0, 1, 3, 2]);
  runner.dispose(flipped);
  const pad = [
    [0, 0],
    [g.kH - 1 - g.padTop, g.kH - 1 - g.padBottom],
    [g.kW - 1 - g.padLeft, g.kW - 1 - g.padRight],
    [0, 0],
  ];
  const dx = runner.run('Conv2D', { x: dy, filter: swapped }, {
    strides: [1, 1],
    pad,
    dataFormat: 'NHWC',
    dilations: [1, 1],
  } as unknown as tf.NamedAttrMap);
  runner.dispose(swapped);
  return dx;
}

/** dx for any stride: columns = dy x filter^T, then scatter-add each column entry onto dx. */
function inputGradByCol2im(runner: KernelRunner, dy: tf.TensorInfo, filter: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = g;
  const patch = kH * kW * inC;
  const filterMatrix = runner.reshape(filter, [patch, outC]);
  const filterT = runner.transpose(filterMatrix, [1, 0]);
  runner.dispose(filterMatrix);
  const dyMatrix = runner.reshape(dy, [batch * outH * outW, outC]);
  const cols = runner.matMul(dyMatrix, filterT);
  runner.dispose(filterT, dyMatrix);
  const dx = runner.create([batch, inH, inW, inC], (out, read) => scatterColumns(out, read(cols), g));
  runner.dispose(cols);
  return dx;
}

function makeConv2DBackpropInput(backendName: FastBackendName): tf.KernelFunc {
  const stock = originalKernel('Conv2DBackpropInput', backendName);
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
      strides: [number, number];
      pad: PadAttr;
      dataFormat: string;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    if (dataFormat === 'NCHW' && stock != null) return stock({ inputs, backend, attrs });
    requireNHWC('Conv2DBackpropInput', dataFormat);
    const g = convGeometry(inputShape, filter.shape, strides, pad, dimRoundingMode);
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const padsFit = g.padTop < g.kH && g.padBottom < g.kH && g.padLeft < g.kW && g.padRight < g.kW;
    if (g.strideH === 1 && g.strideW === 1 && padsFit) return inputGradByFlippedConv(runner, dy, filter, g);
    return inputGradByCol2im(runner, dy, filter, g);
  };
}

export function conv2dGradKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [
    { kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: makeConv2DBackpropFilter(backendName) },
    { kernelName: 'Conv2DBackpropInput', backendName, kernelFunc: makeConv2DBackpropInput(backendName) },
  ];
}
