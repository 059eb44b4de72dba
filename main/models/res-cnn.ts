/**
 * A compact residual CNN: a 3x3 stem and a 2x2 max-pool, four residual blocks (two 3x3 conv +
 * BN each, a 1x1 conv + BN shortcut where the shape changes; the last three halve the
 * resolution), global average pooling, dropout and a linear classifier (logits). About 270k
 * parameters; pooling before the blocks keeps its compute below the seed CNN's. With a frame
 * mask (mask.ts), batch norm and the global pooling count real frames only, and every block
 * outputs 0 on padded frames.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNorm, conv, convBnRelu, dense, dropout, maxPool, poolMask, relu } from './blocks';
import type { SeededInit } from './init';
import { MaskedGlobalAveragePooling } from './mask';

const BLOCKS: { filters: number; strides: number }[] = [
  { filters: 32, strides: 1 },
  { filters: 48, strides: 2 },
  { filters: 64, strides: 2 },
  { filters: 96, strides: 2 },
];

/** `mask` is the block output's frame mask (the input's, pooled by the stride). */
function residualBlock(
  x: tf.SymbolicTensor,
  filters: number,
  strides: number,
  name: string,
  init: SeededInit,
  mask: tf.SymbolicTensor | null,
): tf.SymbolicTensor {
  let y = convBnRelu(x, { filters, strides, name: `${name}_a` }, init, mask);
  y = batchNorm(conv(y, { filters, name: `${name}_b_conv` }, init), `${name}_b_bn`, mask);
  let shortcut = x;
  if (strides !== 1 || x.shape[3] !== filters) {
    shortcut = batchNorm(conv(x, { filters, kernel: 1, strides, name: `${name}_shortcut_conv` }, init), `${name}_shortcut_bn`, mask);
  }
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return relu(sum, `${name}_relu`);
}

export function buildResCnn(
  input: tf.SymbolicTensor,
  mask: tf.SymbolicTensor | null,
  numClasses: number,
  init: SeededInit,
): tf.SymbolicTensor {
  let x = convBnRelu(input, { filters: 32, name: 'stem' }, init, mask);
  x = maxPool(x, [2, 2], 'stem_pool');
  let blockMask = poolMask(mask, 2, 'valid', 'stem_pool_mask');
  BLOCKS.forEach((block, i) => {
    // A strided 'same' conv keeps a partial last window, as the 'same' mask pooling does.
    blockMask = poolMask(blockMask, block.strides, 'same', `res${i + 1}_mask`);
    x = residualBlock(x, block.filters, block.strides, `res${i + 1}`, init, blockMask);
  });
  x = blockMask
    ? (new MaskedGlobalAveragePooling({ name: 'global_pool' }).apply([x, blockMask]) as tf.SymbolicTensor)
    : (tf.layers.globalAveragePooling2d({ name: 'global_pool' }).apply(x) as tf.SymbolicTensor);
  x = dropout(x, 0.3, init, 'dropout');
  return dense(x, numClasses, init, 'logits');
}
