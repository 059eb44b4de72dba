/**
 * oneDNN's convs (forward and both gradients), training batch norm and pooling (forward and
 * gradients) against the BLAS path and the loops they replace, on the shapes the zoo's models use
 * plus odd sizes, batch 1, asymmetric pads, overlapping windows and the ties ReLU's zeros make in
 * a max window, and how the backend reports oneDNN used, turned off or missing. Needs libdnnl (CI installs Debian's libdnnl2) and a BLAS;
 * without them the comparison is skipped and says why.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { loadBlas } from '../../main/compute/blas';
import { loadDnnl, unfinishedSelfTest } from '../../main/compute/dnnl';
import { batchNormTrain, dnnlActive, useDnnl } from '../../main/compute/kernels';

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  pad: 'same' | 'valid' | number[][];
}

const CASES: ConvCase[] = [
  { x: [4, 20, 50, 32], filter: [3, 3, 32, 64], pad: 'same' },
  { x: [2, 10, 25, 128], filter: [3, 3, 128, 256], pad: 'same' },
  { x: [1, 7, 9, 64], filter: [3, 3, 64, 16], pad: 'same' },
  { x: [3, 9, 11, 12], filter: [3, 3, 12, 8], pad: 'same' },
  { x: [2, 9, 11, 1], filter: [3, 3, 1, 8], pad: 'same' },
  { x: [1, 6, 5, 40], filter: [5, 3, 40, 9], pad: 'valid' },
  {
    x: [2, 7, 8, 33],
    filter: [3, 3, 33, 10],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
];

const blas = loadBlas(2);
const dnnl = loadDnnl(2);
const reason = 'unavailable' in blas ? blas.unavailable : 'unavailable' in dnnl ? dnnl.unavailable : '';

function values(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

/** Output, dx and dW of one conv, through whichever path is on. */
function convAndGradients(c: ConvCase): Float32Array[] {
  return tf.tidy(() => {
    const x = values(c.x, 1);
    const filter = values(c.filter, 2);
    const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, c.pad as 'same');
    const dy = values(y.shape, 3);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, c.pad as 'same'))(
      [x, filter],
      dy,
    );
    return [y, dx!, dw!].map((t) => t.dataSync() as Float32Array);
  });
}

function relativeError(got: Float32Array, want: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / scale;
}

interface BatchNormCase {
  x: number[];
  epsilon: number;
}

const BATCH_NORM_CASES: BatchNormCase[] = [
  { x: [8, 20, 50, 32], epsilon: 1e-3 },
  { x: [1, 3, 5, 7], epsilon: 1e-5 },
  { x: [5, 10, 25, 128], epsilon: 1e-3 },
  // Not 4-D: the loops keep it.
  { x: [6, 40], epsilon: 1e-3 },
];

/** y, mean and variance of a training batch norm, and the gradients of x, gamma and beta. */
function batchNormAndGradients(c: BatchNormCase): Float32Array[] {
  return tf.tidy(() => {
    const channels = c.x[c.x.length - 1]!;
    const x = tf.add(tf.mul(values(c.x, 4), 3), 0.5);
    const gamma = values([channels], 5) as tf.Tensor1D;
    const beta = values([channels], 6) as tf.Tensor1D;
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, c.epsilon);
    const dy = values(y.shape, 7);
    const grads = tf.grads(
      (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon).y,
    )([x, gamma, beta], dy);
    return [y, mean, variance, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

interface PoolCase {
  kind: 'max' | 'avg';
  x: [number, number, number, number];
  size: [number, number];
  strides: [number, number];
  pad: 'same' | 'valid';
}

const POOL_CASES: PoolCase[] = [
  { kind: 'max', x: [8, 40, 100, 32], size: [2, 2], strides: [2, 2], pad: 'valid' },
  { kind: 'max', x: [3, 9, 11, 5], size: [3, 3], strides: [2, 2], pad: 'same' },
  { kind: 'max', x: [2, 7, 8, 4], size: [2, 3], strides: [1, 2], pad: 'valid' },
  { kind: 'avg', x: [4, 10, 25, 16], size: [2, 2], strides: [2, 2], pad: 'valid' },
  { kind: 'avg', x: [3, 9, 11, 5], size: [3, 3], strides: [2, 2], pad: 'same' },
];

/** A pool's output and input gradient; the input has gone through ReLU, so max windows hold ties. */
function poolAndGradient(c: PoolCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.relu(values(c.x, 8)) as tf.Tensor4D;
    const pool = (a: tf.Tensor): tf.Tensor =>
      c.kind === 'max' ? tf.maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad) : tf.avgPool(a as tf.Tensor4D, c.size, c.strides, c.pad);
    const y = pool(x);
    const dx = tf.grad(pool)(x, values(y.shape, 9));
    return [y, dx].map((t) => t.dataSync() as Float32Array);
  });
}

/** Runs compute with oneDNN on and again with it off, and compares each output. */
function expectAgreement(compute: () => Float32Array[], names: string[], tolerance: number): void {
  const onDnnl = compute();
  useDnnl(null);
  try {
    const without = compute();
    names.forEach((name, i) => {
      expect(onDnnl[i]!.length, name).toBe(without[i]!.length);
      expect(relativeError(onDnnl[i]!, without[i]!), name).toBeLessThanOrEqual(tolerance);
    });
  } finally {
    useDnnl(dnnl && 'dnnl' in dnnl ? dnnl.dnnl : null);
  }
}

describe.skipIf(reason !== '').each(['wasm', 'cpu'] as const)(
  `oneDNN kernels on %s${reason ? ` (skipped: ${reason})` : ''}`,
  (backendName) => {
    beforeAll(async () => {
      const info = await initBackend(backendName, { threads: 2 });
      expect(info.blas?.active && info.blas.dnnl).toEqual({ active: true, description: expect.stringMatching(/^oneDNN \d+\.\d+\.\d+$/) });
      expect(dnnlActive()).toBe(true);
    });
    it.each(CASES.map((c) => [`${c.x.join('×')} * ${c.filter.join('×')} ${JSON.stringify(c.pad)}`, c] as const))(
      'agrees with the BLAS path: %s',
      (_, c) => expectAgreement(() => convAndGradients(c), ['forward', 'input gradient', 'filter gradient'], 1e-4),
    );
    it.each(BATCH_NORM_CASES.map((c) => [`${c.x.join('×')} eps ${c.epsilon}`, c] as const))(
      'batch norm agrees with the loops: %s',
      (_, c) => {
        expectAgreement(() => batchNormAndGradients(c), ['y', 'mean', 'variance', 'x gradient', 'gamma gradient', 'beta gradient'], 1e-4);
      },
    );
    it.each(POOL_CASES.map((c) => [`${c.kind} ${c.x.join('×')} size ${c.size} strides ${c.strides} ${c.pad}`, c] as const))(
      'pooling agrees with the loops: %s',
      (_, c) => {
        // Overlapping windows sum gradients in another order; one routed to the wrong tie would be off by its whole size.
        expectAgreement(() => poolAndGradient(c), ['output', 'input gradient'], 1e-6);
      },
    );
  },
);

describe('oneDNN in the backend report', () => {
  const saved = process.env.SER_DNNL_LIBRARY;
  afterAll(() => {
    if (saved === undefined) delete process.env.SER_DNNL_LIBRARY;
    else process.env.SER_DNNL_LIBRARY = saved;
  });

  it('says why oneDNN is not used when it is turned off or missing', async () => {
    process.env.SER_DNNL_LIBRARY = 'none';
    expect(loadDnnl(2)).toEqual({ unavailable: 'turned off by SER_DNNL_LIBRARY=none' });
    process.env.SER_DNNL_LIBRARY = '/nonexistent/libdnnl.so.2';
    expect(loadDnnl(2)).toEqual({ unavailable: expect.stringMatching(/^\/nonexistent\/libdnnl\.so\.2 could not be loaded \(/) });
  });

  it.skipIf('unavailable' in blas)('reports the BLAS alone computing the convs when oneDNN is off', async () => {
    process.env.SER_DNNL_LIBRARY = 'none';
    const info = await initBackend('cpu', { threads: 1 });
    expect(info.blas?.active && info.blas.dnnl).toEqual({ active: false, reason: 'turned off by SER_DNNL_LIBRARY=none' });
    expect(dnnlActive()).toBe(false);
  });
});

describe.skipIf(reason !== '')('oneDNN self-test crash guard', () => {
  const savedDir = process.env.SER_DNNL_MARKER_DIR;
  afterAll(() => {
    if (savedDir === undefined) delete process.env.SER_DNNL_MARKER_DIR;
    else process.env.SER_DNNL_MARKER_DIR = savedDir;
  });

  it('keeps oneDNN off after a self-test that never finished, and clears its marker after one that did', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ser-dnnl-marker-'));
    try {
      process.env.SER_DNNL_MARKER_DIR = dir;
      // A fresh load (another thread count) self-tests and leaves no marker behind.
      expect(loadDnnl(3)).toHaveProperty('dnnl');
      const markers = join(dir, 'dnnl');
      expect(readdirSync(markers)).toEqual([]);

      // A marker left by a process that is gone: the self-test crashed there.
      const description = (loadDnnl(3) as { dnnl: { description: string } }).dnnl.description;
      const marker = join(markers, `${description.replace(/[^\w.-]+/g, '-')}.self-test`);
      writeFileSync(marker, JSON.stringify({ pid: 2 ** 22 + 1, startedAt: '2026-12-07T06:00:00.000Z' }));
      expect(unfinishedSelfTest(marker)).toMatch(
        /^oneDNN's self-test did not finish in an earlier process \(started 2026-12-07T06:00:00\.000Z\): it crashed or was killed there, so oneDNN stays off; delete .*\.self-test to try again$/,
      );
      expect(loadDnnl(4)).toEqual({ unavailable: unfinishedSelfTest(marker) });
      // One running in a live process (a study member starting beside this one) is no crash.
      writeFileSync(marker, JSON.stringify({ pid: process.ppid, startedAt: '2026-12-07T06:00:00.000Z' }));
      expect(unfinishedSelfTest(marker)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
