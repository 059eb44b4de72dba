/**
 * The encoder representation against the tiny encoder's PyTorch references: every layer's frames,
 * mean + std pooling, frame sequences, windowing and stitching, the fp16 export, and the layer rules.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAudio } from '../../../main/audio';
import { encoderFeatureMatrix, encoderWindows, stitchedFrames, zeroMeanUnitVariance } from '../../../main/features/encoder/embed';
import { encoderFrameCount, openEncoderFolder, type EncoderFolder } from '../../../main/features/encoder/folder';
import { EncoderSession } from '../../../main/features/encoder/session';
import { AUDIO, maxAbsDiff, REFERENCE, TINY, TINY_LAST_ONLY } from './helpers';

const sessions: EncoderSession[] = [];
afterAll(async () => {
  for (const session of sessions) await session.close();
});

async function open(
  dir: string,
  layer: number,
  dtype: 'auto' | 'fp16' = 'auto',
): Promise<{ folder: EncoderFolder; session: EncoderSession }> {
  const folder = await openEncoderFolder(dir, dtype);
  const session = await EncoderSession.open(folder, layer);
  sessions.push(session);
  return { folder, session };
}

async function clipSamples(name: string): Promise<Float32Array> {
  return (await loadAudio(join(AUDIO, name), { targetSampleRate: 16000 })).samples;
}

describe('the tiny encoder fixture', () => {
  it('reads as a wav2vec 2.0 folder: hidden size, layers, stride 320, receptive field 400', async () => {
    const folder = await openEncoderFolder(TINY);
    expect(folder).toMatchObject({
      hiddenSize: 32,
      layers: 2,
      file: 'onnx/model.onnx',
      dtype: 'fp32',
      frameStride: 320,
      receptiveField: 400,
    });
    expect(folder.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const clip of REFERENCE.clips) expect(encoderFrameCount(clip.samples, folder)).toBe(clip.frames);
  });
});

describe('embeddings against the PyTorch references (within 1e-4)', () => {
  for (const layer of [0, 1, 2]) {
    it(`hidden_states.${layer} of each clip`, async () => {
      const { session } = await open(TINY, layer);
      expect(session.layer.output).toBe(layer === 2 ? 'last_hidden_state' : `hidden_states.${layer}`);
      for (const ref of REFERENCE.clips) {
        const out = await session.run(zeroMeanUnitVariance(await clipSamples(ref.clip)));
        expect(out.frames).toBe(ref.frames);
        expect(maxAbsDiff(out.data, ref.layers[layer]!.flat())).toBeLessThan(1e-4);
      }
    });
  }

  it('mean + std pooling of the last layer: 2 × hidden rows, one frame', async () => {
    const { folder, session } = await open(TINY, -1);
    for (const ref of REFERENCE.clips) {
      const matrix = await encoderFeatureMatrix(
        await clipSamples(ref.clip),
        { encoderPooling: 'mean-std', encoderWindowS: 20, frames: 1 },
        folder,
        (w) => session.run(w),
      );
      expect(matrix).toMatchObject({ rows: 64, frames: 1, validFrames: 1 });
      expect(maxAbsDiff(matrix.data, ref.meanStd)).toBeLessThan(1e-4);
    }
  });

  it('frames pooling: hidden rows × frames, zero padding after the valid frames, or truncation', async () => {
    const { folder, session } = await open(TINY, 1);
    const ref = REFERENCE.clips[0]!;
    const samples = await clipSamples(ref.clip);
    const padded = await encoderFeatureMatrix(samples, { encoderPooling: 'frames', encoderWindowS: 20, frames: 150 }, folder, (w) =>
      session.run(w),
    );
    expect(padded).toMatchObject({ rows: 32, frames: 150, validFrames: ref.frames });
    for (let d = 0; d < 32; d++) {
      const row = padded.data.subarray(d * 150, (d + 1) * 150);
      expect(
        maxAbsDiff(
          row.subarray(0, ref.frames),
          ref.layers[1]!.map((frame) => frame[d]!),
        ),
      ).toBeLessThan(1e-4);
      expect([...row.subarray(ref.frames)].every((v) => v === 0)).toBe(true);
    }
    const cut = await encoderFeatureMatrix(samples, { encoderPooling: 'frames', encoderWindowS: 20, frames: 40 }, folder, (w) =>
      session.run(w),
    );
    expect(cut.validFrames).toBe(40);
    expect(
      maxAbsDiff(
        cut.data.subarray(0, 40),
        ref.layers[1]!.slice(0, 40).map((frame) => frame[0]!),
      ),
    ).toBeLessThan(1e-4);
  });

  it('the fp16 export runs (onnxruntime casts where its CPU lacks float16 kernels) and is close at half precision', async () => {
    const { folder, session } = await open(TINY, -1, 'fp16');
    expect(folder).toMatchObject({ file: 'onnx/model_fp16.onnx', dtype: 'fp16' });
    const ref = REFERENCE.clips[1]!;
    const out = await session.run(zeroMeanUnitVariance(await clipSamples(ref.clip)));
    expect(out.frames).toBe(ref.frames);
    // Half precision: about 3 significant digits through two transformer layers.
    expect(maxAbsDiff(out.data, ref.layers[2]!.flat())).toBeLessThan(0.05);
  });
});

describe('layers', () => {
  it('an export without hidden states gives the last layer for -1 and says so', async () => {
    const { session } = await open(TINY_LAST_ONLY, -1);
    expect(session.layer).toMatchObject({ layer: 2, output: 'last_hidden_state' });
    expect(session.layer.note).toBe('layer 2 of 2 (last_hidden_state: the export has no hidden_states outputs, so the last layer)');
  });

  it('refuses another layer of an export without hidden states, naming the file and what to export', async () => {
    const folder = await openEncoderFolder(TINY_LAST_ONLY);
    await expect(EncoderSession.open(folder, 1)).rejects.toThrow(
      `${join(TINY_LAST_ONLY, 'onnx/model.onnx')}: exposes only last_hidden_state (layer 2 of 2): encoder layer must be -1 or 2; for layer 1 export the model with output_hidden_states (outputs hidden_states.0 … hidden_states.2)`,
    );
  });

  it('refuses a layer the model does not have', async () => {
    const folder = await openEncoderFolder(TINY);
    await expect(EncoderSession.open(folder, 5)).rejects.toThrow('encoder layer 5 does not exist: the model has layers 0 to 2');
  });
});

describe('windows', () => {
  const geometry = { sampleRate: 16000, frameStride: 320 };

  it('a clip up to the window is one window; longer clips overlap by a fifth and end at the clip end', () => {
    expect(encoderWindows(16000, 1, geometry)).toEqual([{ start: 0, end: 16000 }]);
    const windows = encoderWindows(50000, 1, geometry);
    expect(windows.map((w) => w.start)).toEqual([0, 12800, 25600, 33920]);
    // The last starts on a frame boundary, so it may be up to a stride longer.
    expect(windows.every((w) => w.start % 320 === 0 && w.end - w.start < 16000 + 320)).toBe(true);
    expect(windows.at(-1)!.end).toBe(50000);
  });

  it('stitches each frame from the window whose middle it is nearest, giving the whole clip its frame count', async () => {
    const { folder, session } = await open(TINY, -1);
    const a = await clipSamples(REFERENCE.clips[0]!.clip);
    const b = await clipSamples(REFERENCE.clips[1]!.clip);
    const samples = zeroMeanUnitVariance(Float32Array.from([...a, ...b]));
    const windows = encoderWindows(samples.length, 1, folder);
    expect(windows.length).toBeGreaterThan(3);
    const alone = await Promise.all(windows.map((w) => session.run(samples.subarray(w.start, w.end))));
    const stitched: Float32Array[] = [];
    const count = await stitchedFrames(
      samples,
      windows,
      320,
      (w) => session.run(w),
      (frame) => stitched.push(frame.slice()) > 0,
    );
    expect(count).toBe(encoderFrameCount(samples.length, folder));
    // Frame g comes from the window whose share of the overlap holds it, exactly as that window computed it.
    let from = 0;
    windows.forEach((w, k) => {
      const offset = w.start / 320;
      const next = windows[k + 1];
      const to = next ? Math.floor((next.start / 320 + offset + alone[k]!.frames) / 2) : count;
      for (let g = from; g < to; g++)
        expect(maxAbsDiff(stitched[g]!, alone[k]!.data.subarray((g - offset) * 32, (g - offset + 1) * 32))).toBe(0);
      from = to;
    });
  });

  it('a pooled long clip is the mean and std of its stitched frames', async () => {
    const { folder, session } = await open(TINY, -1);
    const a = await clipSamples(REFERENCE.clips[0]!.clip);
    const samples = Float32Array.from([...a, ...a, ...a]);
    const frames: Float32Array[] = [];
    const normalised = zeroMeanUnitVariance(samples);
    await stitchedFrames(
      normalised,
      encoderWindows(samples.length, 2, folder),
      320,
      (w) => session.run(w),
      (f) => frames.push(f.slice()) > 0,
    );
    const pooled = await encoderFeatureMatrix(samples, { encoderPooling: 'mean-std', encoderWindowS: 2, frames: 1 }, folder, (w) =>
      session.run(w),
    );
    const mean = Array.from({ length: 32 }, (_, d) => frames.reduce((s, f) => s + f[d]!, 0) / frames.length);
    const std = mean.map((m, d) => Math.sqrt(frames.reduce((s, f) => s + (f[d]! - m) ** 2, 0) / frames.length));
    expect(maxAbsDiff(pooled.data, [...mean, ...std])).toBeLessThan(1e-5);
  });
});
