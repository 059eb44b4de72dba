/**
 * A bidirectional GRU layer with exactly the math of
 * `tf.layers.bidirectional({layer: tf.layers.gru({units, returnSequences: true}), mergeMode: 'concat'})`
 * and the same weights in the same order, written because the stock one is slow: tfjs runs each
 * GRU step as ~25 tiny ops per direction, and on the wasm backend every op has a fixed overhead
 * that dwarfs its arithmetic (the CRNN's GRU over 25 steps cost ~40 ms per clip).
 *
 * - Training (kwargs.training, or any gradient tape recording): tfjs ops, so gradients flow. The
 *   input projections of all time steps and both directions are one matMul; only the recurrence
 *   runs per step, with the two directions batched into the same ops.
 * - Inference with small batches (a single clip): one input-projection matMul per direction, then
 *   the recurrence in plain JS loops over Float32Arrays (64 units × 25 steps is tiny), giving one
 *   output tensor. Larger inference batches take the ops path, which is faster for them.
 *
 * The tfjs GRU math (GRUCell, reset gate before the recurrent matmul, resetAfter false): with
 * kernel W [in, 3u], recurrent kernel U [u, 3u], bias b [3u], gates in the order z, r, h,
 *   z = σ(x·W_z + b_z + h·U_z),  r = σ(x·W_r + b_r + h·U_r),
 *   ĥ = tanh(x·W_h + b_h + (r ⊙ h)·U_h),  h' = z ⊙ h + (1 − z) ⊙ ĥ,
 * where σ is tfjs's default recurrent activation, the hard sigmoid clip(0.2·x + 0.5, 0, 1), and
 * h starts at zero. The backward direction reads the sequence reversed; its outputs are re-reversed
 * so that step t holds both directions' states for time t: [forward (u), backward (u)].
 *
 * Given [x, mask] (mask [batch, time], 1 = real step): at a padded step the state carries over
 * unchanged (h' = h), in both directions; the backward direction thus starts from zero at the
 * last real step, as if the sequence ended there.
 */
import * as tf from '@tensorflow/tfjs';
import { dataAndMask, firstShape } from './mask';

type Kwargs = Record<string, unknown>;
type Initializer = ReturnType<typeof tf.initializers.zeros>;

export interface BiGruArgs {
  units: number;
  kernelInitializer?: Initializer;
  recurrentInitializer?: Initializer;
  biasInitializer?: Initializer;
  name?: string;
  trainable?: boolean;
}

/** Up to this many sequences per call, inference runs the recurrence in JS; above it, as tfjs ops. */
export const JS_RECURRENCE_MAX_BATCH = 16;

interface Direction {
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable;
}

/** tfjs's hardSigmoid, op for op (K.hardSigmoid), so gradients match too. */
function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.add(0.5, tf.mul(0.2, x)), 0, 1);
}

/** The hard sigmoid's 0.2 as tfjs multiplies by it (a float32 scalar). */
const HARD_SIGMOID_SLOPE = Math.fround(0.2);

/**
 * One direction of the GRU over every sequence, in plain JS. `projected` is x·W for all steps,
 * [batch, time, 3u] (no bias yet); writes h for each step into `out` ([batch, time, 2u]) at
 * column `column`, in time order (a reversed direction walks time backwards).
 */
function gruRecurrence(
  projected: Float32Array,
  weights: { recurrentKernel: Float32Array; bias: Float32Array },
  shape: { batch: number; time: number; units: number; reverse: boolean },
  mask: Float32Array | null,
  out: Float32Array,
  column: number,
): void {
  const { recurrentKernel: rk, bias } = weights;
  const { batch, time, units: u, reverse } = shape;
  const width = 3 * u;
  const h = new Float32Array(u);
  const rh = new Float32Array(u);
  const zr = new Float32Array(2 * u);
  const candidate = new Float32Array(u);
  for (let n = 0; n < batch; n++) {
    h.fill(0);
    for (let s = 0; s < time; s++) {
      const t = reverse ? time - 1 - s : s;
      if (mask && mask[n * time + t] === 0) {
        out.set(h, (n * time + t) * 2 * u + column);
        continue;
      }
      const row = (n * time + t) * width;
      // z and r: hardSigmoid(x·W + b + h·U), U's first 2u columns (rows of U are contiguous).
      zr.fill(0);
      for (let k = 0; k < u; k++) {
        const hk = h[k]!;
        const base = k * width;
        for (let j = 0; j < 2 * u; j++) zr[j] += hk * rk[base + j]!;
      }
      for (let j = 0; j < 2 * u; j++) {
        const v = HARD_SIGMOID_SLOPE * (projected[row + j]! + bias[j]! + zr[j]!) + 0.5;
        zr[j] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
      // The candidate: tanh(x·W + b + (r ⊙ h)·U), U's last u columns.
      for (let k = 0; k < u; k++) rh[k] = zr[u + k]! * h[k]!;
      candidate.fill(0);
      for (let k = 0; k < u; k++) {
        const rk_ = rh[k]!;
        const base = k * width + 2 * u;
        for (let j = 0; j < u; j++) candidate[j] += rk_ * rk[base + j]!;
      }
      const outRow = (n * time + t) * 2 * u + column;
      for (let j = 0; j < u; j++) {
        const z = zr[j]!;
        const c = Math.tanh(projected[row + 2 * u + j]! + bias[2 * u + j]! + candidate[j]!);
        h[j] = z * h[j]! + (1 - z) * c;
        out[outRow + j] = h[j]!;
      }
    }
  }
}

/**
 * Bidirectional GRU, [batch, time, features] -> [batch, time, 2 * units]. Weights, in
 * getWeights order: forward kernel, recurrent kernel, bias, then the same for backward (as the
 * stock Bidirectional(GRU) orders them, so weights move between the two with setWeights).
 */
export class BiGru extends tf.layers.Layer {
  static className = 'BiGru';
  readonly units: number;
  private readonly kernelInitializer: Initializer;
  private readonly recurrentInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  private directions: [Direction, Direction] | null = null;

  constructor(args: BiGruArgs) {
    super(args);
    if (!(Number.isInteger(args.units) && args.units > 0)) throw new Error(`BiGru units must be a positive integer, got ${args.units}`);
    this.units = args.units;
    this.kernelInitializer = args.kernelInitializer ?? tf.initializers.glorotUniform({});
    this.recurrentInitializer = args.recurrentInitializer ?? tf.initializers.orthogonal({});
    this.biasInitializer = args.biasInitializer ?? tf.initializers.zeros();
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const features = firstShape(inputShape)[2]!;
    const u = this.units;
    // Both directions use the same initializer objects. With seeded initializers this gives both
    // the same initial weights — as the stock Bidirectional does, which clones its layer's config.
    const direction = (prefix: string): Direction => ({
      kernel: this.addWeight(`${prefix}/kernel`, [features, 3 * u], 'float32', this.kernelInitializer),
      recurrentKernel: this.addWeight(`${prefix}/recurrent_kernel`, [u, 3 * u], 'float32', this.recurrentInitializer),
      bias: this.addWeight(`${prefix}/bias`, [3 * u], 'float32', this.biasInitializer),
    });
    this.directions = [direction('forward'), direction('backward')];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = firstShape(inputShape);
    return [shape[0]!, shape[1]!, 2 * this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const { x, mask } = dataAndMask(inputs);
    // The JS recurrence has no gradient: any call under a gradient tape takes the ops path. It
    // reads tensors synchronously, which the webgpu backend cannot do in Node.
    const differentiable = kwargs['training'] === true || tf.engine().state.gradientDepth > 0;
    if (differentiable || tf.getBackend() === 'webgpu' || x.shape[0]! > JS_RECURRENCE_MAX_BATCH)
      return tf.tidy(() => this.callOps(x as tf.Tensor3D, mask));
    return this.callJs(x as tf.Tensor3D, mask);
  }

  /** The recurrence as tfjs ops, both directions batched: state [2, batch, units]. */
  private callOps(x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D {
    const [batch, time, features] = x.shape;
    const u = this.units;
    const [fwd, bwd] = this.directions!;

    // Input projections for every step of both directions: [batch * time, 6u] -> [time, 2, batch, 3u].
    const kernel = tf.concat([fwd.kernel.read(), bwd.kernel.read()], 1);
    const bias = tf.concat([fwd.bias.read(), bwd.bias.read()]);
    const projected = tf.add(tf.matMul(tf.reshape(x, [batch * time, features]), kernel), bias);
    const byStep = tf.transpose(tf.reshape(projected, [batch, time, 2, 3 * u]), [1, 2, 0, 3]);
    // The backward direction's step s reads time (time - 1 - s).
    const [projFwd, projBwd] = tf.split(byStep, 2, 1);
    const [projZR, projH] = tf.split(tf.concat([projFwd, tf.reverse(projBwd, 0)], 1), [2 * u, u], 3);
    const zrSteps = tf.unstack(projZR);
    const hSteps = tf.unstack(projH);

    // Per step, the mask of both directions: [time(step), 2, batch, 1].
    const maskSteps = mask
      ? tf.unstack(tf.reshape(tf.transpose(tf.stack([mask, tf.reverse(mask, 1)]), [2, 0, 1]), [time, 2, batch, 1]))
      : null;

    const [recurrentZR, recurrentH] = tf.split(tf.stack([fwd.recurrentKernel.read(), bwd.recurrentKernel.read()]), [2 * u, u], 2);
    let h: tf.Tensor = tf.zeros([2, batch, u]);
    const states: tf.Tensor[] = [];
    for (let s = 0; s < time; s++) {
      const [z, r] = tf.split(hardSigmoid(tf.add(zrSteps[s]!, tf.matMul(h, recurrentZR))), 2, 2);
      const candidate = tf.tanh(tf.add(hSteps[s]!, tf.matMul(tf.mul(r!, h), recurrentH)));
      const next = tf.add(tf.mul(z!, h), tf.mul(tf.sub(1, z!), candidate));
      // A padded step keeps the state: h + m (h' - h).
      h = maskSteps ? tf.add(h, tf.mul(maskSteps[s]!, tf.sub(next, h))) : next;
      states.push(h);
    }

    // [time(step), 2, batch, u]: re-reverse the backward states to time order, then [batch, time, 2u].
    const [outFwd, outBwd] = tf.split(tf.stack(states), 2, 1);
    const merged = tf.concat([outFwd, tf.reverse(outBwd, 0)], 1);
    return tf.reshape(tf.transpose(merged, [2, 0, 1, 3]), [batch, time, 2 * u]);
  }

  /** The recurrence in JS loops: one matMul per direction for the input projections, then JS. */
  private callJs(x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D {
    const [batch, time, features] = x.shape;
    const out = new Float32Array(batch * time * 2 * this.units);
    const maskValues = mask ? (mask.dataSync() as Float32Array) : null;
    this.directions!.forEach(({ kernel, recurrentKernel, bias }, dir) => {
      const projected = tf.tidy(() => tf.matMul(tf.reshape(x, [batch * time, features]), kernel.read()));
      try {
        const weights = {
          recurrentKernel: recurrentKernel.read().dataSync() as Float32Array,
          bias: bias.read().dataSync() as Float32Array,
        };
        gruRecurrence(
          projected.dataSync() as Float32Array,
          weights,
          { batch, time, units: this.units, reverse: dir === 1 },
          maskValues,
          out,
          dir * this.units,
        );
      } finally {
        projected.dispose();
      }
    });
    return tf.tensor3d(out, [batch, time, 2 * this.units]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    // The initializers are not saved: a loaded model gets its weights from the checkpoint.
    return { ...super.getConfig(), units: this.units };
  }
}

tf.serialization.registerClass(BiGru);
