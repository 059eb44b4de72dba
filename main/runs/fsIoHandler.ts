import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/**
 * Saves a layers model as `model.json` + one `weights.bin` in `dir`, in the standard tfjs format
 * (loadable by tf.loadLayersModel over http too). tfjs's own `file://` handler needs tfjs-node.
 */
export function fsSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fsSaveHandler saves layers models only (got a binary graph topology)');
      }
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature != null) modelJson.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      // Weights first: a model.json never points at weights that were not written.
      await writeFileAtomic(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
      await writeJsonAtomic(join(dir, MODEL_FILE), modelJson);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(JSON.stringify(modelJson.modelTopology)),
          weightSpecsBytes: Buffer.byteLength(JSON.stringify(modelJson.weightsManifest)),
          weightDataBytes: weightData.byteLength,
        },
      };
    },
  };
}

/** Loads a tfjs layers model saved in `dir` (any number of weight shards named in model.json). */
export function fsLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJson = await readModelJson(dir);
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const shards: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const path of group.paths) shards.push(await readShard(dir, path));
        }
        return [tf.io.getWeightSpecs(manifest), shards];
      });
    },
  };
}

export async function readModelJson(dir: string): Promise<tf.io.ModelJSON> {
  const path = join(dir, MODEL_FILE);
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const candidate = json as Partial<tf.io.ModelJSON> | null;
  if (!candidate || typeof candidate !== 'object' || !candidate.modelTopology || !Array.isArray(candidate.weightsManifest)) {
    throw new Error(`${path} is not a tfjs model.json (modelTopology or weightsManifest missing)`);
  }
  return candidate as tf.io.ModelJSON;
}

async function readShard(dir: string, path: string): Promise<ArrayBuffer> {
  // Shard paths come from model.json: keep them to plain file names inside dir.
  if (path.includes('/') || path.includes('\\') || path === '..' || path === '.') {
    throw new Error(`Weight shard path "${path}" in ${join(dir, MODEL_FILE)} is not a plain file name`);
  }
  const bytes = await fsp.readFile(join(dir, path));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** Bytes the weights listed in a model.json should take, or null when it cannot be known (string weights). */
export function expectedWeightBytes(modelJson: tf.io.ModelJSON): number | null {
  let total = 0;
  for (const spec of tf.io.getWeightSpecs(modelJson.weightsManifest)) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const size = BYTES_PER_ELEMENT[dtype];
    if (size === undefined) return null;
    total += size * spec.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}
