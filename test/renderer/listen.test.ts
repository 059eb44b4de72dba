/**
 * The Listen panel's logic (PCM chunks, the bounded timeline, the form, microphone messages) and
 * its store against a fake engine and a fake microphone: samples go out in order as chunks, the
 * windows come back into the timeline, and an absent, denied or disconnected microphone stops
 * with its one-line reason.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ListenWindow, RequestArgs } from '../../main/api/contract';
import { setApi } from '../../renderer/src/api';
import {
  appendWindows,
  ChunkCollector,
  listenFormDefaults,
  listenFormError,
  listenPlaceholder,
  MAX_TIMELINE_WINDOWS,
  microphoneErrorMessage,
  microphoneUnavailable,
  pcm16Base64,
  timelineSeries,
  toListenSettings,
} from '../../renderer/src/lib/listen';
import type { MicrophoneHandlers } from '../../renderer/src/lib/microphone';
import { useListenStore } from '../../renderer/src/stores/listen';
import { fakeApi, flush } from './fake-api';

/** The fake microphone the store opens: the test drives its handlers, or makes opening fail. */
const mic = vi.hoisted(() => ({
  handlers: null as MicrophoneHandlers | null,
  failWith: null as Error | null,
  closed: 0,
}));

vi.mock('../../renderer/src/lib/microphone', () => ({
  Microphone: {
    async open(handlers: MicrophoneHandlers) {
      if (mic.failWith) throw mic.failWith;
      mic.handlers = handlers;
      return { sampleRate: 16000, close: () => mic.closed++ };
    },
  },
}));

function domError(name: string): Error {
  return Object.assign(new Error(`${name} from the browser`), { name });
}

function decodePcm(base64: string): number[] {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return Array.from(new Int16Array(bytes.buffer));
}

const window = (index: number, voiced = true): ListenWindow => ({
  index,
  startS: index,
  endS: index + 1,
  levelDb: voiced ? -20 : -70,
  voiced,
  ...(voiced && { emotion: 'fear', confidence: 0.7, probabilities: [0.3, 0.7], latencyMs: 12 }),
});

beforeEach(() => {
  setActivePinia(createPinia());
  mic.handlers = null;
  mic.failWith = null;
  mic.closed = 0;
  vi.stubGlobal('window', { isSecureContext: true });
  vi.stubGlobal('navigator', { mediaDevices: {} });
});

describe('listen lib', () => {
  it('turns float samples into 16-bit PCM, clipping and zeroing what is not audio', () => {
    expect(decodePcm(pcm16Base64(Float32Array.from([0, 0.5, -0.5, 1, -1, 2, Number.NaN, 1 / 32768])))).toEqual([
      0, 16384, -16384, 32767, -32768, 32767, 0, 1,
    ]);
    const long = new Float32Array(100_000).fill(0.25);
    expect(decodePcm(pcm16Base64(long))).toHaveLength(100_000);
  });

  it('collects microphone buffers into chunks of a fixed length, in order', () => {
    const collector = new ChunkCollector(4);
    expect(collector.add(Float32Array.from([1, 2, 3]))).toEqual([]);
    expect(collector.add(Float32Array.from([4, 5, 6, 7, 8, 9, 10]))).toEqual([
      Float32Array.from([1, 2, 3, 4]),
      Float32Array.from([5, 6, 7, 8]),
    ]);
    expect(collector.add(Float32Array.from([11, 12]))).toEqual([Float32Array.from([9, 10, 11, 12])]);
  });

  it('keeps the newest windows only, and draws gated windows as gaps', () => {
    const many = Array.from({ length: MAX_TIMELINE_WINDOWS }, (_, i) => window(i));
    const next = appendWindows(many, [window(MAX_TIMELINE_WINDOWS), window(MAX_TIMELINE_WINDOWS + 1)]);
    expect(next).toHaveLength(MAX_TIMELINE_WINDOWS);
    expect(next[0]!.index).toBe(2);
    expect(next.at(-1)!.index).toBe(MAX_TIMELINE_WINDOWS + 1);
    const series = timelineSeries([window(0), window(1, false)], ['anger', 'fear']);
    expect(series.map((s) => s.label)).toEqual(['anger', 'fear']);
    expect(series[1]!.data[0]).toEqual({ x: 1, y: 0.7 });
    expect(series[1]!.data[1]!.x).toBe(2);
    expect(series[1]!.data[1]!.y).toBeNaN();
  });

  it('builds its form from the listen field table', () => {
    const values = listenFormDefaults();
    // Window and hop empty: their automatic lengths.
    expect(values).toEqual({ windowS: '', hopS: '', gateDb: '-45', speakerNorm: true });
    expect(listenFormError(values)).toBeNull();
    expect(toListenSettings(values)).toEqual({ windowS: 0, hopS: 0, gateDb: -45, speakerNorm: true });
    expect(toListenSettings({ ...values, windowS: ' 1.5 ' })).toEqual({ windowS: 1.5, hopS: 0, gateDb: -45, speakerNorm: true });
    expect(listenPlaceholder('windowS')).toBe('auto');
    expect(listenPlaceholder('gateDb')).toBeUndefined();
    expect(listenFormError({ ...values, gateDb: '10' })).toMatch(/Voice gate \(dBFS\)/);
    expect(listenFormError({ ...values, hopS: 'soon' })).toMatch(/Hop \(s\)/);
  });

  it('says in one line why a microphone could not be used', () => {
    expect(microphoneErrorMessage(domError('NotFoundError'))).toBe('No microphone was found: connect one and press Start again.');
    expect(microphoneErrorMessage(domError('NotAllowedError'))).toMatch(/^Microphone access was denied: allow it/);
    expect(microphoneErrorMessage(domError('NotReadableError'))).toMatch(/another program may be using it/);
    expect(microphoneErrorMessage(new Error('odd'))).toBe('The microphone could not be opened: odd');
    expect(microphoneUnavailable({ isSecureContext: false, hasMediaDevices: false })).toMatch(/open it through localhost/);
    expect(microphoneUnavailable({ isSecureContext: true, hasMediaDevices: false })).toMatch(/no microphone access/);
    expect(microphoneUnavailable({ isSecureContext: true, hasMediaDevices: true })).toBeNull();
  });
});

describe('listen store', () => {
  const target = { runId: 'run-1', checkpoint: 'best' as const };

  function engine() {
    const pushed: number[][] = [];
    const fake = fakeApi({
      'listen.start': (args) => ({
        sessionId: '0123456789abcdef',
        labels: ['anger', 'fear'],
        windowS: 1,
        hopS: 1,
        gateDb: args.settings?.gateDb ?? -45,
        normalization: 'speaker-live',
        sampleRate: args.sampleRate,
        maxRecordingS: 600,
      }),
      'listen.push': (args: RequestArgs<'listen.push'>) => {
        pushed.push(decodePcm(args.pcm16Base64));
        const index = pushed.length - 1;
        return {
          windows: index % 4 === 3 ? [{ ...window((index - 3) / 4), speechS: 4, warmingUp: true }] : [],
          receivedS: pushed.length * 0.25,
          recordedS: pushed.length * 0.25,
          recordingFull: false,
        };
      },
      'listen.stop': () => ({ windows: [window(2)], recordedS: 2 }),
      'listen.save': () => ({ path: '/uploads/listen-1.wav', durationS: 2 }),
    });
    setApi(fake.api);
    return { ...fake, pushed };
  }

  it('streams the microphone in 0.25 s chunks and fills the timeline, then stops and saves', async () => {
    const { calls, pushed } = engine();
    const listen = useListenStore();
    listen.form.gateDb = '-50';
    await listen.start(target);
    expect(listen.status).toBe('listening');
    expect(calls[0]).toMatchObject({
      name: 'listen.start',
      args: { runId: 'run-1', sampleRate: 16000, settings: { gateDb: -50, windowS: 0 } },
    });
    // 8 buffers of 4096 samples at 16 kHz: eight chunks of 4000 (a quarter second each), 768 samples waiting.
    const buffer = new Float32Array(4096).fill(0.5);
    for (let i = 0; i < 8; i++) mic.handlers!.onSamples(buffer);
    await vi.waitFor(() => expect(pushed).toHaveLength(8));
    await flush();
    expect(pushed.every((chunk) => chunk.length === 4000 && chunk.every((v) => v === 16384))).toBe(true);
    expect(listen.levelDb).toBeCloseTo(-6, 0);
    expect(listen.windows.map((w) => w.index)).toEqual([0, 1]);
    expect(listen.latestVoiced?.emotion).toBe('fear');
    expect(listen.warmup).toEqual({ speechS: 4, neededS: 10, warmingUp: true, training: false });

    await listen.stop();
    expect(listen.status).toBe('idle');
    expect(mic.closed).toBe(1);
    // The 768 samples waiting went after the full chunks, then the session's end was flushed.
    expect(pushed.map((chunk) => chunk.length)).toEqual([...Array(8).fill(4000), 768]);
    expect(calls.map((c) => c.name).slice(-2)).toEqual(['listen.push', 'listen.stop']);
    expect(listen.windows.map((w) => w.index)).toEqual([0, 1, 2]);
    expect(listen.recordedS).toBe(2);
    expect(await listen.save()).toBe('/uploads/listen-1.wav');
    expect(listen.error).toBeNull();
  });

  it("says when a vector model's windows use the training-set statistics while the speaker's warm up", async () => {
    const fake = engine();
    setApi({
      ...fake.api,
      invoke: (async (name: string, args: unknown) =>
        name === 'listen.push'
          ? {
              windows: [{ ...window(0), speechS: 3, warmingUp: true, statistics: 'training' }],
              receivedS: 0.25,
              recordedS: 0.25,
              recordingFull: false,
            }
          : fake.api.invoke(name as never, args as never)) as never,
    });
    const listen = useListenStore();
    await listen.start(target);
    mic.handlers!.onSamples(new Float32Array(4000));
    await vi.waitFor(() => expect(listen.windows).toHaveLength(1));
    expect(listen.warmup).toEqual({ speechS: 3, neededS: 10, warmingUp: true, training: true });
  });

  it('sends the encoder folder the Predict view chose for the checkpoint, as predict does', async () => {
    const { calls } = engine();
    const listen = useListenStore();
    await listen.start(target, '/data/encoders/tiny');
    expect(calls[0]).toMatchObject({ name: 'listen.start', args: { encoderDir: '/data/encoders/tiny' } });
    await listen.stop();
    await listen.start(target);
    expect(calls.filter((c) => c.name === 'listen.start')[1]!.args).not.toHaveProperty('encoderDir');
  });

  it('says so when the microphone is absent or denied, and starts no session', async () => {
    const { count } = engine();
    const listen = useListenStore();
    mic.failWith = domError('NotFoundError');
    await listen.start(target);
    expect(listen.error).toBe('No microphone was found: connect one and press Start again.');
    mic.failWith = domError('NotAllowedError');
    await listen.start(target);
    expect(listen.error).toMatch(/^Microphone access was denied/);
    expect(listen.status).toBe('idle');
    expect(count('listen.start')).toBe(0);
  });

  it('stops with a reason when the microphone is disconnected mid-session, keeping the recording', async () => {
    const { count } = engine();
    const listen = useListenStore();
    await listen.start(target);
    mic.handlers!.onEnded();
    await vi.waitFor(() => expect(listen.status).toBe('idle'));
    expect(listen.error).toBe('The microphone was disconnected: the session stopped (what was heard so far can be saved).');
    expect(count('listen.stop')).toBe(1);
    expect(mic.closed).toBe(1);
  });

  it('refuses to start without a checkpoint or with an invalid form, and stops when the engine refuses a chunk', async () => {
    const fake = engine();
    const listen = useListenStore();
    await listen.start(null);
    expect(listen.error).toBe('Choose a run and a checkpoint first.');
    listen.form.windowS = 'long';
    await listen.start(target);
    expect(listen.error).toMatch(/Window \(s\)/);
    listen.form.windowS = '';
    vi.stubGlobal('window', { isSecureContext: false });
    await listen.start(target);
    expect(listen.error).toMatch(/open it through localhost/);
    vi.stubGlobal('window', { isSecureContext: true });

    setApi({
      ...fake.api,
      invoke: (async (name: string, args: unknown) =>
        name === 'listen.push'
          ? Promise.reject(new Error('listen.push: the listening session has stopped'))
          : fake.api.invoke(name as never, args as never)) as never,
    });
    await listen.start(target);
    mic.handlers!.onSamples(new Float32Array(4000));
    await vi.waitFor(() => expect(listen.status).toBe('idle'));
    expect(listen.error).toBe('the listening session has stopped');
  });
});
