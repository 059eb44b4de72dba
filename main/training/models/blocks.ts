/**
 * Building blocks shared by the models: conv + batch norm + ReLU with PyTorch's conventions
 * (BatchNorm2d eps 1e-5, momentum 0.1, i.e. our momentum 0.9).
 */
import * as tf from '@tensorflow/tfjs';
import type { SeededInit } from './init';
import { SeededDropout } from './dropout';
import { BatchNorm } from './layers';

export interface ConvSpec {
  filters: number;
  kernel?: number;
  strides?: number;
  bias?: boolean;
  name: string;
}

export function batchNorm(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return new BatchNorm({ epsilon: 1e-5, momentum: 0.9, name }).apply(x) as tf.SymbolicTensor;
}

export function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.activation({ activation: 'relu', name }).apply(x) as tf.SymbolicTensor;
}

export function conv(x: tf.SymbolicTensor, spec: ConvSpec, init: SeededInit): tf.SymbolicTensor {
  const kernel = spec.kernel ?? 3;
  const inChannels = x.shape[3]!;
  const bias = spec.bias ?? false;
  return tf.layers
    .conv2d({
      filters: spec.filters,
      kernelSize: kernel,
      strides: spec.strides ?? 1,
      padding: 'same',
      useBias: bias,
      kernelInitializer: init.weights(),
      ...(bias ? { biasInitializer: init.bias(kernel * kernel * inChannels) } : {}),
      name: spec.name,
    })
    .apply(x) as tf.SymbolicTensor;
}

/** conv -> batch norm -> ReLU, layers named `${name}_conv`, `${name}_bn`, `${name}_relu`. */
export function convBnRelu(x: tf.SymbolicTensor, spec: ConvSpec, init: SeededInit): tf.SymbolicTensor {
  const y = conv(x, { ...spec, name: `${spec.name}_conv` }, init);
  return relu(batchNorm(y, `${spec.name}_bn`), `${spec.name}_relu`);
}

export function maxPool(x: tf.SymbolicTensor, pool: [number, number], name: string): tf.SymbolicTensor {
  return tf.layers.maxPooling2d({ poolSize: pool, strides: pool, padding: 'valid', name }).apply(x) as tf.SymbolicTensor;
}

/** Dense with PyTorch Linear's default initialisation. */
export function dense(
  x: tf.SymbolicTensor,
  units: number,
  init: SeededInit,
  name: string,
  activation: 'relu' | 'linear' = 'linear',
): tf.SymbolicTensor {
  const fanIn = x.shape[x.shape.length - 1]!;
  return tf.layers
    .dense({ units, activation, kernelInitializer: init.weights(), biasInitializer: init.bias(fanIn), name })
    .apply(x) as tf.SymbolicTensor;
}

/** Dropout with seeded masks (see SeededDropout), so a run's seed fixes its dropout too. */
export function dropout(x: tf.SymbolicTensor, rate: number, init: SeededInit, name: string): tf.SymbolicTensor {
  return new SeededDropout({ rate, seed: init.layerSeed(), name }).apply(x) as tf.SymbolicTensor;
}
