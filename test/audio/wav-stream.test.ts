/**
 * A WAV stream read chunk by chunk: the same samples as decoding the whole file, whatever the
 * chunk boundaries (inside the header, inside a sample frame), sox's pipe header, and one-line
 * errors for a stream that is not a WAV stream or whose samples cannot be read.
 */
import { describe, expect, it } from 'vitest';
import { AudioError, WavStreamReader } from '../../main/audio';
import { decodeWav } from '../../main/audio/wav';
import { encodeSamples, fmtChunk, riff, simpleWav, type SampleEncoding } from './wav-writer';

function readInChunks(bytes: Uint8Array, sizes: number[], source = 'stdin'): { reader: WavStreamReader; samples: Float32Array } {
  const reader = new WavStreamReader(source);
  const parts: Float32Array[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length]!;
    parts.push(reader.push(bytes.subarray(at, at + size)));
    at += size;
  }
  reader.end();
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    at += p.length;
  }
  return { reader, samples };
}

function errorOf(action: () => void): AudioError {
  try {
    action();
  } catch (err) {
    if (err instanceof AudioError) return err;
    throw err;
  }
  throw new Error('no error');
}

const values = Array.from({ length: 600 }, (_, i) => Math.round(20000 * Math.sin(i / 9)));

describe('WavStreamReader', () => {
  it('gives the samples decodeWav gives the whole file, whatever the chunk sizes', () => {
    const cases: [SampleEncoding, number[]][] = [
      ['pcm16', values],
      ['pcm24', values.map((v) => v * 256)],
      ['float32', values.map((v) => v / 32768)],
    ];
    for (const [encoding, raw] of cases) {
      const file = simpleWav(raw, encoding);
      const whole = decodeWav(file, 'x.wav').channels[0]!;
      for (const sizes of [[file.length], [1], [3, 50, 7], [44, 1000]]) {
        const { reader, samples } = readInChunks(file, sizes);
        expect(samples).toEqual(whole);
        expect(reader.format).toEqual({ sampleRate: 16000, channels: 1, encoding });
        expect(reader.sampleCount).toBe(raw.length);
      }
    }
  });

  it('mixes a stereo stream to mono', () => {
    const file = simpleWav([1000, 3000, -2000, 0, 500, 500], 'pcm16', 2);
    expect(Array.from(readInChunks(file, [5]).samples)).toEqual([2000 / 32768, -1000 / 32768, 500 / 32768]);
  });

  it("reads sox's pipe header (a data size it could not fill in) to the end, and stops at a declared size", () => {
    const body = encodeSamples(values, 'pcm16');
    const piped = riff([
      fmtChunk({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 }),
      { id: 'data', body, declaredSize: 0x7ffff000 },
    ]);
    // riff() writes the declared size as given; what follows is all the stream has.
    expect(readInChunks(piped.subarray(0, piped.length), [512]).samples.length).toBe(values.length);
    const unset = riff([
      fmtChunk({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 }),
      { id: 'data', body, declaredSize: 0xffffffff },
    ]);
    expect(readInChunks(unset, [512]).samples.length).toBe(values.length);
    const trailing = riff([
      fmtChunk({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 }),
      { id: 'data', body },
      { id: 'LIST', body: new Uint8Array(100).fill(0x41) },
    ]);
    expect(readInChunks(trailing, [64]).samples.length).toBe(values.length);
  });

  it('refuses what is not a WAV stream, one line each', () => {
    const raw = encodeSamples(values, 'pcm16');
    expect(errorOf(() => new WavStreamReader('stdin').push(raw)).message).toBe('stdin: not-audio: no RIFF header');
    const adpcm = riff([
      fmtChunk({ formatTag: 2, channels: 1, sampleRate: 8000, bitsPerSample: 4, blockAlign: 256 }),
      { id: 'data', body: raw },
    ]);
    expect(errorOf(() => new WavStreamReader('stdin').push(adpcm)).message).toBe(
      'stdin: unsupported-encoding: the "fmt " chunk declares format tag 2 (Microsoft ADPCM), which is not supported',
    );
    const dataFirst = riff([{ id: 'data', body: raw }, fmtChunk({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 })]);
    expect(errorOf(() => new WavStreamReader('stdin').push(dataFirst)).message).toMatch(
      /corrupt: the "data" chunk comes before the "fmt " chunk/,
    );
    const header = simpleWav(values, 'pcm16').subarray(0, 30);
    expect(errorOf(() => readInChunks(header, [10])).message).toBe(
      'stdin: truncated: the stream ended after 30 bytes, inside its WAV header',
    );
    expect(errorOf(() => readInChunks(new Uint8Array(0), [1])).message).toBe('stdin: empty: the stream is empty');
    const noSamples = simpleWav([], 'pcm16');
    expect(errorOf(() => readInChunks(noSamples, [7])).message).toBe('stdin: empty: the stream holds no samples');
    const nan = simpleWav([0.5, Number.NaN], 'float32');
    expect(errorOf(() => readInChunks(nan, [100])).message).toMatch(/corrupt: .*1 float sample\(s\) that are NaN/);
    const endless = riff([{ id: 'JUNK', body: new Uint8Array(2 << 20) }]);
    expect(errorOf(() => readInChunks(endless, [1 << 16])).message).toMatch(/no "data" chunk in the first 1048576 bytes/);
  });
});
