/**
 * Building blocks shared by the models: conv + batch norm + ReLU with PyTorch's conventions
 * (BatchNorm2d eps 1e-5, momentum 0.1, i.e. our momentum 0.9).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dWithBias } from '../compute/kernels';
import type { SeededInit } from './init';
import { SeededDropout } from './dropout';
import { BatchNorm } from './layers';
import { PoolMask } from './mask';

export interface ConvSpec {
  filters: number;
  kernel?: number;
  strides?: number;
  bias?: boolean;
  name: string;
}

/** With a frame mask: statistics over real frames, padded frames output 0 (see BatchNorm). */
export function batchNorm(x: tf.SymbolicTensor, name: string, mask: tf.SymbolicTensor | null = null): tf.SymbolicTensor {
  return new BatchNorm({ epsilon: 1e-5, momentum: 0.9, name }).apply(mask ? [x, mask] : x) as tf.SymbolicTensor;
}

export function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.activation({ activation: 'relu', name }).apply(x) as tf.SymbolicTensor;
}

export function conv(x: tf.SymbolicTensor, spec: ConvSpec, init: SeededInit): tf.SymbolicTensor {
  const kernel = spec.kernel ?? 3;
  const inChannels = x.shape[3]!;
  const bias = spec.bias ?? false;
  const layer = tf.layers.conv2d({
    filters: spec.filters,
    kernelSize: kernel,
    strides: spec.strides ?? 1,
    padding: 'same',
    useBias: bias,
    kernelInitializer: init.weights(),
    ...(bias ? { biasInitializer: init.bias(kernel * kernel * inChannels) } : {}),
    name: spec.name,
  });
  trainConvWithoutWaste(layer, spec.strides ?? 1, isModelInput(x), bias);
  return layer.apply(x) as tf.SymbolicTensor;
}

/** The model input, or the model input with its padded frames zeroed (a masked model's first conv). */
function isModelInput(x: tf.SymbolicTensor): boolean {
  if (!(x.sourceLayer instanceof tf.layers.Layer)) return false;
  const kind = x.sourceLayer.getClassName();
  return kind === 'InputLayer' || kind === 'ApplyMask';
}

/**
 * How a conv layer runs in training. With a bias: conv2dWithBias (its filter and bias gradients
 * in one pass, no input gradient on the model input). Without one, on the model input: conv2d,
 * whose gradient with respect to its input is only computed where used, where the layer's fused
 * conv op always computes it (19 ms of a 500 ms seed-cnn step when measured). Same weights and
 * math; the layer still serialises as a stock Conv2D, and inference keeps the fused op.
 */
function trainConvWithoutWaste(layer: tf.layers.Layer, strides: number, onModelInput: boolean, bias: boolean): void {
  if (!bias && !onModelInput) return;
  const fusedCall = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    if (kwargs['training'] !== true) return fusedCall(inputs, kwargs);
    return tf.tidy(() => {
      const input = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [kernelWeight, biasWeight] = layer.weights;
      const filter = kernelWeight!.read() as tf.Tensor4D;
      if (biasWeight == null) return tf.conv2d(input, filter, strides, 'same');
      return conv2dWithBias(input, filter, biasWeight.read() as tf.Tensor1D, { strides, inputGradient: !onModelInput });
    });
  };
}

/**
 * conv -> batch norm -> ReLU, layers named `${name}_conv`, `${name}_bn`, `${name}_relu`. `mask`
 * is the frame mask of the conv's output (padded frames come out 0).
 */
export function convBnRelu(
  x: tf.SymbolicTensor,
  spec: ConvSpec,
  init: SeededInit,
  mask: tf.SymbolicTensor | null = null,
): tf.SymbolicTensor {
  const y = conv(x, { ...spec, name: `${spec.name}_conv` }, init);
  return relu(batchNorm(y, `${spec.name}_bn`, mask), `${spec.name}_relu`);
}

export function maxPool(x: tf.SymbolicTensor, pool: [number, number], name: string): tf.SymbolicTensor {
  return tf.layers.maxPooling2d({ poolSize: pool, strides: pool, padding: 'valid', name }).apply(x) as tf.SymbolicTensor;
}

/** The frame mask of a map whose time axis was pooled or strided by `pool` (null stays null: no mask). */
export function poolMask(mask: tf.SymbolicTensor | null, pool: number, padding: 'valid' | 'same', name: string): tf.SymbolicTensor | null {
  if (mask == null || pool === 1) return mask;
  return new PoolMask({ pool, padding, name }).apply(mask) as tf.SymbolicTensor;
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
