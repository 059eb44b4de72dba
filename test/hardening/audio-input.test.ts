/**
 * Hostile audio input that used to be accepted, hang or take time growing with the square of the
 * file size: absurd sample rates, unsupported or duplicated WAV chunks, float samples of absurd
 * magnitude, FIFOs named .wav, and large files that are not audio at all.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caught } from './caught';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioError, loadAudio, probeAudioFile, readAudioFile, readAudioFileSync, resample } from '../../main/audio';
import { scanDataset } from '../../main/dataset';
import { encodeSamples, fmtChunk, riff } from '../audio/wav-writer';

const tempDir = mkdtempSync(join(tmpdir(), 'ser-audio-input-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

const audioErrorOf = (action: Promise<unknown> | (() => unknown)) => caught(AudioError, action);

function write(name: string, bytes: Uint8Array): string {
  const path = join(tempDir, name);
  writeFileSync(path, bytes);
  return path;
}

const tenthSecond = encodeSamples(
  Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin(i / 5))),
  'pcm16',
);

function pcm16WavAt(sampleRate: number, body = tenthSecond): Uint8Array {
  return riff([fmtChunk({ formatTag: 1, channels: 1, sampleRate, bitsPerSample: 16 }), { id: 'data', body }]);
}

describe('sample rates from the header', () => {
  it('refuses WAV rates outside 1 kHz to 768 kHz, naming the rate and the "fmt " chunk', async () => {
    for (const rate of [4_294_967_295, 198_450_000, 768_001, 999, 1]) {
      const path = write(`rate-${rate}.wav`, pcm16WavAt(rate));
      const error = await audioErrorOf(loadAudio(path, { targetSampleRate: 16000 }));
      expect(error.code).toBe('corrupt');
      expect(error.message).toContain(`the "fmt " chunk declares a sample rate of ${rate} Hz, outside the supported 1 kHz to 768 kHz`);
      expect((await audioErrorOf(probeAudioFile(path))).code).toBe('corrupt');
    }
    for (const rate of [1000, 768_000]) {
      const loaded = await loadAudio(write(`rate-${rate}.wav`, pcm16WavAt(rate)), { targetSampleRate: 16000 });
      expect(loaded.originalSampleRate).toBe(rate);
    }
  });

  it('refuses a 16 MB WAV claiming 4 294 967 295 Hz at once (it took 3.5 s, growing with the square of the size)', async () => {
    const path = write('huge-rate.wav', pcm16WavAt(4_294_967_295, new Uint8Array(16 * 1024 * 1024)));
    const started = performance.now();
    expect((await audioErrorOf(loadAudio(path, { targetSampleRate: 16000 }))).code).toBe('corrupt');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a FLAC STREAMINFO rate outside the range, naming STREAMINFO', async () => {
    const flac = readFileSync('test/fixtures/audio-formats/tone440-22050-mono-16bit.flac');
    // STREAMINFO starts at byte 8; its bytes 10..12 hold the rate in their top 20 bits.
    flac[18] = 0xc3; // 800 000 Hz = 0xC3500
    flac[19] = 0x50;
    flac[20] &= 0x0f;
    const path = write('rate-800k.flac', flac);
    for (const error of [await audioErrorOf(loadAudio(path)), await audioErrorOf(probeAudioFile(path))]) {
      expect(error.code).toBe('corrupt');
      expect(error.message).toContain('the FLAC STREAMINFO block declares a sample rate of 800000 Hz');
    }
  });

  it('resample refuses a ratio whose filter has no step between taps instead of summing the whole input per output', () => {
    expect(() => resample(new Float32Array(1000), 198_450_000, 16000)).toThrow(/cannot resample 198450000 Hz to 16000 Hz/);
  });
});

describe('WAV chunks', () => {
  it('refuses 4-bit PCM naming the "fmt " chunk instead of decoding it as 8-bit', async () => {
    const path = write(
      'pcm4.wav',
      riff([
        fmtChunk({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 4, blockAlign: 1 }),
        { id: 'data', body: new Uint8Array(800).fill(0x7f) },
      ]),
    );
    const error = await audioErrorOf(loadAudio(path));
    expect(error.code).toBe('unsupported-encoding');
    expect(error.message).toContain('the "fmt " chunk declares 4-bit PCM; only 8, 16, 24 and 32 bits are supported');
  });

  it('refuses a second "fmt " chunk instead of letting it win', async () => {
    const first = fmtChunk({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16 });
    const second = fmtChunk({ formatTag: 1, channels: 2, sampleRate: 44100, bitsPerSample: 8 });
    const error = await audioErrorOf(loadAudio(write('two-fmt.wav', riff([first, second, { id: 'data', body: tenthSecond }]))));
    expect(error.code).toBe('corrupt');
    expect(error.message).toContain('second "fmt " chunk at byte 36; a WAV file has exactly one');
  });

  it('refuses float samples that are NaN, infinite or of absurd magnitude, naming the "data" chunk', async () => {
    const fmt = fmtChunk({ formatTag: 3, channels: 1, sampleRate: 16000, bitsPerSample: 32 });
    for (const [name, bad] of [
      ['huge', 1e30],
      ['nan', NaN],
      ['inf', -Infinity],
      ['big', 5000],
    ] as const) {
      const values = Array.from({ length: 1600 }, (_, i) => (i === 700 ? bad : 0.1 * Math.sin(i / 5)));
      const error = await audioErrorOf(
        loadAudio(write(`float-${name}.wav`, riff([fmt, { id: 'data', body: encodeSamples(values, 'float32') }]))),
      );
      expect(error.code).toBe('corrupt');
      expect(error.message).toContain('the "data" chunk has 1 float sample(s) that are NaN, infinite or beyond ±1000 (first at frame 700');
    }
    // Clipped but plausible float audio still decodes.
    const loud = Array.from({ length: 1600 }, (_, i) => (i % 2 ? 4 : -4));
    expect((await loadAudio(write('float-loud.wav', riff([fmt, { id: 'data', body: encodeSamples(loud, 'float32') }])))).samples[1]).toBe(
      4,
    );
  });
});

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;
if (!hasMkfifo) console.log('FIFO cases skipped: mkfifo is not available on this system');

describe.skipIf(!hasMkfifo)('FIFOs named like audio', () => {
  function fifo(path: string): string {
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    return path;
  }

  it('refuses FIFOs at once in every loader, and file I/O keeps working afterwards', async () => {
    const fifos = [1, 2, 3, 4, 5].map((i) => fifo(join(tempDir, `pipe${i}.wav`)));
    const started = performance.now();
    const errors = await Promise.all(fifos.map((path) => audioErrorOf(loadAudio(path))));
    for (const error of errors) {
      expect(error.code).toBe('unreadable');
      expect(error.message).toContain('it is a named pipe (FIFO), not a regular file');
    }
    expect((await audioErrorOf(probeAudioFile(fifos[0]!))).code).toBe('unreadable');
    expect((await audioErrorOf(() => readAudioFileSync(fifos[0]!))).code).toBe('unreadable');
    expect(performance.now() - started).toBeLessThan(2000);
    // Had the opens blocked, these would wait behind them in libuv's 4 file-I/O threads.
    await fsp.writeFile(join(tempDir, 'after.txt'), 'still answering');
    expect(await fsp.readFile(join(tempDir, 'after.txt'), 'utf8')).toBe('still answering');
  });

  it('lists a FIFO in a dataset folder as skipped with the reason, never as a clip', async () => {
    const root = join(tempDir, 'fifo-dataset');
    mkdirSync(root);
    for (const name of ['03a01Wa.wav', '03a01Fa.wav', '08a01Na.wav']) writeFileSync(join(root, name), pcm16WavAt(16000));
    fifo(join(root, '08a02Ta.wav'));
    const scan = await scanDataset(root);
    expect(scan.clips.map((clip) => clip.relPath)).toEqual(['03a01Fa.wav', '03a01Wa.wav', '08a01Na.wav']);
    expect(scan.skipped).toContainEqual({ relPath: '08a02Ta.wav', reason: 'a named pipe (FIFO), not a regular file (not opened)' });
  });

  it('passes over a FIFO named .csv when looking for a manifest, and refuses it when named as one', async () => {
    const root = join(tempDir, 'fifo-manifest');
    mkdirSync(root);
    for (const name of ['03a01Wa.wav', '03a01Fa.wav']) writeFileSync(join(root, name), pcm16WavAt(16000));
    fifo(join(root, 'labels.csv'));
    expect((await scanDataset(root)).scheme).toBe('emodb');
    await expect(scanDataset(root, { manifest: 'labels.csv' })).rejects.toThrow(/labels\.csv is a named pipe \(FIFO\), not a regular file/);
  });
});

describe('a large file that is not audio', () => {
  it('is refused from its first bytes, without reading 1 GB', async () => {
    const path = join(tempDir, 'blob.wav');
    const fd = openSync(path, 'w');
    writeSync(fd, Buffer.from('this is a log file, not audio\n'.repeat(100)));
    ftruncateSync(fd, 1024 ** 3); // sparse: no disk space
    closeSync(fd);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    for (const error of [
      await audioErrorOf(loadAudio(path)),
      await audioErrorOf(readAudioFile(path)),
      await audioErrorOf(() => readAudioFileSync(path)),
    ]) {
      expect(error.code).toBe('not-audio');
      expect(error.message).toContain('not a WAV, FLAC, Ogg or MP3 file');
    }
    expect(performance.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });
});
