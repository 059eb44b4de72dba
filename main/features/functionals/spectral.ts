/**
 * Spectral descriptors of one frame's power spectrum P[k] (bin k at k·binHz), with their
 * definitions; magnitudes |X[k]| = √P[k] where librosa uses magnitudes. docs/FUNCTIONALS.md lists
 * them; scripts/functionals_reference.py computes the same formulas with numpy for the tests.
 */

/** Bins in [loHz, hiHz] (clipped to the spectrum): [first, last]; last < first when the band is empty. */
export function bandBins(loHz: number, hiHz: number, binHz: number, bins: number): [number, number] {
  return [Math.max(0, Math.ceil(loHz / binHz)), Math.min(bins - 1, Math.floor(hiHz / binHz))];
}

/** 10·log10(ratio), or 0 where the ratio is not a finite positive number (an empty band, silence). */
export function safeDb(ratio: number): number {
  return ratio > 0 && Number.isFinite(ratio) ? 10 * Math.log10(ratio) : 0;
}

/** One frame's power spectrum with what several descriptors share, computed once. */
export class FrameSpectrum {
  readonly power: Float64Array;
  /** |X[k]| = √P[k]. */
  readonly magnitude: Float64Array;
  /** ln max(P[k], 1e-10). */
  readonly logPower: Float64Array;
  magnitudeSum = 0;
  powerSum = 0;

  constructor(
    bins: number,
    readonly binHz: number,
  ) {
    this.power = new Float64Array(bins);
    this.magnitude = new Float64Array(bins);
    this.logPower = new Float64Array(bins);
  }

  /** Fills the derived arrays after `power` has been written. */
  update(): void {
    const { power, magnitude, logPower } = this;
    let magnitudeSum = 0;
    let powerSum = 0;
    for (let k = 0; k < power.length; k++) {
      const p = power[k];
      magnitude[k] = Math.sqrt(p);
      magnitudeSum += magnitude[k];
      powerSum += p;
      logPower[k] = Math.log(p > 1e-10 ? p : 1e-10);
    }
    this.magnitudeSum = magnitudeSum;
    this.powerSum = powerSum;
  }
}

export interface SpectralShape {
  /** Σ f·|X| / Σ |X| (librosa spectral_centroid), Hz. */
  centroid: number;
  /** Σ (f − μ)² p over the power distribution p = P / ΣP (μ = Σ f p), Hz². */
  variance: number;
  /** Σ (f − μ)³ p / σ³. */
  skewness: number;
  /** Σ (f − μ)⁴ p / σ⁴. */
  kurtosis: number;
  /** −Σ p log2 p / log2(bins): 0 for a pure tone, 1 for white noise. */
  entropy: number;
  /** exp(mean ln max(P, 1e-10)) / mean max(P, 1e-10) (librosa spectral_flatness). */
  flatness: number;
}

export function spectralShape(s: FrameSpectrum): SpectralShape {
  const { power, magnitude, logPower, binHz } = s;
  const bins = power.length;
  let magWeighted = 0;
  let logSum = 0;
  let clippedSum = 0;
  let mean = 0;
  for (let k = 0; k < bins; k++) {
    const p = power[k];
    magWeighted += magnitude[k] * k;
    logSum += logPower[k];
    clippedSum += p > 1e-10 ? p : 1e-10;
    mean += k * p;
  }
  const flatness = Math.exp(logSum / bins) / (clippedSum / bins);
  const total = s.powerSum;
  if (!(total > 0)) return { centroid: 0, variance: 0, skewness: 0, kurtosis: 0, entropy: 0, flatness };
  mean = (mean / total) * binHz;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  let plogp = 0;
  for (let k = 0; k < bins; k++) {
    const p = power[k] / total;
    if (p <= 0) continue;
    const d = k * binHz - mean;
    const d2 = d * d;
    m2 += d2 * p;
    m3 += d2 * d * p;
    m4 += d2 * d2 * p;
    plogp += p * Math.log(p);
  }
  const sd = Math.sqrt(m2);
  return {
    centroid: s.magnitudeSum > 0 ? (magWeighted / s.magnitudeSum) * binHz : 0,
    variance: m2,
    skewness: sd > 0 ? m3 / (sd * sd * sd) : 0,
    kurtosis: sd > 0 ? m4 / (m2 * m2) : 0,
    entropy: -plogp / Math.log(bins),
    flatness,
  };
}

/** The lowest frequencies below which each of `fractions` (increasing) of Σ|X| lies (librosa spectral_rolloff), Hz, into `out`. */
export function rolloffs(s: FrameSpectrum, fractions: readonly number[], out: Float64Array): void {
  const { magnitude, binHz } = s;
  let f = 0;
  let sum = 0;
  for (let k = 0; k < magnitude.length && f < fractions.length; k++) {
    sum += magnitude[k];
    while (f < fractions.length && sum >= fractions[f] * s.magnitudeSum) out[f++] = k * binHz;
  }
  for (; f < fractions.length; f++) out[f] = s.magnitudeSum > 0 ? (magnitude.length - 1) * binHz : 0;
}

/** √Σ (a_t[k] − a_{t−1}[k])² with a = |X| / Σ|X| (0 for the first frame or a silent one). */
export function spectralFlux(s: FrameSpectrum, previous: FrameSpectrum | null): number {
  if (!previous || !(s.magnitudeSum > 0) || !(previous.magnitudeSum > 0)) return 0;
  const a = s.magnitude;
  const b = previous.magnitude;
  const na = 1 / s.magnitudeSum;
  const nb = 1 / previous.magnitudeSum;
  let flux = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k] * na - b[k] * nb;
    flux += d * d;
  }
  return Math.sqrt(flux);
}

const DB_PER_NEPER_POWER = 10 / Math.LN10;

/** Least-squares slope of 10·log10(max(P, 1e-10)) against frequency over [loHz, hiHz], dB per Hz (0 for < 2 bins). */
export function bandSlope(s: FrameSpectrum, loHz: number, hiHz: number): number {
  const { logPower, binHz } = s;
  const [first, last] = bandBins(loHz, hiHz, binHz, logPower.length);
  const n = last - first + 1;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let k = first; k <= last; k++) {
    const x = k * binHz;
    const y = logPower[k] * DB_PER_NEPER_POWER;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const den = n * sxx - sx * sx;
  return den > 0 ? (n * sxy - sx * sy) / den : 0;
}

function bandSum(power: Float64Array, first: number, last: number): number {
  let sum = 0;
  for (let k = first; k <= last; k++) sum += power[k];
  return sum;
}

function bandMax(power: Float64Array, first: number, last: number): number {
  let max = 0;
  for (let k = first; k <= last; k++) if (power[k] > max) max = power[k];
  return max;
}

/** Energy in 50–1000 Hz over energy in 1–5 kHz, dB. */
export function alphaRatio(s: FrameSpectrum): number {
  const { power, binHz } = s;
  const [a0, a1] = bandBins(50, 1000, binHz, power.length);
  const [b0, b1] = bandBins(1000 + binHz / 2, 5000, binHz, power.length);
  return safeDb(bandSum(power, a0, a1) / bandSum(power, b0, b1));
}

/** Strongest bin in 0–2 kHz over strongest bin in 2–5 kHz, dB. */
export function hammarbergIndex(s: FrameSpectrum): number {
  const { power, binHz } = s;
  const [a0, a1] = bandBins(0, 2000, binHz, power.length);
  const [b0, b1] = bandBins(2000 + binHz / 2, 5000, binHz, power.length);
  return safeDb(bandMax(power, a0, a1) / bandMax(power, b0, b1));
}

/** Power of the harmonic near `hz`: the strongest bin within ±10 % of f0 around it. */
export function harmonicPower(power: ArrayLike<number>, offset: number, bins: number, binHz: number, hz: number, f0: number): number {
  const [first, last] = bandBins(hz - 0.1 * f0, hz + 0.1 * f0, binHz, bins);
  let max = 0;
  for (let k = first; k <= last; k++) if (power[offset + k] > max) max = power[offset + k];
  return max;
}
