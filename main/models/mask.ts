/**
 * Padding masks. A clip's feature matrix is zero-padded at the end to the model's frame count; a
 * masked model takes a second input, the per-frame mask [batch, frames] (1 = real frame, 0 =
 * padding), so padding never counts: the input's padded frames are zeroed, batch norm takes its
 * statistics over real frames and outputs 0 on padded ones (so no conv ever sees non-zero
 * padding), and pooling over time, the GRU and attention skip them. Wherever time is pooled the
 * mask is pooled with it: a pooled frame is real if any frame of its window is.
 */
import * as tf from '@tensorflow/tfjs';

type Kwargs = Record<string, unknown>;

/** The shape of the first of a layer's inputs. */
export function firstShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

/**
 * Splits a layer's inputs into the data and its mask ([batch, time]), or no mask when the layer
 * was given the data alone.
 */
export function dataAndMask(inputs: tf.Tensor | tf.Tensor[]): { x: tf.Tensor; mask: tf.Tensor2D | null } {
  if (!Array.isArray(inputs)) return { x: inputs, mask: null };
  return { x: inputs[0]!, mask: (inputs[1] as tf.Tensor2D | undefined) ?? null };
}

/**
 * The mask [batch, time] shaped to broadcast over `x`, whose time axis is 2 for NHWC maps
 * [batch, freq, time, channels] and 1 for sequences [batch, time, features].
 */
export function broadcastMask(mask: tf.Tensor2D, x: tf.Tensor): tf.Tensor {
  const [batch, time] = mask.shape;
  return x.rank === 4 ? tf.reshape(mask, [batch, 1, time, 1]) : tf.reshape(mask, [batch, time, 1]);
}

/**
 * The per-frame mask of `count` clips (1 for the first validFrames[i] frames of clip i, else 0),
 * [count][frames], from clip `first` on. Every clip keeps at least one real frame (features of
 * even an empty clip have one), so no pooling ever averages over nothing.
 */
export function frameMask(validFrames: ArrayLike<number>, count: number, frames: number, first = 0): Float32Array {
  const mask = new Float32Array(count * frames);
  for (let i = 0; i < count; i++) {
    const valid = Math.max(1, Math.min(frames, validFrames[first + i]!));
    mask.fill(1, i * frames, i * frames + valid);
  }
  return mask;
}

/**
 * What a model is called with for a batch of features [n, rows, frames, 1]: the features alone
 * for a single-input model (seed-cnn, checkpoints made before masks), else the features and
 * their frame mask. `validFrames` absent: every frame is real.
 */
export function modelInputs(
  model: tf.LayersModel,
  features: tf.Tensor4D,
  validFrames?: ArrayLike<number>,
  first = 0,
): tf.Tensor | tf.Tensor[] {
  if (model.inputs.length === 1) return features;
  const [n, , frames] = features.shape;
  const mask = validFrames ? tf.tensor2d(frameMask(validFrames, n, frames, first), [n, frames]) : tf.ones([n, frames]);
  return [features, mask];
}

export interface PoolMaskArgs {
  /** Frames per window (= stride). */
  pool: number;
  /** 'valid' as a max-pooling layer with the same window drops the tail; 'same' as a strided 'same' conv keeps it. */
  padding: 'valid' | 'same';
  name?: string;
}

/** Pools a mask [batch, time] along time like the map it belongs to: a window is real if any frame in it is. */
export class PoolMask extends tf.layers.Layer {
  static className = 'PoolMask';
  readonly pool: number;
  readonly padding: 'valid' | 'same';

  constructor(args: PoolMaskArgs) {
    super({ name: args.name });
    if (!(Number.isInteger(args.pool) && args.pool >= 1)) throw new Error(`PoolMask pool must be a positive integer, got ${args.pool}`);
    this.pool = args.pool;
    this.padding = args.padding;
  }

  private outputFrames(frames: number): number {
    return this.padding === 'same' ? Math.ceil(frames / this.pool) : Math.floor(frames / this.pool);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, frames] = firstShape(inputShape);
    return [batch!, frames == null ? null : this.outputFrames(frames)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const mask = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor2D;
      const [batch, frames] = mask.shape;
      const windows = tf.maxPool(tf.reshape(mask, [batch, 1, frames, 1]) as tf.Tensor4D, [1, this.pool], [1, this.pool], this.padding);
      return tf.reshape(windows, [batch, this.outputFrames(frames)]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), pool: this.pool, padding: this.padding };
  }
}

/** [x, mask] -> x with its padded frames set to 0 (x NHWC or a sequence, see broadcastMask). */
export class ApplyMask extends tf.layers.Layer {
  static className = 'ApplyMask';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return firstShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const { x, mask } = dataAndMask(inputs);
      return mask ? tf.mul(x, broadcastMask(mask, x)) : tf.clone(x);
    });
  }
}

/** [x (NHWC), mask] -> [batch, channels]: the mean of each channel over the real frames (all rows). */
export class MaskedGlobalAveragePooling extends tf.layers.Layer {
  static className = 'MaskedGlobalAveragePooling';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = firstShape(inputShape);
    return [shape[0]!, shape[3]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const { x, mask } = dataAndMask(inputs);
      if (!mask) return tf.mean(x, [1, 2]);
      const rows = x.shape[1]!;
      const realFrames = tf.reshape(tf.sum(mask, 1), [-1, 1]);
      return tf.div(tf.sum(tf.mul(x, broadcastMask(mask, x)), [1, 2]), tf.mul(realFrames, rows));
    });
  }
}

tf.serialization.registerClass(PoolMask);
tf.serialization.registerClass(ApplyMask);
tf.serialization.registerClass(MaskedGlobalAveragePooling);
