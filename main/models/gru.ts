/**
 * A bidirectional GRU layer with exactly the math of
 * `tf.layers.bidirectional({layer: tf.layers.gru({units, returnSequences: true}), mergeMode: 'concat'})`
 * and the same weights in the same order, written because the stock one is slow: tfjs runs each
 * GRU step as ~25 tiny ops per direction, and on the wasm backend every op has a fixed overhead
 * that dwarfs its arithmetic (the CRNN's GRU over 25 steps cost ~40 ms per clip).
 *
 * - On wasm and cpu: the fused kernels (compute/kernels/gru.ts): the input projections of all
 *   steps as one product, the recurrence in a few BLAS products per step and one loop for the
 *   gates, and a hand-written gradient through time. Without a BLAS only inference of a few clips
 *   takes them (see fusedGruAvailable).
 * - Elsewhere (webgpu, native TensorFlow, and training without a BLAS), and as the reference the
 *   fused kernels are tested against: tfjs ops, so gradients flow. The input projections of all
 *   time steps and both directions are one matMul; only the recurrence runs per step, with the
 *   two directions batched into the same ops.
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
import { biGruSequence, fusedGruAvailable, type GruWeights } from '../compute/kernels';
import { dataAndMask, firstShape } from './mask';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

export interface BiGruArgs {
  units: number;
  kernelInitializer?: Initializer;
  recurrentInitializer?: Initializer;
  biasInitializer?: Initializer;
  name?: string;
  trainable?: boolean;
}

interface Direction {
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable;
}

/** tfjs's hardSigmoid, op for op (K.hardSigmoid), so gradients match too. */
function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.add(0.5, tf.mul(0.2, x)), 0, 1);
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

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const { x, mask } = dataAndMask(inputs);
    const differentiable = tf.engine().state.gradientDepth > 0;
    if (fusedGruAvailable(x.shape[0]!, differentiable)) return this.callFused(x as tf.Tensor3D, mask);
    return tf.tidy(() => this.callOps(x as tf.Tensor3D, mask));
  }

  private callFused(x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D {
    const weights = ({ kernel, recurrentKernel, bias }: Direction): GruWeights => ({
      kernel: kernel.read() as tf.Tensor2D,
      recurrentKernel: recurrentKernel.read() as tf.Tensor2D,
      bias: bias.read() as tf.Tensor1D,
    });
    const [fwd, bwd] = this.directions!;
    return biGruSequence(x, mask, weights(fwd), weights(bwd));
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

  override getConfig(): tf.serialization.ConfigDict {
    // The initializers are not saved: a loaded model gets its weights from the checkpoint.
    return { ...super.getConfig(), units: this.units };
  }
}

tf.serialization.registerClass(BiGru);
