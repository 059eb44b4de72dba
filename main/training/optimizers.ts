/**
 * Optimizers for the custom training loop, mirroring PyTorch's update rules exactly
 * (default betas 0.9/0.999, eps 1e-8, no amsgrad, no nesterov, no dampening):
 *
 * - `adamw` = torch.optim.AdamW: decoupled weight decay p ← p·(1 − lr·wd), then the Adam step
 *   m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps).
 * - `adam` = torch.optim.Adam: the same step, no decoupled decay; a non-zero `weightDecay` is
 *   PyTorch's coupled L2 (g ← g + wd·p). Pass weightDecay 0 for plain Adam.
 * - `sgd` = torch.optim.SGD: g ← g + wd·p; with momentum μ: buf ← μ·buf + g (buf = g on the first
 *   step, which is the same thing from a zero buffer); p ← p − lr·buf.
 *
 * Which variables are decayed: PyTorch's prototype passed `model.parameters()` as one group, so every
 * trainable variable is decayed (`decayScope: 'all'`, the default). `decayScope: 'skip-bias-norm'`
 * skips variables of rank ≤ 1 — biases and batch-norm gamma/beta — the usual refinement.
 *
 * The learning rate is a plain number read at every step, so the scheduler can change it between
 * epochs without touching the moment buffers. Step counts are per variable, as in PyTorch.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_STEP, hasKernel, type AdamStepAttrs } from '../compute/kernels';
import type { OptimizerName } from '../schema/names';

export type { OptimizerName } from '../schema/names';
export type DecayScope = 'all' | 'skip-bias-norm';

export interface OptimizerConfig {
  name: OptimizerName;
  learningRate: number;
  weightDecay: number;
  /** SGD only (PyTorch default 0). */
  momentum?: number;
  /** Which variables get weight decay; default 'all' (the prototype). */
  decayScope?: DecayScope;
}

export interface SerializedTensor {
  shape: number[];
  values: number[];
}

/** Plain-JSON optimizer state for checkpoints, keyed by variable name. */
export interface OptimizerState {
  name: OptimizerName;
  slots: Record<string, { step: number; buffers: SerializedTensor[] }>;
}

export interface Optimizer {
  readonly name: OptimizerName;
  learningRate: number;
  /** Updates every variable that has a gradient under its name; variables without one are skipped. */
  applyGradients(grads: Record<string, tf.Tensor>, variables: tf.Variable[]): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
  dispose(): void;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

interface Slot {
  step: number;
  /** adam/adamw: [m, v]; sgd with momentum: [buf]; plain sgd: []. */
  buffers: tf.Variable[];
}

export function createOptimizer(config: OptimizerConfig): Optimizer {
  return new PyTorchStyleOptimizer(config);
}

class PyTorchStyleOptimizer implements Optimizer {
  readonly name: OptimizerName;
  learningRate: number;
  private readonly weightDecay: number;
  private readonly momentum: number;
  private readonly decayScope: DecayScope;
  private slots = new Map<string, Slot>();

  constructor(config: OptimizerConfig) {
    this.name = config.name;
    this.learningRate = config.learningRate;
    this.weightDecay = config.weightDecay;
    this.momentum = config.momentum ?? 0;
    this.decayScope = config.decayScope ?? 'all';
  }

  applyGradients(grads: Record<string, tf.Tensor>, variables: tf.Variable[]): void {
    for (const variable of variables) {
      const grad = grads[variable.name];
      if (grad === undefined) continue;
      const slot = this.slotFor(variable);
      slot.step += 1;
      const decay = this.decays(variable) ? this.weightDecay : 0;
      tf.tidy(() => {
        if (this.name === 'sgd') this.sgdStep(variable, grad, slot, decay);
        else this.adamStep(variable, grad, slot, decay);
      });
    }
  }

  private adamStep(variable: tf.Variable, grad: tf.Tensor, slot: Slot, decay: number): void {
    const lr = this.learningRate;
    const [m, v] = slot.buffers as [tf.Variable, tf.Variable];
    // wasm and cpu: one kernel for the whole step (compute/kernels/adam.ts), the same float32 math.
    if (hasKernel(ADAM_STEP) && variable.dtype === 'float32') {
      const attrs: AdamStepAttrs = {
        learningRate: lr,
        beta1: BETA1,
        beta2: BETA2,
        epsilon: EPS,
        step: slot.step,
        weightDecay: decay,
        decoupled: this.name === 'adamw',
      };
      const [paramNew, mNew, vNew] = tf
        .engine()
        .runKernel(ADAM_STEP, { param: variable, grad, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      m.assign(mNew!);
      v.assign(vNew!);
      variable.assign(paramNew!);
      return;
    }
    let param: tf.Tensor = variable;
    let g = grad;
    if (decay > 0 && this.name === 'adamw') param = variable.mul(1 - lr * decay);
    if (decay > 0 && this.name === 'adam') g = grad.add(variable.mul(decay));
    const mNew = m.mul(BETA1).add(g.mul(1 - BETA1));
    const vNew = v.mul(BETA2).add(g.square().mul(1 - BETA2));
    const biasCorrection1 = 1 - BETA1 ** slot.step;
    const biasCorrection2 = 1 - BETA2 ** slot.step;
    const denom = vNew.sqrt().div(Math.sqrt(biasCorrection2)).add(EPS);
    m.assign(mNew);
    v.assign(vNew);
    variable.assign(param.sub(mNew.div(denom).mul(lr / biasCorrection1)));
  }

  private sgdStep(variable: tf.Variable, grad: tf.Tensor, slot: Slot, decay: number): void {
    let g = decay > 0 ? grad.add(variable.mul(decay)) : grad;
    if (this.momentum > 0) {
      const buf = slot.buffers[0]!;
      const bufNew = buf.mul(this.momentum).add(g);
      buf.assign(bufNew);
      g = bufNew;
    }
    variable.assign(variable.sub(g.mul(this.learningRate)));
  }

  private decays(variable: tf.Variable): boolean {
    return this.decayScope === 'all' || variable.rank > 1;
  }

  private bufferCount(): number {
    if (this.name === 'sgd') return this.momentum > 0 ? 1 : 0;
    return 2;
  }

  private slotFor(variable: tf.Variable): Slot {
    let slot = this.slots.get(variable.name);
    if (slot === undefined) {
      const buffers: tf.Variable[] = [];
      for (let i = 0; i < this.bufferCount(); i++) {
        buffers.push(tf.tidy(() => tf.variable(tf.zeros(variable.shape), false)));
      }
      slot = { step: 0, buffers };
      this.slots.set(variable.name, slot);
    }
    return slot;
  }

  getState(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [name, slot] of this.slots) {
      slots[name] = {
        step: slot.step,
        buffers: slot.buffers.map((b) => ({ shape: [...b.shape], values: Array.from(b.dataSync()) })),
      };
    }
    return { name: this.name, slots };
  }

  setState(state: OptimizerState): void {
    if (state.name !== this.name) {
      throw new Error(`Optimizer state is for '${state.name}', not '${this.name}'`);
    }
    this.disposeSlots();
    for (const [name, saved] of Object.entries(state.slots)) {
      if (saved.buffers.length !== this.bufferCount()) {
        throw new Error(`Optimizer state for '${name}' has ${saved.buffers.length} buffers, expected ${this.bufferCount()}`);
      }
      const buffers = saved.buffers.map((b) => tf.tidy(() => tf.variable(tf.tensor(b.values, b.shape, 'float32'), false)));
      this.slots.set(name, { step: saved.step, buffers });
    }
  }

  dispose(): void {
    this.disposeSlots();
  }

  private disposeSlots(): void {
    for (const slot of this.slots.values()) for (const b of slot.buffers) b.dispose();
    this.slots.clear();
  }
}
