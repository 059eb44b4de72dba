/**
 * One clip's functional vector: LLDs (lld.ts) → functionals (statistics.ts) as a named set
 * (sets.ts) lists them. Never NaN and never a throw for what the audio holds: non-finite samples
 * become 0, a silent, constant, unvoiced or very short clip gets finite values, and the clip's
 * notes say which values describe nothing.
 */
import type { VectorRepresentation } from '../../schema/names';
import { computeLlds, SHORTEST_ANALYSED_S } from './lld';
import { functionalSet } from './sets';
import { delta, functionals, select } from './statistics';

export interface FunctionalVector {
  values: Float32Array;
  /** What the values of this clip do not describe (empty for an ordinary clip). */
  notes: string[];
}

export function computeFunctionalVector(input: Float32Array, sampleRate: number, representation: VectorRepresentation): FunctionalVector {
  const notes: string[] = [];
  let samples = input;
  let nonFinite = 0;
  for (let i = 0; i < input.length; i++) if (!Number.isFinite(input[i])) nonFinite++;
  if (nonFinite > 0) {
    samples = Float32Array.from(input, (v) => (Number.isFinite(v) ? v : 0));
    notes.push(`${nonFinite} sample(s) were not finite numbers and count as 0`);
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    if (samples[i] < min) min = samples[i];
    if (samples[i] > max) max = samples[i];
  }
  if (samples.length === 0 || (max === 0 && min === 0)) notes.push('silent clip: every value describes silence');
  else if (max === min) notes.push('constant signal: every value describes a flat line');
  const durationS = samples.length / sampleRate;
  if (durationS < SHORTEST_ANALYSED_S) {
    notes.push(
      `${(durationS * 1000).toFixed(1)} ms is shorter than the ${SHORTEST_ANALYSED_S * 1000} ms pitch window: the frames are zero-padded`,
    );
  }

  const set = functionalSet(representation);
  const llds = computeLlds(samples, sampleRate, { only: new Set(set.groups.map((g) => g.lld)) });
  const count = set.groups.reduce((n, g) => n + g.functionals.length, 0) + set.clipValues.length;
  const out = new Float64Array(count);
  let at = 0;
  for (const g of set.groups) {
    const contour = llds.contours.get(g.lld);
    if (!contour) throw new Error(`functional set ${representation} names an unknown descriptor ${g.lld}`);
    const mask = g.frames === 'voiced' ? llds.voiced : g.frames === 'unvoiced' ? llds.unvoiced : undefined;
    functionals(select(g.delta ? delta(contour) : contour, mask), g.functionals, out, at);
    at += g.functionals.length;
  }
  for (const name of set.clipValues) out[at++] = llds.clip.get(name) ?? 0;

  const voicedFrames = llds.voiced.reduce((a, b) => a + b, 0);
  if (voicedFrames === 0 && notes.length === 0) notes.push('no voiced frame: F0, jitter, shimmer, HNR, harmonic and formant values are 0');
  else if (voicedFrames === 0) notes.push('no voiced frame');
  const values = new Float32Array(count);
  let replaced = 0;
  for (let i = 0; i < count; i++) {
    // Float32 overflow as well as NaN: a value outside float32 range becomes 0 too.
    const v = Math.fround(out[i]);
    if (Number.isFinite(v)) values[i] = v;
    else replaced++;
  }
  if (replaced > 0) notes.push(`${replaced} value(s) were not finite and are 0`);
  return { values, notes };
}
