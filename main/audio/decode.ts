import { AudioError } from './errors';
import { splitFlacFrames } from './flac-frames';
import { checkSampleRate } from './limits';
import type { AudioFormat, AudioProbe, DecodedAudio } from './types';
import { decodeWav } from './wav';

// The wasm decoders are loaded (and their modules compiled) on the first file that needs them:
// importing all three up front added 60–100 ms to the start of every feature worker (more on a
// busy machine), also for datasets that are WAV only.
const loadFlacDecoder = async () => (await import('@wasm-audio-decoders/flac')).FLACDecoder;
const loadOggVorbisDecoder = async () => (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder;
const loadMpegDecoder = async () => (await import('mpg123-decoder')).MPEGDecoder;

function startsWith(bytes: Uint8Array, text: string, at = 0): boolean {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

export const NOT_AUDIO = 'not a WAV, FLAC, Ogg or MP3 file';

/** Length of a leading ID3v2 tag (header, body and optional footer), or 0 when there is none. */
export function id3v2Length(bytes: Uint8Array): number {
  if (!startsWith(bytes, 'ID3') || bytes.length < 10) return 0;
  // The size is "syncsafe": four 7-bit groups.
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
  const hasFooter = (bytes[5] & 0x10) !== 0;
  return 10 + size + (hasFooter ? 10 : 0);
}

/** An MPEG audio frame header: 11 sync bits, a valid version and a layer (ADTS AAC has layer 0). */
function isMpegFrameSync(bytes: Uint8Array, at: number): boolean {
  if (bytes.length < at + 2) return false;
  const version = (bytes[at + 1] >> 3) & 0x03;
  const layer = (bytes[at + 1] >> 1) & 0x03;
  return bytes[at] === 0xff && (bytes[at + 1] & 0xe0) === 0xe0 && version !== 1 && layer !== 0;
}

/**
 * Identifies the container from the first bytes of the file, never from its name.
 * Needs only the first few kilobytes (more when a large ID3 tag precedes a FLAC stream).
 */
export function detectFormat(bytes: Uint8Array): AudioFormat | null {
  if (startsWith(bytes, 'RIFF') || startsWith(bytes, 'RF64')) return 'wav';
  if (startsWith(bytes, 'fLaC')) return 'flac';
  if (startsWith(bytes, 'OggS')) return 'ogg';
  const id3 = id3v2Length(bytes);
  if (id3 > 0) {
    // ID3 tags also appear in front of FLAC streams.
    if (startsWith(bytes, 'fLaC', id3)) return 'flac';
    return 'mp3';
  }
  if (isMpegFrameSync(bytes, 0)) return 'mp3';
  return null;
}

/** What an Ogg stream carries, from the codec identification packet in its first page. */
function oggCodec(bytes: Uint8Array): 'vorbis' | 'flac' | 'opus' | 'speex' | 'unknown' {
  // First page: 27-byte header, then the segment table, then the first packet.
  if (bytes.length < 28) return 'unknown';
  const packetStart = 27 + bytes[26];
  if (startsWith(bytes, '\x01vorbis', packetStart)) return 'vorbis';
  if (startsWith(bytes, '\x7fFLAC', packetStart)) return 'flac';
  if (startsWith(bytes, 'OpusHead', packetStart)) return 'opus';
  if (startsWith(bytes, 'Speex   ', packetStart)) return 'speex';
  return 'unknown';
}

export interface FlacStreamInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 0 when the encoder did not know the length. */
  totalSamples: number;
}

/** "fLaC", the 4-byte metadata block header and the 34-byte STREAMINFO block. */
const FLAC_HEADER_BYTES = 4 + 4 + 34;

/** Reads the STREAMINFO block that must follow `fLaC`; null when the bytes do not reach it. */
export function readFlacStreamInfo(bytes: Uint8Array): FlacStreamInfo | null {
  const start = id3v2Length(bytes);
  if (!startsWith(bytes, 'fLaC', start)) return null;
  const block = start + 4;
  if (bytes.length < start + FLAC_HEADER_BYTES) return null;
  if ((bytes[block] & 0x7f) !== 0) return null; // first metadata block must be STREAMINFO
  const info = block + 4;
  // Bytes 10..17 of STREAMINFO: 20 bits rate, 3 bits channels-1, 5 bits bps-1, 36 bits total samples.
  const sampleRate = (bytes[info + 10] << 12) | (bytes[info + 11] << 4) | (bytes[info + 12] >> 4);
  const channels = ((bytes[info + 12] >> 1) & 0x07) + 1;
  const bitsPerSample = (((bytes[info + 12] & 0x01) << 4) | (bytes[info + 13] >> 4)) + 1;
  const totalSamples =
    (bytes[info + 13] & 0x0f) * 2 ** 32 +
    bytes[info + 14] * 2 ** 24 +
    ((bytes[info + 15] << 16) | (bytes[info + 16] << 8) | bytes[info + 17]);
  return { sampleRate, channels, bitsPerSample, totalSamples };
}

interface CodecOutput {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
}

/** Turns a decoder result into DecodedAudio, or an AudioError when nothing usable came out. */
function checkedOutput(output: CodecOutput, file: string, codec: string): { sampleRate: number; channels: Float32Array[] } {
  if (output.samplesDecoded === 0 || output.channelData.length === 0) {
    const reason = output.errors.length > 0 ? output.errors[0].message : 'no audio frames found';
    throw new AudioError('corrupt', file, `${codec} decoder produced no samples (${reason})`);
  }
  if (output.errors.length > 0) {
    throw new AudioError('corrupt', file, `${codec} stream has ${output.errors.length} bad frame(s): ${output.errors[0].message}`);
  }
  checkSampleRate(output.sampleRate, file, `the ${codec} stream`);
  // The decoders return views into their own buffers; copy so the result outlives free().
  const channels = output.channelData.map((channel) => channel.slice(0, output.samplesDecoded));
  return { sampleRate: output.sampleRate, channels };
}

/**
 * Walks the metadata blocks to where the audio frames start and checks that a frame is there:
 * metadata running past the end means a cut-off file, anything but a frame sync means garbage.
 * Returns the offset of the first frame.
 */
function flacFramesStart(bytes: Uint8Array, file: string): number {
  let at = id3v2Length(bytes) + 4;
  for (let isLast = false; !isLast;) {
    if (at + 4 > bytes.length) throw new AudioError('truncated', file, 'FLAC metadata ends before the audio frames');
    isLast = (bytes[at] & 0x80) !== 0;
    at += 4 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
  }
  if (at + 2 > bytes.length) throw new AudioError('truncated', file, 'FLAC file ends before its first audio frame');
  // Frame header sync code: 14 bits 11111111111110, then a reserved 0 bit.
  if (bytes[at] !== 0xff || (bytes[at + 1] & 0xfe) !== 0xf8) {
    throw new AudioError('corrupt', file, `no FLAC frame where the audio should start (byte ${at})`);
  }
  return at;
}

/**
 * The FLAC decoder divides by 2^(bits-1) - 1; soundfile (and so librosa) divides by 2^(bits-1).
 * Recover the integers and rescale so lossless FLAC decodes to exactly what its WAV twin does.
 */
function rescaleFlacSamples(channel: Float32Array, bitsPerSample: number): Float32Array {
  const decoderScale = 2 ** (bitsPerSample - 1) - 1;
  const fullScale = 2 ** (bitsPerSample - 1);
  for (let i = 0; i < channel.length; i++) channel[i] = Math.round(channel[i] * decoderScale) / fullScale;
  return channel;
}

async function decodeFlac(bytes: Uint8Array, file: string): Promise<DecodedAudio> {
  const info = readFlacStreamInfo(bytes);
  if (!info) {
    const headerEnd = id3v2Length(bytes) + FLAC_HEADER_BYTES;
    if (bytes.length < headerEnd) {
      throw new AudioError('truncated', file, `FLAC header needs ${headerEnd} bytes but the file has ${bytes.length}`);
    }
    throw new AudioError('corrupt', file, 'FLAC stream has no STREAMINFO block');
  }
  checkSampleRate(info.sampleRate, file, 'the FLAC STREAMINFO block');
  const frames = splitFlacFrames(bytes, flacFramesStart(bytes, file));
  const FLACDecoder = await loadFlacDecoder();
  const decoder = new FLACDecoder();
  try {
    await decoder.ready;
    const output = await decoder.decodeFrames(frames);
    if (output.errors.length === 0 && output.samplesDecoded < info.totalSamples) {
      // Clean frames but fewer than STREAMINFO promises: the end of the file is missing.
      throw new AudioError(
        'truncated',
        file,
        `FLAC STREAMINFO declares ${info.totalSamples} samples but only ${output.samplesDecoded} could be decoded`,
      );
    }
    const { sampleRate, channels } = checkedOutput(output, file, 'FLAC');
    return {
      sampleRate,
      channels: channels.map((channel) => rescaleFlacSamples(channel, info.bitsPerSample)),
      format: 'flac',
      encoding: `flac${info.bitsPerSample}`,
    };
  } finally {
    decoder.free();
  }
}

async function decodeOgg(bytes: Uint8Array, file: string): Promise<DecodedAudio> {
  // Version 0 is the only Ogg version; anything else means the bytes after "OggS" are not a page.
  if (bytes.length < 27 || bytes[4] !== 0) throw new AudioError('corrupt', file, 'invalid Ogg page header');
  const codec = oggCodec(bytes);
  if (codec === 'flac') {
    const FLACDecoder = await loadFlacDecoder();
    const decoder = new FLACDecoder();
    try {
      await decoder.ready;
      const output = await decoder.decodeFile(bytes);
      const { sampleRate, channels } = checkedOutput(output, file, 'Ogg FLAC');
      return {
        sampleRate,
        channels: channels.map((channel) => rescaleFlacSamples(channel, output.bitDepth)),
        format: 'ogg',
        encoding: `flac${output.bitDepth}`,
      };
    } finally {
      decoder.free();
    }
  }
  if (codec !== 'vorbis') {
    throw new AudioError('unsupported-encoding', file, `Ogg stream with ${codec} codec (only Vorbis and FLAC are supported)`);
  }
  const OggVorbisDecoder = await loadOggVorbisDecoder();
  const decoder = new OggVorbisDecoder();
  try {
    await decoder.ready;
    const { sampleRate, channels } = checkedOutput(await decoder.decodeFile(bytes), file, 'Ogg Vorbis');
    return { sampleRate, channels, format: 'ogg', encoding: 'vorbis' };
  } finally {
    decoder.free();
  }
}

/** Channel count from the first MPEG frame header (mpg123 always outputs two channels). */
function mpegChannelCount(bytes: Uint8Array): number | null {
  const start = id3v2Length(bytes);
  const end = Math.min(bytes.length - 4, start + 64 * 1024);
  for (let at = start; at < end; at++) {
    if (isMpegFrameSync(bytes, at)) return bytes[at + 3] >> 6 === 3 ? 1 : 2;
  }
  return null;
}

/** 'mp3' for Layer III, 'mp2' / 'mp1' for the older layers (the container is still reported as 'mp3'). */
function mpegLayerName(bytes: Uint8Array): string {
  const start = id3v2Length(bytes);
  const end = Math.min(bytes.length - 4, start + 64 * 1024);
  for (let at = start; at < end; at++) {
    if (isMpegFrameSync(bytes, at)) return `mp${4 - ((bytes[at + 1] >> 1) & 0x03)}`;
  }
  return 'mp3';
}

async function decodeMp3(bytes: Uint8Array, file: string): Promise<DecodedAudio> {
  const MPEGDecoder = await loadMpegDecoder();
  const decoder = new MPEGDecoder();
  try {
    await decoder.ready;
    const { sampleRate, channels } = checkedOutput(decoder.decode(bytes), file, 'MPEG');
    const channelCount = mpegChannelCount(bytes);
    const kept = channelCount === 1 ? channels.slice(0, 1) : channels;
    return { sampleRate, channels: kept, format: 'mp3', encoding: mpegLayerName(bytes) };
  } finally {
    decoder.free();
  }
}

/** Wraps anything a wasm decoder throws (it should not, but garbage input is garbage) as 'corrupt'. */
async function guarded(file: string, decode: () => Promise<DecodedAudio>): Promise<DecodedAudio> {
  try {
    return await decode();
  } catch (err) {
    if (err instanceof AudioError) throw err;
    // A decoder module that cannot be loaded is an installation problem, not a bad file.
    if ((err as NodeJS.ErrnoException | null)?.code === 'ERR_MODULE_NOT_FOUND') throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new AudioError('corrupt', file, `decoder failed: ${reason}`, { cause: err });
  }
}

/**
 * Decodes a whole audio file held in memory; the container is detected from its bytes. Mono WAV
 * samples are decoded into `sampleBuffer` when one long enough is given (then a view of it).
 */
export async function decodeBytes(bytes: Uint8Array, file: string, sampleBuffer?: Float32Array): Promise<DecodedAudio> {
  if (bytes.length === 0) throw new AudioError('empty', file, 'file is 0 bytes');
  const format = detectFormat(bytes);
  switch (format) {
    case 'wav': {
      const { sampleRate, channels, encoding } = decodeWav(bytes, file, sampleBuffer);
      return { sampleRate, channels, format, encoding };
    }
    case 'flac':
      return guarded(file, () => decodeFlac(bytes, file));
    case 'ogg':
      return guarded(file, () => decodeOgg(bytes, file));
    case 'mp3':
      return guarded(file, () => decodeMp3(bytes, file));
    case null:
      throw new AudioError('not-audio', file, NOT_AUDIO);
  }
}

/** Describes already decoded audio in the shape of a probe. */
export function describeDecoded(audio: DecodedAudio): AudioProbe {
  const frames = audio.channels[0]?.length ?? 0;
  return {
    format: audio.format,
    sampleRate: audio.sampleRate,
    channels: audio.channels.length,
    frames,
    durationS: frames / audio.sampleRate,
    encoding: audio.encoding,
  };
}
