/**
 * Training-mode batch norm whose statistics come from the real frames only, with a hand-written
 * gradient (autodiff through the masked moments would cost about twice the passes). Plain tfjs
 * ops, so it runs the same on every backend.
 *
 * x is NHWC [batch, rows, time, channels], m the frame mask broadcast to [batch, 1, time, 1], n the
 * number of real values per channel (rows × real frames of the batch). Per channel:
 *   mean = Σ m x / n,  var = Σ m (x - mean)² / n,  s = 1/sqrt(var + eps),  x̂ = m (x - mean) s,
 *   y = m (gamma x̂ + beta)      (padded positions output 0, and nothing depends on them)
 * and, with dym = m dy,
 *   dbeta = Σ dym,  dgamma = Σ dym x̂,  dx = gamma s (dym - m dbeta / n - x̂ dgamma / n).
 */
import * as tf from '@tensorflow/tfjs';

const AXES = [0, 1, 2];

export interface MaskedBatchNormResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  /** Biased (divided by n), as the normalisation uses it. */
  variance: tf.Tensor1D;
  /** n as a scalar tensor, for the unbiased moving variance. */
  count: tf.Scalar;
}

export function maskedBatchNormTrain(
  x: tf.Tensor4D,
  mask: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): MaskedBatchNormResult {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D; count: tf.Scalar } | null = null;
  const rows = x.shape[1];
  const op = tf.customGrad((xIn, mIn, gammaIn, betaIn, save) => {
    const xs = xIn as tf.Tensor4D;
    const m = mIn as tf.Tensor4D;
    const g = gammaIn as tf.Tensor1D;
    const count = tf.mul(tf.sum(m), rows) as tf.Scalar;
    const mean = tf.div(tf.sum(tf.mul(xs, m), AXES), count) as tf.Tensor1D;
    const centered = tf.mul(tf.sub(xs, mean), m);
    const variance = tf.div(tf.sum(tf.square(centered), AXES), count) as tf.Tensor1D;
    const scale = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    const xHat = tf.mul(centered, scale);
    const y = tf.add(tf.mul(xHat, g), tf.mul(m, betaIn as tf.Tensor1D));
    // Everything but the value is disposed when this function returns, unless kept.
    stats = { mean: tf.keep(mean), variance: tf.keep(variance), count: tf.keep(count) };
    (save as tf.GradSaveFunc)([xHat, m, g, scale, count]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xh, ms, gs, s, n] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Scalar];
        const dym = tf.mul(dy as tf.Tensor, ms);
        const dbeta = tf.sum(dym, AXES);
        const dgamma = tf.sum(tf.mul(dym, xh), AXES);
        const gs_ = tf.mul(gs, s);
        const dx = tf.mul(tf.sub(tf.sub(dym, tf.mul(ms, tf.div(dbeta, n))), tf.mul(xh, tf.div(dgamma, n))), gs_);
        return [dx, tf.zerosLike(ms), dgamma, dbeta];
      },
    };
  });
  const y = op(x, mask, gamma, beta);
  // Hand the statistics to the caller's scope (clones share the data; the kept originals go).
  const kept = stats!;
  const result = { y, mean: tf.clone(kept.mean), variance: tf.clone(kept.variance), count: tf.clone(kept.count) };
  tf.dispose([kept.mean, kept.variance, kept.count]);
  return result;
}
