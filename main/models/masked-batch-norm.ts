/**
 * Training-mode batch norm whose statistics come from the real frames only, with a hand-written
 * gradient. Plain tfjs ops, so it runs the same on every backend; it is laid out for the CPU
 * backends, where each full-size intermediate is a pass over memory: channel sums are
 * matrix-vector products ([1, P] × [P, C], no transpose as tf.sum over axes 0-2 makes), and
 * the forward and backward passes make 6 full-size tensors each.
 *
 * x is NHWC [batch, rows, time, channels], viewed as X [P, C] (P pixels); m the pixel mask
 * (1 on real frames); n = Σ m, the real values per channel. Per channel:
 *   mean = Σ m x / n,  xc = m (x - mean),  var = Σ xc² / n,  s = 1/sqrt(var + eps),
 *   y = m (gamma s xc + beta)      (padded positions output 0, and nothing depends on them)
 * and, with dbeta = Σ m dy and dgamma = s Σ dy xc,
 *   dx = m (gamma s dy - gamma s dbeta / n) - xc gamma s² dgamma / n.
 */
import * as tf from '@tensorflow/tfjs';

export interface MaskedBatchNormResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  /** Biased (divided by n), as the normalisation uses it. */
  variance: tf.Tensor1D;
  /** n as a scalar tensor, for the unbiased moving variance. */
  count: tf.Scalar;
}

/** `mask` is the frame mask broadcast as [batch, 1, time, 1]. */
export function maskedBatchNormTrain(
  x: tf.Tensor4D,
  mask: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): MaskedBatchNormResult {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D; count: tf.Scalar } | null = null;
  const [batch, rows, time, channels] = x.shape;
  const pixels = batch * rows * time;
  const op = tf.customGrad((xIn, mIn, gammaIn, betaIn, save) => {
    const X = tf.reshape(xIn as tf.Tensor, [pixels, channels]);
    // The pixel mask as a row (for sums) and a column (to zero padded rows of X).
    // (A broadcast multiply: tf.tile is far slower on wasm.)
    const mRow = tf.reshape(tf.mul(mIn as tf.Tensor4D, tf.ones([1, rows, 1, 1])), [1, pixels]);
    const mCol = tf.reshape(mRow, [pixels, 1]);
    const count = tf.sum(mRow) as tf.Scalar;
    const mean = tf.reshape(tf.div(tf.matMul(mRow, X), count), [channels]) as tf.Tensor1D;
    const centered = tf.mul(tf.sub(X, mean), mCol);
    const variance = tf.reshape(tf.div(tf.matMul(mRow, tf.square(centered)), count), [channels]) as tf.Tensor1D;
    const scale = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    const g = gammaIn as tf.Tensor1D;
    const y = tf.mul(tf.add(tf.mul(centered, tf.mul(g, scale)), betaIn as tf.Tensor1D), mCol);
    // Everything but the value is disposed when this function returns, unless kept.
    stats = { mean: tf.keep(mean), variance: tf.keep(variance), count: tf.keep(count) };
    (save as tf.GradSaveFunc)([centered, mRow, g, scale, count]);
    return {
      value: tf.reshape(y, x.shape),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xc, mr, gs, s, n] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Scalar];
        const dY = tf.reshape(dy as tf.Tensor, [pixels, channels]);
        const mc = tf.reshape(mr, [pixels, 1]);
        const dbeta = tf.reshape(tf.matMul(mr, dY), [channels]);
        const dgamma = tf.mul(tf.reshape(tf.matMul(mr, tf.mul(dY, xc)), [channels]), s);
        const gammaScale = tf.mul(gs, s);
        const shift = tf.neg(tf.div(tf.mul(gammaScale, dbeta), n));
        const slope = tf.neg(tf.div(tf.mul(tf.mul(gammaScale, s), dgamma), n));
        const dx = tf.add(tf.mul(tf.add(tf.mul(dY, gammaScale), shift), mc), tf.mul(xc, slope));
        return [tf.reshape(dx, x.shape), tf.zeros(mask.shape), dgamma, dbeta];
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
