/**
 * A clip's encoder features: the waveform normalised as the preprocessor says, run in windows
 * (long clips), the windows' frames stitched into one sequence, then pooled to mean and standard
 * deviation (one frame of 2 × hidden rows) or kept as frames (hidden rows × cfg.frames, zero-padded
 * or truncated, with the count of real frames). Memory is bounded by the window: a pooled clip is
 * accumulated window by window, and a frame sequence stops once cfg.frames frames are filled.
 */
import type { FeatureMatrix } from '../compute';
import type { FeatureConfig } from '../config';
import { encoderFrameCount, type EncoderFolder } from './folder';
import type { EncoderFrames } from './session';

/** Runs one window of normalised samples through the encoder. */
export type RunWindow = (samples: Float32Array) => Promise<EncoderFrames>;

/** Wav2Vec2FeatureExtractor's zero_mean_unit_var_norm for one unpadded clip (variance + 1e-7). */
export function zeroMeanUnitVariance(samples: Float32Array): Float32Array {
  let sum = 0;
  for (const v of samples) sum += v;
  const mean = sum / Math.max(1, samples.length);
  let squares = 0;
  for (const v of samples) squares += (v - mean) * (v - mean);
  const scale = 1 / Math.sqrt(squares / Math.max(1, samples.length) + 1e-7);
  return Float32Array.from(samples, (v) => (v - mean) * scale);
}

export interface EncoderWindow {
  /** First sample. */
  start: number;
  /** One past the last sample. */
  end: number;
}

/**
 * Windows of `windowS` seconds overlapping by a fifth, each starting on a frame boundary; the last
 * ends at the clip's end and starts early enough to be a full window. One window for a short clip.
 */
export function encoderWindows(
  samples: number,
  windowS: number,
  folder: Pick<EncoderFolder, 'sampleRate' | 'frameStride'>,
): EncoderWindow[] {
  const stride = folder.frameStride;
  const length = Math.max(stride * 5, Math.floor((windowS * folder.sampleRate) / stride) * stride);
  if (samples <= length) return [{ start: 0, end: samples }];
  const hop = Math.max(stride, Math.floor((length * 4) / 5 / stride) * stride);
  const windows: EncoderWindow[] = [];
  for (let start = 0; ; start += hop) {
    if (start + length >= samples) {
      windows.push({ start: Math.max(0, Math.floor((samples - length) / stride) * stride), end: samples });
      return windows;
    }
    windows.push({ start, end: start + length });
  }
}

/**
 * Frames of the whole clip from its windows: window k's frame t is frame start_k / stride + t of
 * the clip; where two windows overlap, each gives the frames on its side of the overlap's middle.
 * `accept` receives every frame once, in order, and may return false to stop early.
 */
export async function stitchedFrames(
  samples: Float32Array,
  windows: readonly EncoderWindow[],
  stride: number,
  run: RunWindow,
  accept: (frame: Float32Array) => boolean,
): Promise<number> {
  let emitted = 0;
  let pending: { offset: number; out: EncoderFrames } | null = null;
  const emit = (offset: number, out: EncoderFrames, from: number, to: number): boolean => {
    const hidden = out.data.length / Math.max(1, out.frames);
    for (let g = from; g < to; g++) {
      if (!accept(out.data.subarray((g - offset) * hidden, (g - offset + 1) * hidden))) return false;
      emitted++;
    }
    return true;
  };
  for (const window of windows) {
    const out = await run(samples.subarray(window.start, window.end));
    const offset = window.start / stride;
    if (pending) {
      const previousEnd = pending.offset + pending.out.frames;
      const cut = Math.max(offset, Math.min(previousEnd, Math.floor((offset + previousEnd) / 2)));
      if (!emit(pending.offset, pending.out, emitted, cut)) return emitted;
    }
    pending = { offset, out };
  }
  if (pending) emit(pending.offset, pending.out, emitted, pending.offset + pending.out.frames);
  return emitted;
}

/** The feature matrix of one clip (mono samples at the encoder's rate). */
export async function encoderFeatureMatrix(
  samples: Float32Array,
  cfg: Pick<FeatureConfig, 'encoderPooling' | 'encoderWindowS' | 'frames'>,
  folder: EncoderFolder,
  run: RunWindow,
): Promise<FeatureMatrix> {
  const hidden = folder.hiddenSize;
  if (encoderFrameCount(samples.length, folder) === 0) {
    throw new Error(
      `${(samples.length / folder.sampleRate).toFixed(3)} s is shorter than one encoder frame (${folder.receptiveField} samples at ${folder.sampleRate} Hz)`,
    );
  }
  const input = folder.doNormalize ? zeroMeanUnitVariance(samples) : samples;
  const windows = encoderWindows(input.length, cfg.encoderWindowS, folder);
  if (cfg.encoderPooling === 'mean-std') {
    const sum = new Float64Array(hidden);
    const squares = new Float64Array(hidden);
    const count = await stitchedFrames(input, windows, folder.frameStride, run, (frame) => {
      for (let i = 0; i < hidden; i++) {
        sum[i] += frame[i]!;
        squares[i] += frame[i]! * frame[i]!;
      }
      return true;
    });
    const data = new Float32Array(2 * hidden);
    for (let i = 0; i < hidden; i++) {
      const mean = sum[i]! / count;
      data[i] = mean;
      data[hidden + i] = Math.sqrt(Math.max(0, squares[i]! / count - mean * mean));
    }
    return { data, rows: 2 * hidden, frames: 1, validFrames: 1 };
  }
  const frames = cfg.frames;
  const data = new Float32Array(hidden * frames);
  let t = 0;
  await stitchedFrames(input, windows, folder.frameStride, run, (frame) => {
    if (t >= frames) return false;
    for (let i = 0; i < hidden; i++) data[i * frames + t] = frame[i]!;
    t++;
    return true;
  });
  return { data, rows: hidden, frames, validFrames: t };
}
