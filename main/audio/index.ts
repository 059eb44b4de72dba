/**
 * Audio input for the engine: decode WAV / FLAC / Ogg Vorbis / MP3 (detected from the bytes),
 * mix to mono and resample exactly like `librosa.load(path, sr=target, res_type="kaiser_best")`.
 */
import { promises as fsp } from 'node:fs';
import { decodeBytes, describeDecoded, detectFormat, readFlacStreamInfo } from './decode';
import { AudioError } from './errors';
import { resample } from './resample';
import type { AudioFormat, AudioProbe, DecodedAudio } from './types';
import { probeWav } from './wav';

export { AudioError } from './errors';
export type { AudioErrorCode } from './errors';
export type { AudioFormat, AudioProbe, DecodedAudio } from './types';
export { resample } from './resample';

export interface LoadedAudio {
  /** Mono samples at `sampleRate`. */
  samples: Float32Array;
  sampleRate: number;
  originalSampleRate: number;
  originalChannels: number;
  /** Duration of the original recording. */
  durationS: number;
  format: string;
  encoding: string;
}

export interface LoadOptions {
  /** Resample to this rate; the file's own rate when absent. */
  targetSampleRate?: number;
  /** Longer files are rejected with 'too-long' (WAV and FLAC from the header, before decoding). Default 600. */
  maxDurationS?: number;
}

const DEFAULT_MAX_DURATION_S = 600;
const HEAD_BYTES = 64 * 1024;

/** Node's file-system errors (ENOENT, EACCES, EISDIR ...) become AudioError 'unreadable'. */
function asAudioError(err: unknown, path: string): unknown {
  if (err instanceof AudioError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string') {
    return new AudioError('unreadable', path, `cannot read file (${code})`, { cause: err });
  }
  return err;
}

async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    return await fsp.readFile(path);
  } catch (err) {
    throw asAudioError(err, path);
  }
}

/** The first bytes of a file, enough to identify the container and read a FLAC header. */
async function readHead(path: string): Promise<Uint8Array> {
  try {
    const handle = await fsp.open(path, 'r');
    try {
      const buffer = new Uint8Array(HEAD_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw asAudioError(err, path);
  }
}

/** Probes WAV and FLAC from their headers alone; null for formats that must be decoded to be measured. */
async function probeFromHeader(path: string, head: Uint8Array): Promise<AudioProbe | null> {
  const format = detectFormat(head);
  if (format === 'wav') {
    try {
      return await probeWav(path);
    } catch (err) {
      throw asAudioError(err, path);
    }
  }
  if (format === 'flac') {
    const info = readFlacStreamInfo(head);
    if (info && info.totalSamples > 0 && info.sampleRate > 0) {
      return {
        format: 'flac',
        sampleRate: info.sampleRate,
        channels: info.channels,
        frames: info.totalSamples,
        durationS: info.totalSamples / info.sampleRate,
        encoding: `flac${info.bitsPerSample}`,
      };
    }
  }
  return null;
}

export function decodeAudio(bytes: Uint8Array, fileName: string): Promise<DecodedAudio> {
  return decodeBytes(bytes, fileName);
}

export async function decodeAudioFile(path: string): Promise<DecodedAudio> {
  return decodeBytes(await readFileBytes(path), path);
}

/**
 * Format, rate, channels and length of an audio file. WAV is read from its header chunks only
 * and FLAC from STREAMINFO; Ogg and MP3 are decoded to be measured.
 */
export async function probeAudioFile(path: string): Promise<AudioProbe> {
  const head = await readHead(path);
  if (head.length === 0) throw new AudioError('empty', path, 'file is 0 bytes');
  const fromHeader = await probeFromHeader(path, head);
  if (fromHeader) return fromHeader;
  return describeDecoded(await decodeAudioFile(path));
}

/** Mean of the channels, like librosa.to_mono (float32 running sum, then divide). */
export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 0) throw new RangeError('toMono needs at least one channel');
  if (channels.length === 1) return channels[0];
  const length = channels[0].length;
  const mono = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (const channel of channels) sum = Math.fround(sum + channel[i]);
    mono[i] = sum / channels.length;
  }
  return mono;
}

function tooLong(path: string, durationS: number, maxDurationS: number): AudioError {
  return new AudioError('too-long', path, `duration ${durationS.toFixed(1)} s exceeds the limit of ${maxDurationS} s`);
}

/** Decode, mix to mono and resample: what `librosa.load(path, sr=targetSampleRate)` returns. */
export async function loadAudio(path: string, options: LoadOptions = {}): Promise<LoadedAudio> {
  const maxDurationS = options.maxDurationS ?? DEFAULT_MAX_DURATION_S;
  const head = await readHead(path);
  if (head.length === 0) throw new AudioError('empty', path, 'file is 0 bytes');
  const probe = await probeFromHeader(path, head);
  if (probe && probe.durationS > maxDurationS) throw tooLong(path, probe.durationS, maxDurationS);

  const decoded = await decodeAudioFile(path);
  const { durationS } = describeDecoded(decoded);
  if (durationS > maxDurationS) throw tooLong(path, durationS, maxDurationS);

  const mono = toMono(decoded.channels);
  const sampleRate = options.targetSampleRate ?? decoded.sampleRate;
  return {
    samples: resample(mono, decoded.sampleRate, sampleRate),
    sampleRate,
    originalSampleRate: decoded.sampleRate,
    originalChannels: decoded.channels.length,
    durationS,
    format: decoded.format,
    encoding: decoded.encoding,
  };
}

