import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../main/training/backend';
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN } from '../main/training/kernels/batch-norm';
for (const be of ['wasm', 'cpu'] as const) {
  await initBackend(be, { threads: 1 });
  const x = tf.randomNormal([64, 40, 100, 32]); const dy = tf.randomNormal([64, 40, 100, 32]);
  const g = tf.ones([32]); const b = tf.zeros([32]);
  for (let i = 0; i < 4; i++) {
    const c0 = process.cpuUsage(); let t0 = performance.now();
    const [y, m, v] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma: g, beta: b }, { epsilon: 1e-5 }) as tf.Tensor[];
    const t1 = performance.now();
    const outs = tf.engine().runKernel(BATCH_NORM_GRAD, { x, dy, gamma: g, mean: m!, variance: v! }, { epsilon: 1e-5 }) as tf.Tensor[];
    const t2 = performance.now();
    const p = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
    const t3 = performance.now();
    const gr = tf.grad((z: tf.Tensor) => tf.maxPool(z as tf.Tensor4D, 2, 2, 'valid'))(x);
    const t4 = performance.now();
    const cu = process.cpuUsage(c0); console.log("cpu ms", ((cu.user+cu.system)/1000).toFixed(0), be, 'train', (t1 - t0).toFixed(1), 'grad', (t2 - t1).toFixed(1), 'maxpool', (t3-t2).toFixed(1), 'maxpoolgrad', (t4-t3).toFixed(1));
    tf.dispose([y, m, v, ...outs, p, gr]);
  }
}
