/**
 * Dropout whose masks come from a seeded sequence. tfjs's own Dropout layer draws from
 * Math.random when unseeded (runs are not reproducible) and repeats the same mask on every step
 * when seeded; this layer derives a fresh seed per training call from (seed, call count), so the
 * same model seed gives the same masks in the same order on every run.
 */
import * as tf from '@tensorflow/tfjs';

export interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

export class SeededDropout extends tf.layers.Layer {
  static className = 'SeededDropout';
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs.training !== true || this.rate === 0) return tf.clone(x);
    // seedrandom takes the seed as a string; any distinct number per call gives an independent mask.
    const stepSeed = this.seed * 1_000_003 + ++this.calls;
    return tf.dropout(x, this.rate, undefined, stepSeed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

tf.serialization.registerClass(SeededDropout);
