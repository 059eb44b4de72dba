/**
 * The model zoo. Every model takes NHWC input [batch, rows, frames, 1] (rows and frames at least
 * 16), any number of classes, and outputs logits (no softmax; the loss applies it). A seed fixes
 * every initial weight. Masked models (res-cnn, crnn) take a second input, the frame mask
 * [batch, frames] (1 = real frame, 0 = padding; see mask.ts), and padding never counts in them;
 * seed-cnn is the Python prototype's model and, like it, sees the padded matrix as it is.
 */
import * as tf from '@tensorflow/tfjs';
import { buildCrnn } from './crnn';
import { SeededInit } from './init';
import { buildResCnn } from './res-cnn';
import { ApplyMask } from './mask';
import { buildSeedCnn } from './seed-cnn';
import { NETWORK_MODEL_NAMES, type NetworkModelName } from '../schema/names';

export { AdaptiveAveragePooling2D, AttentionPooling, BatchNorm, adaptiveBins, uniformPooling } from './layers';
export { frameMask, modelInputs } from './mask';

export { NETWORK_MODEL_NAMES, type NetworkModelName };

export interface ModelOptions {
  inputShape: [number, number, number];
  numClasses: number;
  /** Initialisation seed; the same seed gives identical initial weights. Default 0. */
  seed?: number;
}

export interface ParameterCount {
  trainable: number;
  /** Batch-norm running statistics. */
  nonTrainable: number;
  total: number;
}

export interface ModelDescription {
  name: NetworkModelName;
  title: string;
  summary: string;
  /** Present when describeModel was given the input shape and class count. */
  parameters?: ParameterCount;
}

const MIN_SIDE = 16;

/** Builds a model's layers on its input and, for a masked model, its frame mask (else null). */
type ModelBuilder = (input: tf.SymbolicTensor, mask: tf.SymbolicTensor | null, numClasses: number, init: SeededInit) => tf.SymbolicTensor;

const CATALOGUE: Record<NetworkModelName, { title: string; summary: string; masked: boolean; build: ModelBuilder }> = {
  'seed-cnn': {
    title: 'Seed CNN',
    summary:
      'The Python prototype SimpleCNN: 4 conv 3x3 + BN + ReLU blocks (32-64-128-256, max-pool after the first two), ' +
      'adaptive average pool to 2x2, dense 512-128 with dropout .5/.3. Sees zero padding as input, as the prototype did.',
    masked: false,
    build: (input, _mask, numClasses, init) => buildSeedCnn(input, numClasses, init),
  },
  crnn: {
    title: 'CRNN',
    summary:
      '3 conv blocks (frequency pooled 8x, time 4x), bidirectional GRU 2x64 over time, attention pooling, dense; ' +
      'padding frames are masked out.',
    masked: true,
    build: buildCrnn,
  },
  'res-cnn': {
    title: 'Residual CNN',
    summary:
      'Conv stem + max-pool, 4 residual blocks (32-48-64-96, the last three stride 2), global average pooling, dense; ' +
      'padding frames are masked out.',
    masked: true,
    build: buildResCnn,
  },
};

function checkOptions(name: NetworkModelName, options: ModelOptions): void {
  if (!(name in CATALOGUE)) throw new Error(`unknown model '${name}' (known: ${NETWORK_MODEL_NAMES.join(', ')})`);
  const [rows, frames, channels] = options.inputShape;
  if (!(rows >= MIN_SIDE && frames >= MIN_SIDE)) {
    throw new Error(`${name}: input must be at least ${MIN_SIDE}x${MIN_SIDE}, got ${rows}x${frames}`);
  }
  if (channels !== 1) throw new Error(`${name}: input must have 1 channel, got ${channels}`);
  if (!Number.isInteger(options.numClasses) || options.numClasses < 2) {
    throw new Error(`${name}: numClasses must be an integer >= 2, got ${options.numClasses}`);
  }
}

export function createModel(name: NetworkModelName, options: ModelOptions): tf.LayersModel {
  checkOptions(name, options);
  const init = new SeededInit(options.seed ?? 0);
  const input = tf.input({ shape: options.inputShape, name: 'features' });
  if (!CATALOGUE[name].masked)
    return tf.model({ inputs: input, outputs: CATALOGUE[name].build(input, null, options.numClasses, init), name });
  const mask = tf.input({ shape: [options.inputShape[1]], name: 'mask' });
  // Whatever the padded frames hold, the first conv sees zeros there.
  const masked = new ApplyMask({ name: 'input_mask' }).apply([input, mask]) as tf.SymbolicTensor;
  const output = CATALOGUE[name].build(masked, mask, options.numClasses, init);
  return tf.model({ inputs: [input, mask], outputs: output, name });
}

export function countParameters(model: tf.LayersModel): ParameterCount {
  const count = (weights: tf.LayerVariable[]) => weights.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);
  const trainable = count(model.trainableWeights);
  const nonTrainable = count(model.nonTrainableWeights);
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}

export function describeModel(name: NetworkModelName, options?: Omit<ModelOptions, 'seed'>): ModelDescription {
  const entry = CATALOGUE[name];
  if (entry == null) throw new Error(`unknown model '${name}' (known: ${NETWORK_MODEL_NAMES.join(', ')})`);
  const description: ModelDescription = { name, title: entry.title, summary: entry.summary };
  if (options == null) return description;
  const model = createModel(name, options);
  description.parameters = countParameters(model);
  model.dispose();
  return description;
}
