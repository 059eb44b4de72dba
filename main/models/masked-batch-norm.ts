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
  /** The real values per channel (a tensor: reading the mask back would stall a GPU backend). */
  count: tf.Scalar;
}

/**
 * x NHWC [batch, rows, time, channels]; mask [batch, time] (1 = real frame, 0 = padding). The
 * kernels take the mask as a tensor and refuse a batch without a real frame; nothing is read back.
 */
export function maskedBatchNormTrain(
  x: tf.Tensor4D,
  mask: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): MaskedBatchNormResult {
  const { y, mean, variance } = maskedKernel(x, mask, gamma, beta, epsilon);
  const count = tf.mul(tf.sum(tf.cast(tf.notEqual(mask, 0), 'float32')), x.shape[1]) as tf.Scalar;
  return { y, mean, variance, count };
}
