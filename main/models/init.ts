/**
 * Seeded, PyTorch-style initialisation. Every layer draws its own seed from one generator, in
 * build order, so a model seed fixes every initial weight. Weights follow PyTorch's defaults for
 * Conv2d/Linear (kaiming_uniform with a = sqrt(5), i.e. U(±1/sqrt(fan_in))), biases
 * U(±1/sqrt(fan_in)), GRU weights U(±1/sqrt(hidden)).
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../util/random';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

export class SeededInit {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = createRng(seed);
  }

  private nextSeed(): number {
    return this.rng.int(2 ** 31 - 1);
  }

  /** U(±1/sqrt(fan_in)) where tfjs derives fan_in from the weight shape. */
  weights(): Initializer {
    return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: this.nextSeed() });
  }

  /** U(±1/sqrt(fanIn)) for a bias, whose own shape does not tell the fan-in. */
  bias(fanIn: number): Initializer {
    const bound = 1 / Math.sqrt(fanIn);
    return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.nextSeed() });
  }

  /** A seed for a layer's own random stream (dropout masks). */
  layerSeed(): number {
    return this.nextSeed();
  }

  uniform(bound: number): Initializer {
    return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.nextSeed() });
  }
}
