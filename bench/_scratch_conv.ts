import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../main/training/backend';
const threads = Number(process.argv[2] ?? 1);
await initBackend('wasm', { threads });
const layers = [[64, 40, 100, 1, 32], [64, 20, 50, 32, 64], [64, 10, 25, 64, 128], [64, 10, 25, 128, 256]] as const;
function time(f: () => tf.Tensor): number {
  const ts: number[] = [];
  for (let i = 0; i < 4; i++) { const c0 = performance.now(); const r = f(); r.dataSync(); r.dispose(); ts.push(performance.now() - c0); }
  return ts.sort((a, b) => a - b)[1]!;
}
for (const [b, h, w, ci, co] of layers) {
  const x = tf.randomNormal([b, h, w, ci]) as tf.Tensor4D; const f = tf.randomNormal([3, 3, ci, co]) as tf.Tensor4D; const dy = tf.randomNormal([b, h, w, co]) as tf.Tensor4D;
  const gflop = 2 * b * h * w * ci * co * 9 / 1e9;
  const fwd = time(() => tf.conv2d(x, f, 1, 'same'));
  const dw = time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, ci, co] }) as tf.Tensor);
  const dx = time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: [b, h, w, ci] }) as tf.Tensor);
  const tr = time(() => tf.transpose(x, [3, 0, 1, 2]));
  console.log(`${ci}->${co} ${h}x${w}: ${gflop.toFixed(2)} GFLOP  fwd ${fwd.toFixed(0)}ms (${(gflop / fwd * 1000).toFixed(1)} GF/s)  dW ${dw.toFixed(0)}ms  dX ${dx.toFixed(0)}ms  transpose ${tr.toFixed(0)}`);
  tf.dispose([x, f, dy]);
}
process.exit(0);
