/**
 * Audio input for the engine: decode WAV / FLAC / Ogg Vorbis / MP3 (detected from the bytes),
 * mix to mono and resample exactly like `librosa.load(path, sr=target, res_type="kaiser_best")`.
 */
import { closeSync, readSync } from 'node:fs';
import { decodeBytes, describeDecoded, detectFormat, NOT_AUDIO, readFlacStreamInfo } from './decode';
import { AudioError } from './errors';
import { checkSampleRate } from './limits';
import { openRegularFile, openRegularFileSync } from './open';
import { toMono } from './mono';
import { resample } from './resample';
import type { AudioProbe, DecodedAudio } from './types';
import { probeWavFd } from './wav';

export { AudioError, deserializeError, serializeError } from './errors';
export type { AudioErrorCode, SerializedError } from './errors';
export type { AudioFormat, AudioProbe, DecodedAudio } from './types';
export { resample, StreamResampler } from './resample';
export { toMono } from './mono';
export { WavStreamReader, type WavStreamFormat } from './wavStream';
export { NON_BLOCKING_READ, specialFileKind } from './open';

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
  /**
   * Memory the samples may be decoded into (mono WAV at the target rate, when long enough): the
   * returned samples are then a view of it, valid until the caller reuses it. For a worker that
   * loads clip after clip, this avoids touching fresh memory for every clip.
   */
  sampleBuffer?: Float32Array;
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

/**
 * Opens `path`, reads its first bytes (up to HEAD_BYTES, into `buffer` when given and large
 * enough) and hands them to `use` with the open file; closes it whatever happens. File-system
 * errors become AudioError 'unreadable'; a 0-byte file is 'empty'. probeAudioFile and
 * readAudioFile share it, so both take the same asynchronous steps to the same errors.
 */
async function withHead<T>(
  path: string,
  buffer: ((size: number) => Uint8Array) | null,
  use: (
    fd: number,
    size: number,
    head: Uint8Array,
    buffer: Uint8Array,
    read: (at: number, into: Uint8Array) => Promise<number>,
  ) => Promise<T> | T,
): Promise<T> {
  try {
    const { handle, size } = await openRegularFile(path);
    try {
      const into = buffer ? buffer(size) : new Uint8Array(Math.max(1, Math.min(size, HEAD_BYTES)));
      const { bytesRead } = await handle.read(into, 0, Math.min(HEAD_BYTES, into.length), 0);
      const head = into.subarray(0, bytesRead);
      if (head.length === 0) throw new AudioError('empty', path, 'file is 0 bytes');
      const read = async (at: number, target: Uint8Array) => (await handle.read(target, at, target.length - at, at)).bytesRead;
      return await use(handle.fd, size, head, into, read);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw asAudioError(err, path);
  }
}

/** Probes WAV and FLAC from their headers alone; null for formats that must be decoded to be measured. */
function probeFromHeader(fd: number, size: number, head: Uint8Array, path: string): AudioProbe | null {
  const format = detectFormat(head);
  if (format === 'wav') return probeWavFd(fd, size, path, head);
  if (format === 'flac') {
    const info = readFlacStreamInfo(head);
    if (info) checkSampleRate(info.sampleRate, path, 'the FLAC STREAMINFO block');
    if (info && info.totalSamples > 0) {
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
  return decodeBytes(await readAudioFile(path, Infinity), path);
}

/**
 * Format, rate, channels and length of an audio file. WAV is read from its header chunks only
 * and FLAC from STREAMINFO; Ogg and MP3 are decoded to be measured.
 */
export async function probeAudioFile(path: string): Promise<AudioProbe> {
  const fromHeader = await withHead(path, null, (fd, size, head) => probeFromHeader(fd, size, head, path));
  if (fromHeader) return fromHeader;
  return describeDecoded(await decodeAudioFile(path));
}

function tooLong(path: string, durationS: number, maxDurationS: number): AudioError {
  return new AudioError('too-long', path, `duration ${durationS.toFixed(1)} s exceeds the limit of ${maxDurationS} s`);
}

/** Decode, mix to mono and resample: what `librosa.load(path, sr=targetSampleRate)` returns. */
export async function loadAudio(path: string, options: LoadOptions = {}): Promise<LoadedAudio> {
  const bytes = await readAudioFile(path, options.maxDurationS);
  return loadAudioBytes(bytes, path, options);
}

/**
 * loadAudio on the bytes of a whole file already in memory (`path` names it in errors): decode,
 * reject with 'too-long' past maxDurationS, mix to mono and resample.
 */
export async function loadAudioBytes(bytes: Uint8Array, path: string, options: LoadOptions = {}): Promise<LoadedAudio> {
  const maxDurationS = options.maxDurationS ?? DEFAULT_MAX_DURATION_S;
  const decoded = await decodeBytes(bytes, path, options.sampleBuffer);
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

/**
 * Checks on the first bytes of an open file, before its body is read: a file longer than its head
 * must start like a known format (so a large file of something else is not read whole to find out),
 * and must not announce more than maxDurationS ('too-long' from WAV chunks or FLAC STREAMINFO).
 */
function checkHead(fd: number, size: number, head: Uint8Array, path: string, maxDurationS: number): void {
  if (size > head.length && detectFormat(head) === null) throw new AudioError('not-audio', path, NOT_AUDIO);
  const probe = probeFromHeader(fd, size, head, path);
  if (probe && probe.durationS > maxDurationS) throw tooLong(path, probe.durationS, maxDurationS);
}

/**
 * The bytes of a whole audio file, read once: first its head, which must pass checkHead (known
 * format, not longer than maxDurationS), then the rest into the same buffer. Errors as loadAudio's.
 */
export async function readAudioFile(path: string, maxDurationS = DEFAULT_MAX_DURATION_S): Promise<Uint8Array> {
  return withHead(path, allocateFor, async (fd, size, head, buffer, read) => {
    checkHead(fd, size, head, path, maxDurationS);
    if (head.length >= size) return head;
    const whole = buffer.length >= size ? buffer : withHeadCopied(head, size);
    let filled = head.length;
    while (filled < size) {
      const got = await read(filled, whole.subarray(0, size));
      if (got === 0) break;
      filled += got;
    }
    return whole.subarray(0, filled);
  });
}

/**
 * readAudioFile with synchronous reads: for worker threads, where nothing else waits on the event
 * loop. A file that fits in `buffer` is read into it (the result is then a view of it).
 */
export function readAudioFileSync(path: string, maxDurationS = DEFAULT_MAX_DURATION_S, buffer?: Uint8Array): Uint8Array {
  try {
    const { fd, size } = openRegularFileSync(path);
    try {
      if (!buffer || buffer.length < Math.max(1, size)) buffer = allocateFor(size);
      const head = buffer.subarray(0, readSync(fd, buffer, 0, Math.min(HEAD_BYTES, buffer.length), 0));
      if (head.length === 0) throw new AudioError('empty', path, 'file is 0 bytes');
      checkHead(fd, size, head, path, maxDurationS);
      if (head.length >= size) return head;
      const whole = buffer.length >= size ? buffer : withHeadCopied(head, size);
      let filled = head.length;
      while (filled < size) {
        const got = readSync(fd, whole, filled, size - filled, filled);
        if (got === 0) break;
        filled += got;
      }
      return whole.subarray(0, filled);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw asAudioError(err, path);
  }
}

/** Files up to this size get their whole buffer up front (only the head is read before the header check). */
const PREALLOCATE_LIMIT = 16 * 1024 * 1024;

/**
 * The buffer the head is read into: the whole file's when that is small enough to allocate before
 * the duration check, else just the head's. At least 1 byte, so a directory's size of 0 or 4096
 * still reaches the read that reports EISDIR.
 */
function allocateFor(size: number): Uint8Array {
  return Buffer.allocUnsafe(Math.max(1, size <= PREALLOCATE_LIMIT ? size : HEAD_BYTES));
}

function withHeadCopied(head: Uint8Array, size: number): Uint8Array {
  const whole = Buffer.allocUnsafe(size);
  whole.set(head);
  return whole;
}
