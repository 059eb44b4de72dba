import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, getBackendInfo, initBackend } from '../../main/compute/backend';

/** A small conv + dense gradient: exercises the kernels every model needs on the active backend. */
function trainStepWorks(): boolean {
  return tf.tidy(() => {
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.variable(tf.randomNormal([3, 3, 1, 4], 0, 1, 'float32', 2));
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'))) as tf.Scalar, [w]);
    const ok = Number.isFinite(value.dataSync()[0]!) && Object.values(grads).every((g) => g.dataSync().every(Number.isFinite));
    w.dispose();
    return ok;
  });
}

describe('initBackend', () => {
  it('lists the backends best first', () => {
    expect(BACKEND_NAMES).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
  });

  it('auto picks wasm here and says why each better backend was skipped', async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
    expect(info.skipped[0]!.reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    // No hardware adapter here: none at all, or only a software one (never chosen automatically).
    expect(info.skipped[1]!.reason).toMatch(/no WebGPU adapter|only a software adapter was found/);
    expect(info.skipped[2]!.reason).toMatch(/@tensorflow\/tfjs-node is not installed/);
    expect(info.gpu).toBeDefined();
    expect(typeof info.gpu!.found).toBe('boolean');
    expect(info.gpu!.detail.length).toBeGreaterThan(0);
    expect(info.version).toMatch(/tfjs-backend-wasm 4\.22\.0/);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(getBackendInfo()).toBe(info);
    expect(trainStepWorks()).toBe(true);
  });

  it('is idempotent: the same choice again returns at once', async () => {
    const first = await initBackend('auto');
    const started = performance.now();
    const second = await initBackend('auto');
    expect(second).toBe(first);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('an explicit backend that cannot be used is an error naming why', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(
      /backend 'tensorflow' is not available: @tensorflow\/tfjs-node is not installed/,
    );
    await expect(initBackend('tensorflow-gpu')).rejects.toThrow(/tfjs-node-gpu is not installed/);
    await expect(initBackend('bogus' as 'cpu')).rejects.toThrow(/unknown backend/);
  });

  it('switches to cpu and back, training on each', async () => {
    const cpu = await initBackend('cpu');
    expect(cpu).toMatchObject({ name: 'cpu', tfBackend: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(trainStepWorks()).toBe(true);
    const wasm = await initBackend('wasm');
    expect(wasm.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('runs the wasm backend with the threads asked for (threaded SIMD build under Node)', async () => {
    const two = await initBackend('wasm', { threads: 2 });
    expect(two.threads).toBe(2);
    expect(two.version).toMatch(/SIMD/);
    const a = tf.randomNormal([64, 300], 0, 1, 'float32', 3);
    const b = tf.randomNormal([300, 50], 0, 1, 'float32', 4);
    const threaded = tf.matMul(a, b).dataSync();
    const aValues = a.dataSync();
    const bValues = b.dataSync();
    const one = await initBackend('wasm', { threads: 1 });
    expect(one.threads).toBe(1);
    // Switching builds replaces the backend; recreate the operands there.
    const single = tf.matMul(tf.tensor2d(aValues, [64, 300]), tf.tensor2d(bValues, [300, 50])).dataSync();
    let worst = 0;
    for (let i = 0; i < single.length; i++) worst = Math.max(worst, Math.abs(single[i]! - threaded[i]!));
    expect(worst).toBeLessThan(1e-3);
    expect(trainStepWorks()).toBe(true);
  });
});
