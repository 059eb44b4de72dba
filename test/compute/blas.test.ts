/**
 * The BLAS kernels (conv forward, both conv gradients, matmul) against tfjs's own cpu kernels,
 * on both backends that use them, plus how the backend reports a BLAS that is used, turned off
 * or missing. Needs an optimised BLAS (CI installs OpenBLAS); without one the kernel cases are
 * skipped and say why.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { loadBlas } from '../../main/compute/blas';
import { blasKernelsActive } from '../../main/compute/kernels';
import { setColumnChunkFloats } from '../../main/compute/kernels/blas-kernels';
import { active, expectClose, stockCpu, valueSource, type Attrs, type Input } from './kernels/kernel-helpers';

const { random, input } = valueSource(7);

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  pad: 'same' | 'valid' | number[][];
  out: [number, number];
}

// Mostly channel counts at or above the kernels' thresholds, so the BLAS paths run (32+ input
// channels for the forward conv and the im2col filter gradient); odd sizes, non-square filters and explicit pads check the grid offsets.
const CASES: ConvCase[] = [
  { x: [2, 5, 7, 64], filter: [3, 3, 64, 16], pad: 'same', out: [5, 7] },
  { x: [3, 4, 6, 72], filter: [3, 3, 72, 9], pad: 'valid', out: [2, 4] },
  { x: [2, 6, 5, 64], filter: [5, 3, 64, 8], pad: 'same', out: [6, 5] },
  { x: [2, 5, 6, 64], filter: [1, 1, 64, 12], pad: 'same', out: [5, 6] },
  {
    x: [2, 7, 8, 66],
    filter: [3, 3, 66, 10],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
    out: [8, 7],
  },
  { x: [2, 6, 7, 36], filter: [3, 3, 36, 12], pad: 'same', out: [6, 7] },
  { x: [2, 9, 11, 12], filter: [3, 3, 12, 8], pad: 'same', out: [9, 11] },
  // Few input channels: the filter gradient goes through explicit columns.
  { x: [2, 9, 11, 1], filter: [3, 3, 1, 8], pad: 'same', out: [9, 11] },
  { x: [3, 7, 6, 3], filter: [3, 3, 3, 8], pad: 'valid', out: [5, 4] },
];

const blasFound = loadBlas(1);
const reason = 'unavailable' in blasFound ? blasFound.unavailable : '';

describe.skipIf(reason !== '').each(['cpu', 'wasm'] as const)(
  `BLAS kernels on %s${reason ? ` (skipped: ${reason})` : ''}`,
  (backendName) => {
    beforeAll(async () => {
      const info = await initBackend(backendName, { threads: 2 });
      expect(info.blas?.active).toBe(true);
      expect(blasKernelsActive()).toBe(true);
    });

    const conv = (c: ConvCase): Attrs => ({ strides: [1, 1], pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] }) as unknown as Attrs;

    it.each(CASES)('Conv2D and FusedConv2D (bias, relu) match the stock cpu kernels: x %j filter %j', (c) => {
      const inputs = { x: input(c.x), filter: input(c.filter) };
      expectClose(active('Conv2D', inputs, conv(c)), stockCpu('Conv2D', inputs, conv(c)));
      // (A scalar bias only where the BLAS kernel runs: the stock wasm kernel rejects it.)
      const epilogues: [Input, string][] = [
        [input([c.filter[3]]), 'relu'],
        [input([c.filter[3]]), 'linear'],
        ...(c.x[3] >= 32 ? [[input([1]), 'linear'] as [Input, string]] : []),
      ];
      for (const [bias, activation] of epilogues) {
        const fused = { ...inputs, bias };
        const attrs = { ...conv(c), activation } as Attrs;
        expectClose(active('FusedConv2D', fused, attrs), stockCpu('FusedConv2D', fused, attrs));
      }
    });

    it.each(CASES)('Conv2DBackpropInput and Conv2DBackpropFilter match the stock cpu kernels: x %j filter %j', (c) => {
      const dy = input([c.x[0], ...c.out, c.filter[3]]);
      const dxAttrs = { ...conv(c), inputShape: c.x } as Attrs;
      const dxInputs = { dy, filter: input(c.filter) };
      expectClose(active('Conv2DBackpropInput', dxInputs, dxAttrs), stockCpu('Conv2DBackpropInput', dxInputs, dxAttrs));
      const dwAttrs = { ...conv(c), filterShape: c.filter } as Attrs;
      const dwInputs = { x: input(c.x), dy };
      expectClose(active('Conv2DBackpropFilter', dwInputs, dwAttrs), stockCpu('Conv2DBackpropFilter', dwInputs, dwAttrs));
    });

    it('convs split into several im2col chunks give the same results (forward, both gradients)', () => {
      const c: ConvCase = { x: [5, 6, 7, 64], filter: [3, 3, 64, 8], pad: 'same', out: [6, 7] };
      const dy = input([c.x[0], ...c.out, c.filter[3]]);
      const cases: [string, Record<string, Input>, Attrs][] = [
        ['Conv2D', { x: input(c.x), filter: input(c.filter) }, conv(c)],
        ['Conv2DBackpropInput', { dy, filter: input(c.filter) }, { ...conv(c), inputShape: c.x } as Attrs],
        ['Conv2DBackpropFilter', { x: input(c.x), dy }, { ...conv(c), filterShape: c.filter } as Attrs],
      ];
      // About two images' rows per chunk: chunks of 2, 2 and 1 of the 5 images.
      setColumnChunkFloats(2 * 6 * 7 * 9 * 64);
      try {
        for (const [name, inputs, attrs] of cases) expectClose(active(name, inputs, attrs), stockCpu(name, inputs, attrs));
      } finally {
        setColumnChunkFloats(null);
      }
    });

    it('BatchMatMul with every transpose and batch layout matches the stock cpu kernel', () => {
      const cases: [number[], number[], boolean, boolean][] = [
        [[64, 90], [90, 70], false, false],
        [[90, 64], [90, 70], true, false],
        [[64, 90], [70, 90], false, true],
        [[90, 64], [70, 90], true, true],
        [[3, 40, 50], [3, 50, 60], false, false],
        [[3, 50, 40], [1, 60, 50], true, true],
        [[1, 40, 50], [4, 50, 60], false, false],
      ];
      for (const [aShape, bShape, transposeA, transposeB] of cases) {
        const inputs = { a: input(aShape), b: input(bShape) };
        expectClose(active('BatchMatMul', inputs, { transposeA, transposeB }), stockCpu('BatchMatMul', inputs, { transposeA, transposeB }));
      }
    });

    it('per-channel Sum (conv bias gradients) matches the stock cpu kernel; other sums still work', () => {
      const x = input([4, 30, 40, 24]);
      for (const attrs of [
        { axis: [0, 1, 2], keepDims: false },
        { axis: [2, 1, 0], keepDims: true },
        { axis: [1, 2], keepDims: false },
        { axis: -1, keepDims: false },
      ]) {
        expectClose(active('Sum', { x }, attrs), stockCpu('Sum', { x }, attrs), 1e-5);
      }
    });

    it('a conv layer trains to the same gradients with and without BLAS', async () => {
      const x = tf.tensor4d(random([4, 6, 8, 64]), [4, 6, 8, 64]);
      const w = tf.tensor4d(
        random([3, 3, 64, 16]).map((v) => v * 0.1),
        [3, 3, 64, 16],
      );
      const b = tf.tensor1d(random([16]));
      const gradients = () =>
        tf.tidy(() => {
          const loss = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) =>
            tf.sum(tf.square(tf.fused.conv2d({ x: xs as tf.Tensor4D, filter: ws as tf.Tensor4D, strides: 1, pad: 'same', bias: bs })));
          return tf
            .grads(loss)([x, w, b])
            .map((g) => g.dataSync() as Float32Array);
        });
      const withBlas = gradients();
      await initBackend(backendName, { threads: 2, blas: false });
      expect(blasKernelsActive()).toBe(false);
      const without = gradients();
      await initBackend(backendName, { threads: 2 });
      withBlas.forEach((g, i) => expectClose(g, without[i]!));
      tf.dispose([x, w, b]);
    });
  },
);

describe('BLAS setup reporting', () => {
  const saved = process.env.SER_BLAS_LIBRARY;
  afterAll(async () => {
    if (saved === undefined) delete process.env.SER_BLAS_LIBRARY;
    else process.env.SER_BLAS_LIBRARY = saved;
    await initBackend('cpu', { threads: 2 });
  });

  it.skipIf(reason !== '')('an OpenBLAS names the core it computes with and why that one', async () => {
    const info = await initBackend('cpu', { threads: 2 });
    if (!(info.blas?.active && info.blas.description.startsWith('OpenBLAS'))) return;
    expect(info.blas.core?.name).toBeTruthy();
    expect(info.blas.description).toContain(`(${info.blas.core!.name})`);
    expect(info.blas.core!.reason).toMatch(/OpenBLAS|CORETYPE/);
  });

  it('a BLAS turned off is reported as such, and the kernels fall back', async () => {
    const info = await initBackend('cpu', { threads: 2, blas: false });
    expect(info.blas).toEqual({ active: false, reason: 'turned off for this run' });
    expect(blasKernelsActive()).toBe(false);
  });

  it('a library named in SER_BLAS_LIBRARY that cannot be loaded is a clear reason, not a crash', () => {
    const result = loadBlas(1, '/nonexistent/libnothing.so');
    expect('unavailable' in result && result.unavailable).toMatch(/^SER_BLAS_LIBRARY=\/nonexistent\/libnothing\.so could not be used \(/);
  });

  it('SER_BLAS_LIBRARY=none turns it off', async () => {
    process.env.SER_BLAS_LIBRARY = 'none';
    const info = await initBackend('wasm', { threads: 1 });
    expect(info.blas).toEqual({ active: false, reason: 'turned off by SER_BLAS_LIBRARY=none' });
  });
});
