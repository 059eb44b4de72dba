import * as tf from '@tensorflow/tfjs';
import { inspectCheckpoint } from '../runs/checkpoints';
import { fsLoadHandler } from '../runs/fsIoHandler';
import type { CheckpointManifest } from '../runs/types';
// Registers the custom layers, so every checkpoint this module loads can be deserialised.
import './index';

/** Loads a checkpoint folder, with a clear error if it is missing, incomplete or does not match its manifest. */
export async function loadCheckpoint(dir: string): Promise<{ model: tf.LayersModel; manifest: CheckpointManifest }> {
  const state = await inspectCheckpoint(dir);
  if (!state.complete) throw new Error(`Checkpoint ${dir} cannot be used: ${state.problem}`);
  const manifest = state.manifest!;
  const model = await tf.loadLayersModel(fsLoadHandler(dir));
  const outputUnits = model.outputs[0]?.shape.at(-1);
  const modelInput = model.inputs[0]?.shape.slice(1) ?? [];
  const maskInput = model.inputs.slice(1).flatMap((input) => input.shape.slice(1));
  let mismatch: string | null = null;
  if (model.outputs.length !== 1 || outputUnits !== manifest.labels.length) {
    mismatch = `the model outputs ${outputUnits} classes but the manifest lists ${manifest.labels.length} labels`;
  } else if (modelInput.some((d, i) => d !== null && d !== manifest.inputShape[i]) || modelInput.length !== manifest.inputShape.length) {
    mismatch = `the model expects input [${modelInput.join(', ')}] but the manifest says [${manifest.inputShape.join(', ')}]`;
  } else if (model.inputs.length > 2 || (model.inputs.length === 2 && maskInput.join(',') !== String(manifest.inputShape[1]))) {
    // A masked model's second input is its frame mask, one value per frame.
    mismatch = `the model's inputs after the features ([${maskInput.join(', ')}]) are not one frame mask of ${manifest.inputShape[1]} frames`;
  }
  if (mismatch) {
    model.dispose();
    throw new Error(`Checkpoint ${dir} is inconsistent: ${mismatch}`);
  }
  return { model, manifest };
}
