/**
 * The ReLU gradient as one pass, dx = x > 0 ? dy : 0. tfjs computes it as dy * cast(step(x))
 * (three kernels, three passes over the activation); on wasm this is a SIMD loop, on cpu one
 * JavaScript loop. Other backends keep the stock math. (At x = NaN the stock gradient is NaN,
 * here 0; by then the training has diverged anyway.)
 */
import * as tf from '@tensorflow/tfjs';
import { hasKernel, KernelRunner, type FastBackendName } from './runner';

export const RELU_GRAD = 'SerReluGrad';

function reluBackward(dx: Float32Array, x: Float32Array, dy: Float32Array): void {
  for (let i = 0; i < dx.length; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
}

function makeReluGrad(backendName: FastBackendName): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const runner = new KernelRunner(backend as tf.KernelBackend, backendName);
    const size = tf.util.sizeFromShape(x.shape);
    const simd = runner.simd(size);
    if (simd != null)
      return runner.create(x.shape, (dx, read) => simd.reluGrad(dx.byteOffset, read(x).byteOffset, read(dy).byteOffset, size));
    return runner.create(x.shape, (dx, read) => reluBackward(dx, read(x), read(dy)));
  };
}

export function reluGradKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [{ kernelName: RELU_GRAD, backendName, kernelFunc: makeReluGrad(backendName) }];
}

let gradientRegistered = false;

/** Routes the Relu gradient through RELU_GRAD where the active backend has it (once per process). */
export function registerReluGradient(): void {
  if (gradientRegistered) return;
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      const dyT = dy as tf.Tensor;
      if (x.dtype === 'float32' && hasKernel(RELU_GRAD)) {
        return { x: () => tf.engine().runKernel(RELU_GRAD, { x, dy: dyT }) as tf.Tensor };
      }
      return { x: () => tf.mul(dyT, tf.cast(tf.step(x), 'float32')) };
    },
  });
  gradientRegistered = true;
}
