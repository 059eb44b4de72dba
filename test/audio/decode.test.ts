import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioError, decodeAudio, decodeAudioFile, probeAudioFile } from '../../main/audio/index';
import { detectFormat } from '../../main/audio/decode';

const FORMATS_DIR = 'test/fixtures/audio-formats';
const fixture = (name: string): Uint8Array => readFileSync(join(FORMATS_DIR, name));
const tempDir = mkdtempSync(join(tmpdir(), 'ser-audio-decode-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AudioError) return err.code;
    throw err;
  }
  throw new Error('expected an AudioError');
}

/** Frequency of a steady tone from its zero crossings, ignoring the first and last 10 %. */
function toneFrequency(samples: Float32Array, sampleRate: number): number {
  const start = Math.floor(samples.length * 0.1);
  const end = Math.floor(samples.length * 0.9);
  let crossings = 0;
  for (let i = start + 1; i < end; i++) if (samples[i - 1] < 0 !== samples[i] < 0) crossings++;
  return crossings / 2 / ((end - start) / sampleRate);
}

function snrDb(reference: Float32Array, test: Float32Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i] ** 2;
    noise += (reference[i] - test[i]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

describe('container detection', () => {
  it('goes by magic bytes, never by the file extension', async () => {
    expect(detectFormat(fixture('tone440-22050-mono-16bit.wav'))).toBe('wav');
    expect(detectFormat(fixture('tone440-22050-mono-16bit.flac'))).toBe('flac');
    expect(detectFormat(fixture('tone440-22050-mono.ogg'))).toBe('ogg');
    expect(detectFormat(fixture('tone440-22050-mono.mp3'))).toBe('mp3');
    expect(detectFormat(Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]))).toBe('mp3');
    expect(detectFormat(Uint8Array.from([0xff, 0xf1, 0x50, 0x80]))).toBeNull(); // ADTS AAC, not MPEG audio
    expect(detectFormat(new TextEncoder().encode('plain text'))).toBeNull();

    const flacNamedWav = join(tempDir, 'actually-flac.wav');
    writeFileSync(flacNamedWav, fixture('tone440-22050-mono-16bit.flac'));
    expect((await decodeAudioFile(flacNamedWav)).format).toBe('flac');
    const wavNamedMp3 = join(tempDir, 'actually-wav.mp3');
    writeFileSync(wavNamedMp3, fixture('tone440-22050-mono-16bit.wav'));
    expect((await decodeAudioFile(wavNamedMp3)).format).toBe('wav');
  });
});

describe('compressed formats', () => {
  it('decodes 16-bit mono FLAC to exactly its WAV twin', async () => {
    const wav = await decodeAudio(fixture('tone440-22050-mono-16bit.wav'), 'twin.wav');
    const flac = await decodeAudio(fixture('tone440-22050-mono-16bit.flac'), 'tone.flac');
    expect(flac).toMatchObject({ format: 'flac', encoding: 'flac16', sampleRate: 22050 });
    expect(flac.channels).toHaveLength(1);
    expect(flac.channels[0]).toEqual(wav.channels[0]);
  });

  it('decodes 24-bit stereo FLAC to exactly its WAV twin (extensible format with a fact chunk)', async () => {
    const wav = await decodeAudio(fixture('tone440-880-16000-stereo-24bit.wav'), 'twin.wav');
    const flac = await decodeAudio(fixture('tone440-880-16000-stereo-24bit.flac'), 'tone.flac');
    expect(wav.encoding).toBe('pcm24');
    expect(flac).toMatchObject({ format: 'flac', encoding: 'flac24', sampleRate: 16000 });
    expect(flac.channels).toEqual(wav.channels);
    expect(toneFrequency(flac.channels[0], 16000)).toBeCloseTo(440, -1);
    expect(toneFrequency(flac.channels[1], 16000)).toBeCloseTo(880, -1);
  });

  it('decodes FLAC in an Ogg container to exactly its WAV twin', async () => {
    const wav = await decodeAudio(fixture('tone440-22050-mono-16bit.wav'), 'twin.wav');
    const oggFlac = await decodeAudio(fixture('tone440-22050-mono-16bit.oga'), 'tone.oga');
    expect(oggFlac).toMatchObject({ format: 'ogg', encoding: 'flac16', sampleRate: 22050 });
    expect(oggFlac.channels).toEqual(wav.channels);
  });

  for (const [name, format, encoding] of [
    ['tone440-22050-mono.ogg', 'ogg', 'vorbis'],
    ['tone440-22050-mono.mp3', 'mp3', 'mp3'],
  ] as const) {
    it(`decodes ${format} to a 0.5 s 440 Hz mono tone`, async () => {
      const twin = (await decodeAudio(fixture('tone440-22050-mono-16bit.wav'), 'twin.wav')).channels[0];
      const audio = await decodeAudio(fixture(name), name);
      expect(audio).toMatchObject({ format, encoding, sampleRate: 22050 });
      expect(audio.channels).toHaveLength(1);
      expect(audio.channels[0].length).toBe(11025);
      expect(Math.abs(toneFrequency(audio.channels[0], 22050) - 440)).toBeLessThan(5);
      expect(snrDb(twin, audio.channels[0])).toBeGreaterThan(20); // lossy but time-aligned
    });
  }
});

describe('compressed format errors', () => {
  it('reports a cut-off FLAC as truncated and FLAC garbage as corrupt, without hanging', async () => {
    const flac = fixture('tone440-22050-mono-16bit.flac');
    for (const cutAt of [20, 6000, flac.length - 3000, flac.length - 10]) {
      expect(await codeOf(decodeAudio(flac.subarray(0, cutAt), 'cut.flac'))).toBe('truncated');
    }
    const garbageBody = Uint8Array.from({ length: 8000 }, (_, i) => (i * 7919 + 13) & 0xff);
    const garbage = new Uint8Array(42 + garbageBody.length);
    garbage.set(flac.subarray(0, 42)); // a valid STREAMINFO, marked as the last metadata block, then noise
    garbage[4] |= 0x80;
    garbage.set(garbageBody, 42);
    expect(await codeOf(decodeAudio(garbage, 'garbage.flac'))).toBe('corrupt');
    expect(await codeOf(decodeAudio(Uint8Array.from([0x66, 0x4c, 0x61, 0x43, 0x05, 1, 2, 3]), 'x.flac'))).toBe('truncated');
  });

  it('reports broken Ogg and MPEG streams as corrupt', async () => {
    const ogg = fixture('tone440-22050-mono.ogg');
    expect(await codeOf(decodeAudio(ogg.subarray(0, 2000), 'cut.ogg'))).toBe('corrupt');
    expect(await codeOf(decodeAudio(Uint8Array.from([0x4f, 0x67, 0x67, 0x53, 9, ...new Array(40).fill(1)]), 'x.ogg'))).toBe('corrupt');
    const noise = Uint8Array.from({ length: 3000 }, (_, i) => (i * 104729 + 7) & 0xff);
    expect(await codeOf(decodeAudio(Uint8Array.from([0xff, 0xfb, 0x90, 0x00, ...noise]), 'x.mp3'))).toBe('corrupt');
  });

  it('names unsupported Ogg codecs', async () => {
    const ogg = fixture('tone440-22050-mono.ogg').slice(0, 200);
    const packetStart = 27 + ogg[26];
    ogg.set(new TextEncoder().encode('OpusHead'), packetStart);
    const error = await decodeAudio(ogg, 'voice.opus').catch((err: AudioError) => err);
    expect(error).toBeInstanceOf(AudioError);
    expect((error as AudioError).code).toBe('unsupported-encoding');
    expect((error as AudioError).message).toContain('opus');
  });

  it('rejects empty and non-audio bytes', async () => {
    expect(await codeOf(decodeAudio(new Uint8Array(0), 'empty.mp3'))).toBe('empty');
    expect(await codeOf(decodeAudio(new TextEncoder().encode('{"not": "audio"}'), 'x.wav'))).toBe('not-audio');
  });

  it('maps file-system failures to unreadable', async () => {
    expect(await codeOf(decodeAudioFile(join(tempDir, 'missing.wav')))).toBe('unreadable');
    const folder = join(tempDir, 'folder.wav');
    mkdirSync(folder);
    expect(await codeOf(decodeAudioFile(folder))).toBe('unreadable');
    expect(await codeOf(probeAudioFile(folder))).toBe('unreadable');
    expect(await codeOf(probeAudioFile(join(tempDir, 'missing.flac')))).toBe('unreadable');
  });
});

describe('probeAudioFile', () => {
  it('describes every fixture format', async () => {
    const expected = [
      ['tone440-22050-mono-16bit.wav', 'wav', 'pcm16', 22050, 1, 11025],
      ['tone440-22050-mono-16bit.flac', 'flac', 'flac16', 22050, 1, 11025],
      ['tone440-880-16000-stereo-24bit.flac', 'flac', 'flac24', 16000, 2, 4000],
      ['tone440-22050-mono.ogg', 'ogg', 'vorbis', 22050, 1, 11025],
      ['tone440-22050-mono.mp3', 'mp3', 'mp3', 22050, 1, 11025],
    ] as const;
    for (const [name, format, encoding, sampleRate, channels, frames] of expected) {
      const probe = await probeAudioFile(join(FORMATS_DIR, name));
      expect(probe).toEqual({ format, encoding, sampleRate, channels, frames, durationS: frames / sampleRate });
    }
  });
});
