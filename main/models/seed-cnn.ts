/**
 * The Python prototype's SimpleCNN, layer for layer:
 * 4 x [Conv2d 3x3 pad 1 (with bias) + BatchNorm2d + ReLU], max-pooling 2x2 after the first two,
 * AdaptiveAvgPool2d((2, 2)), Flatten, Linear 512 + ReLU + Dropout .5, Linear 128 + ReLU +
 * Dropout .3, Linear C (logits).
 */
import * as tf from '@tensorflow/tfjs';
import { convBnRelu, dense, dropout, maxPool } from './blocks';
import type { SeededInit } from './init';
import { AdaptiveAveragePooling2D, uniformPooling } from './layers';

/** AdaptiveAvgPool2d to `out`: a plain average pooling when PyTorch's bins allow, else the custom layer. */
export function adaptiveAvgPool(x: tf.SymbolicTensor, out: [number, number], name: string): tf.SymbolicTensor {
  const rows = uniformPooling(x.shape[1]!, out[0]);
  const cols = uniformPooling(x.shape[2]!, out[1]);
  if (rows != null && cols != null) {
    return tf.layers
      .averagePooling2d({ poolSize: [rows.size, cols.size], strides: [rows.stride, cols.stride], padding: 'valid', name })
      .apply(x) as tf.SymbolicTensor;
  }
  return new AdaptiveAveragePooling2D({ outputSize: out, name }).apply(x) as tf.SymbolicTensor;
}

export function buildSeedCnn(input: tf.SymbolicTensor, numClasses: number, init: SeededInit): tf.SymbolicTensor {
  let x = convBnRelu(input, { filters: 32, bias: true, name: 'block1' }, init);
  x = maxPool(x, [2, 2], 'block1_pool');
  x = convBnRelu(x, { filters: 64, bias: true, name: 'block2' }, init);
  x = maxPool(x, [2, 2], 'block2_pool');
  x = convBnRelu(x, { filters: 128, bias: true, name: 'block3' }, init);
  x = convBnRelu(x, { filters: 256, bias: true, name: 'block4' }, init);
  x = adaptiveAvgPool(x, [2, 2], 'adaptive_pool');
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = dense(x, 512, init, 'fc1', 'relu');
  x = dropout(x, 0.5, init, 'fc1_dropout');
  x = dense(x, 128, init, 'fc2', 'relu');
  x = dropout(x, 0.3, init, 'fc2_dropout');
  return dense(x, numClasses, init, 'logits');
}
