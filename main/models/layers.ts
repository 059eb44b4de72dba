/**
 * The custom layers our models use, registered with tfjs serialization so saved models load.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain, maskedBatchNormTrain } from '../compute/kernels';
import { broadcastMask, dataAndMask, firstShape } from './mask';

type Kwargs = Record<string, unknown>;
/** The base-layer arguments our layers pass through. */
interface LayerArgs {
  name?: string;
  trainable?: boolean;
}

/** PyTorch's adaptive pooling bins: bin i covers [floor(i*in/out), ceil((i+1)*in/out)). */
export function adaptiveBins(inSize: number, outSize: number): [number, number][] {
  const bins: [number, number][] = [];
  for (let i = 0; i < outSize; i++) {
    bins.push([Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)]);
  }
  return bins;
}

/** The (size, stride) of a plain pooling window that reproduces the bins, or null if none does. */
export function uniformPooling(inSize: number, outSize: number): { size: number; stride: number } | null {
  const bins = adaptiveBins(inSize, outSize);
  const size = bins[0]![1] - bins[0]![0];
  const stride = bins.length > 1 ? bins[1]![0] - bins[0]![0] : inSize;
  const uniform = bins.every(([start, end], i) => end - start === size && start === i * stride);
  return uniform && stride > 0 ? { size, stride } : null;
}

export interface AdaptiveAveragePooling2DArgs extends LayerArgs {
  outputSize: [number, number];
}

/**
 * PyTorch's AdaptiveAvgPool2d for NHWC input whose bins are not one regular pooling window:
 * each output cell is the mean of its (possibly overlapping, unequal) bin.
 */
export class AdaptiveAveragePooling2D extends tf.layers.Layer {
  static className = 'AdaptiveAveragePooling2D';
  readonly outputSize: [number, number];

  constructor(args: AdaptiveAveragePooling2DArgs) {
    super(args);
    this.outputSize = args.outputSize;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape;
    return [shape[0]!, this.outputSize[0], this.outputSize[1], shape[3]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      const [batch, height, width, channels] = x.shape;
      const rows = adaptiveBins(height, this.outputSize[0]).map(([h0, h1]) => {
        const cells = adaptiveBins(width, this.outputSize[1]).map(([w0, w1]) =>
          tf.mean(tf.slice(x, [0, h0, w0, 0], [batch, h1 - h0, w1 - w0, channels]), [1, 2]),
        );
        return tf.stack(cells, 1);
      });
      return tf.stack(rows, 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), outputSize: this.outputSize };
  }
}

export interface AttentionPoolingArgs extends LayerArgs {
  /** Used when the layer is built; defaults to Glorot uniform. */
  kernelInitializer?: ReturnType<typeof tf.initializers.zeros>;
}

/**
 * Attention pooling over time: a learned score per time step (a linear projection of its
 * features), softmax over time, and the score-weighted sum of the steps. [batch, time, features]
 * -> [batch, features]. (A score bias would cancel in the softmax, so there is none.) Given
 * [x, mask], the softmax runs over the real steps only.
 */
export class AttentionPooling extends tf.layers.Layer {
  static className = 'AttentionPooling';
  private readonly kernelInitializer: ReturnType<typeof tf.initializers.zeros>;
  private kernel: tf.LayerVariable | null = null;

  constructor(args: AttentionPoolingArgs = {}) {
    super(args);
    this.kernelInitializer = args.kernelInitializer ?? tf.initializers.glorotUniform({});
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const features = firstShape(inputShape)[2]!;
    this.kernel = this.addWeight('kernel', [features, 1], 'float32', this.kernelInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = firstShape(inputShape);
    return [shape[0]!, shape[2]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const { x: input, mask } = dataAndMask(inputs);
      const x = input as tf.Tensor3D;
      const [batch, time, features] = x.shape;
      let scores: tf.Tensor = tf.reshape(tf.matMul(tf.reshape(x, [batch * time, features]), this.kernel!.read()), [batch, time]);
      // Padded steps score -1e9: their softmax weight is exactly 0 (every clip has a real step).
      if (mask) scores = tf.add(scores, tf.mul(tf.sub(mask, 1), 1e9));
      const weights = tf.reshape(tf.softmax(scores), [batch, time, 1]);
      return tf.sum(tf.mul(x, weights), 1);
    });
  }

  // The initializer is not saved: a loaded model gets its weights from the checkpoint.
}

export interface BatchNormArgs extends LayerArgs {
  /** Default 1e-5 (PyTorch). */
  epsilon?: number;
  /** Weight of the old moving statistics per update. Default 0.9 (PyTorch momentum 0.1). */
  momentum?: number;
}

/**
 * Batch normalisation over the last (channel) axis, PyTorch BatchNorm2d semantics: training
 * normalises with the batch's statistics and updates moving averages (the variance one
 * unbiased, as PyTorch does); inference uses the moving averages. Same weights as
 * tf.layers.batchNormalization (gamma, beta, moving_mean, moving_variance); its training path
 * is one fused op with a hand-written gradient (see kernels/batch-norm.ts).
 *
 * Given [x, mask] (x NHWC, mask [batch, time]): the batch statistics come from the real frames
 * only, and padded frames output 0 in training and inference (compute/kernels/batch-norm.ts).
 */
export class BatchNorm extends tf.layers.Layer {
  static className = 'SerBatchNorm';
  readonly epsilon: number;
  readonly momentum: number;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;
  private movingMean: tf.LayerVariable | null = null;
  private movingVariance: tf.LayerVariable | null = null;

  constructor(args: BatchNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
    this.momentum = args.momentum ?? 0.9;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = firstShape(inputShape);
    const channels = shape[shape.length - 1]!;
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return firstShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const { x, mask } = dataAndMask(inputs);
      const gamma = this.gamma!.read() as tf.Tensor1D;
      const beta = this.beta!.read() as tf.Tensor1D;
      if (kwargs['training'] !== true) {
        const y = tf.batchNorm(
          x,
          this.movingMean!.read() as tf.Tensor1D,
          this.movingVariance!.read() as tf.Tensor1D,
          beta,
          gamma,
          this.epsilon,
        );
        return mask ? tf.mul(y, broadcastMask(mask, x)) : y;
      }
      if (mask) {
        const stats = maskedBatchNormTrain(x as tf.Tensor4D, mask, gamma, beta, this.epsilon);
        this.updateAverage(this.movingMean!, stats.mean);
        const unbiased = tf.mul(stats.variance, tf.div(stats.count, tf.maximum(1, tf.sub(stats.count, 1))));
        this.updateAverage(this.movingVariance!, unbiased);
        return stats.y;
      }
      const { y, mean, variance } = batchNormTrain(x, gamma, beta, this.epsilon);
      const count = x.size / x.shape[x.shape.length - 1]!;
      const unbiased = tf.mul(variance, count / Math.max(1, count - 1));
      this.updateAverage(this.movingMean!, mean);
      this.updateAverage(this.movingVariance!, unbiased);
      return y;
    });
  }

  private updateAverage(variable: tf.LayerVariable, value: tf.Tensor): void {
    variable.write(tf.add(tf.mul(variable.read(), this.momentum), tf.mul(value, 1 - this.momentum)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}

tf.serialization.registerClass(AdaptiveAveragePooling2D);
tf.serialization.registerClass(BatchNorm);
tf.serialization.registerClass(AttentionPooling);
