/**
 * One Adam or AdamW step of one variable as one kernel: the op-by-op step (training/optimizers.ts)
 * passes over the variable and its two moments about ten times, each a separate single-threaded
 * kernel; this reads param, grad, m and v once and writes the three new tensors once (on wasm a
 * SIMD loop, simd-loops.wat; on cpu, and for sizes not a multiple of 4, a JavaScript loop). The
 * same update rule in the same order (PyTorch's; see optimizers.ts), each operation rounded to
 * float32 as the ops do, so the result is the op-by-op step's to the bit.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelRunner, type FastBackendName } from './runner';

/** Inputs param, grad, m, v; attrs AdamStepAttrs; outputs [param, m, v] after the step. */
export const ADAM_STEP = 'SerAdamStep';

export interface AdamStepAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** This variable's step count, from 1 (for the bias corrections). */
  step: number;
  weightDecay: number;
  /** AdamW's decay of the parameter itself, or (false) Adam's L2 added to the gradient. */
  decoupled: boolean;
}

/** The step's float32 constants: Adam has keep 1 and l2 its decay; AdamW keep 1 − lr·decay and l2 0. */
function constants(a: AdamStepAttrs) {
  const f = Math.fround;
  return {
    keep: f(a.decoupled ? 1 - a.learningRate * a.weightDecay : 1),
    l2: f(a.decoupled ? 0 : a.weightDecay),
    b1: f(a.beta1),
    c1: f(1 - a.beta1),
    b2: f(a.beta2),
    c2: f(1 - a.beta2),
    correction2: f(Math.sqrt(1 - a.beta2 ** a.step)),
    stepSize: f(a.learningRate / (1 - a.beta1 ** a.step)),
    eps: f(a.epsilon),
  };
}

type Constants = ReturnType<typeof constants>;

/** The rule of simd-loops.wat's adamStep, one float32 rounding per operation as there. */
function adamLoop(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, out: Float32Array[], k: Constants): void {
  const [pOut, mOut, vOut] = out as [Float32Array, Float32Array, Float32Array];
  const f = Math.fround;
  for (let i = 0; i < p.length; i++) {
    const gi = f(g[i]! + f(p[i]! * k.l2));
    const mi = f(f(m[i]! * k.b1) + f(gi * k.c1));
    const vi = f(f(v[i]! * k.b2) + f(f(gi * gi) * k.c2));
    const denom = f(f(f(Math.sqrt(vi)) / k.correction2) + k.eps);
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = f(f(p[i]! * k.keep) - f(f(mi / denom) * k.stepSize));
  }
}

function makeAdamStep(backendName: FastBackendName): tf.KernelFunc {
  return (args) => {
    const { param, grad, m, v } = args.inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
    const k = constants(args.attrs as unknown as AdamStepAttrs);
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    const shape = param!.shape;
    const size = tf.util.sizeFromShape(shape);
    const simd = runner.simd(size);
    return runner.createAll([shape, shape, shape], (out, read) => {
      const inputs = [read(param!), read(grad!), read(m!), read(v!)] as const;
      if (simd == null) return adamLoop(...inputs, out, k);
      const [p, g, m0, v0] = inputs.map((a) => a.byteOffset);
      const [pOut, mOut, vOut] = out.map((a) => a.byteOffset);
      simd.adamStep(p!, g!, m0!, v0!, pOut!, mOut!, vOut!, size, k.keep, k.l2, k.b1, k.c1, k.b2, k.c2, k.correction2, k.stepSize, k.eps);
    });
  };
}

export function adamKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [{ kernelName: ADAM_STEP, backendName, kernelFunc: makeAdamStep(backendName) }];
}
