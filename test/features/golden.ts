/** Readers for the librosa golden files in test/fixtures/golden (see its README). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const GOLDEN_DIR = 'test/fixtures/golden';
export const AUDIO_DIR = 'test/fixtures/audio';

export interface GoldenArray {
  shape: number[];
  data: number[] | number[][];
}

export interface GoldenClip {
  name: string;
  input: { file: string; sample_rate: number; num_samples: number };
  arrays: Record<string, GoldenArray>;
}

export function goldenFiles(prefix: string): string[] {
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .sort();
}

export function readGoldenClip(file: string): GoldenClip {
  const parsed = JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as Omit<GoldenClip, 'name'>;
  return { ...parsed, name: file.replace(/\.json$/, '') };
}

/** A golden array flattened row-major. */
export function flat(array: GoldenArray): Float64Array {
  return Float64Array.from((array.data as (number | number[])[]).flat());
}

export function audioPath(clip: GoldenClip): string {
  return join(AUDIO_DIR, clip.input.file);
}

/** Largest |a[i] - b[i]|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}
