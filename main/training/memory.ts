/**
 * The memory one training step needs, estimated from the model's layer shapes before any feature
 * is extracted, so an input the backend cannot hold is refused with the largest that fits instead
 * of failing mid-run (the wasm backend's memory ends at 4 GiB: past it a kernel fails with
 * "memory access out of bounds").
 */
import { totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { createModel, type NetworkModelName as ModelName } from '../models';

/**
 * What one training step may use on a backend. wasm addresses at most 4 GiB: 3 are for the step,
 * the rest for weights, optimiser state and BLAS workspace; webgpu does not say how much memory the
 * device has, so it gets the same. The CPU and native TensorFlow backends use the machine's memory:
 * half of it. (On tensorflow-gpu, running out is an ordinary error that fails the run with the reason.)
 */
export function trainingMemoryBudget(backend: string, totalMemory = totalmem()): number {
  return backend === 'wasm' || backend === 'webgpu' ? 3 * 1024 ** 3 : Math.max(3 * 1024 ** 3, totalMemory / 2);
}

/** Each activation is kept for the backward pass, gets a gradient of its size, and about as much again in kernel workspace (float32). */
const BYTES_PER_ACTIVATION = 3 * 4;

/** Estimated bytes of one training step: every layer's output for a batch, with its gradient and workspace. */
export function trainingStepBytes(model: tf.LayersModel, batchSize: number): number {
  let cells = 0;
  for (const layer of model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as (number | null)[][];
    for (const shape of shapes) cells += shape.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1);
  }
  return cells * batchSize * BYTES_PER_ACTIVATION;
}

export interface TrainingInput {
  model: ModelName;
  rows: number;
  frames: number;
  numClasses: number;
  batchSize: number;
}

function stepBytes(input: TrainingInput, frames: number): number {
  const model = createModel(input.model, { inputShape: [input.rows, frames, 1], numClasses: input.numClasses });
  try {
    return trainingStepBytes(model, input.batchSize);
  } finally {
    model.dispose();
  }
}

const MIN_FRAMES = 16;

/** Throws, naming the largest input length that fits, when one training step would not fit the budget. */
export function checkTrainingMemory(input: TrainingInput, budget: number): void {
  const bytes = stepBytes(input, input.frames);
  if (bytes <= budget) return;
  // Activations grow with the frame count; pooling rounds, so the first guess is checked and shrunk.
  let fits = Math.floor((input.frames * budget) / bytes);
  while (fits >= MIN_FRAMES && stepBytes(input, fits) > budget) fits = Math.floor(fits * 0.98);
  const advice =
    fits >= MIN_FRAMES
      ? `at most ${fits.toLocaleString('en-US')} frames fit at this batch size (or make the batch smaller)`
      : 'make the batch smaller';
  throw new Error(
    `inputs of ${input.frames.toLocaleString('en-US')} frames are too long for ${input.model} at batch size ${input.batchSize}: one training step would need about ${gigabytes(bytes)}, more than the ${gigabytes(budget)} it may use on this backend; ${advice}`,
  );
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
