/**
 * ReLU on wasm as a single-threaded SIMD loop. The stock kernel runs on XNNPACK's thread pool,
 * whose hand-off to the other threads costs more than the work for a single clip's activations
 * (4 ReLUs of seed-cnn took ~0.5 ms with 2 threads, 0.04 ms with 1). Other dtypes and sizes
 * that are not a multiple of 4 go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelRunner, originalKernel } from './runner';

const relu: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const runner = new KernelRunner(args.backend as tf.KernelBackend, 'wasm');
  const size = tf.util.sizeFromShape(x.shape);
  const simd = runner.simd(size);
  if (x.dtype !== 'float32' || simd == null) return originalKernel('Relu', 'wasm')!(args);
  return runner.create(x.shape, (out, read) => simd.relu(out.byteOffset, read(x).byteOffset, size));
};

export function wasmReluKernels(): tf.KernelConfig[] {
  return [{ kernelName: 'Relu', backendName: 'wasm', kernelFunc: relu }];
}
