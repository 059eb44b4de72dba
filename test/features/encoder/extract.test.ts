/**
 * Extracting a dataset's encoder features: through the worker, into the cache keyed by the model's
 * hash, layer, pooling and window; and the bad inputs, each one line naming the file, with nothing
 * written to the cache.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanDataset } from '../../../main/dataset';
import { resolveFeatureConfig } from '../../../main/features/config';
import { extractFeatures, type FeatureSet } from '../../../main/features/extract';
import { AUDIO, BAD_INPUT_NAME, CREMA_CLIPS, maxAbsDiff, REFERENCE, TINY, TINY_LAST_ONLY } from './helpers';

let dataDir: string;
let cacheRoot: string;
let scratch: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ser-enc-data-'));
  cacheRoot = mkdtempSync(join(tmpdir(), 'ser-enc-cache-'));
  scratch = mkdtempSync(join(tmpdir(), 'ser-enc-folders-'));
  for (const name of CREMA_CLIPS) copyFileSync(join(AUDIO, name), join(dataDir, name));
});

afterEach(() => {
  for (const dir of [dataDir, cacheRoot, scratch]) rmSync(dir, { recursive: true, force: true });
});

async function extract(features: Record<string, unknown>, maxDurationS?: number): Promise<FeatureSet> {
  const scan = await scanDataset(dataDir, { scheme: 'crema-d' });
  return extractFeatures(scan, resolveFeatureConfig({ representation: 'encoder', ...features }), { cacheRoot, maxDurationS });
}

function cacheFolders(): string[] {
  const root = join(cacheRoot, 'features');
  return existsSync(root) ? readdirSync(root).flatMap((dataset) => readdirSync(join(root, dataset))) : [];
}

describe('encoder extraction', () => {
  it('gives each clip its mean + std vector, records the encoder, and serves the cache the second time', async () => {
    const first = await extract({ encoderDir: TINY });
    expect(first).toMatchObject({ rows: 64, frames: 1, stats: { computed: 4, fromCache: 0 } });
    expect(first.rowNames.slice(0, 2)).toEqual(['enc_mean0', 'enc_mean1']);
    expect(first.rowNames[32]).toBe('enc_std0');
    expect(first.encoder).toMatchObject({
      name: 'ser-workbench/tiny-wav2vec2 (random weights, for tests)',
      file: 'onnx/model.onnx',
      layer: 2,
      layers: 2,
      hiddenSize: 32,
    });
    expect(first.encoder!.provider!.name).toBe('cpu');
    expect(first.encoder!.layerNote).toContain('layer 2 of 2');
    for (const ref of REFERENCE.clips) {
      const i = first.clips.findIndex((clip) => clip.relPath === ref.clip);
      expect(maxAbsDiff(first.data.subarray(i * 64, (i + 1) * 64), ref.meanStd)).toBeLessThan(1e-4);
    }
    const second = await extract({ encoderDir: TINY });
    expect(second.stats).toMatchObject({ computed: 0, fromCache: 4 });
    expect(second.configHash).toBe(first.configHash);
    expect(maxAbsDiff(second.data, first.data)).toBe(0);
  });

  it('keys the cache by the model file and the layer used, not the folder or how the layer was named', async () => {
    const last = await extract({ encoderDir: TINY });
    expect((await extract({ encoderDir: TINY, encoderLayer: 2 })).configHash).toBe(last.configHash);
    const copy = join(scratch, 'copy');
    cpSync(TINY, copy, { recursive: true });
    expect((await extract({ encoderDir: copy })).stats.fromCache).toBe(4);
    expect((await extract({ encoderDir: TINY, encoderLayer: 1 })).configHash).not.toBe(last.configHash);
    expect((await extract({ encoderDir: TINY, encoderWindowS: 1 })).configHash).not.toBe(last.configHash);
    // The same weights exported without hidden states: another file, another cache.
    const other = await extract({ encoderDir: TINY_LAST_ONLY });
    expect(other.configHash).not.toBe(last.configHash);
    expect(maxAbsDiff(other.data, last.data)).toBeLessThan(1e-5);
  });

  it("frames pooling gives hidden rows × frames with each clip's valid frames", async () => {
    const set = await extract({ encoderDir: TINY, encoderPooling: 'frames', frames: 0 });
    expect(set.rows).toBe(32);
    expect(set.frames).toBe(127); // the longest clip, 2.53 s, at 50 frames per second
    const ref = REFERENCE.clips[0]!;
    const i = set.clips.findIndex((clip) => clip.relPath === ref.clip);
    expect(set.validFrames[i]).toBe(ref.frames);
  });
});

describe('bad encoder input: one line naming the file, nothing in the cache', () => {
  async function refused(features: Record<string, unknown>): Promise<string> {
    const error = await extract(features).then(
      () => null,
      (err: Error) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).not.toContain('\n');
    expect(cacheFolders()).toEqual([]);
    return error!.message;
  }

  it('a missing folder', async () => {
    expect(await refused({ encoderDir: join(scratch, 'nowhere') })).toBe(
      `${join(scratch, 'nowhere')}: missing: expected an encoder folder holding config.json, preprocessor_config.json and onnx/model.onnx, as a Hugging Face ONNX export has`,
    );
  });

  it('a folder without a model', async () => {
    const dir = join(scratch, 'no-model');
    mkdirSync(dir);
    copyFileSync(join(TINY, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(TINY, 'preprocessor_config.json'), join(dir, 'preprocessor_config.json'));
    expect(await refused({ encoderDir: dir })).toBe(
      `${dir}: no ONNX model: expected onnx/model.onnx (or model_quantized.onnx, model_int8.onnx, model_uint8.onnx, model_fp16.onnx)`,
    );
  });

  it('a dtype whose file the folder lacks, listing what it has', async () => {
    expect(await refused({ encoderDir: TINY_LAST_ONLY, encoderDtype: 'fp16' })).toBe(
      `${TINY_LAST_ONLY}: no ONNX model: expected onnx/model_fp16.onnx for encoder dtype fp16; found onnx/model.onnx`,
    );
  });

  it('a folder without config.json', async () => {
    const dir = join(scratch, 'no-config');
    cpSync(TINY, dir, { recursive: true });
    rmSync(join(dir, 'config.json'));
    expect(await refused({ encoderDir: dir })).toBe(
      `${join(dir, 'config.json')}: missing: an encoder folder holds config.json, preprocessor_config.json and onnx/model.onnx, as a Hugging Face ONNX export has`,
    );
  });

  it('a preprocessor for another sampling rate', async () => {
    const dir = join(scratch, 'rate');
    cpSync(TINY, dir, { recursive: true });
    writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ sampling_rate: 24000, do_normalize: true }));
    expect(await refused({ encoderDir: dir })).toBe(
      `${join(dir, 'preprocessor_config.json')}: expected sampling_rate 16000 (a waveform encoder), got 24000`,
    );
  });

  it('a model with other input names', async () => {
    expect(await refused({ encoderDir: BAD_INPUT_NAME })).toBe(
      `${join(BAD_INPUT_NAME, 'onnx/model.onnx')}: the model reads input_features; expected input_values (float32 [batch, samples]) and optionally attention_mask, as wav2vec 2.0, HuBERT and WavLM exports do`,
    );
  });

  it('a corrupt .onnx', async () => {
    const dir = join(scratch, 'corrupt');
    cpSync(TINY, dir, { recursive: true });
    writeFileSync(join(dir, 'onnx', 'model.onnx'), 'this is not a protobuf');
    expect(await refused({ encoderDir: dir })).toMatch(
      new RegExp(
        `^${join(dir, 'onnx/model.onnx').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a readable ONNX model \\(onnxruntime: .*\\); expected an ONNX export of a speech encoder$`,
      ),
    );
  });

  it('a layer the export does not have', async () => {
    expect(await refused({ encoderDir: TINY_LAST_ONLY, encoderLayer: 1 })).toContain('exposes only last_hidden_state (layer 2 of 2)');
  });

  it("a clip longer than the limit is that clip's failure, named, and never cached as features", async () => {
    const set = await extract({ encoderDir: TINY }, 2.1);
    expect(set.failed.map((f) => f.relPath).sort()).toEqual(['1001_DFA_ANG_XX.wav', '1002_DFA_HAP_XX.wav', '1002_DFA_NEU_XX.wav']);
    for (const failure of set.failed) expect(failure.reason).toMatch(/duration 2\.\d s exceeds the limit of 2\.1 s/);
    expect(set.clips.map((c) => c.relPath)).toEqual(['1001_DFA_SAD_XX.wav']);
  });
});
