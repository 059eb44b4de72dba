/**
 * Slice, Unpack and Reverse on wasm as copies of contiguous runs. The stock Slice reads the
 * entire input out of the heap (a full copy) for every slice, so Unpack of a sequence into its
 * T time steps copies the sequence T times (the GRU layers unstack their input this way); the
 * stock Reverse walks element by element. These copy whole runs, straight from the heap.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelRunner, originalKernel, type Values } from './runner';

/** Copies the block [begin, begin + size) of x (shape `shape`) into out, in row-major order. */
function copyBlock(out: Values, x: Values, shape: number[], begin: number[], size: number[]): void {
  const rank = shape.length;
  // Trailing dimensions taken whole, plus the one before them, are contiguous: one run each
  // time the leading dimensions [0, runDim) advance.
  let whole = rank;
  while (whole > 0 && size[whole - 1] === shape[whole - 1]) whole--;
  const runDim = Math.max(0, whole - 1);
  const run = tf.util.sizeFromShape(size.slice(runDim));
  const strides = [...tf.util.computeStrides(shape), 1];
  let base = 0;
  for (let d = 0; d < rank; d++) base += begin[d]! * strides[d]!;
  const index = new Array<number>(runDim).fill(0);
  const runs = tf.util.sizeFromShape(size.slice(0, runDim));
  for (let r = 0; r < runs; r++) {
    let source = base;
    for (let d = 0; d < runDim; d++) source += index[d]! * strides[d]!;
    out.set(x.subarray(source, source + run), r * run);
    for (let d = runDim - 1; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
}

const slice: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string' || x.dtype === 'complex64') return originalKernel('Slice', 'wasm')!(args);
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  const runner = new KernelRunner(args.backend as tf.KernelBackend, 'wasm');
  return runner.createTyped(size_, x.dtype, (out, read) => copyBlock(out, read(x), x.shape, begin_, size_));
};

const unpack: tf.KernelFunc = (args) => {
  const { value } = args.inputs as { value: tf.TensorInfo };
  if (value.dtype === 'string' || value.dtype === 'complex64') return originalKernel('Unpack', 'wasm')!(args);
  const rank = value.shape.length;
  let { axis } = args.attrs as unknown as { axis: number };
  if (axis < 0) axis += rank;
  const runner = new KernelRunner(args.backend as tf.KernelBackend, 'wasm');
  const size = value.shape.slice();
  size[axis] = 1;
  const outShape = value.shape.filter((_, d) => d !== axis);
  return Array.from({ length: value.shape[axis]! }, (_, i) => {
    const begin = new Array<number>(rank).fill(0);
    begin[axis] = i;
    return runner.createTyped(outShape, value.dtype, (out, read) => copyBlock(out, read(value), value.shape, begin, size));
  });
};

/** out = x with the axes in `dims` reversed; the dimensions after the last reversed one are copied as runs. */
function reverseInto(out: Values, x: Values, shape: number[], dims: Set<number>): void {
  const last = Math.max(...dims);
  const run = tf.util.sizeFromShape(shape.slice(last + 1));
  const strides = [...tf.util.computeStrides(shape), 1];
  const index = new Array<number>(last + 1).fill(0);
  const runs = tf.util.sizeFromShape(shape.slice(0, last + 1));
  for (let r = 0; r < runs; r++) {
    let source = 0;
    for (let d = 0; d <= last; d++) source += (dims.has(d) ? shape[d]! - 1 - index[d]! : index[d]!) * strides[d]!;
    if (run === 1) out[r] = x[source]!;
    else out.set(x.subarray(source, source + run), r * run);
    for (let d = last; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
}

const reverse: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const rank = x.shape.length;
  const { dims } = args.attrs as unknown as { dims: number | number[] };
  const axes = new Set(tf.util.parseAxisParam(dims, x.shape));
  if (x.dtype === 'string' || x.dtype === 'complex64' || rank === 0 || axes.size === 0) return originalKernel('Reverse', 'wasm')!(args);
  const runner = new KernelRunner(args.backend as tf.KernelBackend, 'wasm');
  return runner.createTyped(x.shape, x.dtype, (out, read) => reverseInto(out, read(x), x.shape, axes));
};

export function wasmSliceKernels(): tf.KernelConfig[] {
  return [
    { kernelName: 'Slice', backendName: 'wasm', kernelFunc: slice },
    { kernelName: 'Unpack', backendName: 'wasm', kernelFunc: unpack },
    { kernelName: 'Reverse', backendName: 'wasm', kernelFunc: reverse },
  ];
}
