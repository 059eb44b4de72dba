/**
 * Gradient clipping by global norm, mirroring torch.nn.utils.clip_grad_norm_ (norm_type 2):
 * total = √(Σ‖g‖²) over all gradients; coef = maxNorm / (total + 1e-6); when coef < 1 every
 * gradient is multiplied by coef. PyTorch multiplies by min(coef, 1), which is the same thing.
 * A non-finite norm leaves the gradients untouched and is reported as the norm, so the caller
 * can skip the step.
 */
import * as tf from '@tensorflow/tfjs';

export interface ClipResult {
  /** The scaled gradients, or the very same object when nothing was clipped. */
  grads: Record<string, tf.Tensor>;
  globalNorm: number;
  clipped: boolean;
}

/** Clips `grads` to `maxNorm`; the tensors it replaces are disposed. */
export async function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): Promise<ClipResult> {
  const globalNorm = await computeGlobalNorm(Object.values(grads));
  const coef = maxNorm / (globalNorm + 1e-6);
  if (!(coef < 1)) return { grads, globalNorm, clipped: false };
  const scaled: Record<string, tf.Tensor> = {};
  for (const [name, grad] of Object.entries(grads)) {
    scaled[name] = tf.tidy(() => tf.mul(grad, coef));
    grad.dispose();
  }
  return { grads: scaled, globalNorm, clipped: true };
}

async function computeGlobalNorm(tensors: tf.Tensor[]): Promise<number> {
  if (tensors.length === 0) return 0;
  const norm = tf.tidy(() => tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))));
  const value = (await norm.data())[0]!;
  norm.dispose();
  return value;
}
