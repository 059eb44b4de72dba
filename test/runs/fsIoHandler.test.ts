import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsLoadHandler, fsSaveHandler } from '../../main/runs/fsIoHandler';
import { predict, smallModel, tempDir } from './helpers';

describe('fs IO handler', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('round-trips a layers model with identical predictions', async () => {
    const model = smallModel();
    await model.save(fsSaveHandler(dir));
    const loaded = await tf.loadLayersModel(fsLoadHandler(dir));
    expect(predict(loaded)).toEqual(predict(model));
    model.dispose();
    loaded.dispose();
  });

  it('writes the standard model.json with one weights.bin', async () => {
    const model = smallModel();
    const result = await model.save(fsSaveHandler(dir));
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['modelTopology', 'weightsManifest', 'format', 'generatedBy', 'convertedBy']));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toHaveLength(4);
    const bytes = (4 * 5 + 5 + 5 * 3 + 3) * 4;
    expect((await stat(join(dir, 'weights.bin'))).size).toBe(bytes);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(bytes);
    model.dispose();
  });

  it('fails clearly when there is nothing to load', async () => {
    await expect(tf.loadLayersModel(fsLoadHandler(join(dir, 'nope')))).rejects.toThrow(/Cannot read .*model\.json/);
  });
});
