/**
 * What a live session heard, kept as 16-bit samples at the rate they arrived, up to a fixed length
 * (the rest is not kept), and written as a mono 16-bit WAV file. Samples that came as 16-bit PCM
 * are kept exactly.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { pcm16WavHeader } from '../../audio/wav';
import { writeFileAtomic } from '../../util/fs';

export class Recording {
  private readonly chunks: Int16Array[] = [];
  private length = 0;

  constructor(
    readonly sampleRate: number,
    readonly maxSamples: number,
  ) {}

  get sampleCount(): number {
    return this.length;
  }

  get durationS(): number {
    return this.length / this.sampleRate;
  }

  /** No more samples fit. */
  get full(): boolean {
    return this.length >= this.maxSamples;
  }

  add(samples: Float32Array): void {
    const take = Math.min(samples.length, this.maxSamples - this.length);
    if (take <= 0) return;
    const chunk = new Int16Array(take);
    for (let i = 0; i < take; i++) {
      const x = samples[i]!;
      chunk[i] = Number.isFinite(x) ? Math.max(-32768, Math.min(32767, Math.round(x * 32768))) : 0;
    }
    this.chunks.push(chunk);
    this.length += take;
  }

  /** The recording as a WAV file's bytes. */
  toWav(): Uint8Array {
    const bytes = new Uint8Array(44 + this.length * 2);
    bytes.set(pcm16WavHeader(this.length, this.sampleRate));
    const view = new DataView(bytes.buffer);
    let at = 44;
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.length; i++, at += 2) view.setInt16(at, chunk[i]!, true);
    }
    return bytes;
  }

  /** Writes the recording as `listen-<date-time>.wav` in `dir` (atomically) and returns its path. */
  async save(dir: string, now = new Date()): Promise<string> {
    if (this.length === 0) throw new Error('nothing was recorded');
    const stamp = now.toISOString().replace(/[:.]/g, '-').replace('T', '_').replace('Z', '');
    const path = join(dir, `listen-${stamp}.wav`);
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(path, this.toWav());
    return path;
  }
}
