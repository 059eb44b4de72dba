/**
 * Faster (and, on wasm, missing) training kernels for the wasm and cpu backends. tfjs 4.22 wasm
 * has no Conv2DBackpropFilter at all, and the cpu conv gradients are naive loops; see each file.
 */
import * as tf from '@tensorflow/tfjs';
import { adamKernels } from './adam';
import { batchNormKernels } from './batch-norm';
import { blasKernels } from './blas-kernels';
import { conv2dGradKernels } from './conv2d-grads';
import { dnnlKernels } from './dnnl-kernels';
import { gruKernels } from './gru';
import { wasmIdentityKernels } from './identity';
import { wasmMatMulKernels } from './matmul';
import { poolGradKernels } from './pool-grads';
import { reductionKernels } from './reductions';
import { wasmReluKernels } from './relu';
import { registerReluGradient, reluGradKernels } from './relu-grad';
import { rememberOriginal, type FastBackendName } from './runner';
import { wasmSliceKernels } from './slice';

export { batchNormTrain, maskedBatchNormTrain, type BatchNormTrainResult, type MaskedBatchNormTrainResult } from './batch-norm';
export { ADAM_STEP, type AdamStepAttrs } from './adam';
export { conv2dWithBias } from './conv-train';
export { hasKernel, originalKernel, type FastBackendName } from './runner';
export { activeDnnl, blasKernelsActive, dnnlActive, useBlasKernels, useDnnl } from './blas-kernels';
export { biGruSequence, fusedGruAvailable, useFusedGru, type GruWeights } from './gru';
export { prepareSimdLoops, useSimdLoops } from './simd-loops';

const registered = new Set<FastBackendName>();

function replaceKernel(config: tf.KernelConfig): void {
  const existing = tf.getKernel(config.kernelName, config.backendName);
  if (existing == null) {
    tf.registerKernel(config);
    return;
  }
  rememberOriginal(config.kernelName, config.backendName, existing.kernelFunc);
  tf.unregisterKernel(config.kernelName, config.backendName);
  // Our kernels call the stock one, which binds to each new backend instance in its setupFunc
  // (wasm: the module's exports); keep that hook, or a recreated backend calls a dead module.
  const hooks: Partial<tf.KernelConfig> = {};
  if (existing.setupFunc != null) hooks.setupFunc = existing.setupFunc;
  if (existing.disposeFunc != null) hooks.disposeFunc = existing.disposeFunc;
  tf.registerKernel({ ...config, ...hooks });
}

/** Builds the kernels; each captures the stock kernel it may delegate to, so call before replacing. */
function kernelsFor(backendName: FastBackendName): tf.KernelConfig[] {
  return [
    ...conv2dGradKernels(backendName),
    ...poolGradKernels(backendName),
    ...reductionKernels(backendName),
    ...batchNormKernels(backendName),
    ...reluGradKernels(backendName),
    ...gruKernels(backendName),
    ...adamKernels(backendName),
    ...(backendName === 'wasm' ? [...wasmMatMulKernels(), ...wasmIdentityKernels(), ...wasmSliceKernels(), ...wasmReluKernels()] : []),
  ];
}

/** Installs the kernels for one backend; later calls for the same backend do nothing. */
export function registerFastKernels(backendName: FastBackendName): void {
  if (registered.has(backendName)) return;
  const kernels = kernelsFor(backendName);
  for (const config of kernels) replaceKernel(config);
  // The BLAS and then the oneDNN kernels wrap the ones installed before them (their fallback).
  for (const config of blasKernels(backendName)) replaceKernel(config);
  for (const config of dnnlKernels(backendName)) replaceKernel(config);
  registerReluGradient();
  registered.add(backendName);
}
