/**
 * ONNX export, verified outside the workbench: onnxruntime-node runs every zoo model's exported
 * best and final checkpoints on the demo test clips and must give the workbench's logits (within
 * 1e-4), and Debian's ONNX checker must accept every file. Each tool that is absent skips its part
 * with a printed reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETWORK_MODEL_NAMES as MODEL_NAMES, modelInputs } from '../../../main/models';
import { loadCheckpoint } from '../../../main/models/checkpoint';
import { exportOnnx, type ExportDescription } from '../../../main/pipeline/export/exportOnnx';
import { ONNX_OPSET } from '../../../main/pipeline/export/onnxProto';
import { FRAMES, LABELS, ROWS, writeRun } from '../inference/helpers';
import {
  findOnnxPython,
  loadOnnxRuntime,
  maxDifference,
  onnxCheckerProblem,
  testClipFeatures,
  writeZooCheckpoint,
  type Ort,
  type OrtTensor,
} from './helpers';

const runtime = await loadOnnxRuntime();
const checker = findOnnxPython();
if ('reason' in runtime) console.log(`skipping the onnxruntime comparisons: ${runtime.reason}`);
if ('reason' in checker) console.log(`skipping the ONNX checker: ${checker.reason}`);
const ort: Ort | null = 'ort' in runtime ? runtime.ort : null;
const python = 'python' in checker ? checker.python : null;

let work: string;
let clips: Awaited<ReturnType<typeof testClipFeatures>>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ser-onnx-export-'));
  clips = await testClipFeatures();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The workbench's logits for the test clips, from the checkpoint as the workbench loads it. */
async function workbenchLogits(checkpointDir: string): Promise<Float32Array> {
  const { model } = await loadCheckpoint(checkpointDir);
  try {
    return tf.tidy(() => {
      const x = tf.tensor4d(clips.x, [clips.count, ROWS, FRAMES, 1]);
      const logits = model.apply(modelInputs(model, x, clips.validFrames), { training: false }) as tf.Tensor;
      return logits.dataSync() as Float32Array;
    });
  } finally {
    model.dispose();
  }
}

function maskOf(validFrames: ArrayLike<number>, frames: number): Float32Array {
  const mask = new Float32Array(validFrames.length * frames);
  for (let i = 0; i < validFrames.length; i++) mask.fill(1, i * frames, i * frames + validFrames[i]!);
  return mask;
}

async function onnxLogits(runtime: Ort, file: string, x: Float32Array, validFrames: Int32Array, frames: number): Promise<Float32Array> {
  const session = await runtime.InferenceSession.create(file);
  try {
    const n = validFrames.length;
    const feeds: Record<string, OrtTensor> = { features: new runtime.Tensor('float32', x, [n, ROWS, frames, 1]) };
    if (session.inputNames.includes('mask')) feeds['mask'] = new runtime.Tensor('float32', maskOf(validFrames, frames), [n, frames]);
    const { logits } = await session.run(feeds);
    expect(logits!.dims).toEqual([n, LABELS.length]);
    return logits!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe.each(MODEL_NAMES)('ONNX export of %s', (modelName) => {
  it.each(['best', 'final'] as const)(
    '%s: onnxruntime gives the workbench logits, the ONNX checker accepts the file',
    async (checkpoint) => {
      const runDir = join(work, `run-${modelName}`);
      await writeZooCheckpoint(runDir, modelName, checkpoint, checkpoint === 'best' ? 1 : 2);
      const result = await exportOnnx({ source: runDir, checkpoint });
      expect(result.dir).toBe(join(runDir, 'exports', `onnx-${checkpoint}`));
      expect((await readdir(result.dir)).sort()).toEqual(['README.md', 'export.json', 'model.onnx']);
      expect(await readdir(join(runDir, 'exports'))).toEqual(expect.not.arrayContaining([expect.stringMatching(/tmp/)]));

      const description = JSON.parse(await readFile(join(result.dir, 'export.json'), 'utf8')) as ExportDescription;
      expect(description.opset).toBe(ONNX_OPSET);
      expect(description.labels).toEqual(LABELS);
      expect(description.standardizer?.mean).toHaveLength(ROWS);
      expect(description.normalization).toEqual({ mode: 'global', maskPadding: true });
      const masked = modelName !== 'seed-cnn';
      // seed-cnn's adaptive pooling and flatten are sized from its input; the masked models take any length.
      expect(description.framesFixedBy === null).toBe(masked);
      expect(description.inputs.map((i) => i.name)).toEqual(masked ? ['features', 'mask'] : ['features']);
      expect(description.inputs[0]!.shape).toEqual(['batch', ROWS, masked ? 'frames' : FRAMES, 1]);
      const readme = await readFile(join(result.dir, 'README.md'), 'utf8');
      expect(readme).toContain('librosa.feature.mfcc(y=y, n_mfcc=40');
      expect(readme).toContain("require('onnxruntime-node')");

      const file = join(result.dir, 'model.onnx');
      if (python) expect(onnxCheckerProblem(python, file)).toBe('');
      if (!ort) return;
      const expected = await workbenchLogits(join(runDir, 'checkpoints', checkpoint));
      const actual = await onnxLogits(ort, file, clips.x, clips.validFrames, FRAMES);
      expect(maxDifference(actual, expected)).toBeLessThanOrEqual(1e-4);
      // The test clips are shorter than the padded length, so the masks matter (seed-cnn sees the padding).
      expect(Math.max(...clips.validFrames)).toBeLessThan(FRAMES);

      // One clip alone gives the same logits as in the batch: batch is a dynamic dimension.
      const single = await onnxLogits(ort, file, clips.x.subarray(0, ROWS * FRAMES), clips.validFrames.subarray(0, 1), FRAMES);
      expect(maxDifference(single, expected.subarray(0, LABELS.length))).toBeLessThanOrEqual(1e-4);
      if (masked) {
        // A longer input runs too: frames is a dynamic dimension (extra frames are padding here).
        const longer = FRAMES + 28;
        const x = new Float32Array(ROWS * longer);
        for (let r = 0; r < ROWS; r++) x.set(clips.x.subarray(r * FRAMES, (r + 1) * FRAMES), r * longer);
        const logits = await onnxLogits(ort, file, x, clips.validFrames.subarray(0, 1), longer);
        expect(logits.every(Number.isFinite)).toBe(true);
      }
    },
    120_000,
  );
});

describe('ONNX export beyond the zoo', () => {
  it('exports a Sequential model with a strided valid conv, its ReLU and a flatten', async () => {
    const runDir = join(work, 'run-sequential');
    await writeRun(work, ['best']).then((made) => rename(made, runDir));
    const result = await exportOnnx({ source: runDir });
    expect(result.framesFixedBy).toMatch(/\(Flatten\)$/);
    const file = join(result.dir, 'model.onnx');
    if (python) expect(onnxCheckerProblem(python, file)).toBe('');
    if (!ort) return;
    const expected = await workbenchLogits(join(runDir, 'checkpoints', 'best'));
    expect(maxDifference(await onnxLogits(ort, file, clips.x, clips.validFrames, FRAMES), expected)).toBeLessThanOrEqual(1e-4);
  });

  it("runs the export README's Node example as written", async () => {
    if (!ort) return;
    const runDir = join(work, 'run-readme');
    await writeZooCheckpoint(runDir, 'crnn', 'best', 9);
    const result = await exportOnnx({ source: runDir });
    const readme = await readFile(join(result.dir, 'README.md'), 'utf8');
    const example = /```js\n([\s\S]*?)```/.exec(readme)![1]!;
    await writeFile(join(result.dir, 'example.cjs'), example);
    // The example reads the normalised matrix from clip.f32 and treats every frame as real.
    const clip = clips.x.slice(0, ROWS * FRAMES);
    await writeFile(join(result.dir, 'clip.f32'), Buffer.from(clip.buffer));
    const run = spawnSync(process.execPath, ['example.cjs'], {
      cwd: result.dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: resolve('node_modules') },
    });
    expect(run.stderr).toBe('');
    const { model } = await loadCheckpoint(join(runDir, 'checkpoints', 'best'));
    const logits = tf.tidy(() => {
      const x = tf.tensor4d(clip, [1, ROWS, FRAMES, 1]);
      return Array.from((model.apply(modelInputs(model, x), { training: false }) as tf.Tensor).dataSync());
    });
    model.dispose();
    expect(run.stdout.trim()).toBe(LABELS[logits.indexOf(Math.max(...logits))]);
  });
});

describe('ONNX export refuses bad input with a one-line reason and writes nothing', () => {
  it('refuses an existing export folder unless forced, and --force replaces it whole', async () => {
    const runDir = join(work, 'run-existing');
    await writeZooCheckpoint(runDir, 'res-cnn', 'best', 3);
    const first = await exportOnnx({ source: runDir });
    const before = (await stat(join(first.dir, 'model.onnx'))).mtimeMs;
    await expect(exportOnnx({ source: runDir })).rejects.toThrow(
      /^export folder .*onnx-best already exists \(use --force to replace it\)$/,
    );
    expect((await stat(join(first.dir, 'model.onnx'))).mtimeMs).toBe(before);
    await writeZooCheckpoint(runDir, 'res-cnn', 'best', 4);
    const forced = await exportOnnx({ source: runDir, force: true });
    expect(forced.dir).toBe(first.dir);
    expect((await readdir(join(runDir, 'exports'))).sort()).toEqual(['onnx-best']);
  }, 60_000);

  it('names the layer a model cannot export and leaves no folder behind', async () => {
    const runDir = join(work, 'run-unsupported');
    const { writeCheckpoint } = await import('../../../main/runs/checkpoints');
    const { manifestFor } = await import('../inference/helpers');
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [ROWS, FRAMES, 1], filters: 2, kernelSize: 3, name: 'conv' }),
        tf.layers.globalMaxPooling2d({ name: 'peak' }),
        tf.layers.dense({ units: LABELS.length, name: 'logits' }),
      ],
    });
    await writeCheckpoint(join(runDir, 'checkpoints'), 'best', model, manifestFor({ modelName: 'custom' }));
    model.dispose();
    const error = await exportOnnx({ source: runDir }).catch((err: Error) => err);
    expect((error as Error).message).toMatch(/cannot be exported: layer "peak" \(GlobalMaxPooling2D\) cannot be exported to ONNX/);
    expect((error as Error).message).not.toContain('\n');
    await expect(readdir(join(runDir, 'exports'))).rejects.toThrow(/ENOENT/);
  });

  it('exports a checkpoint folder given directly only where --out says', async () => {
    const runDir = join(work, 'run-direct');
    await writeZooCheckpoint(runDir, 'seed-cnn', 'final', 6);
    const checkpointDir = join(runDir, 'checkpoints', 'final');
    await expect(exportOnnx({ source: checkpointDir })).rejects.toThrow(/is a checkpoint folder: say where the export goes with --out$/);
    const out = join(work, 'direct-export');
    const result = await exportOnnx({ source: checkpointDir, out });
    expect(result.dir).toBe(out);
    expect(JSON.parse(await readFile(join(out, 'export.json'), 'utf8'))).toMatchObject({ checkpoint: 'final', model: 'seed-cnn' });
  });

  it('says which checkpoint is missing or corrupt', async () => {
    const runDir = join(work, 'run-corrupt');
    await writeZooCheckpoint(runDir, 'crnn', 'best', 5);
    await expect(exportOnnx({ source: runDir, checkpoint: 'final' })).rejects.toThrow(/has no usable "final" checkpoint: no checkpoint at/);
    const weights = (await readdir(join(runDir, 'checkpoints', 'best'))).find((f) => f.endsWith('.bin'))!;
    await rm(join(runDir, 'checkpoints', 'best', weights));
    await expect(exportOnnx({ source: runDir, checkpoint: 'best' })).rejects.toThrow(
      /has no usable "best" checkpoint: weight file .* is missing/,
    );
    await expect(exportOnnx({ source: join(work, 'nowhere') })).rejects.toThrow(/^No run or checkpoint folder at /);
    await expect(readdir(join(runDir, 'exports'))).rejects.toThrow(/ENOENT/);
  });
});
