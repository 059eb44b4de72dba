/**
 * Matmuls on wasm that reach XNNPACK. tfjs-backend-wasm 4.22 sends a matmul to XNNPACK only
 * when neither operand is transposed and both have batch 1; everything else (every gradient of
 * a Dense layer, for one) runs a scalar triple loop about 15x slower. These kernels transpose
 * operands explicitly (a cheap copy) and split batched products into batch-1 products.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelRunner, originalKernel } from './runner';

/** Below this many multiply-adds the stock loop is as fast as the extra copies. */
const MIN_WORK_FOR_XNNPACK = 32 * 1024;

export interface MatMulPlan {
  batchA: number;
  batchB: number;
  rows: number;
  inner: number;
  cols: number;
  outShape: number[];
}

/** The product's sizes, or null for batch layouts other than equal batches or one shared operand. */
export function matMulPlan(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): MatMulPlan | null {
  const rankA = a.shape.length;
  const rankB = b.shape.length;
  const rows = transposeA ? a.shape[rankA - 1]! : a.shape[rankA - 2]!;
  const inner = transposeA ? a.shape[rankA - 2]! : a.shape[rankA - 1]!;
  const cols = transposeB ? b.shape[rankB - 2]! : b.shape[rankB - 1]!;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  // Only the simple batch layouts: identical batch dimensions, or one side shared by all.
  if (batchA !== 1 && batchB !== 1 && !tf.util.arraysEqual(outerA, outerB)) return null;
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  return { batchA, batchB, rows, inner, cols, outShape: [...outer, rows, cols] };
}

/** `x` as [batch, r, c] in plain (untransposed) orientation. */
function plainOperand(runner: KernelRunner, x: tf.TensorInfo, batch: number, transposed: boolean): tf.TensorInfo {
  const rank = x.shape.length;
  const asStored = runner.reshape(x, [batch, x.shape[rank - 2]!, x.shape[rank - 1]!]);
  if (!transposed) return asStored;
  const plain = runner.transpose(asStored, [0, 2, 1]);
  runner.dispose(asStored);
  return plain;
}

function sliceBatch(runner: KernelRunner, x: tf.TensorInfo, index: number): tf.TensorInfo {
  const [batch, r, c] = x.shape as [number, number, number];
  if (batch === 1) return runner.reshape(x, [1, r, c]);
  const flat = runner.reshape(x, [batch, r * c]);
  const row = runner.rows(flat, index, index + 1);
  runner.dispose(flat);
  const item = runner.reshape(row, [1, r, c]);
  runner.dispose(row);
  return item;
}

/**
 * Computes the product as batch-1, untransposed products (`runPlain` gets two [1, r, c]
 * operands and returns [1, rows, cols]), which the stock kernel sends to XNNPACK.
 */
function viaXnnpack(
  runner: KernelRunner,
  p: MatMulPlan,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  runPlain: (a: tf.TensorInfo, b: tf.TensorInfo) => tf.TensorInfo,
): tf.TensorInfo {
  const plainA = plainOperand(runner, a, p.batchA, transposeA);
  const plainB = plainOperand(runner, b, p.batchB, transposeB);
  const batch = Math.max(p.batchA, p.batchB);
  const products: tf.TensorInfo[] = [];
  for (let i = 0; i < batch; i++) {
    const ai = sliceBatch(runner, plainA, i);
    const bi = sliceBatch(runner, plainB, i);
    products.push(runPlain(ai, bi));
    runner.dispose(ai, bi);
  }
  runner.dispose(plainA, plainB);
  if (batch === 1) {
    const out = runner.reshape(products[0]!, p.outShape);
    runner.dispose(products[0]!);
    return out;
  }
  const size = p.rows * p.cols;
  const out = runner.create(p.outShape, (values, read) => {
    products.forEach((product, i) => values.set(read(product), i * size));
  });
  runner.dispose(...products);
  return out;
}

function worthIt(p: MatMulPlan): boolean {
  return p.rows * p.inner * p.cols >= MIN_WORK_FOR_XNNPACK;
}

const batchMatMul: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const stock = originalKernel('BatchMatMul', 'wasm')!;
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const p = matMulPlan(a, b, transposeA, transposeB);
  const alreadyFast = !transposeA && !transposeB && p != null && p.batchA === 1 && p.batchB === 1;
  if (p == null || alreadyFast || !worthIt(p)) return stock({ inputs, backend, attrs });
  const runner = new KernelRunner(backend as tf.KernelBackend, 'wasm');
  return viaXnnpack(runner, p, a, b, transposeA, transposeB, (ai, bi) =>
    runner.run('BatchMatMul', { a: ai, b: bi }, { transposeA: false, transposeB: false }),
  );
};

/** Applies a fused matmul's activation with the stock kernel of that activation. */
function activate(runner: KernelRunner, x: tf.TensorInfo, attrs: tf.NamedAttrMap, preluWeights?: tf.TensorInfo): tf.TensorInfo {
  const activation = (attrs['activation'] as string | undefined) ?? 'linear';
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return runner.run('Relu', { x });
    case 'relu6':
      return runner.run('Relu6', { x });
    case 'elu':
      return runner.run('Elu', { x });
    case 'sigmoid':
      return runner.run('Sigmoid', { x });
    case 'leakyrelu':
      return runner.run('LeakyRelu', { x }, { alpha: attrs['leakyreluAlpha'] as number });
    case 'prelu':
      return runner.run('Prelu', { x, alpha: preluWeights! });
    default:
      throw new Error(`_FusedMatMul: unknown activation '${activation}'`);
  }
}

/**
 * The stock wasm _FusedMatMul crashes (reads tensor id 0) on its slow path without a bias, and
 * is slow anyway; off the fast path this runs the product via XNNPACK, then bias and activation.
 */
const fusedMatMul: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const stock = originalKernel('_FusedMatMul', 'wasm')!;
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const p = matMulPlan(a!, b!, transposeA, transposeB);
  const alreadyFast = !transposeA && !transposeB && p != null && p.batchA === 1 && p.batchB === 1;
  if (p == null || alreadyFast) return stock({ inputs, backend, attrs });
  const runner = new KernelRunner(backend as tf.KernelBackend, 'wasm');
  const product = viaXnnpack(runner, p, a!, b!, transposeA, transposeB, (ai, bi) =>
    runner.run('BatchMatMul', { a: ai, b: bi }, { transposeA: false, transposeB: false }),
  );
  const biased = bias != null ? runner.run('Add', { a: product, b: bias }) : product;
  if (biased !== product) runner.dispose(product);
  const out = activate(runner, biased, attrs as tf.NamedAttrMap, preluActivationWeights);
  if (out !== biased) runner.dispose(biased);
  return out;
};

export function wasmMatMulKernels(): tf.KernelConfig[] {
  return [
    { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: batchMatMul },
    { kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc: fusedMatMul },
  ];
}
