import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AudioError, decodeAudio, type DecodedAudio } from '../../main/audio/index';
import { decodeWav, probeWavBytes } from '../../main/audio/wav';
import { type Chunk, encodeSamples, fmtChunk, riff, simpleWav, type SampleEncoding } from './wav-writer';

function decode(bytes: Uint8Array, name = 'test.wav'): DecodedAudio {
  const { sampleRate, channels, encoding } = decodeWav(bytes, name);
  return { sampleRate, channels, encoding, format: 'wav' };
}

function errorOf(action: () => unknown): AudioError {
  try {
    action();
  } catch (err) {
    if (err instanceof AudioError) return err;
    throw err;
  }
  throw new Error('expected an AudioError');
}

const pcm16Fmt = fmtChunk({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16 });

describe('WAV sample encodings', () => {
  const cases: { encoding: SampleEncoding; raw: number[]; expected: number[] }[] = [
    { encoding: 'pcm8', raw: [0, 128, 255, 64, 192], expected: [-1, 0, 127 / 128, -0.5, 0.5] },
    {
      encoding: 'pcm16',
      raw: [-32768, 0, 32767, 1, -1, 16384],
      expected: [-1, 0, 32767 / 32768, 1 / 32768, -1 / 32768, 0.5],
    },
    {
      encoding: 'pcm24',
      raw: [-8388608, 8388607, 1, -1, 0, -4194304],
      expected: [-1, 8388607 / 8388608, 1 / 8388608, -1 / 8388608, 0, -0.5],
    },
    {
      encoding: 'pcm32',
      raw: [-2147483648, 2147483647, 1, -1, 1073741824],
      expected: [-1, Math.fround(2147483647 / 2147483648), 2 ** -31, -(2 ** -31), 0.5],
    },
    { encoding: 'float32', raw: [0.5, -0.25, 1e-3, -1], expected: [0.5, -0.25, Math.fround(1e-3), -1] },
    { encoding: 'float64', raw: [0.1, -0.7, 1e-9], expected: [Math.fround(0.1), Math.fround(-0.7), Math.fround(1e-9)] },
  ];

  for (const { encoding, raw, expected } of cases) {
    it(`decodes mono ${encoding} exactly (soundfile scaling)`, () => {
      const audio = decode(simpleWav(raw, encoding, 1, 8000));
      expect(audio.encoding).toBe(encoding);
      expect(audio.sampleRate).toBe(8000);
      expect(audio.channels).toHaveLength(1);
      expect(Array.from(audio.channels[0])).toEqual(expected.map(Math.fround));
    });
  }

  it('de-interleaves stereo and multi-channel files', () => {
    const stereo = decode(simpleWav([100, -100, 200, -200, 300, -300], 'pcm16', 2));
    expect(stereo.channels.map((c) => Array.from(c))).toEqual([
      [100 / 32768, 200 / 32768, 300 / 32768],
      [-100 / 32768, -200 / 32768, -300 / 32768],
    ]);
    const sixChannels = decode(simpleWav([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -0.1, -0.2, -0.3, -0.4, -0.5, -0.6], 'float32', 6));
    expect(sixChannels.channels).toHaveLength(6);
    expect(Array.from(sixChannels.channels[5])).toEqual([Math.fround(0.6), Math.fround(-0.6)]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with a PCM or float subformat', () => {
    const pcm24 = riff([
      fmtChunk({ formatTag: 1, channels: 2, sampleRate: 48000, bitsPerSample: 24, extensibleSubformat: 1 }),
      { id: 'data', body: encodeSamples([4194304, -4194304], 'pcm24') },
    ]);
    const audio = decode(pcm24);
    expect(audio.encoding).toBe('pcm24');
    expect(audio.channels.map((c) => Array.from(c))).toEqual([[0.5], [-0.5]]);

    const float = riff([
      fmtChunk({ formatTag: 3, channels: 1, sampleRate: 48000, bitsPerSample: 32, extensibleSubformat: 3 }),
      { id: 'data', body: encodeSamples([0.25, -0.75], 'float32') },
    ]);
    expect(decode(float).encoding).toBe('float32');
    expect(Array.from(decode(float).channels[0])).toEqual([0.25, -0.75]);
  });

  it('decodes G.711 mu-law and A-law like libsndfile', () => {
    const mulaw = riff([
      fmtChunk({ formatTag: 7, channels: 1, sampleRate: 8000, bitsPerSample: 8 }),
      { id: 'data', body: Uint8Array.from([0xff, 0x7f, 0x00, 0x80]) },
    ]);
    expect(Array.from(decode(mulaw).channels[0])).toEqual([0, 0, -32124 / 32768, 32124 / 32768]);
    const alaw = riff([
      fmtChunk({ formatTag: 6, channels: 1, sampleRate: 8000, bitsPerSample: 8 }),
      { id: 'data', body: Uint8Array.from([0xd5, 0x55, 0xaa, 0x2a]) },
    ]);
    expect(decode(alaw).encoding).toBe('alaw');
    expect(Array.from(decode(alaw).channels[0])).toEqual([8 / 32768, -8 / 32768, 32256 / 32768, -32256 / 32768]);
  });
});

describe('WAV chunk layout', () => {
  const samples = encodeSamples([1000, -2000, 3000], 'pcm16');
  const expected = [1000 / 32768, -2000 / 32768, 3000 / 32768];

  it('skips LIST, fact, bext and odd-sized chunks in any order', () => {
    const list: Chunk = { id: 'LIST', body: new TextEncoder().encode('INFOISFT\x05\x00\x00\x00sox\x00\x00\x00') };
    const odd: Chunk = { id: 'junk', body: Uint8Array.from([1, 2, 3]) };
    const layouts: Chunk[][] = [
      [list, { id: 'fact', body: new Uint8Array(4) }, pcm16Fmt, { id: 'data', body: samples }],
      [pcm16Fmt, odd, { id: 'bext', body: new Uint8Array(602) }, { id: 'data', body: samples }, list],
      [odd, { id: 'data', body: samples }, odd, pcm16Fmt],
    ];
    for (const chunks of layouts) {
      expect(Array.from(decode(riff(chunks)).channels[0])).toEqual(expected);
    }
  });

  it('honours the pad byte after an odd-sized data chunk', () => {
    const file = riff([
      fmtChunk({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 8 }),
      { id: 'data', body: Uint8Array.from([128, 255, 0]) },
      { id: 'LIST', body: new Uint8Array(10) },
    ]);
    expect(Array.from(decode(file).channels[0])).toEqual([0, 127 / 128, -1]);
  });

  it('reads to the end of the file when a streaming writer left the data size at 0 or 0xFFFFFFFF', () => {
    for (const declaredSize of [0, 0xffffffff]) {
      const file = riff([pcm16Fmt, { id: 'data', body: samples, declaredSize }]);
      expect(Array.from(decode(file).channels[0])).toEqual(expected);
      expect(probeWavBytes(file, 'stream.wav').frames).toBe(3);
    }
  });

  it('drops a trailing partial frame like libsndfile', () => {
    const file = riff([pcm16Fmt, { id: 'data', body: Uint8Array.from([...samples, 7]) }]);
    expect(Array.from(decode(file).channels[0])).toEqual(expected);
  });
});

describe('WAV errors', () => {
  const samples = encodeSamples([1, 2, 3, 4], 'pcm16');

  it('rejects a 0-byte file as empty and a data chunk without samples as empty', () => {
    expect(errorOf(() => decodeWav(new Uint8Array(0), 'a.wav')).code).toBe('empty');
    expect(errorOf(() => decodeWav(riff([pcm16Fmt, { id: 'data', body: new Uint8Array(0) }]), 'a.wav')).code).toBe('empty');
  });

  it('reports truncation with both sizes and the file name', () => {
    const full = riff([pcm16Fmt, { id: 'data', body: new Uint8Array(1000), declaredSize: 88200 }]);
    const error = errorOf(() => decodeWav(full, '/data/emodb/03a01Wa.wav'));
    expect(error.code).toBe('truncated');
    expect(error.file).toBe('/data/emodb/03a01Wa.wav');
    expect(error.message).toBe('03a01Wa.wav: truncated: data chunk declares 88200 bytes but only 1000 follow');
  });

  it('reports a header-only file and a cut-off header as truncated', () => {
    const headerOnly = riff([pcm16Fmt, { id: 'data', body: new Uint8Array(0), declaredSize: 32000 }]);
    expect(errorOf(() => decodeWav(headerOnly, 'h.wav')).code).toBe('truncated');
    expect(errorOf(() => decodeWav(Uint8Array.from([0x52, 0x49, 0x46, 0x46, 1, 0]), 'h.wav')).code).toBe('truncated');
    const cutFmt = simpleWav([1, 2], 'pcm16').subarray(0, 30);
    expect(errorOf(() => decodeWav(cutFmt, 'h.wav')).message).toContain('"fmt " chunk declares 16 bytes but only 10 follow');
  });

  it('rejects files that are not RIFF/WAVE as not-audio', () => {
    expect(errorOf(() => decodeWav(new TextEncoder().encode('hello, this is a text file'), 'a.wav')).code).toBe('not-audio');
    expect(errorOf(() => decodeWav(riff([{ id: 'avih', body: new Uint8Array(8) }], 'AVI '), 'a.wav')).code).toBe('not-audio');
  });

  it('names the missing or inconsistent part of a malformed header', () => {
    const cases: [Uint8Array, string][] = [
      [riff([{ id: 'data', body: samples }]), 'no "fmt " chunk'],
      [riff([pcm16Fmt, { id: 'LIST', body: new Uint8Array(4) }]), 'no "data" chunk'],
      [
        riff([
          { id: 'fmt ', body: new Uint8Array(14) },
          { id: 'data', body: samples },
        ]),
        'needs at least 16',
      ],
      [riff([fmtChunk({ formatTag: 1, channels: 0, sampleRate: 16000, bitsPerSample: 16 }), { id: 'data', body: samples }]), '0 channels'],
      [
        riff([fmtChunk({ formatTag: 1, channels: 1, sampleRate: 0, bitsPerSample: 16 }), { id: 'data', body: samples }]),
        'sample rate of 0',
      ],
      [
        riff([fmtChunk({ formatTag: 1, channels: 2, sampleRate: 16000, bitsPerSample: 16, blockAlign: 2 }), { id: 'data', body: samples }]),
        'block align 2 does not match 2 channel(s) of 2-byte samples',
      ],
    ];
    for (const [file, detail] of cases) {
      const error = errorOf(() => decodeWav(file, 'bad.wav'));
      expect(error.code).toBe('corrupt');
      expect(error.message).toContain(detail);
    }
  });

  it('rejects compressed and odd encodings as unsupported-encoding, naming the format tag', () => {
    const adpcm = riff([
      fmtChunk({ formatTag: 2, channels: 1, sampleRate: 8000, bitsPerSample: 4, blockAlign: 256 }),
      { id: 'data', body: samples },
    ]);
    const error = errorOf(() => decodeWav(adpcm, 'adpcm.wav'));
    expect(error.code).toBe('unsupported-encoding');
    expect(error.message).toContain('format tag 2 (Microsoft ADPCM)');

    const float16 = riff([fmtChunk({ formatTag: 3, channels: 1, sampleRate: 8000, bitsPerSample: 16 }), { id: 'data', body: samples }]);
    expect(errorOf(() => decodeWav(float16, 'f16.wav')).code).toBe('unsupported-encoding');

    const unknownGuid = riff([
      fmtChunk({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16, extensibleSubformat: 1, guidTail: new Array(14).fill(7) }),
      { id: 'data', body: samples },
    ]);
    expect(errorOf(() => decodeWav(unknownGuid, 'guid.wav')).code).toBe('unsupported-encoding');
  });
});

describe('WAV fixtures', () => {
  it('decodes EmoDB 03a01Wa.wav to the samples librosa loaded', async () => {
    const golden = JSON.parse(readFileSync('test/fixtures/golden/emodb_03a01Wa.json', 'utf8')).input;
    const audio = await decodeAudio(readFileSync('test/fixtures/audio/03a01Wa.wav'), '03a01Wa.wav');
    const samples = audio.channels[0];
    expect(audio.sampleRate).toBe(golden.sample_rate);
    expect(samples.length).toBe(golden.num_samples);
    golden.first_16_samples.forEach((value: number, i: number) => expect(samples[i]).toBeCloseTo(value, 9));
    let sum = 0;
    let sumOfSquares = 0;
    for (const x of samples) {
      sum += x;
      sumOfSquares += x * x;
    }
    // The golden values are rounded to 6 significant digits.
    expect(Math.abs(sum - golden.sum)).toBeLessThan(1e-5 * Math.abs(golden.sum));
    expect(Math.abs(sumOfSquares - golden.sum_of_squares)).toBeLessThan(1e-5 * golden.sum_of_squares);
  });
});
