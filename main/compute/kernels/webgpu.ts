/**
 * What tfjs-backend-webgpu 4.22 lacks for our models. Its AddN binds every input as a storage
 * buffer, so past the device's maxStorageBuffersPerShaderStage - 1 inputs (7 on many adapters)
 * the pipeline is invalid and the sum silently wrong: the global gradient norm sums one term
 * per weight. Here larger sums are added in groups that fit, the partial sums then added.
 * (Our batch norm, ReLU gradient and the conv/pool gradients run as stock tfjs ops on webgpu.)
 */
import * as tf from '@tensorflow/tfjs';

interface WebGpuBackendLike extends tf.KernelBackend {
  device: GPUDevice;
}

let registered = false;

export function registerWebGpuKernels(): void {
  if (registered) return;
  const stock = tf.getKernel(tf.AddN, 'webgpu');
  if (stock == null) throw new Error('tfjs-backend-webgpu registered no AddN kernel');
  const stockAddN = stock.kernelFunc;
  const addN: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const tensors = inputs as unknown as tf.TensorInfo[];
    const limit = Math.max(2, (backend as WebGpuBackendLike).device.limits.maxStorageBuffersPerShaderStage - 1);
    if (tensors.length <= limit) return stockAddN({ inputs, backend, attrs });
    const partial: tf.TensorInfo[] = [];
    for (let i = 0; i < tensors.length; i += limit) {
      const group = tensors.slice(i, i + limit);
      partial.push(stockAddN({ inputs: group as unknown as tf.NamedTensorInfoMap, backend, attrs }) as tf.TensorInfo);
    }
    const sum = addN({ inputs: partial as unknown as tf.NamedTensorInfoMap, backend, attrs }) as tf.TensorInfo;
    for (const info of partial) (backend as tf.KernelBackend).disposeData(info.dataId);
    return sum;
  };
  tf.unregisterKernel(tf.AddN, 'webgpu');
  tf.registerKernel({ ...stock, kernelFunc: addN });
  registered = true;
}
