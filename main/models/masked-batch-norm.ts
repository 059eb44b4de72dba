/**
 * Training-mode batch norm whose statistics come from the real frames only: the masked variant
 * of the fused batch-norm op (compute/kernels/batch-norm.ts) takes the frame mask as an input and
 * sums over the real pixels only (statistics, gradient and numerics as for unmasked layers);
 * padded positions output 0 and get no gradient. On wasm and cpu it is one pass over the real
 * pixels per sum, so masked layers cost about what unmasked ones do; on other backends (webgpu)
 * the same math runs as broadcast tfjs ops.
 */
import * as tf from '@tensorflow/tfjs';
import { maskedBatchNormTrain as maskedKernel } from '../compute/kernels';

export interface MaskedBatchNormResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  /** Biased (divided by count), as the normalisation uses it. */
  variance: tf.Tensor1D;
  /** The real values per channel. */
  count: number;
}

/**
 * x NHWC [batch, rows, time, channels]; mask [batch, time] (1 = real frame, 0 = padding). The
 * kernels take the mask as a tensor; only `count` reads it back (free on wasm and cpu, where
 * tensor data lives in memory already; a small sync on GPU backends).
 */
export function maskedBatchNormTrain(
  x: tf.Tensor4D,
  mask: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): MaskedBatchNormResult {
  const rows = x.shape[1];
  let realFrames = 0;
  for (const value of mask.dataSync()) if (value !== 0) realFrames++;
  if (realFrames === 0) throw new Error('masked batch norm: the batch has no real frame');
  const { y, mean, variance } = maskedKernel(x, mask, gamma, beta, epsilon);
  return { y, mean, variance, count: realFrames * rows };
}
