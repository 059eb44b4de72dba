/**
 * Features as Meyda (https://meyda.js.org) computes them, on the same framing as the librosa
 * preset: centred frames of nFft samples every hopLength samples, zero padding at both ends,
 * frames = 1 + floor(n / hop).
 *
 * Meyda.extract(features, frame) recomputes everything per call and its mel-band step allocates
 * nMels dense arrays per frame (about 1.7 ms per frame, 150 ms per 2-s clip). So we reproduce what
 * extract does once per frame, sharing the work between features: Meyda's Hann window (symmetric)
 * on the frame, amplitude spectrum of bins 0..nFft/2-1 as float32, Meyda's own filterbanks (built
 * by Meyda), and Meyda's own extractor functions for the scalar descriptors. Two steps are redone
 * here because Meyda's versions dominate the cost: MFCC, over the nonzero part of Meyda's mel
 * filterbank (log(melBand + 1), DCT-II scaled by 2, first nMfcc coefficients, as Meyda's mfcc
 * extractor), and chroma (Meyda's chroma filterbank applied to the amplitude spectrum, divided by
 * the frame's largest band, as Meyda's chroma extractor). Tests check all of it against
 * Meyda.extract on real frames.
 */
import Meyda from 'meyda';
import { canonicalExtras, descriptorRowCount, MEYDA_MAX_MFCC, type MeydaDescriptor } from './config';
import { getRealFft } from './fft';
import { frameCount, type Matrix32 } from './mfcc';

export interface MeydaOptions {
  sampleRate: number;
  /** Frame length; must be a power of two (Meyda's requirement). */
  nFft: number;
  hopLength: number;
  /** Mel bands of Meyda's MFCC filterbank (Meyda.melBands). */
  nMels: number;
  /** Meyda MFCC rows to compute (0 for none, at most min(40, nMels)). */
  nMfcc: number;
  /** Descriptor rows to append after the MFCCs (computed in canonical order). */
  descriptors: readonly MeydaDescriptor[];
}

/** What Meyda's extractor functions read (the subset of Meyda.extract's argument we use). */
interface ExtractorInput {
  ampSpectrum: Float32Array;
  signal: Float64Array;
  sampleRate: number;
  bufferSize: number;
  barkScale: Float32Array;
  numberOfBarkBands: number;
}

interface MeydaExtractors {
  spectralCentroid(input: ExtractorInput): number;
  spectralFlatness(input: ExtractorInput): number;
  spectralRolloff(input: ExtractorInput): number;
  rms(input: ExtractorInput): number;
  zcr(input: ExtractorInput): number;
  loudness(input: ExtractorInput): { total: number };
}

/** Filterbanks Meyda.extract builds and caches on the shared Meyda object. */
interface MeydaBuiltTables {
  melFilterBank?: number[][];
  chromaFilterBank?: number[][];
  barkScale?: Float32Array;
}

interface MeydaTables {
  /** Meyda's 'hanning' window (symmetric, float32). */
  window: Float64Array;
  /** Meyda's chroma filterbank over bins 0..nFft/2-1: [12][nFft/2]. */
  chroma: Float64Array;
  barkScale: Float32Array;
  /** Meyda's mel filterbank restricted to bins < nFft/2, as runs of nonzero weights. */
  melStart: Int32Array;
  melOffset: Int32Array;
  melWeights: Float64Array;
  /** Meyda's DCT (scale 2, unnormalised): [MEYDA_MAX_MFCC or fewer][nMels]. */
  dct: Float64Array;
}

const tablesCache = new Map<string, MeydaTables>();

/** Lets Meyda build its window and filterbanks for these settings, and keeps copies. */
function meydaTables(sampleRate: number, nFft: number, nMels: number): MeydaTables {
  const key = `${sampleRate}|${nFft}|${nMels}`;
  const cached = tablesCache.get(key);
  if (cached) return cached;

  Meyda.bufferSize = nFft;
  Meyda.sampleRate = sampleRate;
  Meyda.melBands = nMels;
  Meyda.numberOfMFCCCoefficients = 1;
  Meyda.chromaBands = 12;
  Meyda.windowingFunction = 'hanning';
  // Meyda only rebuilds a cached bank when its length changes, not on a new sample rate.
  const stale = Meyda as unknown as MeydaBuiltTables;
  delete stale.melFilterBank;
  delete stale.chromaFilterBank;
  delete stale.barkScale;
  Meyda.extract('rms', new Float32Array(nFft));
  const { melFilterBank, chromaFilterBank, barkScale } = Meyda as unknown as MeydaBuiltTables;
  if (!melFilterBank || !chromaFilterBank || !barkScale) throw new Error('Meyda did not build its filterbanks');
  // Meyda's spectral features use bins 0..nFft/2-1 (its amplitude spectrum drops the Nyquist bin).
  const usedBins = nFft / 2;

  const chroma = new Float64Array(12 * usedBins);
  chromaFilterBank.forEach((row, c) => chroma.set(row.slice(0, usedBins), c * usedBins));

  const window = Float64Array.from(Meyda.windowing(new Float32Array(nFft).fill(1), 'hanning') as ArrayLike<number>);

  const melStart = new Int32Array(nMels);
  const melOffset = new Int32Array(nMels + 1);
  const runs: number[][] = [];
  for (let m = 0; m < nMels; m++) {
    const row = melFilterBank[m];
    let first = 0;
    while (first < usedBins && row[first] === 0) first++;
    let last = usedBins - 1;
    while (last >= first && row[last] === 0) last--;
    const run = row.slice(first, last + 1);
    melStart[m] = first;
    melOffset[m + 1] = melOffset[m] + run.length;
    runs.push(run);
  }
  const melWeights = new Float64Array(melOffset[nMels]);
  runs.forEach((run, m) => melWeights.set(run, melOffset[m]));

  // The 'dct' package Meyda uses: y[k] = 2 * sum_n x[n] cos(pi/N (n + 0.5) k).
  const dctRows = Math.min(MEYDA_MAX_MFCC, nMels);
  const dct = new Float64Array(dctRows * nMels);
  for (let k = 0; k < dctRows; k++) {
    for (let n = 0; n < nMels; n++) dct[k * nMels + n] = 2 * Math.cos((Math.PI / nMels) * (n + 0.5) * k);
  }

  const tables: MeydaTables = { window, chroma, barkScale, melStart, melOffset, melWeights, dct };
  tablesCache.set(key, tables);
  return tables;
}

/** Number of rows meydaFeatures returns for these options. */
export function meydaRowCount(opts: Pick<MeydaOptions, 'nMfcc' | 'descriptors'>): number {
  return opts.nMfcc + canonicalExtras(opts.descriptors).reduce((rows, d) => rows + descriptorRowCount(d), 0);
}

/**
 * Meyda MFCCs (nMfcc rows) followed by the descriptors' rows (chroma: 12, others: 1), [row][frame].
 * Units are Meyda's except spectralCentroid, converted from a bin index to Hz; loudness is
 * loudness.total; rms and zcr are of the Hann-windowed frame, as in Meyda.extract. Values Meyda
 * leaves undefined on silent frames (NaN centroid or flatness) are stored as 0.
 */
export function meydaFeatures(samples: Float32Array, opts: MeydaOptions): Matrix32 {
  const { sampleRate, nFft, hopLength, nMels, nMfcc } = opts;
  if (!Number.isInteger(nFft) || nFft < 4 || (nFft & (nFft - 1)) !== 0) throw new Error(`nFft must be a power of two (got ${nFft})`);
  if (!Number.isInteger(hopLength) || hopLength < 1) throw new Error(`hopLength must be a positive integer (got ${hopLength})`);
  if (!Number.isInteger(nMels) || nMels < 1) throw new Error(`nMels must be a positive integer (got ${nMels})`);
  if (!Number.isInteger(nMfcc) || nMfcc < 0 || nMfcc > Math.min(MEYDA_MAX_MFCC, nMels)) {
    throw new Error(`nMfcc must be an integer in 0..${Math.min(MEYDA_MAX_MFCC, nMels)} for Meyda (got ${nMfcc})`);
  }
  const descriptors = canonicalExtras(opts.descriptors);
  const rows = meydaRowCount({ nMfcc, descriptors });
  const frames = frameCount(samples.length, hopLength);
  const out = new Float32Array(rows * frames);
  if (rows === 0) return { data: out, rows, frames };

  const tables = meydaTables(sampleRate, nFft, nMels);
  const { window, melStart, melOffset, melWeights, dct, chroma } = tables;
  const usedBins = nFft / 2;
  const extractors = Meyda.featureExtractors as MeydaExtractors;
  const fft = getRealFft(nFft);
  const spectrumRe = new Float64Array(fft.bins);
  const spectrumIm = new Float64Array(fft.bins);
  const signal = new Float64Array(nFft);
  const ampSpectrum = new Float32Array(nFft / 2);
  const loggedMelBands = new Float32Array(nMels);
  const chromagram = new Float64Array(12);
  const input: ExtractorInput = {
    ampSpectrum,
    signal,
    sampleRate,
    bufferSize: nFft,
    barkScale: tables.barkScale,
    numberOfBarkBands: 24,
  };
  const store = (row: number, t: number, value: number): void => {
    out[row * frames + t] = Number.isFinite(value) ? value : 0;
  };

  for (let t = 0; t < frames; t++) {
    // Windowed frame t: samples [t*hop - nFft/2, t*hop + nFft/2), zeros outside the clip.
    const first = t * hopLength - nFft / 2;
    const lo = Math.max(0, -first);
    const hi = Math.max(lo, Math.min(nFft, samples.length - first));
    signal.fill(0, 0, lo);
    for (let i = lo; i < hi; i++) signal[i] = samples[first + i] * window[i];
    signal.fill(0, hi, nFft);
    fft.forward(signal, spectrumRe, spectrumIm);
    for (let k = 0; k < ampSpectrum.length; k++) ampSpectrum[k] = Math.sqrt(spectrumRe[k] * spectrumRe[k] + spectrumIm[k] * spectrumIm[k]);

    let row = 0;
    if (nMfcc > 0) {
      for (let m = 0; m < nMels; m++) {
        const bin0 = melStart[m] - melOffset[m];
        let sum = 0;
        for (let w = melOffset[m]; w < melOffset[m + 1]; w++) {
          // Meyda squares the float32 amplitude into a float32 power spectrum.
          sum += melWeights[w] * Math.fround(ampSpectrum[bin0 + w] * ampSpectrum[bin0 + w]);
        }
        loggedMelBands[m] = Math.log(sum + 1);
      }
      for (let k = 0; k < nMfcc; k++) {
        let acc = 0;
        for (let m = 0; m < nMels; m++) acc += dct[k * nMels + m] * loggedMelBands[m];
        store(row++, t, acc);
      }
    }
    for (const descriptor of descriptors) {
      switch (descriptor) {
        case 'chroma': {
          let max = 0;
          for (let c = 0; c < 12; c++) {
            let sum = 0;
            for (let k = 0, w = c * usedBins; k < usedBins; k++, w++) sum += ampSpectrum[k] * chroma[w];
            chromagram[c] = sum;
            if (sum > max) max = sum;
          }
          for (let c = 0; c < 12; c++) store(row++, t, max ? chromagram[c] / max : chromagram[c]);
          break;
        }
        case 'spectralCentroid':
          // Meyda reports the centroid as a bin index; store it in Hz.
          store(row++, t, extractors.spectralCentroid(input) * (sampleRate / nFft));
          break;
        case 'loudness':
          store(row++, t, extractors.loudness(input).total);
          break;
        default:
          store(row++, t, extractors[descriptor](input));
      }
    }
  }
  return { data: out, rows, frames };
}
