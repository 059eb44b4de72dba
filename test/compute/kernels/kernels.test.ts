/**
 * The fast kernels against tfjs's own cpu kernels (captured before we replaced them), on random
 * inputs, on both backends we register them for; plus no leaks across gradient steps.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../main/compute/backend';
import { activeDnnl, batchNormTrain, conv2dWithBias, useDnnl } from '../../../main/compute/kernels';
import { ADAM_STEP, adamKernels } from '../../../main/compute/kernels/adam';
import { CONV2D_FILTER_BIAS_GRAD } from '../../../main/compute/kernels/conv-train';
import { createOptimizer, type OptimizerConfig } from '../../../main/training/optimizers';
import { dnnlKernels } from '../../../main/compute/kernels/dnnl-kernels';
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN, batchNormKernels } from '../../../main/compute/kernels/batch-norm';
import { active, expectClose, stockCpu, valueSource, type Attrs, type Input } from './kernel-helpers';

const { random, input } = valueSource(1);

function outSize(size: number, k: number, stride: number, pad: Attrs['pad']): number {
  if (pad === 'same') return Math.ceil(size / stride);
  if (pad === 'valid') return Math.floor((size - k) / stride) + 1;
  throw new Error('explicit pads are given with their output size');
}

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number[][];
  out?: [number, number];
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: [1, 1], pad: 'same' },
  { x: [2, 8, 6, 1], filter: [3, 3, 1, 5], strides: [1, 1], pad: 'same' },
  { x: [3, 9, 11, 2], filter: [3, 3, 2, 3], strides: [1, 1], pad: 'valid' },
  { x: [2, 9, 10, 3], filter: [3, 3, 3, 4], strides: [2, 2], pad: 'same' },
  { x: [2, 9, 10, 3], filter: [3, 3, 3, 2], strides: [2, 2], pad: 'valid' },
  { x: [1, 8, 7, 4], filter: [5, 3, 4, 3], strides: [2, 1], pad: 'same' },
  { x: [2, 6, 6, 5], filter: [1, 1, 5, 6], strides: [2, 2], pad: 'same' },
  { x: [3, 40, 60, 8], filter: [3, 3, 8, 3], strides: [1, 1], pad: 'same' }, // several filter-gradient chunks
  {
    x: [2, 7, 8, 2],
    filter: [3, 3, 2, 3],
    strides: [1, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
    out: [8, 7],
  },
  {
    x: [2, 7, 8, 2],
    filter: [3, 2, 2, 3],
    strides: [1, 2],
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
    out: [7, 5],
  },
];

function dyShape(c: ConvCase): [number, number, number, number] {
  const [batch, h, w] = c.x;
  const [kh, kw, , outC] = c.filter;
  const [oh, ow] = c.out ?? [outSize(h, kh, c.strides[0], c.pad as Attrs['pad']), outSize(w, kw, c.strides[1], c.pad as Attrs['pad'])];
  return [batch, oh, ow, outC];
}

describe.each(['cpu', 'wasm'] as const)('fast kernels on %s', (backendName) => {
  beforeAll(async () => {
    await initBackend(backendName, { threads: 1 });
  });

  it.each(CONV_CASES)('Conv2DBackpropFilter matches the stock cpu kernel: x %j filter %j strides %j pad %j', (c) => {
    const inputs = { x: input(c.x), dy: input(dyShape(c)) };
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter } as unknown as Attrs;
    expectClose(active('Conv2DBackpropFilter', inputs, attrs), stockCpu('Conv2DBackpropFilter', inputs, attrs));
  });

  it.each(CONV_CASES)('Conv2DBackpropInput matches the stock cpu kernel: x %j filter %j strides %j pad %j', (c) => {
    const inputs = { dy: input(dyShape(c)), filter: input(c.filter) };
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x } as unknown as Attrs;
    expectClose(active('Conv2DBackpropInput', inputs, attrs), stockCpu('Conv2DBackpropInput', inputs, attrs));
  });

  it.each([
    { x: [2, 8, 10, 3], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [2, 9, 7, 4], filterSize: [3, 3], strides: [2, 2], pad: 'same' },
    { x: [1, 10, 25, 5], filterSize: [5, 13], strides: [5, 12], pad: 'valid' },
    { x: [2, 7, 7, 2], filterSize: [3, 2], strides: [1, 1], pad: 'valid' },
  ])('pooling gradients match the stock cpu kernels: %j', (c) => {
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad } as unknown as Attrs;
    const x = input(c.x);
    const pooled = tf.tidy(() =>
      tf.maxPool(
        tf.tensor4d(x.values, c.x as [number, number, number, number]),
        c.filterSize as [number, number],
        c.strides as [number, number],
        c.pad as 'valid',
      ),
    );
    const dy = input(pooled.shape);
    const output = { shape: pooled.shape, values: pooled.dataSync() as Float32Array };
    pooled.dispose();
    const maxInputs = { dy, input: x, output };
    expectClose(active('MaxPoolGrad', maxInputs, attrs), stockCpu('MaxPoolGrad', maxInputs, attrs));
    const avgInputs = { dy, input: x };
    expectClose(active('AvgPoolGrad', avgInputs, attrs), stockCpu('AvgPoolGrad', avgInputs, attrs));
  });

  it('Sum over all but the channel axis matches the stock cpu kernel, and other sums still work', () => {
    const x = input([3, 5, 7, 6]);
    for (const attrs of [
      { axis: [0, 1, 2], keepDims: false },
      { axis: [2, 0, 1], keepDims: true },
      { axis: [1, 2], keepDims: false },
      { axis: -1, keepDims: false },
    ]) {
      expectClose(active('Sum', { x }, attrs), stockCpu('Sum', { x }, attrs));
    }
  });

  it('matMul with transposes and batches matches the stock cpu kernel', () => {
    // [a as stored, b as stored, transposeA, transposeB]
    const cases: [number[], number[], boolean, boolean][] = [
      [[40, 70], [70, 50], false, false],
      [[70, 40], [70, 50], true, false],
      [[40, 70], [50, 70], false, true],
      [[70, 40], [50, 70], true, true],
      [[3, 40, 30], [3, 30, 50], false, false],
      [[3, 30, 40], [1, 50, 30], true, true],
      [[2, 4], [3, 4], false, true],
    ];
    for (const [aShape, bShape, transposeA, transposeB] of cases) {
      const inputs = { a: input(aShape), b: input(bShape) };
      const attrs = { transposeA, transposeB };
      expectClose(active('BatchMatMul', inputs, attrs), stockCpu('BatchMatMul', inputs, attrs));
      // The fused kernel is only ever given rank-3 operands (the op reshapes them).
      const as3d = (x: Input): Input => (x.shape.length === 3 ? x : { shape: [1, ...x.shape], values: x.values });
      const bias = input([transposeB ? bShape.at(-2)! : bShape.at(-1)!]);
      const fusedInputs = { a: as3d(inputs.a), b: as3d(inputs.b), bias };
      const fusedAttrs = { ...attrs, activation: 'relu' };
      expectClose(active('_FusedMatMul', fusedInputs, fusedAttrs), stockCpu('_FusedMatMul', fusedInputs, fusedAttrs));
    }
  });

  it('conv2d gradients through tf.grads match the stock kernels (tiny end-to-end case)', () => {
    const x = input([2, 6, 7, 2]);
    const w = input([3, 3, 2, 3]);
    const grads = tf.tidy(() => {
      const f = (xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, 'same')));
      return tf
        .grads(f)([tf.tensor(x.values, x.shape), tf.tensor(w.values, w.shape)])
        .map((g) => g.dataSync() as Float32Array);
    });
    const y = tf.tidy(() =>
      tf.conv2d(
        tf.tensor4d(x.values, x.shape as [number, number, number, number]),
        tf.tensor4d(w.values, w.shape as [number, number, number, number]),
        1,
        'same',
      ),
    );
    const dy = { shape: y.shape, values: (y.dataSync() as Float32Array).map((v) => 2 * v) };
    y.dispose();
    expectClose(
      grads[0]!,
      stockCpu('Conv2DBackpropInput', { dy, filter: w }, {
        strides: [1, 1],
        pad: 'same',
        dataFormat: 'NHWC',
        inputShape: x.shape,
      } as unknown as Attrs),
    );
    expectClose(
      grads[1]!,
      stockCpu('Conv2DBackpropFilter', { x, dy }, {
        strides: [1, 1],
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: w.shape,
      } as unknown as Attrs),
    );
  });

  it.each([
    { x: [3, 8, 9, 4], filter: [3, 3, 4, 6], strides: 1, inputGradient: true },
    { x: [2, 8, 9, 1], filter: [3, 3, 1, 5], strides: 1, inputGradient: false },
    { x: [2, 9, 10, 3], filter: [3, 3, 3, 4], strides: 2, inputGradient: true },
  ])('a conv with bias in training: value and gradients match the fused conv op (with oneDNN, without, and via ops) %j', (c) => {
    const x = input(c.x);
    const w = input(c.filter);
    const b = input([c.filter[3]!]);
    const dyWeights = input([c.x[0]!, Math.ceil(c.x[1]! / c.strides), Math.ceil(c.x[2]! / c.strides), c.filter[3]!]);
    const run = (ours: boolean) =>
      tf.tidy(() => {
        const xs = tf.tensor4d(x.values, x.shape as [number, number, number, number]);
        const weights = tf.tensor(dyWeights.values, dyWeights.shape);
        const conv = (ws: tf.Tensor, bs: tf.Tensor, input: tf.Tensor = xs) =>
          ours
            ? conv2dWithBias(input as tf.Tensor4D, ws as tf.Tensor4D, bs as tf.Tensor1D, c)
            : tf.fused.conv2d({ x: input as tf.Tensor4D, filter: ws as tf.Tensor4D, bias: bs, strides: c.strides, pad: 'same' });
        const loss = (ws: tf.Tensor, bs: tf.Tensor, input?: tf.Tensor) => tf.sum(tf.mul(conv(ws, bs, input), weights));
        const variables = [tf.tensor(w.values, w.shape), tf.tensor(b.values, b.shape)];
        const { value, grads } = c.inputGradient
          ? tf.valueAndGrads((ws: tf.Tensor, bs: tf.Tensor, input: tf.Tensor) => loss(ws, bs, input))([...variables, xs])
          : tf.valueAndGrads((ws: tf.Tensor, bs: tf.Tensor) => loss(ws, bs))(variables);
        return [[value.dataSync()[0]!], ...grads.map((g) => Array.from(g.dataSync()))];
      });
    const reference = run(false);
    const check = (got: number[][]) => got.forEach((values, i) => expectClose(values, reference[i]!, 1e-4));
    check(run(true));
    const dnnl = activeDnnl();
    useDnnl(null);
    try {
      check(run(true));
    } finally {
      useDnnl(dnnl);
    }
    // Backends without the kernel (webgpu, native TensorFlow) get the filter gradient and a sum.
    tf.unregisterKernel(CONV2D_FILTER_BIAS_GRAD, backendName);
    try {
      check(run(true));
    } finally {
      tf.registerKernel(dnnlKernels(backendName).find((k) => k.kernelName === CONV2D_FILTER_BIAS_GRAD)!);
    }
  });

  it.each([
    { name: 'adamw', learningRate: 3e-3, weightDecay: 0.05 },
    { name: 'adam', learningRate: 0.1, weightDecay: 0.01 },
    { name: 'adam', learningRate: 1e-3, weightDecay: 0 },
  ] as OptimizerConfig[])('the Adam step kernel gives the op-by-op step bit for bit over several steps: %j', (config) => {
    // 36 × 5 values take the SIMD loop on wasm; 7 (not a multiple of 4) the JavaScript one.
    const shapes = [[36, 5], [7]];
    const starts = shapes.map((shape) => input(shape));
    const grads = [1, 2, 3, 4].map(() => shapes.map((shape) => input(shape)));
    const run = () => {
      const optimizer = createOptimizer(config);
      const variables = starts.map((start) => tf.tidy(() => tf.variable(tf.tensor(start.values, start.shape))));
      for (const step of grads) {
        const tensors = step.map((g) => tf.tensor(g.values, g.shape));
        optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, tensors[i]!])), variables);
        tf.dispose(tensors);
      }
      const values = variables.flatMap((v) => Array.from(v.dataSync()));
      optimizer.dispose();
      tf.dispose(variables);
      return values;
    };
    expect(tf.getKernel(ADAM_STEP, backendName)).toBeDefined();
    const tensorsBefore = tf.memory().numTensors;
    const fused = run();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    tf.unregisterKernel(ADAM_STEP, backendName);
    try {
      const opByOp = run();
      expect(fused).toEqual(opByOp);
      expect(fused).not.toEqual(starts.flatMap((start) => Array.from(start.values)));
    } finally {
      for (const kernel of adamKernels(backendName)) tf.registerKernel(kernel);
    }
  });

  it('training-mode batch norm and its gradient match the stock ops (fused kernels, and the ops fallback)', () => {
    const x = input([4, 5, 6, 3]);
    const gamma = { shape: [3], values: Float32Array.from([0.5, 1.5, -1]) };
    const beta = { shape: [3], values: Float32Array.from([0.1, -0.2, 0.3]) };
    const dyWeights = input([4, 5, 6, 3]);
    const run = (fused: boolean) =>
      tf.tidy(() => {
        const weights = tf.tensor(dyWeights.values, dyWeights.shape);
        const f = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          let y: tf.Tensor;
          if (fused) {
            y = batchNormTrain(xs, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5).y;
          } else {
            const { mean, variance } = tf.moments(xs, [0, 1, 2]);
            y = tf.batchNorm(xs, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
          }
          return tf.sum(tf.mul(y, weights));
        };
        const inputs = [tf.tensor(x.values, x.shape), tf.tensor(gamma.values, gamma.shape), tf.tensor(beta.values, beta.shape)];
        const { value, grads } = tf.valueAndGrads(f)(inputs);
        return [value.dataSync()[0]!, ...grads.map((g) => Array.from(g.dataSync()))] as [number, number[], number[], number[]];
      });
    const reference = run(false);
    const fused = run(true);
    expect(fused[0]).toBeCloseTo(reference[0], 3);
    for (let i = 1; i < 4; i++) expectClose(fused[i] as number[], reference[i] as number[], 2e-4);
    // Backends without our kernels (native TensorFlow) run the same math as tfjs ops.
    tf.unregisterKernel(BATCH_NORM_TRAIN, backendName);
    tf.unregisterKernel(BATCH_NORM_GRAD, backendName);
    try {
      const viaOps = run(true);
      expect(viaOps[0]).toBeCloseTo(reference[0], 3);
      for (let i = 1; i < 4; i++) expectClose(viaOps[i] as number[], reference[i] as number[], 2e-4);
    } finally {
      for (const config of batchNormKernels(backendName)) tf.registerKernel(config);
    }
  });

  it('Slice and Unpack match the stock cpu kernels (float32 and int32)', () => {
    const x = input([3, 4, 5, 6]);
    const cases: [number[], number[]][] = [
      [
        [0, 0, 0, 0],
        [3, 4, 5, 6],
      ],
      [
        [1, 0, 0, 0],
        [1, 4, 5, 6],
      ],
      [
        [0, 1, 0, 0],
        [3, 2, 5, 6],
      ],
      [
        [1, 2, 3, 1],
        [2, 2, 2, 4],
      ],
      [
        [0, 0, 0, 5],
        [3, 4, 5, 1],
      ],
      [
        [2, 3, 4, 0],
        [1, 1, 1, 6],
      ],
    ];
    for (const [begin, size] of cases) expectClose(active('Slice', { x }, { begin, size }), stockCpu('Slice', { x }, { begin, size }));
    const ints = tf.tensor(
      Int32Array.from({ length: 24 }, (_, i) => i * 3 - 7),
      [2, 3, 4],
      'int32',
    );
    const sliced = tf.slice(ints, [1, 1, 1], [1, 2, 2]);
    expect(Array.from(sliced.dataSync())).toEqual([44, 47, 56, 59]);
    expect(tf.unstack(ints, 1).map((t) => Array.from(t.dataSync()))[2]).toEqual([17, 20, 23, 26, 53, 56, 59, 62]);
    tf.dispose([ints, sliced]);
    for (const axis of [0, 1, 3]) {
      const ours = tf.tidy(() => tf.unstack(tf.tensor(x.values, x.shape), axis).map((t) => Array.from(t.dataSync())));
      const expected = tf.tidy(() => {
        return Array.from({ length: x.shape[axis]! }, (_, i) => {
          const begin = [0, 0, 0, 0];
          const size = [...x.shape];
          begin[axis] = i;
          size[axis] = 1;
          return Array.from(stockCpu('Slice', { x }, { begin, size }));
        });
      });
      expect(ours).toEqual(expected);
    }
  });

  it('Reverse matches the stock cpu kernel', () => {
    const x = input([3, 4, 5, 2]);
    for (const dims of [[0], [1], [3], [1, 2], [0, 3], [0, 1, 2, 3]]) {
      expectClose(active('Reverse', { x }, { dims }), stockCpu('Reverse', { x }, { dims }));
    }
  });

  it('clone shares data safely (disposing either side keeps the other intact)', () => {
    const a = tf.tensor([1, 2, 3]);
    const b = a.clone();
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    const c = b.clone();
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
  });

  it('repeated gradient steps leak neither tensors nor backend buffers', () => {
    const x = tf.tensor(random([4, 12, 10, 1]), [4, 12, 10, 1]);
    const w1 = tf.variable(tf.tensor(random([3, 3, 1, 4]), [3, 3, 1, 4]));
    const w2 = tf.variable(tf.tensor(random([3, 3, 4, 6]), [3, 3, 4, 6]));
    const w3 = tf.variable(tf.tensor(random([6, 3]), [6, 3]));
    const gamma = tf.variable(tf.ones([4]));
    const beta = tf.variable(tf.zeros([4]));
    const optimizer = tf.train.sgd(0.01);
    const step = () =>
      optimizer.minimize(() => {
        let h: tf.Tensor = tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same');
        h = tf.relu(batchNormTrain(h, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5).y);
        h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
        h = tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'same');
        h = tf.avgPool(h as tf.Tensor4D, [3, 3], 1, 'valid');
        const logits = tf.matMul(tf.mean(h, [1, 2]), w3);
        return tf.sum(tf.square(logits)) as tf.Scalar;
      }, false);
    step();
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    tf.dispose([x, w1, w2, w3, gamma, beta]);
    optimizer.dispose();
  });
});
