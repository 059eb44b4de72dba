/**
 * Sum over every axis but the last (per-channel sums of an NHWC tensor: every conv bias
 * gradient). The wasm Sum first transposes the reduced axes innermost, a full copy; this is
 * one pass that accumulates rows into the channel sums (in double precision).
 */
import * as tf from '@tensorflow/tfjs';
import { KernelRunner, originalKernel, type FastBackendName } from './runner';

export function reducesAllButLast(axis: number | number[], rank: number): boolean {
  const axes = tf.util.parseAxisParam(axis, new Array<number>(rank).fill(1)).sort((a, b) => a - b);
  return rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
}

function sumRows(values: Float32Array, channels: number, sums: Float64Array): void {
  for (let i = 0; i < values.length; i += channels) {
    for (let c = 0; c < channels; c++) sums[c] += values[i + c]!;
  }
}

function makeSum(backendName: FastBackendName): tf.KernelFunc {
  const stock = originalKernel('Sum', backendName)!;
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32' || !reducesAllButLast(axis, x.shape.length)) return stock(args);
    const channels = x.shape[x.shape.length - 1]!;
    const outShape = keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.create(outShape, (out, read) => {
      const sums = new Float64Array(channels);
      sumRows(read(x), channels, sums);
      out.set(sums);
    });
  };
}

export function reductionKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [{ kernelName: 'Sum', backendName, kernelFunc: makeSum(backendName) }];
}
