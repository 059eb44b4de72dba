/**
 * Harmonic level differences from the pitch window's power spectrum (voiced frames only; NaN
 * elsewhere): H1–H2 and H1–A3 (the first harmonic over the second, and over the harmonic nearest
 * F3, dB; eGeMAPS' logRelF0-H1-H2 / -H1-A3, uncorrected for formants), and each formant's level:
 * the harmonic nearest Fi over H1, dB (FiamplitudeLogRelF0).
 */
import type { PitchTrack } from './pitch';
import { harmonicPower, safeDb } from './spectral';

/** Power of the k-th harmonic of frame t (k·f0), or of the harmonic nearest `hz` when k is 0. */
function harmonic(pitch: PitchTrack, t: number, k: number, hz = 0): number {
  const f0 = pitch.f0[t];
  const order = k > 0 ? k : Math.max(1, Math.round(hz / f0));
  const centre = order * f0;
  if (centre >= pitch.binHz * (pitch.bins - 1)) return 0;
  return harmonicPower(pitch.spectra, t * pitch.bins, pitch.bins, pitch.binHz, centre, f0);
}

/** A level difference in dB, NaN where either level is missing (so it is left out, not counted as 0). */
function levelDb(numerator: number, denominator: number): number {
  return numerator > 0 && denominator > 0 ? safeDb(numerator / denominator) : Number.NaN;
}

export function harmonicDifferences(pitch: PitchTrack, f3: Float64Array): { h1h2: Float64Array; h1a3: Float64Array } {
  const frames = pitch.f0.length;
  const h1h2 = new Float64Array(frames).fill(Number.NaN);
  const h1a3 = new Float64Array(frames).fill(Number.NaN);
  for (let t = 0; t < frames; t++) {
    if (!(pitch.f0[t] > 0)) continue;
    const h1 = harmonic(pitch, t, 1);
    h1h2[t] = levelDb(h1, harmonic(pitch, t, 2));
    if (Number.isFinite(f3[t])) h1a3[t] = levelDb(h1, harmonic(pitch, t, 0, f3[t]));
  }
  return { h1h2, h1a3 };
}

export function formantLevels(pitch: PitchTrack, formants: readonly Float64Array[]): Float64Array[] {
  return formants.map((frequency) =>
    Float64Array.from(frequency, (hz, t) =>
      pitch.f0[t] > 0 && Number.isFinite(hz) ? levelDb(harmonic(pitch, t, 0, hz), harmonic(pitch, t, 1)) : Number.NaN,
    ),
  );
}
