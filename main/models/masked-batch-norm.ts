/**
 * Training-mode batch norm whose statistics come from the real frames only: the real pixels are
 * gathered into one [n, channels] matrix, normalised by the same fused batch-norm op as unmasked
 * layers (statistics, gradient and numerics alike: compute/kernels/batch-norm.ts), and scattered
 * back into zeros, so padded positions output 0 and get no gradient. Gather and scatter are each
 * other's gradient (written here: tfjs has no gradient for scatterND, and on wasm none for
 * gather). Exact, but on wasm tf.gather is slow (a 256k × 32 gather costs more than the fused
 * op itself), so masked layers train slower than unmasked ones; the fix is a masked variant of
 * the fused kernels (per-pixel weights in their channel sums and in dx).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from '../compute/kernels';

export interface MaskedBatchNormResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  /** Biased (divided by count), as the normalisation uses it. */
  variance: tf.Tensor1D;
  /** The real values per channel. */
  count: number;
}

/** The pixel indices (into x viewed as [batch·rows·time, channels]) of the real frames. */
function realPixels(mask: Float32Array | Int32Array | Uint8Array, batch: number, rows: number, time: number): Int32Array {
  const indices: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < time; t++) {
      if (mask[b * time + t] === 0) continue;
      for (let r = 0; r < rows; r++) indices.push((b * rows + r) * time + t);
    }
  }
  return Int32Array.from(indices);
}

/** Rows `indices` of a [pixels, channels] matrix, and (as gradient) the scatter back. */
function gatherRows(indices: Int32Array, pixels: number): (x: tf.Tensor2D) => tf.Tensor2D {
  return tf.customGrad((x, _save) => ({
    value: tf.gather(x as tf.Tensor2D, tf.tensor1d(indices, 'int32')),
    gradFunc: (dy) => scatter(indices, dy as tf.Tensor2D, pixels),
  })) as (x: tf.Tensor2D) => tf.Tensor2D;
}

/** [n, channels] rows placed at `indices` of a zero [pixels, channels] matrix, and (as gradient) the gather back. */
function scatterRows(indices: Int32Array, pixels: number): (rows: tf.Tensor2D) => tf.Tensor2D {
  return tf.customGrad((rows, _save) => ({
    value: scatter(indices, rows as tf.Tensor2D, pixels),
    gradFunc: (dy) => tf.gather(dy as tf.Tensor2D, tf.tensor1d(indices, 'int32')),
  })) as (rows: tf.Tensor2D) => tf.Tensor2D;
}

function scatter(indices: Int32Array, rows: tf.Tensor2D, pixels: number): tf.Tensor2D {
  return tf.scatterND(tf.tensor2d(indices, [indices.length, 1], 'int32'), rows, [pixels, rows.shape[1]]);
}

/**
 * x NHWC [batch, rows, time, channels]; mask [batch, time] (1 = real frame). The mask is read
 * back to build the gather indices (a sync point on GPU backends; on the CPU backends it is an
 * array already).
 */
export function maskedBatchNormTrain(
  x: tf.Tensor4D,
  mask: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): MaskedBatchNormResult {
  const [batch, rows, time, channels] = x.shape;
  const pixels = batch * rows * time;
  const indices = realPixels(mask.dataSync() as Float32Array, batch, rows, time);
  if (indices.length === 0) throw new Error('masked batch norm: the batch has no real frame');
  const real = gatherRows(indices, pixels)(tf.reshape(x, [pixels, channels]));
  const { y, mean, variance } = batchNormTrain(real, gamma, beta, epsilon);
  const out = tf.reshape(scatterRows(indices, pixels)(y as tf.Tensor2D), x.shape);
  return { y: out, mean, variance, count: indices.length };
}
