/**
 * Listening with every kind of model a run can hold, each window checked against `predict` of a
 * WAV file of exactly its samples: a classical model on functionals (one vector per window, the
 * training clips' statistics while the live speaker's warm up, then the speaker's over the
 * windows' vectors, as `predict --speaker` computes them over files), and the tiny encoder's
 * features (pooled to a vector, and kept as frames), which the predictor computes in its encoder
 * worker for predict and listen alike.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio } from '../../../main/audio';
import { EmotionPredictor, TRAINING_STATISTICS_WARNING, UNKNOWN_SPEAKER_WARNING, type Prediction } from '../../../main/pipeline/inference';
import { ListenSession, loadListenPredictor, resolveListenSettings, VECTOR_WINDOW_S } from '../../../main/pipeline/listen';
import { LISTEN_WARMUP_S, type ListenWindow } from '../../../main/schema/listenFields';
import { simpleWav } from '../../audio/wav-writer';
import { runCli } from '../../cli/run-cli';
import { TINY } from '../../features/encoder/helpers';

const { runTrainingJob } = await import('../../../main/pipeline/job');
const { resolveTrainingConfig } = await import('../../../main/training/config');

const work = mkdtempSync(join(tmpdir(), 'ser-listen-kinds-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const CACHE = join(work, 'cache');
const ENCODER = join(work, 'tiny-wav2vec2');
cpSync(TINY, ENCODER, { recursive: true });
const SPEAKER_03 = ['03a01Wa.wav', '03a02Ta.wav', '03a04Ad.wav', '03a04Lc.wav', '03a04Ta.wav', '03a01Fa.wav', '03a01Nc.wav'];

async function train(model: string, featureConfig: Record<string, unknown>, name: string): Promise<string> {
  const result = await runTrainingJob({
    datasetRoot: resolve('resources/demo-emodb'),
    config: resolveTrainingConfig({
      model,
      preset: 'quick',
      epochs: 1,
      batchSize: 16,
      seed: 3,
      split: { kind: 'speaker', testSpeakers: ['03', '08'], valSpeakers: ['09'] },
      classifier: { innerFolds: 3 },
    }),
    featureConfig,
    cacheRoot: CACHE,
    runsDir: join(work, name),
    backend: 'cpu',
  });
  expect(result.status).toBe('done');
  return result.runDir;
}

/** Demo clips one after another at `rate`, as 16-bit PCM values (what a live stream carries). */
async function speech(rate: number, files: readonly string[]): Promise<Float32Array> {
  const parts = await Promise.all(
    files.map(async (f) => (await loadAudio(resolve('resources/demo-emodb', f), { targetSampleRate: rate })).samples),
  );
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out.map((x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))) / 32768 + 0);
}

/** The session's windows of `stream` (at the model's rate), pushed in 0.25 s chunks, then finished. */
async function listen(predictor: EmotionPredictor, stream: Float32Array, settings: Record<string, unknown>): Promise<ListenWindow[]> {
  const resolved = resolveListenSettings(settings, {
    featureConfig: predictor.featureConfig,
    normalization: predictor.manifest.normalization.mode,
  });
  const session = new ListenSession(predictor, resolved, predictor.featureConfig.sampleRate);
  const chunk = Math.round(predictor.featureConfig.sampleRate / 4);
  const windows: ListenWindow[] = [];
  for (let at = 0; at < stream.length; at += chunk) windows.push(...(await session.push(stream.subarray(at, at + chunk))));
  return [...windows, ...(await session.finish())];
}

/** A WAV file of exactly a window's samples, at the model's rate. */
async function windowFile(predictor: EmotionPredictor, stream: Float32Array, window: ListenWindow, tag: string): Promise<string> {
  const rate = predictor.featureConfig.sampleRate;
  const path = join(work, `${tag}-${window.index}.wav`);
  await writeFile(
    path,
    simpleWav(Array.from(stream.subarray(Math.round(window.startS * rate), Math.round(window.endS * rate))), 'float32', 1, rate),
  );
  return path;
}

function expectSame(window: ListenWindow, prediction: Prediction, labels: readonly string[]): void {
  labels.forEach((label, i) => expect(window.probabilities![i]).toBeCloseTo(prediction.probabilities[label]!, 9));
  expect(window.emotion).toBe(prediction.emotion);
}

describe('listening with a classical model on functionals', () => {
  let runDir: string;
  let predictor: EmotionPredictor;
  let stream: Float32Array;

  beforeAll(async () => {
    runDir = await train('logreg', { representation: 'egemaps-like' }, 'classical');
    predictor = await EmotionPredictor.load(runDir);
    stream = await speech(predictor.featureConfig.sampleRate, SPEAKER_03);
  }, 300_000);
  afterAll(() => predictor?.dispose());

  it("live statistics off: every window is predicted as predict predicts a file of its samples (the training clips' statistics)", async () => {
    const windows = await listen(predictor, stream, { speakerNorm: false, gateDb: -120 });
    expect(windows[0]!.endS - windows[0]!.startS).toBeCloseTo(VECTOR_WINDOW_S, 6);
    expect(windows.length).toBeGreaterThan(10);
    for (const window of [windows[0]!, windows[4]!, windows.at(-1)!]) {
      const fromFile = await predictor.predict(await windowFile(predictor, stream, window, 'classical-off'));
      expect(fromFile.warning).toBe(TRAINING_STATISTICS_WARNING);
      expectSame(window, fromFile, predictor.labels);
      expect(window.statistics).toBeUndefined();
    }
  });

  it("live statistics: the training clips' while warming up, then the speaker's over the windows' vectors, as predict --speaker", async () => {
    const windows = await listen(predictor, stream, { gateDb: -120 });
    expect(windows.every((w) => w.voiced)).toBe(true);
    expect(windows.map((w) => w.statistics)).toEqual(windows.map((w) => (w.speechS! < LISTEN_WARMUP_S ? 'training' : 'speaker')));
    const warm = windows.findIndex((w) => w.statistics === 'speaker');
    expect(warm).toBeGreaterThan(0);
    // Warming up: as predict does the window's file alone.
    const alone = await predictor.predict(await windowFile(predictor, stream, windows[1]!, 'classical-live'));
    expect(alone.warning).toBe(TRAINING_STATISTICS_WARNING);
    expectSame(windows[1]!, alone, predictor.labels);
    // Warm: as predict does the windows' files so far, given together as one speaker's.
    for (const k of [warm, windows.length - 1]) {
      const files = await Promise.all(windows.slice(0, k + 1).map((w) => windowFile(predictor, stream, w, 'classical-live')));
      const results = await predictor.predictMany(files, { speakers: files.map(() => 'live') });
      const last = results.at(-1) as Prediction;
      expect(last.warning).toBeUndefined();
      expectSame(windows[k]!, last, predictor.labels);
    }
  });

  it("refuses to start with a per-speaker vector checkpoint from before the training clips' statistics were recorded", async () => {
    const older = join(work, 'classical-v3');
    cpSync(runDir, older, { recursive: true });
    for (const name of ['best', 'final']) {
      const path = join(older, 'checkpoints', name, 'manifest.json');
      const manifest = JSON.parse(readFileSync(path, 'utf8'));
      const { globalStats: _g, ...normalization } = manifest.normalization;
      writeFileSync(path, JSON.stringify({ ...manifest, normalization, formatVersion: 3 }));
    }
    const old = await EmotionPredictor.load(older);
    try {
      for (const speakerNorm of [true, false]) {
        await expect(listen(old, stream, { speakerNorm })).rejects.toThrow(
          /^this checkpoint normalises per speaker and was trained before the training clips' statistics were recorded, .*: retrain the model to listen with it$/,
        );
      }
    } finally {
      old.dispose();
    }
  });
});

describe("listening with an encoder checkpoint (the encoder runs in the predictor's worker)", () => {
  it('pooled to a vector (logreg): each window as predict predicts a file of its samples; the encoder folder where it is now', async () => {
    const runDir = await train('logreg', { representation: 'encoder', encoderDir: ENCODER }, 'encoder-vector');
    const predictor = await EmotionPredictor.load(runDir);
    const stream = await speech(16000, SPEAKER_03.slice(0, 3));
    let windows: ListenWindow[];
    try {
      expect(predictor.featureConfig.sampleRate).toBe(16000);
      windows = await listen(predictor, stream, { speakerNorm: false, gateDb: -120 });
      expect(windows.length).toBeGreaterThan(3);
      for (const window of [windows[0]!, windows.at(-1)!]) {
        const fromFile = await predictor.predict(await windowFile(predictor, stream, window, 'encoder-vector'));
        expect(fromFile.warning).toBe(TRAINING_STATISTICS_WARNING);
        expectSame(window, fromFile, predictor.labels);
      }
    } finally {
      predictor.dispose();
    }

    // The encoder folder moved: refused with the file to provide, and taken from where it is now (the engine and ser listen).
    const moved = join(work, 'moved', 'tiny-wav2vec2');
    cpSync(ENCODER, moved, { recursive: true });
    rmSync(ENCODER, { recursive: true });
    try {
      await expect(loadListenPredictor(runDir, 'best')).rejects.toThrow(/needs the encoder it was trained with: .*; provide /);
      const there = await loadListenPredictor(runDir, 'best', moved);
      try {
        const again = await listen(there, stream, { speakerNorm: false, gateDb: -120 });
        expect(again.map(({ latencyMs: _, ...w }) => w)).toEqual(windows.map(({ latencyMs: _, ...w }) => w));
      } finally {
        there.dispose();
      }
      const wav = join(work, 'encoder-stream.wav');
      // 16-bit, as a live stream carries it: the stream's values are 16-bit already.
      await writeFile(
        wav,
        simpleWav(
          Array.from(stream, (x) => Math.round(x * 32768)),
          'pcm16',
          1,
          16000,
        ),
      );
      const cli = await runCli(['listen', runDir, wav, '--encoder-dir', moved, '--no-speaker-norm', '--gate=-120']);
      expect(cli.code, cli.stderr).toBe(0);
      const printed = cli.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(printed.map((w: ListenWindow) => w.endS)).toEqual(windows.map((w) => w.endS));
      expect(printed.map((w: ListenWindow) => w.emotion)).toEqual(windows.map((w) => w.emotion));
    } finally {
      cpSync(moved, ENCODER, { recursive: true });
    }
  }, 300_000);

  it("kept as frames (crnn): the default window is the model's input at the encoder's frame rate, each window as predict predicts its file", async () => {
    const predictor = await EmotionPredictor.load(
      await train('crnn', { representation: 'encoder', encoderDir: ENCODER, encoderPooling: 'frames', frames: 0 }, 'encoder-frames'),
    );
    try {
      const stream = await speech(16000, SPEAKER_03.slice(0, 3));
      const windows = await listen(predictor, stream, { speakerNorm: false, gateDb: -120, hopS: 0.5 });
      // 50 encoder frames per second: frames - 1 of them.
      expect(windows[0]!.endS - windows[0]!.startS).toBeCloseTo(((predictor.frames - 1) * 320) / 16000, 3);
      expect(windows.length).toBeGreaterThan(1);
      for (const window of [windows[0]!, windows.at(-1)!]) {
        const fromFile = await predictor.predict(await windowFile(predictor, stream, window, 'encoder-frames'));
        expect(fromFile.warning).toBe(UNKNOWN_SPEAKER_WARNING);
        expectSame(window, fromFile, predictor.labels);
      }
    } finally {
      predictor.dispose();
    }
  }, 300_000);
});
