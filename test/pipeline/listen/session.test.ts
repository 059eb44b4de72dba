/**
 * The live session on synthetic and demo streams: windows cut at the right times whatever the
 * chunk sizes, the voice gate, each window predicted as `predict` predicts a file of exactly its
 * samples, live speaker statistics equal to the joint statistics of the windows heard, the
 * warm-up, and fixed memory over a one-hour stream.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, resample } from '../../../main/audio';
import { simpleWav } from '../../audio/wav-writer';
import { computeFeatureMatrix } from '../../../main/features/compute';
import { fitStandardizer } from '../../../main/features/standardize';
import { EmotionPredictor } from '../../../main/pipeline/inference';
import { ListenSession, modelWindowS, resolveListenSettings, type ResolvedListenSettings } from '../../../main/pipeline/listen';
import { LISTEN_WARMUP_S, rmsDb, type ListenWindow } from '../../../main/schema/listenFields';
import { createRng } from '../../../main/util/random';
import { demoFile, FEATURE_CONFIG, tempDir, writeTinyCheckpoint } from '../inference/helpers';

let root: { dir: string; cleanup: () => Promise<void> };
let globalModel: EmotionPredictor;
let speakerModel: EmotionPredictor;

/** Samples as 16-bit PCM carries them (v / 32768), so a WAV file of them decodes to the same values. */
function quantized(samples: Float32Array): Float32Array {
  return samples.map((x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))) / 32768 + 0);
}

/** Demo clips one after another at `rate`, as 16-bit PCM values. */
async function speech(rate: number, files = ['03a01Wa.wav', '03a02Ta.wav', '08a01Lc.wav']): Promise<Float32Array> {
  const parts = await Promise.all(files.map(async (f) => (await loadAudio(demoFile(f), { targetSampleRate: rate })).samples));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return quantized(out);
}

function tone(seconds: number, rate: number, amplitude: number): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => amplitude * Math.sin((2 * Math.PI * 220 * i) / rate));
}

async function pushInChunks(session: ListenSession, samples: Float32Array, sizes: number[]): Promise<ListenWindow[]> {
  const windows: ListenWindow[] = [];
  for (let at = 0, k = 0; at < samples.length; k++) {
    const size = sizes[k % sizes.length]!;
    windows.push(...(await session.push(samples.subarray(at, at + size))));
    at += size;
  }
  return windows;
}

function settingsFor(model: EmotionPredictor, overrides: Record<string, unknown>): ResolvedListenSettings {
  return resolveListenSettings(overrides, { featureConfig: model.featureConfig, normalization: model.manifest.normalization.mode });
}

beforeAll(async () => {
  root = await tempDir();
  globalModel = await EmotionPredictor.load(await writeTinyCheckpoint(join(root.dir, 'global'), 'best'));
  speakerModel = await EmotionPredictor.load(
    await writeTinyCheckpoint(join(root.dir, 'speaker'), 'best', {
      manifest: { normalization: { mode: 'speaker', maskPadding: true }, standardizer: undefined },
    }),
  );
});

afterAll(async () => {
  globalModel?.dispose();
  speakerModel?.dispose();
  await root?.cleanup();
});

describe('listen settings', () => {
  it("defaults to the model's input length and a 1 s hop", () => {
    const longest = modelWindowS(FEATURE_CONFIG)!;
    expect(longest).toBeCloseTo((99 * 512) / 22050, 10);
    expect(settingsFor(globalModel, {})).toEqual({ windowS: longest, hopS: 1, gateDb: -45, speakerNorm: true, normalization: 'global' });
    expect(settingsFor(speakerModel, {}).normalization).toBe('speaker-live');
    expect(settingsFor(speakerModel, { speakerNorm: false }).normalization).toBe('speaker-window');
    expect(settingsFor(globalModel, { windowS: 0.5 }).hopS).toBe(0.5);
  });

  it('refuses settings the model cannot use, in one line naming the setting', () => {
    expect(() => settingsFor(globalModel, { windowS: 5 })).toThrow(
      /^the window \(5 s\) is longer than the model's input \(2\.30 s, 100 frames\)/,
    );
    expect(() => settingsFor(globalModel, { windowS: 1, hopS: 2 })).toThrow(/the hop \(2 s\) is longer than the window \(1 s\)/);
    expect(() => settingsFor(globalModel, { windowS: 0.1 })).toThrow(/the window must be at least 0.25 s/);
    expect(() => settingsFor(globalModel, { hopS: 0.01 })).toThrow(/the hop must be at least 0.1 s/);
    expect(() => settingsFor(globalModel, { gateDb: 3 })).toThrow(/invalid listen settings: gateDb must be a number in \[-120, 0\]/);
    expect(() => settingsFor(globalModel, { window: 1 })).toThrow(/unknown field "window"/);
  });
});

describe('ListenSession', () => {
  it('cuts a window every hop of the resampled stream, with its times, whatever the chunk sizes', async () => {
    const rate = 16000;
    const stream = tone(10, rate, 0.3);
    const settings = settingsFor(globalModel, { windowS: 1, hopS: 0.5 });
    const results = [];
    for (const sizes of [[stream.length], [4000], [37, 1, 9000]]) {
      const session = new ListenSession(globalModel, settings, rate);
      const windows = await pushInChunks(session, stream, sizes);
      // The end waits for the resampler's last outputs: finish gives the window ending at 10 s.
      expect(windows.at(-1)!.endS).toBe(9.5);
      results.push([...windows, ...(await session.finish())]);
    }
    const [whole] = results;
    expect(whole!.map((w) => w.index)).toEqual([...Array(19).keys()]);
    expect(whole!.map((w) => w.startS)).toEqual(whole!.map((_, k) => k * 0.5));
    expect(whole!.map((w) => w.endS)).toEqual(whole!.map((_, k) => k * 0.5 + 1));
    const strip = (windows: ListenWindow[]) => windows.map(({ latencyMs: _, ...rest }) => rest);
    for (const other of results.slice(1)) expect(strip(other)).toEqual(strip(whole!));
  });

  it('gates silence and quiet noise, and classifies what is louder than the gate', async () => {
    const rate = 8000;
    const rng = createRng(3);
    const noise = Float32Array.from({ length: rate }, () => 0.002 * rng.normal());
    const stream = new Float32Array(4 * rate);
    stream.set(noise, rate);
    stream.set(tone(1, rate, 0.5), 2 * rate);
    const session = new ListenSession(globalModel, settingsFor(globalModel, { windowS: 1, hopS: 1, gateDb: -40 }), rate);
    const windows = [...(await session.push(stream)), ...(await session.finish())];
    expect(windows.map((w) => w.voiced)).toEqual([false, false, true, false]);
    // Silence but for the resampling filter's ringing ahead of the noise.
    expect(windows[0]!.levelDb).toBeLessThan(-90);
    expect(rmsDb(new Float32Array(100))).toBe(-120);
    expect(windows[1]!.levelDb).toBeLessThan(-40);
    expect(windows[2]!.levelDb).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 1);
    expect(windows[0]!.probabilities).toBeUndefined();
    expect(windows[2]!.probabilities).toHaveLength(globalModel.labels.length);
    expect(windows[2]!.emotion).toBe(globalModel.labels[windows[2]!.probabilities!.indexOf(Math.max(...windows[2]!.probabilities!))]);
    expect(rmsDb(tone(1, rate, 1))).toBeCloseTo(-3, 1);
  });

  it("predicts each window as predict predicts a WAV file of exactly its samples at the model's rate", async () => {
    // From 16 kHz: the windows are cut from the stream resampled once, as resample() resamples the whole.
    const rate = 16000;
    const stream = await speech(rate);
    const resampled = resample(stream, rate, 22050);
    const settings = settingsFor(globalModel, { windowS: 1.5, hopS: 0.75, gateDb: -60 });
    const session = new ListenSession(globalModel, settings, rate);
    const windows = [...(await pushInChunks(session, stream, [3200])), ...(await session.finish())];
    expect(windows.length).toBe(Math.floor((resampled.length - session.windowSamples) / session.hopSamples) + 1);
    const voiced = windows.filter((w) => w.voiced);
    expect(voiced.length).toBeGreaterThan(3);
    for (const window of [...voiced.slice(0, 3), voiced.at(-1)!]) {
      const samples = resampled.subarray(Math.round(window.startS * 22050), Math.round(window.endS * 22050));
      const path = join(root.dir, `window-${window.index}.wav`);
      await writeFile(path, simpleWav(Array.from(samples), 'float32', 1, 22050));
      const fromFile = await globalModel.predict(path);
      expect(window.probabilities).toEqual(globalModel.labels.map((l) => fromFile.probabilities[l]));
      expect(window.emotion).toBe(fromFile.emotion);
    }
  });

  it("standardises with the live speaker's joint statistics, and warms up over LISTEN_WARMUP_S of speech", async () => {
    const rate = 22050;
    const stream = await speech(rate, [
      '03a01Wa.wav',
      '03a02Ta.wav',
      '03a04Ad.wav',
      '03a04Lc.wav',
      '03a04Ta.wav',
      '03a01Fa.wav',
      '03a01Nc.wav',
    ]);
    const settings = settingsFor(speakerModel, { windowS: 1, hopS: 0.5, gateDb: -120 });
    const session = new ListenSession(speakerModel, settings, rate);
    const windows = await pushInChunks(session, stream, [2205]);
    expect(windows.every((w) => w.voiced)).toBe(true);
    // Windows overlap by half: after window k the speaker has spoken 1 + k / 2 seconds.
    expect(windows.map((w) => w.speechS)).toEqual(windows.map((_, k) => 1 + k / 2));
    expect(windows.map((w) => w.warmingUp)).toEqual(windows.map((_, k) => 1 + k / 2 < LISTEN_WARMUP_S));
    expect(windows.at(-1)!.warmingUp).toBe(false);

    const cfg = speakerModel.featureConfig;
    const matrices = windows.map((w) => computeFeatureMatrix(stream.slice(Math.round(w.startS * rate), Math.round(w.endS * rate)), cfg));
    for (const k of [0, 5, windows.length - 1]) {
      const stats = fitStandardizer(
        matrices.slice(0, k + 1).map((m) => m.data),
        speakerModel.rows,
        speakerModel.frames,
        matrices.slice(0, k + 1).map((m) => m.validFrames),
      );
      const expected = await speakerModel.predictFeatures(matrices[k]!, stats);
      const got = windows[k]!.probabilities!;
      speakerModel.labels.forEach((label, i) => expect(got[i]).toBeCloseTo(expected.probabilities[label]!, 9));
    }
  });

  it('holds the same memory over a one-hour stream, and keeps its recording up to the limit', async () => {
    // At 48 kHz for the first ten minutes (the resampler's buffer), then at the model's rate (fast enough for an hour).
    const settings = settingsFor(globalModel, { windowS: 2, hopS: 1, gateDb: -30 });
    for (const [rate, seconds] of [
      [48000, 600],
      [22050, 3600],
    ] as const) {
      const session = new ListenSession(globalModel, settings, rate, { recordS: 60 });
      const quiet = tone(1, rate, 0.001);
      const loud = tone(1, rate, 0.5);
      const held = [];
      let windows = 0;
      let voiced = 0;
      for (let second = 0; second < seconds; second++) {
        const result = await session.push(second % 600 === 300 ? loud : quiet);
        windows += result.length;
        voiced += result.filter((w) => w.voiced).length;
        if (second % 100 === 99) held.push(session.held());
      }
      windows += (await session.finish()).length;
      expect(windows).toBe(seconds - 1);
      // Each loud second is in two windows.
      expect(voiced).toBe((2 * seconds) / 600);
      expect(new Set(held.map((h) => h.ringSamples))).toEqual(new Set([2 * 22050]));
      expect(Math.max(...held.map((h) => h.resamplerSamples))).toBeLessThan(rate === 22050 ? 1 : 500);
      expect(held.at(-1)!.recordedSamples).toBe(60 * rate);
      expect(session.recording!.full).toBe(true);
      expect(session.recording!.toWav().length).toBe(44 + 2 * 60 * rate);
    }
  }, 240_000);

  it('refuses an input rate outside 1 kHz..768 kHz', () => {
    const settings = settingsFor(globalModel, {});
    expect(() => new ListenSession(globalModel, settings, 500)).toThrow(/from 1000 to 768000 \(got 500\)/);
    expect(() => new ListenSession(globalModel, settings, 44100.5)).toThrow(/whole number/);
  });

  it('keeps the same samples it was given as its recording (16-bit in, 16-bit out)', async () => {
    const rate = 16000;
    const stream = await speech(rate, ['03a01Wa.wav']);
    const session = new ListenSession(globalModel, settingsFor(globalModel, {}), rate, { recordS: 600 });
    await pushInChunks(session, stream, [1000]);
    const path = await session.recording!.save(root.dir, new Date(0));
    expect(path).toBe(join(root.dir, 'listen-1970-01-01_00-00-00-000.wav'));
    const back = await loadAudio(path);
    expect(back.sampleRate).toBe(rate);
    expect(back.samples).toEqual(stream);
  });
});
