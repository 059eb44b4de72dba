import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm } from '../../main/training/clip';

describe('clipByGlobalNorm', async () => {
  it('scales by maxNorm / (norm + 1e-6) when the global norm is too large, disposing the originals', async () => {
    // Global norm of [3, 4] and [12] is √(9 + 16 + 144) = 13.
    const a = tf.tensor1d([3, 4]);
    const b = tf.tensor2d([[12]]);
    const result = await clipByGlobalNorm({ a, b }, 1);
    expect(result.clipped).toBe(true);
    expect(result.globalNorm).toBeCloseTo(13, 5);
    const coef = 1 / (13 + 1e-6);
    const clippedA = result.grads.a!.dataSync();
    expect(clippedA[0]).toBeCloseTo(3 * coef, 6);
    expect(clippedA[1]).toBeCloseTo(4 * coef, 6);
    expect(result.grads.b!.shape).toEqual([1, 1]);
    expect(result.grads.b!.dataSync()[0]).toBeCloseTo(12 * coef, 6);
    expect(a.isDisposed && b.isDisposed).toBe(true);
    tf.dispose(Object.values(result.grads));
  });

  it('returns the same gradients untouched when under the limit', async () => {
    const grads = { a: tf.tensor1d([0.3, 0.4]) };
    const result = await clipByGlobalNorm(grads, 1);
    expect(result.grads).toBe(grads);
    expect(result.clipped).toBe(false);
    expect(result.globalNorm).toBeCloseTo(0.5, 6);
    expect(grads.a.isDisposed).toBe(false);
    grads.a.dispose();
  });

  it('leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const result = await clipByGlobalNorm({ a: tf.ones([4, 4]), b: tf.ones([3]) }, 0.5);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose(Object.values(result.grads));
    expect(await clipByGlobalNorm({}, 1)).toEqual({ grads: {}, globalNorm: 0, clipped: false });
  });
});
