import { readSync } from 'node:fs';
import { AudioError } from './errors';
import { checkSampleRate } from './limits';
import type { AudioProbe } from './types';

export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64' | 'mulaw' | 'alaw';

/** Everything needed to read the samples of a WAV file, found from its header chunks alone. */
export interface WavLayout {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  dataOffset: number;
  frames: number;
}

/** Reads up to `length` bytes at `offset`; returns fewer at the end of the file. */
type ByteReader = (offset: number, length: number) => Uint8Array;

const FORMAT_PCM = 0x0001;
const FORMAT_IEEE_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG Layer 3',
  0x0092: 'Dolby AC3',
  0x2000: 'AC3',
};

/** Bytes 2..15 shared by every KSDATAFORMAT_SUBTYPE GUID; bytes 0..1 hold the format tag. */
const SUBFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const STREAMING_SIZES = new Set([0, 0xffffffff]);

function fourCC(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

function u16(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8);
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function printable(id: string): string {
  return JSON.stringify(id);
}

/** The first 12 bytes must say RIFF … WAVE. */
function checkRiffWave(head: Uint8Array, file: string): void {
  const riffId = fourCC(head, 0);
  if (riffId === 'RF64') throw new AudioError('unsupported-encoding', file, 'RF64 (64-bit WAV) is not supported');
  if (riffId !== 'RIFF') throw new AudioError('not-audio', file, 'no RIFF header');
  const formType = fourCC(head, 8);
  if (formType !== 'WAVE') throw new AudioError('not-audio', file, `RIFF file of type ${printable(formType)}, not WAVE`);
}

/** Walks the RIFF chunks, reading only chunk headers and the `fmt ` chunk. */
function readWavLayout(read: ByteReader, fileSize: number, file: string): WavLayout {
  if (fileSize === 0) throw new AudioError('empty', file, 'file is 0 bytes');
  const head = read(0, 12);
  if (head.length < 12) {
    const start = String.fromCharCode(...head.subarray(0, 4));
    if ('RIFF'.startsWith(start)) {
      throw new AudioError('truncated', file, `file is only ${head.length} bytes, shorter than a RIFF/WAVE header`);
    }
    throw new AudioError('not-audio', file, `file is only ${head.length} bytes and not a known audio format`);
  }
  checkRiffWave(head, file);

  let fmt: Uint8Array | null = null;
  let dataOffset = -1;
  let dataBytes = 0;
  let position = 12;
  while (position + 8 <= fileSize && (fmt === null || dataOffset < 0)) {
    const header = read(position, 8);
    const id = fourCC(header, 0);
    const size = u32(header, 4);
    const body = position + 8;
    const available = fileSize - body;
    if (id === 'data') {
      dataOffset = body;
      if (STREAMING_SIZES.has(size)) {
        // Written by a streaming writer that never came back to fill in the size: read to the end.
        dataBytes = available;
        position = fileSize;
        continue;
      }
      if (size > available) {
        throw new AudioError('truncated', file, `data chunk declares ${size} bytes but only ${available} follow`);
      }
      dataBytes = size;
    } else if (size > available) {
      throw new AudioError('truncated', file, `${printable(id)} chunk declares ${size} bytes but only ${available} follow`);
    } else if (id === 'fmt ') {
      if (fmt !== null) {
        throw new AudioError('corrupt', file, `second "fmt " chunk at byte ${position}; a WAV file has exactly one`);
      }
      fmt = read(body, size);
    }
    position = body + size + (size & 1);
  }
  if (fmt === null) throw new AudioError('corrupt', file, 'no "fmt " chunk');
  if (dataOffset < 0) throw new AudioError('corrupt', file, 'no "data" chunk');

  const format = parseFmtChunk(fmt, file);
  const frames = Math.floor(dataBytes / format.blockAlign);
  if (frames === 0) throw new AudioError('empty', file, 'data chunk holds no samples');
  return { ...format, dataOffset, frames };
}

function parseFmtChunk(fmt: Uint8Array, file: string): Omit<WavLayout, 'dataOffset' | 'frames'> {
  if (fmt.length < 16) throw new AudioError('corrupt', file, `"fmt " chunk is ${fmt.length} bytes, needs at least 16`);
  let formatTag = u16(fmt, 0);
  const channels = u16(fmt, 2);
  const sampleRate = u32(fmt, 4);
  const blockAlign = u16(fmt, 12);
  const bitsPerSample = u16(fmt, 14);

  if (formatTag === FORMAT_EXTENSIBLE) {
    if (fmt.length < 40) {
      throw new AudioError('corrupt', file, `WAVE_FORMAT_EXTENSIBLE "fmt " chunk is ${fmt.length} bytes, needs 40`);
    }
    const knownGuid = SUBFORMAT_GUID_TAIL.every((byte, i) => fmt[26 + i] === byte);
    if (!knownGuid) {
      throw new AudioError('unsupported-encoding', file, 'WAVE_FORMAT_EXTENSIBLE with an unknown subformat GUID');
    }
    formatTag = u16(fmt, 24);
  }
  if (channels === 0) throw new AudioError('corrupt', file, '"fmt " chunk declares 0 channels');
  checkSampleRate(sampleRate, file, 'the "fmt " chunk');

  const encoding = encodingOf(formatTag, bitsPerSample, file);
  const bytesPerSample = BYTES_PER_SAMPLE[encoding];
  if (blockAlign !== channels * bytesPerSample) {
    throw new AudioError(
      'corrupt',
      file,
      `block align ${blockAlign} does not match ${channels} channel(s) of ${bytesPerSample}-byte samples`,
    );
  }
  return { encoding, channels, sampleRate, blockAlign };
}

const BYTES_PER_SAMPLE: Record<WavEncoding, number> = {
  pcm8: 1,
  pcm16: 2,
  pcm24: 3,
  pcm32: 4,
  float32: 4,
  float64: 8,
  mulaw: 1,
  alaw: 1,
};

const PCM_BY_CONTAINER_BITS: Record<number, WavEncoding | undefined> = { 8: 'pcm8', 16: 'pcm16', 24: 'pcm24', 32: 'pcm32' };

function encodingOf(formatTag: number, bitsPerSample: number, file: string): WavEncoding {
  // Samples narrower than their container (e.g. 12 bits in 16) are read as the container, like libsndfile.
  const containerBits = Math.ceil(bitsPerSample / 8) * 8;
  if (formatTag === FORMAT_PCM) {
    // Below 8 bits there is no byte container to read (4-bit PCM is not 8-bit PCM).
    const encoding = bitsPerSample >= 8 ? PCM_BY_CONTAINER_BITS[containerBits] : undefined;
    if (encoding) return encoding;
    throw new AudioError(
      'unsupported-encoding',
      file,
      `the "fmt " chunk declares ${bitsPerSample}-bit PCM; only 8, 16, 24 and 32 bits are supported`,
    );
  }
  if (formatTag === FORMAT_IEEE_FLOAT) {
    if (bitsPerSample === 32) return 'float32';
    if (bitsPerSample === 64) return 'float64';
    throw new AudioError(
      'unsupported-encoding',
      file,
      `the "fmt " chunk declares ${bitsPerSample}-bit IEEE float; only 32 and 64 bits are supported`,
    );
  }
  if (formatTag === FORMAT_MULAW || formatTag === FORMAT_ALAW) {
    if (bitsPerSample !== 8) {
      throw new AudioError('unsupported-encoding', file, `the "fmt " chunk declares ${bitsPerSample}-bit G.711; only 8 bits exist`);
    }
    return formatTag === FORMAT_MULAW ? 'mulaw' : 'alaw';
  }
  const name = FORMAT_NAMES[formatTag] ? ` (${FORMAT_NAMES[formatTag]})` : '';
  throw new AudioError('unsupported-encoding', file, `the "fmt " chunk declares format tag ${formatTag}${name}, which is not supported`);
}

/** G.711 mu-law byte -> 16-bit linear value, as in the ITU reference code and libsndfile. */
function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const biased = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - biased : biased - 0x84;
}

/** G.711 A-law byte -> 16-bit linear value. */
function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const segment = (a & 0x70) >> 4;
  let magnitude = (a & 0x0f) << 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

function g711Table(toLinear: (byte: number) => number): Float32Array {
  const table = new Float32Array(256);
  for (let byte = 0; byte < 256; byte++) table[byte] = toLinear(byte) / 32768;
  return table;
}

const MULAW_TABLE = g711Table(mulawToLinear);
const ALAW_TABLE = g711Table(alawToLinear);

/**
 * Decodes the samples of `layout` from the bytes of the whole file into one array per channel.
 * A mono file may be decoded into `into` (then a view of it) when that is long enough.
 */
function readSamples(bytes: Uint8Array, layout: WavLayout, into?: Float32Array): Float32Array[] {
  const { channels: channelCount, frames, encoding, dataOffset } = layout;
  const count = frames * channelCount;
  const target = channelCount === 1 && into && into.length >= count ? into.subarray(0, count) : new Float32Array(count);
  const interleaved =
    decodeAligned(bytes, bytes.byteOffset + dataOffset, encoding, target) ??
    decodeInterleaved(new DataView(bytes.buffer, bytes.byteOffset + dataOffset, frames * layout.blockAlign), encoding, target);
  if (channelCount === 1) return [interleaved];
  const channels: Float32Array[] = [];
  for (let c = 0; c < channelCount; c++) {
    const channel = new Float32Array(frames);
    for (let f = 0, i = c; f < frames; f++, i += channelCount) channel[f] = interleaved[i];
    channels.push(channel);
  }
  return channels;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The common encodings through a typed-array view of the file's bytes when the samples are
 * aligned for it (and the platform is little-endian, like WAV): no per-sample DataView call.
 * Same values as decodeInterleaved (the scale factors are powers of two, so x * 2^-15 === x / 32768).
 * null when the fast path does not apply.
 */
function decodeAligned(bytes: Uint8Array, byteOffset: number, encoding: WavEncoding, out: Float32Array): Float32Array | null {
  if (!LITTLE_ENDIAN) return null;
  const buffer = bytes.buffer as ArrayBuffer;
  const count = out.length;
  if (encoding === 'pcm16' && byteOffset % 2 === 0) {
    const source = new Int16Array(buffer, byteOffset, count);
    for (let i = 0; i < count; i++) out[i] = source[i] * (1 / 32768);
    return out;
  }
  if (encoding === 'float32' && byteOffset % 4 === 0) {
    out.set(new Float32Array(buffer, byteOffset, count));
    return out;
  }
  if (encoding === 'pcm32' && byteOffset % 4 === 0) {
    const source = new Int32Array(buffer, byteOffset, count);
    for (let i = 0; i < count; i++) out[i] = source[i] * (1 / 2147483648);
    return out;
  }
  return null;
}

/** Decodes out.length interleaved samples into `out`, scaled like soundfile (int16 / 32768, uint8 (x - 128) / 128, ...). */
function decodeInterleaved(view: DataView, encoding: WavEncoding, out: Float32Array): Float32Array {
  const count = out.length;
  switch (encoding) {
    case 'pcm8':
      for (let i = 0; i < count; i++) out[i] = (view.getUint8(i) - 128) / 128;
      break;
    case 'pcm16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true) / 32768;
      break;
    case 'pcm24':
      for (let i = 0; i < count; i++) {
        const at = i * 3;
        const unsigned = view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getUint8(at + 2) << 16);
        out[i] = ((unsigned << 8) >> 8) / 8388608; // shifts sign-extend the 24-bit value
      }
      break;
    case 'pcm32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true) / 2147483648;
      break;
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'mulaw':
      for (let i = 0; i < count; i++) out[i] = MULAW_TABLE[view.getUint8(i)];
      break;
    case 'alaw':
      for (let i = 0; i < count; i++) out[i] = ALAW_TABLE[view.getUint8(i)];
      break;
  }
  return out;
}

/** A WAV stream's format and where its samples start (read from its first bytes only). */
export interface WavStreamHeader extends Omit<WavLayout, 'dataOffset' | 'frames'> {
  dataOffset: number;
  /** The data chunk's declared size; Infinity when a streaming writer left it unset (0 or 0xFFFFFFFF). */
  dataBytes: number;
}

/**
 * The header of a WAV stream (a pipe, a socket) from the bytes received so far: null while it is
 * incomplete. Unlike a file, the stream's length is unknown, so chunks are walked up to the data
 * chunk and no further.
 */
export function readWavStreamHeader(head: Uint8Array, source: string): WavStreamHeader | null {
  if (head.length < 12) {
    const start = String.fromCharCode(...head.subarray(0, 4));
    if (!'RIFF'.startsWith(start) && !'RF64'.startsWith(start)) throw new AudioError('not-audio', source, 'no RIFF header');
    return null;
  }
  checkRiffWave(head, source);
  let fmt: Uint8Array | null = null;
  for (let position = 12; position + 8 <= head.length;) {
    const id = fourCC(head, position);
    const size = u32(head, position + 4);
    const body = position + 8;
    if (id === 'data') {
      if (fmt === null) throw new AudioError('corrupt', source, 'the "data" chunk comes before the "fmt " chunk');
      return { ...parseFmtChunk(fmt, source), dataOffset: body, dataBytes: STREAMING_SIZES.has(size) ? Infinity : size };
    }
    if (body + size > head.length) return null;
    if (id === 'fmt ') {
      if (fmt !== null) throw new AudioError('corrupt', source, `second "fmt " chunk at byte ${position}; a WAV file has exactly one`);
      fmt = head.subarray(body, body + size);
    }
    position = body + size + (size & 1);
  }
  return null;
}

/**
 * Decodes whole interleaved sample frames of `encoding` from `bytes` into `out` (bytes.length /
 * bytes per sample values), scaled as decodeWav scales them; float samples that are not audio are refused.
 */
export function decodeWavSamples(bytes: Uint8Array, encoding: WavEncoding, out: Float32Array, source: string): Float32Array {
  const count = bytes.length / BYTES_PER_SAMPLE[encoding];
  if (!Number.isInteger(count) || out.length !== count)
    throw new RangeError(`${bytes.length} bytes are not ${out.length} ${encoding} samples`);
  const decoded =
    decodeAligned(bytes, bytes.byteOffset, encoding, out) ??
    decodeInterleaved(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), encoding, out);
  if (encoding === 'float32' || encoding === 'float64') rejectNonFinite([decoded], source);
  return decoded;
}

/** Bytes per sample of each encoding (a frame holds one per channel). */
export function bytesPerSample(encoding: WavEncoding): number {
  return BYTES_PER_SAMPLE[encoding];
}

export interface DecodedWav {
  sampleRate: number;
  channels: Float32Array[];
  encoding: WavEncoding;
}

/**
 * Decodes a whole WAV file held in memory. `file` is used in error messages. A mono file is
 * decoded into `sampleBuffer` when one long enough is given (its channel is then a view of it).
 */
export function decodeWav(bytes: Uint8Array, file: string, sampleBuffer?: Float32Array): DecodedWav {
  const read: ByteReader = (offset, length) => bytes.subarray(offset, offset + length);
  const layout = readWavLayout(read, bytes.length, file);
  const channels = readSamples(bytes, layout, sampleBuffer);
  if (layout.encoding === 'float32' || layout.encoding === 'float64') rejectNonFinite(channels, file);
  return { sampleRate: layout.sampleRate, channels, encoding: layout.encoding };
}

/** Float samples beyond this magnitude are not audio (full scale is 1); 1000 is 60 dB over it. */
const MAX_FLOAT_MAGNITUDE = 1000;

/**
 * Float samples that are NaN, infinite or absurdly large would turn every feature of the clip into
 * NaN or noise: refuse the file, saying how many and where the first is.
 */
function rejectNonFinite(channels: Float32Array[], file: string): void {
  const bad = (x: number): boolean => !(Math.abs(x) <= MAX_FLOAT_MAGNITUDE); // NaN fails <=
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) {
      if (!bad(channel[i])) continue;
      let count = 0;
      for (const c of channels) for (let j = 0; j < c.length; j++) if (bad(c[j])) count++;
      throw new AudioError(
        'corrupt',
        file,
        `the "data" chunk has ${count} float sample(s) that are NaN, infinite or beyond ±${MAX_FLOAT_MAGNITUDE} ` +
          `(first at frame ${i}: ${channel[i]})`,
      );
    }
  }
}

function probeFromLayout(layout: WavLayout): AudioProbe {
  return {
    format: 'wav',
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    frames: layout.frames,
    durationS: layout.frames / layout.sampleRate,
    encoding: layout.encoding,
  };
}

/** Describes a WAV file held in memory without decoding its samples. */
export function probeWavBytes(bytes: Uint8Array, file: string): AudioProbe {
  const read: ByteReader = (offset, length) => bytes.subarray(offset, offset + length);
  return probeFromLayout(readWavLayout(read, bytes.length, file));
}

/**
 * Describes a WAV file of `size` bytes from its chunk headers and `fmt ` chunk, read synchronously
 * through an open file descriptor, so a multi-hour recording is probed without loading it. Header
 * reads that fall inside `head` (the first head.length bytes of the file, when the caller already
 * has them) are served from it; the rest are small positioned reads.
 */
export function probeWavFd(fd: number, size: number, path: string, head?: Uint8Array): AudioProbe {
  const read: ByteReader = (offset, length) => {
    const end = Math.min(offset + length, size);
    if (head && end <= head.length) return head.subarray(offset, end);
    const buffer = new Uint8Array(Math.max(0, end - offset));
    const got = readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.subarray(0, got);
  };
  return probeFromLayout(readWavLayout(read, size, path));
}

/** The 44-byte header of a mono 16-bit PCM WAV file of `sampleCount` samples. */
export function pcm16WavHeader(sampleCount: number, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + sampleCount * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, sampleCount * 2, true);
  return bytes;
}

/** A mono 16-bit PCM WAV file of `samples` (clipped to [-1, 1]; non-finite samples become 0). */
export function encodeWavPcm16(samples: Float32Array, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2);
  bytes.set(pcm16WavHeader(samples.length, sampleRate));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, Number.isFinite(samples[i]!) ? samples[i]! : 0));
    view.setInt16(44 + i * 2, Math.round(s * 32767), true);
  }
  return bytes;
}
