/**
 * CRNN: three conv blocks that pool frequency by 8 and time by 4, a bidirectional GRU over the
 * remaining time steps, attention pooling over time, and a linear classifier (logits). With a
 * frame mask (mask.ts) padding counts nowhere: batch norm, GRU and attention skip it.
 */
import * as tf from '@tensorflow/tfjs';
import { convBnRelu, dense, dropout, maxPool, poolMask } from './blocks';
import type { SeededInit } from './init';
import { BiGru } from './gru';
import { AttentionPooling } from './layers';

const GRU_UNITS = 64;

export function buildCrnn(
  input: tf.SymbolicTensor,
  mask: tf.SymbolicTensor | null,
  numClasses: number,
  init: SeededInit,
): tf.SymbolicTensor {
  let x = convBnRelu(input, { filters: 32, name: 'block1' }, init, mask);
  x = maxPool(x, [2, 2], 'block1_pool');
  const mask2 = poolMask(mask, 2, 'valid', 'block1_pool_mask');
  x = convBnRelu(x, { filters: 64, name: 'block2' }, init, mask2);
  x = maxPool(x, [2, 2], 'block2_pool');
  const mask3 = poolMask(mask2, 2, 'valid', 'block2_pool_mask');
  x = convBnRelu(x, { filters: 128, name: 'block3' }, init, mask3);
  x = maxPool(x, [2, 1], 'block3_pool');

  // [batch, freq, time, ch] -> [batch, time, freq * ch]: one feature vector per time step.
  const [, freq, time, channels] = x.shape as [null, number, number, number];
  x = tf.layers.permute({ dims: [2, 1, 3], name: 'time_major' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [time, freq * channels], name: 'sequence' }).apply(x) as tf.SymbolicTensor;
  x = dropout(x, 0.2, init, 'sequence_dropout');

  // Same math and weights as tf.layers.bidirectional(tf.layers.gru(...)), much faster on wasm (see gru.ts).
  const bound = 1 / Math.sqrt(GRU_UNITS);
  x = new BiGru({
    units: GRU_UNITS,
    kernelInitializer: init.uniform(bound),
    recurrentInitializer: init.uniform(bound),
    biasInitializer: init.uniform(bound),
    name: 'bigru',
  }).apply(mask3 ? [x, mask3] : x) as tf.SymbolicTensor;

  x = new AttentionPooling({ kernelInitializer: init.weights(), name: 'attention' }).apply(mask3 ? [x, mask3] : x) as tf.SymbolicTensor;
  x = dropout(x, 0.3, init, 'attention_dropout');
  return dense(x, numClasses, init, 'logits');
}
