/**
 * Pooling gradients for wasm and cpu, computed per pooling window (dy-centric) with the channel
 * loop innermost, so the work is windows x window size x channels. The stock kernels loop per
 * input pixel over every window offset, which for a large window (an adaptive average pool
 * over 5x13 cells) costs window-area times more.
 *
 * On wasm both run as SIMD loops (simd-loops.ts) when the channels fill whole lane groups.
 *
 * Same results as the stock cpu kernels: max pooling sends the gradient to the first maximum
 * in the window (row-major), average pooling divides by the full window area.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelRunner, type FastBackendName } from './runner';
import type { PoolGeometryArgs } from './simd-loops';

export interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function poolInfo(xShape: number[], attrs: PoolAttrs): tf.backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  return tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
}

/** Pooling geometry as plain numbers, for the loops below. */
export interface PoolGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  padTop: number;
  padLeft: number;
}

export function poolGeometry(info: tf.backend_util.Conv2DInfo): PoolGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    channels: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function geometryArgs(g: PoolGeometry): PoolGeometryArgs {
  return [g.batch, g.inH, g.inW, g.channels, g.outH, g.outW, g.strideH, g.strideW, g.filterH, g.filterW, g.padTop, g.padLeft];
}

// The loops are plain functions of typed arrays (no captured state) so V8 compiles them tightly.

function maxPoolBackward(dx: Float32Array, x: Float32Array, dy: Float32Array, g: PoolGeometry): void {
  const { batch, inH, inW, channels, outH, outW, strideH, strideW, filterH, filterW, padTop, padLeft } = g;
  const maxValue = new Float32Array(channels);
  const maxIndex = new Int32Array(channels);
  dx.fill(0);
  let dyOffset = 0;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const top = oh * strideH - padTop;
      const r0 = Math.max(0, top);
      const r1 = Math.min(inH, top + filterH);
      for (let ow = 0; ow < outW; ow++, dyOffset += channels) {
        const left = ow * strideW - padLeft;
        const c0 = Math.max(0, left);
        const c1 = Math.min(inW, left + filterW);
        maxValue.fill(-Infinity);
        maxIndex.fill(-1);
        for (let r = r0; r < r1; r++) {
          for (let q = c0; q < c1; q++) {
            const base = ((b * inH + r) * inW + q) * channels;
            for (let c = 0; c < channels; c++) {
              const v = x[base + c]!;
              if (v > maxValue[c]!) {
                maxValue[c] = v;
                maxIndex[c] = base + c;
              }
            }
          }
        }
        for (let c = 0; c < channels; c++) {
          const at = maxIndex[c]!;
          if (at >= 0) dx[at] = dx[at]! + dy[dyOffset + c]!;
        }
      }
    }
  }
}

function avgPoolBackward(dx: Float32Array, dy: Float32Array, g: PoolGeometry): void {
  const { batch, inH, inW, channels, outH, outW, strideH, strideW, filterH, filterW, padTop, padLeft } = g;
  const scale = 1 / (filterH * filterW);
  const share = new Float32Array(channels);
  dx.fill(0);
  let dyOffset = 0;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const top = oh * strideH - padTop;
      const r0 = Math.max(0, top);
      const r1 = Math.min(inH, top + filterH);
      for (let ow = 0; ow < outW; ow++, dyOffset += channels) {
        const left = ow * strideW - padLeft;
        const c0 = Math.max(0, left);
        const c1 = Math.min(inW, left + filterW);
        for (let c = 0; c < channels; c++) share[c] = dy[dyOffset + c]! * scale;
        for (let r = r0; r < r1; r++) {
          for (let q = c0; q < c1; q++) {
            const base = ((b * inH + r) * inW + q) * channels;
            for (let c = 0; c < channels; c++) dx[base + c] = dx[base + c]! + share[c]!;
          }
        }
      }
    }
  }
}

/** Whether the windows tile the input without overlap or padding (the CNNs' 2 × 2 pooling): each pixel is in at most one. */
function windowsTile(g: PoolGeometry): boolean {
  return (
    g.strideH === g.filterH &&
    g.strideW === g.filterW &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outH * g.filterH <= g.inH &&
    g.outW * g.filterW <= g.inW
  );
}

function makeMaxPoolGrad(backendName: FastBackendName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const g = poolGeometry(poolInfo(input.shape, attrs as unknown as PoolAttrs));
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const simd = runner.simd(g.channels);
    if (simd != null) {
      return runner.create(input.shape, (dx, read) => {
        const [dxAt, xAt, dyAt] = [dx.byteOffset, read(input).byteOffset, read(dy).byteOffset];
        if (!windowsTile(g)) return simd.poolGrad(1, dxAt, xAt, dyAt, ...geometryArgs(g));
        simd.maxPoolGradDisjoint(dxAt, xAt, dyAt, g.batch, g.inH, g.inW, g.channels, g.outH, g.outW, g.filterH, g.filterW);
      });
    }
    return runner.create(input.shape, (dx, read) => maxPoolBackward(dx, read(input), read(dy), g));
  };
}

function makeAvgPoolGrad(backendName: FastBackendName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const g = poolGeometry(poolInfo(input.shape, attrs as unknown as PoolAttrs));
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const simd = runner.simd(g.channels);
    if (simd != null)
      return runner.create(input.shape, (dx, read) => simd.poolGrad(0, dx.byteOffset, 0, read(dy).byteOffset, ...geometryArgs(g)));
    return runner.create(input.shape, (dx, read) => avgPoolBackward(dx, read(dy), g));
  };
}

export function poolGradKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [
    { kernelName: 'MaxPoolGrad', backendName, kernelFunc: makeMaxPoolGrad(backendName) },
    { kernelName: 'AvgPoolGrad', backendName, kernelFunc: makeAvgPoolGrad(backendName) },
  ];
}
