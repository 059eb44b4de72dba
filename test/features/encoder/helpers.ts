/** Shared by the encoder tests: the tiny encoder fixture (scripts/make-tiny-encoder.py) and its references. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const ENCODERS = resolve('test/fixtures/encoders');
export const TINY = resolve(ENCODERS, 'tiny-wav2vec2');
export const TINY_LAST_ONLY = resolve(ENCODERS, 'tiny-wav2vec2-last-only');
export const BAD_INPUT_NAME = resolve(ENCODERS, 'bad-input-name');
export const AUDIO = resolve('test/fixtures/audio');
/** The 16 kHz CREMA-D clips of the fixtures (no resampling before the encoder). */
export const CREMA_CLIPS = ['1001_DFA_ANG_XX.wav', '1001_DFA_SAD_XX.wav', '1002_DFA_HAP_XX.wav', '1002_DFA_NEU_XX.wav'];

export interface ReferenceClip {
  clip: string;
  samples: number;
  frames: number;
  /** layers[i]: hidden_states.i, [frame][dimension]. */
  layers: number[][][];
  meanStd: number[];
}

export interface Reference {
  hiddenSize: number;
  layers: number;
  clips: ReferenceClip[];
}

export const REFERENCE = JSON.parse(readFileSync(resolve(TINY, 'reference.json'), 'utf8')) as Reference;

/** Largest absolute difference between two equal-length sequences. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
