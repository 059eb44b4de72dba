/**
 * A WAV stream read as it arrives (standard input piped from `sox -d -t wav -`, a file read in
 * chunks): the header first, then mono samples from each chunk of bytes, never the whole stream in
 * memory. Sample frames split across chunks wait for their rest.
 */
import { AudioError } from './errors';
import { toMono } from './mono';
import { bytesPerSample, decodeWavSamples, readWavStreamHeader, type WavEncoding, type WavStreamHeader } from './wav';

export interface WavStreamFormat {
  sampleRate: number;
  channels: number;
  encoding: WavEncoding;
}

/** A header that has not ended after this many bytes is not one a recorder writes. */
const MAX_HEADER_BYTES = 1 << 20;

export class WavStreamReader {
  private header: WavStreamHeader | null = null;
  /** Header bytes so far, then the bytes of an incomplete sample frame. */
  private pending = new Uint8Array(0);
  /** Data bytes taken so far (the data chunk's declared size ends the stream's samples). */
  private dataTaken = 0;
  private samples = 0;

  /** `source` names the stream in errors ('stdin', a file name). */
  constructor(readonly source: string) {}

  /** The stream's format, once its header has arrived. */
  get format(): WavStreamFormat | null {
    const h = this.header;
    return h && { sampleRate: h.sampleRate, channels: h.channels, encoding: h.encoding };
  }

  /** Mono samples received so far. */
  get sampleCount(): number {
    return this.samples;
  }

  /** Takes the next bytes; returns the mono samples they complete (empty while the header is incomplete). */
  push(bytes: Uint8Array): Float32Array {
    let data: Uint8Array = concat(this.pending, bytes);
    if (this.header === null) {
      this.header = readWavStreamHeader(data, this.source);
      if (this.header === null) {
        if (data.length > MAX_HEADER_BYTES) {
          throw new AudioError('corrupt', this.source, `no "data" chunk in the first ${MAX_HEADER_BYTES} bytes of the stream`);
        }
        this.pending = data.slice();
        return new Float32Array(0);
      }
      data = data.subarray(this.header.dataOffset);
    }
    const { blockAlign, channels, encoding, dataBytes } = this.header;
    const usable = Math.min(data.length, dataBytes - this.dataTaken);
    const whole = usable - (usable % blockAlign);
    this.dataTaken += whole;
    // Bytes after the declared data (a trailing chunk) are not samples.
    this.pending = this.dataTaken < dataBytes ? data.slice(whole, usable) : new Uint8Array(0);
    if (whole === 0) return new Float32Array(0);
    const interleaved = decodeWavSamples(
      data.subarray(0, whole),
      encoding,
      new Float32Array(whole / bytesPerSample(encoding)),
      this.source,
    );
    const mono = channels === 1 ? interleaved : toMono(deinterleave(interleaved, channels));
    this.samples += mono.length;
    return mono;
  }

  /** The stream has ended: refuses one that ended before its header or its first sample. */
  end(): void {
    if (this.header === null) {
      if (this.pending.length === 0) throw new AudioError('empty', this.source, 'the stream is empty');
      throw new AudioError('truncated', this.source, `the stream ended after ${this.pending.length} bytes, inside its WAV header`);
    }
    if (this.samples === 0) throw new AudioError('empty', this.source, 'the stream holds no samples');
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function deinterleave(interleaved: Float32Array, channelCount: number): Float32Array[] {
  const frames = interleaved.length / channelCount;
  return Array.from({ length: channelCount }, (_, c) => {
    const channel = new Float32Array(frames);
    for (let f = 0, i = c; f < frames; f++, i += channelCount) channel[f] = interleaved[i]!;
    return channel;
  });
}
