/**
 * Identity on wasm without a copy. tfjs clones every tensor it saves for backprop (an Identity
 * kernel per saved input/output), and the stock wasm Identity copies the data each time. Like
 * the cpu backend's Identity and wasm's own Reshape, this shares the buffer and counts the extra
 * reference; tfjs kernels never write into their inputs, so sharing is safe.
 */
import * as tf from '@tensorflow/tfjs';
import { originalKernel } from './runner';

const identity: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return originalKernel('Identity', 'wasm')!(args);
  (args.backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

export function wasmIdentityKernels(): tf.KernelConfig[] {
  return [{ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity }];
}
