import { mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioError, decodeAudio, loadAudio, probeAudioFile, resample, toMono } from '../../main/audio/index';
import { fmtChunk, riff, simpleWav } from './wav-writer';

const tempDir = mkdtempSync(join(tmpdir(), 'ser-audio-load-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

async function errorOf(promise: Promise<unknown>): Promise<AudioError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AudioError) return err;
    throw err;
  }
  throw new Error('expected an AudioError');
}

const EIGHT_HOURS_S = 8 * 3600;

/** A 16 kHz mono 16-bit WAV header whose data chunk declares `durationS` of audio, and nothing after it. */
function longWavHeader(durationS: number): { header: Uint8Array; dataBytes: number } {
  const dataBytes = durationS * 16000 * 2;
  const header = riff([
    fmtChunk({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16 }),
    { id: 'data', body: new Uint8Array(0), declaredSize: dataBytes },
  ]);
  return { header, dataBytes };
}

describe('toMono', () => {
  it('averages channels like librosa.to_mono and passes mono through', () => {
    const mono = Float32Array.from([0.1, 0.2]);
    expect(toMono([mono])).toBe(mono);
    expect(Array.from(toMono([Float32Array.from([1, 0.5, -1]), Float32Array.from([0, 0.25, -1])]))).toEqual([0.5, 0.375, -1]);
    const three = toMono([Float32Array.from([0.3]), Float32Array.from([0.6]), Float32Array.from([0.9])]);
    // numpy sums float32 channels in float32, then divides in float32.
    const float32Sum = Math.fround(Math.fround(Math.fround(0.3) + Math.fround(0.6)) + Math.fround(0.9));
    expect(three[0]).toBe(Math.fround(float32Sum / 3));
    expect(three[0]).toBeCloseTo(0.6, 6);
  });
});

describe('loadAudio', () => {
  it('decodes, keeps the native rate when no target is given, and reports the original', async () => {
    const loaded = await loadAudio('test/fixtures/audio/03a01Wa.wav');
    expect(loaded).toMatchObject({
      sampleRate: 22050,
      originalSampleRate: 22050,
      originalChannels: 1,
      durationS: 2,
      format: 'wav',
      encoding: 'pcm16',
    });
    expect(loaded.samples.length).toBe(44100);
  });

  it('resamples a CREMA-D clip to 22050 Hz exactly like resample() on the decoded samples', async () => {
    const path = 'test/fixtures/audio/1001_DFA_ANG_XX.wav';
    const loaded = await loadAudio(path, { targetSampleRate: 22050 });
    const decoded = await decodeAudio(readFileSync(path), path);
    expect(loaded.sampleRate).toBe(22050);
    expect(loaded.originalSampleRate).toBe(16000);
    expect(loaded.durationS).toBeCloseTo(36363 / 16000, 12);
    expect(loaded.samples.length).toBe(50113);
    expect(loaded.samples).toEqual(resample(decoded.channels[0], 16000, 22050));
  });

  it('mixes stereo to mono before resampling', async () => {
    const path = join(tempDir, 'stereo.wav');
    writeFileSync(path, simpleWav([1000, 3000, -2000, 2000, 500, 500], 'pcm16', 2, 16000));
    const loaded = await loadAudio(path);
    expect(loaded.originalChannels).toBe(2);
    expect(Array.from(loaded.samples)).toEqual([2000 / 32768, 0, 500 / 32768]);
  });

  it('loads compressed formats through the same path', async () => {
    const loaded = await loadAudio('test/fixtures/audio-formats/tone440-880-16000-stereo-24bit.flac', {
      targetSampleRate: 22050,
    });
    expect(loaded).toMatchObject({ format: 'flac', originalChannels: 2, originalSampleRate: 16000, durationS: 0.25 });
    expect(loaded.samples.length).toBe(Math.ceil(4000 * (22050 / 16000)));
  });

  it('rejects a file longer than maxDurationS with too-long, for header-probed and decoded formats', async () => {
    for (const name of ['tone440-22050-mono-16bit.wav', 'tone440-22050-mono-16bit.flac', 'tone440-22050-mono.ogg']) {
      const error = await errorOf(loadAudio(join('test/fixtures/audio-formats', name), { maxDurationS: 0.4 }));
      expect(error.code).toBe('too-long');
      expect(error.message).toContain('0.5 s exceeds the limit of 0.4 s');
    }
    const loaded = await loadAudio('test/fixtures/audio-formats/tone440-22050-mono.mp3', { maxDurationS: 0.5 });
    expect(loaded.durationS).toBe(0.5);
  });
});

describe('8-hour WAV', () => {
  it('is probed from its header alone and rejected by loadAudio before the body is read', async () => {
    // A sparse file: the 8-hour body (921.6 MB of zeros) takes no disk space and is never read.
    const { header, dataBytes } = longWavHeader(EIGHT_HOURS_S);
    const path = join(tempDir, 'eight-hours.wav');
    writeFileSync(path, header);
    truncateSync(path, header.length + dataBytes);

    const started = performance.now();
    const probe = await probeAudioFile(path);
    expect(performance.now() - started).toBeLessThan(200);
    expect(probe).toEqual({
      format: 'wav',
      sampleRate: 16000,
      channels: 1,
      frames: EIGHT_HOURS_S * 16000,
      durationS: EIGHT_HOURS_S,
      encoding: 'pcm16',
    });

    const loadStarted = performance.now();
    const error = await errorOf(loadAudio(path));
    expect(error.code).toBe('too-long');
    expect(error.message).toBe('eight-hours.wav: too-long: duration 28800.0 s exceeds the limit of 600 s');
    expect(performance.now() - loadStarted).toBeLessThan(200);
  });

  it('with only its header present is reported as truncated by both probe and load', async () => {
    const { header, dataBytes } = longWavHeader(EIGHT_HOURS_S);
    const path = join(tempDir, 'eight-hours-header-only.wav');
    writeFileSync(path, header);
    const expected = `data chunk declares ${dataBytes} bytes but only 0 follow`;
    // One at a time: a second promise created up front could reject before it is awaited.
    for (const attempt of [() => probeAudioFile(path), () => loadAudio(path)]) {
      const error = await errorOf(attempt());
      expect(error.code).toBe('truncated');
      expect(error.message).toContain(expected);
    }
  });

  it('gives the same errors through probe and load for empty and unreadable files', async () => {
    const empty = join(tempDir, 'empty.wav');
    writeFileSync(empty, new Uint8Array(0));
    expect((await errorOf(probeAudioFile(empty))).code).toBe('empty');
    expect((await errorOf(loadAudio(empty))).code).toBe('empty');
    expect((await errorOf(loadAudio(join(tempDir, 'nope.wav')))).code).toBe('unreadable');
  });
});
