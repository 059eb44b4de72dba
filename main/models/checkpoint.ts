import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { inspectCheckpoint } from '../runs/checkpoints';
import { CLASSIFIER_FILE, CLASSIFIER_FORMAT, type ClassifierFile } from '../runs/classifierFile';
import { isClassicalModel } from '../schema/names';
import { readVersionedJson } from '../util/versionedJson';
import { checkClassifier, classifierProbabilities, vectorsFrom } from './classical';
import { predictLogits, predictProbabilities, type Examples } from './predict';
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

/**
 * A loaded checkpoint of any kind (a network, or a classical classifier): class probabilities of
 * standardised examples (count × rows × frames, as a LabelledSet holds them).
 */
export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  /** count × numClasses, rows summing to 1. */
  predictProbabilities(examples: Examples): Promise<Float32Array>;
  /** Scores whose softmax is predictProbabilities: a network's logits, a classifier's log-probabilities. */
  predictLogits(examples: Examples): Promise<Float32Array>;
  dispose(): void;
}

/** A complete classical checkpoint's classifier.json, checked against its classifier. */
async function readClassifier(dir: string): Promise<ClassifierFile> {
  const file = (await readVersionedJson(join(dir, CLASSIFIER_FILE), CLASSIFIER_FORMAT))!;
  try {
    checkClassifier(file);
  } catch (err) {
    throw new Error(`Checkpoint ${dir} is inconsistent: ${CLASSIFIER_FILE}: ${(err as Error).message}`, { cause: err });
  }
  return file;
}

/** Loads a classical checkpoint's classifier, with a clear error if it is missing, incomplete or inconsistent. */
export async function loadClassifier(dir: string): Promise<{ file: ClassifierFile; manifest: CheckpointManifest }> {
  const state = await inspectCheckpoint(dir);
  if (!state.complete) throw new Error(`Checkpoint ${dir} cannot be used: ${state.problem}`);
  if (!isClassicalModel(state.manifest!.modelName))
    throw new Error(`Checkpoint ${dir} holds ${state.manifest!.modelName}, not a classical classifier`);
  return { file: await readClassifier(dir), manifest: state.manifest! };
}

/** Opens a checkpoint folder of any kind, with loadCheckpoint's checks (and a classifier's own). */
export async function openCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const state = await inspectCheckpoint(dir);
  if (!state.complete) throw new Error(`Checkpoint ${dir} cannot be used: ${state.problem}`);
  const manifest = state.manifest!;
  if (isClassicalModel(manifest.modelName)) {
    const file = await readClassifier(dir);
    const probabilities = (examples: Examples): Float32Array =>
      Float32Array.from(classifierProbabilities(file, vectorsFrom(examples.x, examples.count, file.dims)));
    return {
      manifest,
      predictProbabilities: async (examples) => probabilities(examples),
      predictLogits: async (examples) => probabilities(examples).map((p) => Math.log(Math.max(p, 1e-30))),
      dispose: () => undefined,
    };
  }
  const { model } = await loadCheckpoint(dir);
  const [rows, frames] = manifest.inputShape as [number, number, number];
  return {
    manifest,
    predictProbabilities: (examples) => predictProbabilities(model, examples, rows, frames),
    predictLogits: (examples) => predictLogits(model, examples, rows, frames),
    dispose: () => model.dispose(),
  };
}
