/** Builds WAV files byte by byte for tests, including deliberately malformed ones. */

export interface Chunk {
  id: string;
  body: Uint8Array;
  /** Size written in the chunk header when it should differ from the body length. */
  declaredSize?: number;
}

export type SampleEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64';

const BYTES: Record<SampleEncoding, number> = { pcm8: 1, pcm16: 2, pcm24: 3, pcm32: 4, float32: 4, float64: 8 };

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** A RIFF file; odd-sized chunks get their pad byte. */
export function riff(chunks: Chunk[], formType = 'WAVE'): Uint8Array {
  const parts: Uint8Array[] = [ascii(formType)];
  for (const chunk of chunks) {
    const header = new Uint8Array(8);
    header.set(ascii(chunk.id), 0);
    new DataView(header.buffer).setUint32(4, chunk.declaredSize ?? chunk.body.length, true);
    parts.push(header, chunk.body);
    if (chunk.body.length % 2 === 1) parts.push(new Uint8Array(1));
  }
  const bodyLength = parts.reduce((sum, part) => sum + part.length, 0);
  const file = new Uint8Array(8 + bodyLength);
  file.set(ascii('RIFF'), 0);
  new DataView(file.buffer).setUint32(4, bodyLength, true);
  let at = 8;
  for (const part of parts) {
    file.set(part, at);
    at += part.length;
  }
  return file;
}

export interface FmtOptions {
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign?: number;
  /** Write WAVE_FORMAT_EXTENSIBLE with this subformat tag in the GUID. */
  extensibleSubformat?: number;
  /** Replace the standard GUID tail (bytes 2..15 of the subformat). */
  guidTail?: number[];
}

const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

export function fmtChunk(options: FmtOptions): Chunk {
  const extensible = options.extensibleSubformat !== undefined;
  const body = new Uint8Array(extensible ? 40 : 16);
  const view = new DataView(body.buffer);
  const blockAlign = options.blockAlign ?? options.channels * Math.ceil(options.bitsPerSample / 8);
  view.setUint16(0, extensible ? 0xfffe : options.formatTag, true);
  view.setUint16(2, options.channels, true);
  view.setUint32(4, options.sampleRate, true);
  view.setUint32(8, options.sampleRate * blockAlign, true);
  view.setUint16(12, blockAlign, true);
  view.setUint16(14, options.bitsPerSample, true);
  if (extensible) {
    view.setUint16(16, 22, true);
    view.setUint16(18, options.bitsPerSample, true);
    view.setUint32(20, 0, true);
    view.setUint16(24, options.extensibleSubformat!, true);
    body.set(options.guidTail ?? GUID_TAIL, 26);
  }
  return { id: 'fmt ', body };
}

/** Interleaved raw values (integers for PCM, floats for float) encoded little-endian. */
export function encodeSamples(values: number[], encoding: SampleEncoding): Uint8Array {
  const bytes = new Uint8Array(values.length * BYTES[encoding]);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => {
    const at = i * BYTES[encoding];
    switch (encoding) {
      case 'pcm8':
        view.setUint8(at, value);
        break;
      case 'pcm16':
        view.setInt16(at, value, true);
        break;
      case 'pcm24':
        view.setUint8(at, value & 0xff);
        view.setUint8(at + 1, (value >> 8) & 0xff);
        view.setUint8(at + 2, (value >> 16) & 0xff);
        break;
      case 'pcm32':
        view.setInt32(at, value, true);
        break;
      case 'float32':
        view.setFloat32(at, value, true);
        break;
      case 'float64':
        view.setFloat64(at, value, true);
        break;
    }
  });
  return bytes;
}

export function formatTagOf(encoding: SampleEncoding): number {
  return encoding.startsWith('float') ? 3 : 1;
}

export function bitsOf(encoding: SampleEncoding): number {
  return BYTES[encoding] * 8;
}

/** A plain canonical WAV: `fmt ` then `data`. */
export function simpleWav(values: number[], encoding: SampleEncoding, channels = 1, sampleRate = 16000): Uint8Array {
  return riff([
    fmtChunk({ formatTag: formatTagOf(encoding), channels, sampleRate, bitsPerSample: bitsOf(encoding) }),
    { id: 'data', body: encodeSamples(values, encoding) },
  ]);
}

/** int16 samples of a sine wave. */
export function sineInt16(frequency: number, sampleRate: number, frames: number, amplitude = 0.5): number[] {
  return Array.from({ length: frames }, (_, i) => Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequency * i) / sampleRate)));
}
