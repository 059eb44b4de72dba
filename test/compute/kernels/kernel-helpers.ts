/** Shared by the kernel tests: deterministic inputs, the stock cpu kernels as reference, closeness. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { originalKernel } from '../../../main/compute/kernels';

export type Attrs = tf.NamedAttrMap;

export interface Input {
  shape: number[];
  values: Float32Array;
}

/** A deterministic source of values in [-1, 1) (an LCG), one per test file. */
export function valueSource(seed: number): { random(shape: number[]): Float32Array; input(shape: number[]): Input } {
  let state = seed;
  const random = (shape: number[]): Float32Array => {
    const values = new Float32Array(tf.util.sizeFromShape(shape));
    for (let i = 0; i < values.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      values[i] = (state / 2 ** 32) * 2 - 1;
    }
    return values;
  };
  return { random, input: (shape) => ({ shape, values: random(shape) }) };
}

/** Runs the stock cpu kernel `name` (as tfjs shipped it) on plain arrays. */
export function stockCpu(name: string, inputs: Record<string, Input>, attrs: Attrs): Float32Array {
  const backend = tf.engine().findBackend('cpu') as tf.KernelBackend & {
    makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
  };
  const infos: tf.NamedTensorInfoMap = {};
  for (const [key, value] of Object.entries(inputs)) infos[key] = backend.makeTensorInfo(value.shape, 'float32', value.values);
  const out = originalKernel(name, 'cpu')!({ inputs: infos, backend, attrs }) as tf.TensorInfo;
  const result = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
  for (const info of [...Object.values(infos), out]) backend.disposeData(info!.dataId);
  return result;
}

/** Runs the registered (our) kernel on the active backend. */
export function active(name: string, inputs: Record<string, Input>, attrs: Attrs): Float32Array {
  return tf.tidy(() => {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [key, value] of Object.entries(inputs)) tensors[key] = tf.tensor(value.values, value.shape);
    const out = tf.engine().runKernel(name, tensors, attrs) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/** The worst absolute difference, relative to the largest expected magnitude, is within `tolerance`. */
export function expectClose(actual: Float32Array | number[], expected: Float32Array | number[], tolerance = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  }
  expect(worst / scale).toBeLessThanOrEqual(tolerance);
}
