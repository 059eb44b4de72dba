import * as tf from '@tensorflow/tfjs';
import { modelInputs } from './mask';

/** Feature matrices (count × rows × frames, row-major) and, optionally, the real frames of each (absent: all). */
export interface Examples {
  x: Float32Array;
  count: number;
  validFrames?: Int32Array;
}

/**
 * Softmax probabilities of the examples in inference mode, batch by batch; returns
 * count × numClasses. A masked model gets each clip's frame mask from validFrames. Read
 * asynchronously: the webgpu backend cannot read synchronously in Node.
 */
export async function predictProbabilities(
  model: tf.LayersModel,
  examples: Examples,
  rows: number,
  frames: number,
  batchSize = 64,
): Promise<Float32Array> {
  return await predictOutputs(model, examples, rows, frames, batchSize, true);
}

/** The model's logits (count × numClasses), as predictProbabilities runs it. */
export async function predictLogits(
  model: tf.LayersModel,
  examples: Examples,
  rows: number,
  frames: number,
  batchSize = 64,
): Promise<Float32Array> {
  return await predictOutputs(model, examples, rows, frames, batchSize, false);
}

async function predictOutputs(
  model: tf.LayersModel,
  examples: Examples,
  rows: number,
  frames: number,
  batchSize: number,
  softmax: boolean,
): Promise<Float32Array> {
  const { x, count, validFrames } = examples;
  const slot = rows * frames;
  const numClasses = (model.outputs[0]!.shape[1] as number) ?? 0;
  const out = new Float32Array(count * numClasses);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const probs = tf.tidy(() => {
      const xs = tf.tensor4d(x.subarray(start * slot, (start + n) * slot), [n, rows, frames, 1]);
      const logits = model.apply(modelInputs(model, xs, validFrames, start), { training: false }) as tf.Tensor2D;
      return softmax ? tf.softmax(logits) : logits;
    });
    try {
      out.set((await probs.data()) as Float32Array, start * numClasses);
    } finally {
      probs.dispose();
    }
  }
  return out;
}
