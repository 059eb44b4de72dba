/**
 * The listen requests through the handler table: a session started on a run, 16-bit PCM pushed in
 * chunks gives the windows the engine's session gives the same samples, stop, save (the saved
 * WAV holds exactly what was pushed and clip.view may read it), and one-line refusals.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestArgs, RequestName, RequestResult } from '../../main/api/contract';
import { createEngine, dispatch, type Engine } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';
import { loadAudio } from '../../main/audio';
import { initBackend } from '../../main/compute/backend';
import { EmotionPredictor } from '../../main/pipeline/inference';
import { ListenSession, resolveListenSettings } from '../../main/pipeline/listen';
import { demoFile, writeRun } from '../pipeline/inference/helpers';

describe('listen requests', () => {
  let dir: string;
  let engine: Engine;
  let runId: string;
  const call = <N extends RequestName>(name: N, args: RequestArgs<N>) => dispatch(engine.handlers, name, args) as Promise<RequestResult<N>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ser-listen-api-'));
    mkdirSync(join(dir, 'runs'));
    await initBackend('cpu');
    runId = (await writeRun(join(dir, 'runs'), ['best'])).split('/').at(-1)!;
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'uploads'),
      demoDatasetPath: resolve('resources/demo-emodb'),
      backendPreference: 'cpu',
    });
    engine = createEngine({ appVersion: '0.0.0-test', door: 'serve', workspace, emit: () => undefined });
  });

  afterAll(async () => {
    await engine?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('classifies pushed PCM as the engine session does, then saves exactly what it heard', async () => {
    const wav = readFileSync(demoFile('03a01Wa.wav'));
    const pcm = wav.subarray(44);
    const info = await call('listen.start', { runId, checkpoint: 'best', sampleRate: 22050, settings: { windowS: 1, hopS: 0.5 } });
    expect(info).toMatchObject({ windowS: 1, hopS: 0.5, gateDb: -45, normalization: 'global', sampleRate: 22050, maxRecordingS: 600 });
    expect(info.labels).toHaveLength(7);

    const windows = [];
    for (let at = 0; at < pcm.length; at += 8820) {
      const result = await call('listen.push', { sessionId: info.sessionId, pcm16Base64: pcm.subarray(at, at + 8820).toString('base64') });
      windows.push(...result.windows);
      expect(result.recordedS).toBeCloseTo(Math.min(at + 8820, pcm.length) / 2 / 22050, 9);
    }
    expect(windows.map((w) => w.endS)).toEqual([1, 1.5, 2]);

    const predictor = await EmotionPredictor.load(join(dir, 'runs', runId));
    try {
      const settings = resolveListenSettings(
        { windowS: 1, hopS: 0.5 },
        { featureConfig: predictor.featureConfig, normalization: 'global' },
      );
      const samples = (await loadAudio(demoFile('03a01Wa.wav'))).samples;
      const expected = await new ListenSession(predictor, settings, 22050).push(samples);
      expect(windows.map((w) => w.probabilities)).toEqual(expected.map((w) => w.probabilities));
    } finally {
      predictor.dispose();
    }

    // The stream ends on a window's end: stopping flushes no window more.
    expect(await call('listen.stop', { sessionId: info.sessionId })).toEqual({ windows: [], recordedS: 2 });
    await expect(call('listen.push', { sessionId: info.sessionId, pcm16Base64: 'AAAAAA==' })).rejects.toThrow(
      /the listening session has stopped \(stopped\)/,
    );
    const saved = await call('listen.save', { sessionId: info.sessionId });
    expect(dirname(saved.path)).toBe(join(dir, 'uploads'));
    expect(saved.durationS).toBe(2);
    expect(readFileSync(saved.path).subarray(44)).toEqual(pcm);
    const view = await call('clip.view', { path: saved.path });
    expect(view.durationS).toBeCloseTo(2, 6);
  }, 120_000);

  it('refuses bad requests in one line', async () => {
    const start = (args: Record<string, unknown>) =>
      call('listen.start', { runId, checkpoint: 'best', sampleRate: 16000, ...args } as never);
    await expect(start({ sampleRate: 100 })).rejects.toThrow(
      "listen.start: 'sampleRate' must be a whole number from 1000 to 768000 (got 100)",
    );
    await expect(start({ settings: { windowS: 9 } })).rejects.toThrow(/the window \(9 s\) is longer than the model's input/);
    await expect(start({ settings: { gate: -3 } })).rejects.toThrow(/invalid listen settings: unknown field "gate"/);
    await expect(start({ runId: 'nope' })).rejects.toThrow(/no run nope/);
    // An encoder folder stands in for the recorded one only when chosen this session, as for predict.files.
    await expect(start({ encoderDir: dir })).rejects.toThrow(
      `listen.start: the encoder folder ${dir} was not chosen this session (choose it in the Features form: encoders.open)`,
    );

    const { sessionId } = await start({});
    expect((await call('listen.push', { sessionId, pcm16Base64: 'AAA=' })).windows).toEqual([]);
    await expect(call('listen.push', { sessionId, pcm16Base64: 'AA==' })).rejects.toThrow(
      /pcm16Base64 holds 1 byte\(s\): 16-bit samples take two bytes each/,
    );
    await expect(call('listen.push', { sessionId, pcm16Base64: '!!!!' })).rejects.toThrow(/pcm16Base64 is not valid base64/);
    await expect(call('listen.push', { sessionId: 'abc', pcm16Base64: 'AAAAAA==' })).rejects.toThrow(
      /must be a session id from listen.start/,
    );
    // A new session ends the one before it.
    const second = await start({});
    await expect(call('listen.push', { sessionId, pcm16Base64: 'AAAAAA==' })).rejects.toThrow(/no such listening session/);
    await expect(call('listen.save', { sessionId: second.sessionId })).rejects.toThrow(/nothing was recorded/);
  }, 120_000);
});
