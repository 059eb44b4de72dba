/**
 * Every low-level descriptor (LLD) contour of one clip, one value per 10 ms frame, each smoothed
 * by a 3-frame moving average (openSMILE's "sma3"). Descriptors measured on voiced frames only
 * (F0, jitter, shimmer, HNR, harmonics, formants) are NaN elsewhere. Also the voiced and unvoiced
 * frame masks and the clip-level values (voiced segments, loudness peaks, sound level).
 */
import { getRealFft } from '../fft';
import { dctOrthoMatrix, melFilterbank } from '../mfcc';
import { AUDITORY_BANDS, MFCC_COUNT, ROLLOFF_PERCENTS } from './descriptors';
import { formantLevels, harmonicDifferences } from './harmonics';
import { trackFormants } from './formants';
import { analysisFrames, decimate, decimationFactor, fillFrame, frameCentre, hammingWindow, HOP_S, nextPowerOfTwo } from './framing';
import { framePerturbation, periodMarks, type PeriodMarks } from './perturbation';
import { hzToSemitones, PITCH_WINDOW_S, trackPitch } from './pitch';
import { alphaRatio, bandSlope, FrameSpectrum, hammarbergIndex, rolloffs, spectralFlux, spectralShape } from './spectral';
import { smooth3 as smoothContour } from './statistics';

export const SPECTRUM_WINDOW_S = 0.025;
/** Highest frequency of the auditory (mel) bands. */
const AUDITORY_FMAX_HZ = 8000;
const AUDITORY_FMIN_HZ = 20;
/** Stevens' power law exponent turning band intensity into loudness. */
const LOUDNESS_EXPONENT = 0.33;
/** Unvoiced frames quieter than this (dB below the clip's loudest frame) are silence, not unvoiced speech. */
const SILENCE_BELOW_PEAK_DB = 40;
const HNR_LIMIT_DB = 40;

/** The frame-wise descriptors, by name (docs/FUNCTIONALS.md defines each). */
export type Contours = Map<string, Float64Array>;

export interface ClipLlds {
  contours: Contours;
  voiced: Uint8Array;
  /** Unvoiced frames louder than silence. */
  unvoiced: Uint8Array;
  frames: number;
  durationS: number;
  /** Clip-level values: loudness peaks per second, voiced segment statistics, sound level. */
  clip: Map<string, number>;
}

export interface LldOptions {
  /** False: no 3-frame moving average (to compare single frames with a reference). */
  smoothing?: boolean;
  /** The contours wanted (default all): descriptors no one asks for are not computed. */
  only?: ReadonlySet<string>;
}

/** The LLD contours of `samples` (finite, mono, at `sampleRate`). */
export function computeLlds(samples: Float32Array, sampleRate: number, options: LldOptions = {}): ClipLlds {
  const { smoothing = true, only } = options;
  const wants = (...names: string[]) => !only || names.some((name) => only.has(name));
  const frames = analysisFrames(samples.length, sampleRate);
  const contours: Contours = new Map();
  const add = (name: string, values: Float64Array) => {
    if (wants(name)) contours.set(name, values);
  };
  const shapeWanted = wants(
    'spectralCentroid',
    'spectralVariance',
    'spectralSkewness',
    'spectralKurtosis',
    'spectralEntropy',
    'spectralFlatness',
  );
  const rolloffWanted = wants(...ROLLOFF_PERCENTS.map((percent) => `spectralRollOff${percent}`));
  const slopeWanted = wants('spectralSlope');
  const formantsWanted = wants(
    'logRelF0-H1-A3',
    ...[1, 2, 3].flatMap((f) => [`F${f}frequency`, `F${f}bandwidth`, `F${f}amplitudeLogRelF0`]),
  );
  const perturbationWanted = wants('jitterLocal', 'jitterDDP', 'shimmerLocaldB');
  const perFrame = () => new Float64Array(frames);

  // Spectral descriptors: a 25 ms Hamming window at the clip's rate.
  const windowLength = Math.max(2, Math.round(SPECTRUM_WINDOW_S * sampleRate));
  const window = hammingWindow(windowLength);
  const size = nextPowerOfTwo(windowLength);
  const fft = getRealFft(size);
  const bins = fft.bins;
  const binHz = sampleRate / size;
  const nyquist = sampleRate / 2;
  const bank = melFilterbank(sampleRate, size, AUDITORY_BANDS, AUDITORY_FMIN_HZ, Math.min(AUDITORY_FMAX_HZ, nyquist));
  const dct = dctOrthoMatrix(MFCC_COUNT + 1, AUDITORY_BANDS);
  const frame = new Float64Array(size);
  let spectrum = new FrameSpectrum(bins, binHz);
  let previous: FrameSpectrum | null = null;
  const rolloffFractions = ROLLOFF_PERCENTS.map((percent) => percent / 100);
  const rolloffValues = new Float64Array(ROLLOFF_PERCENTS.length);
  const bandDb = new Float64Array(AUDITORY_BANDS);

  const loudness = perFrame();
  const rms = perFrame();
  const zcr = perFrame();
  const aud = Array.from({ length: AUDITORY_BANDS }, perFrame);
  const mfcc = Array.from({ length: MFCC_COUNT }, perFrame);
  const flux = perFrame();
  const centroid = perFrame();
  const variance = perFrame();
  const skewness = perFrame();
  const kurtosis = perFrame();
  const entropy = perFrame();
  const flatness = perFrame();
  const slope = perFrame();
  const slopeLow = perFrame();
  const slopeMid = perFrame();
  const alpha = perFrame();
  const hammarberg = perFrame();
  const rolloffTracks = ROLLOFF_PERCENTS.map(perFrame);

  for (let t = 0; t < frames; t++) {
    const centre = frameCentre(t, sampleRate);
    // RMS and zero crossings on the rectangular frame (zeros outside the clip).
    const start = centre - (windowLength >> 1);
    const from = Math.max(0, start);
    const to = Math.min(samples.length, start + windowLength);
    let energy = 0;
    let crossings = 0;
    for (let i = from; i < to; i++) {
      energy += samples[i] * samples[i];
      if (i > from && samples[i] >= 0 !== samples[i - 1] >= 0) crossings++;
    }
    // A zero before or after the clip counts as non-negative.
    if (from > start && from < to && samples[from] < 0) crossings++;
    if (to < start + windowLength && to > from && samples[to - 1] < 0) crossings++;
    rms[t] = Math.sqrt(energy / windowLength);
    zcr[t] = crossings / windowLength;
    fillFrame(samples, centre, window, frame);
    const power = spectrum.power;
    fft.powerSpectrum(frame, power);
    spectrum.update();
    let sone = 0;
    for (let b = 0; b < AUDITORY_BANDS; b++) {
      let e = 0;
      const start = bank.startBin[b];
      for (let w = bank.offset[b], k = start; w < bank.offset[b + 1]; w++, k++) e += bank.weights[w] * power[k];
      sone += Math.pow(e, LOUDNESS_EXPONENT);
      bandDb[b] = 10 * Math.log10(e + 1e-10);
      aud[b][t] = bandDb[b];
    }
    loudness[t] = sone;
    for (let c = 1; c <= MFCC_COUNT; c++) {
      let v = 0;
      for (let b = 0; b < AUDITORY_BANDS; b++) v += dct[c * AUDITORY_BANDS + b] * bandDb[b];
      mfcc[c - 1][t] = v;
    }
    if (shapeWanted) {
      const shape = spectralShape(spectrum);
      centroid[t] = shape.centroid;
      variance[t] = shape.variance;
      skewness[t] = shape.skewness;
      kurtosis[t] = shape.kurtosis;
      entropy[t] = shape.entropy;
      flatness[t] = shape.flatness;
    }
    flux[t] = spectralFlux(spectrum, previous);
    if (slopeWanted) slope[t] = bandSlope(spectrum, 0, nyquist);
    slopeLow[t] = bandSlope(spectrum, 0, 500);
    slopeMid[t] = bandSlope(spectrum, 500, 1500);
    alpha[t] = alphaRatio(spectrum);
    hammarberg[t] = hammarbergIndex(spectrum);
    if (rolloffWanted) {
      rolloffs(spectrum, rolloffFractions, rolloffValues);
      for (let i = 0; i < rolloffValues.length; i++) rolloffTracks[i][t] = rolloffValues[i];
    }
    // Keep this frame's spectrum for the next frame's flux.
    const spare: FrameSpectrum = previous ?? new FrameSpectrum(bins, binHz);
    previous = spectrum;
    spectrum = spare;
  }

  // Pitch, voicing, HNR, harmonics and formants on the decimated signal.
  const factor = decimationFactor(sampleRate);
  const low = decimate(samples, factor);
  const lowRate = sampleRate / factor;
  const pitch = trackPitch(low, lowRate, frames);
  const f0 = pitch.f0;
  const voiced = new Uint8Array(frames);
  const semitones = new Float64Array(frames).fill(Number.NaN);
  const hnr = new Float64Array(frames).fill(Number.NaN);
  for (let t = 0; t < frames; t++) {
    if (!(f0[t] > 0)) continue;
    voiced[t] = 1;
    semitones[t] = hzToSemitones(f0[t]);
    // Boersma's harmonics-to-noise ratio from the normalised autocorrelation r at the period.
    const r = Math.min(Math.max(pitch.strength[t], 1e-4), 1 - 1e-4);
    hnr[t] = Math.max(-HNR_LIMIT_DB, Math.min(HNR_LIMIT_DB, 10 * Math.log10(r / (1 - r))));
  }
  const formants = trackFormants(low, lowRate, frames, (t) => formantsWanted && voiced[t] === 1);
  const harmonics = harmonicDifferences(pitch, formants.frequency[2]);
  const levels = formantLevels(pitch, formants.frequency);
  const perturbation = framePerturbation(perturbationWanted ? periodMarks(low, lowRate, f0) : NO_MARKS, frames);

  // Smoothing, then the contours in their documented names.
  const smooth3 = smoothing ? smoothContour : (contour: Float64Array) => contour;
  add('loudness', smooth3(loudness));
  add('rmsEnergy', smooth3(rms));
  add('zcr', smooth3(zcr));
  aud.forEach((band, b) => add(`audSpec${b + 1}`, smooth3(band)));
  mfcc.forEach((coefficient, c) => add(`mfcc${c + 1}`, smooth3(coefficient)));
  add('spectralFlux', smooth3(flux));
  add('spectralCentroid', smooth3(centroid));
  add('spectralVariance', smooth3(variance));
  add('spectralSkewness', smooth3(skewness));
  add('spectralKurtosis', smooth3(kurtosis));
  add('spectralEntropy', smooth3(entropy));
  add('spectralFlatness', smooth3(flatness));
  add('spectralSlope', smooth3(slope));
  ROLLOFF_PERCENTS.forEach((percent, i) => add(`spectralRollOff${percent}`, smooth3(rolloffTracks[i])));
  add('slope0-500', smooth3(slopeLow));
  add('slope500-1500', smooth3(slopeMid));
  add('alphaRatio', smooth3(alpha));
  add('hammarbergIndex', smooth3(hammarberg));
  add('voicingProb', smooth3(pitch.voicing));
  add('F0semitone', smooth3(semitones));
  add('HNRdBACF', smooth3(hnr));
  add('jitterLocal', smooth3(perturbation.jitterLocal));
  add('jitterDDP', smooth3(perturbation.jitterDdp));
  add('shimmerLocaldB', smooth3(perturbation.shimmerLocalDb));
  add('logRelF0-H1-H2', smooth3(harmonics.h1h2));
  add('logRelF0-H1-A3', smooth3(harmonics.h1a3));
  for (let f = 0; f < 3; f++) {
    add(`F${f + 1}frequency`, smooth3(formants.frequency[f]));
    add(`F${f + 1}bandwidth`, smooth3(formants.bandwidth[f]));
    add(`F${f + 1}amplitudeLogRelF0`, smooth3(levels[f]));
  }

  const peakRms = rms.reduce((a, b) => Math.max(a, b), 0);
  const silence = peakRms * Math.pow(10, -SILENCE_BELOW_PEAK_DB / 20);
  const unvoiced = new Uint8Array(frames);
  for (let t = 0; t < frames; t++) unvoiced[t] = !voiced[t] && rms[t] > silence && rms[t] > 0 ? 1 : 0;
  const durationS = Math.max(samples.length / sampleRate, HOP_S);
  return { contours, voiced, unvoiced, frames, durationS, clip: clipValues(contours.get('loudness')!, voiced, rms, durationS) };
}

const NO_MARKS: PeriodMarks = { times: new Float64Array(0), amplitudes: new Float64Array(0), joined: new Uint8Array(0) };

/** Lengths in seconds of the runs of frames where `mask` is `value`. */
function runLengths(mask: Uint8Array, value: number): number[] {
  const lengths: number[] = [];
  let run = 0;
  for (let t = 0; t <= mask.length; t++) {
    if (t < mask.length && mask[t] === value) run++;
    else if (run > 0) {
      lengths.push(run * HOP_S);
      run = 0;
    }
  }
  return lengths;
}

function meanStd(values: number[]): [number, number] {
  if (values.length === 0) return [0, 0];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return [mean, Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)];
}

function clipValues(loudness: Float64Array, voiced: Uint8Array, rms: Float64Array, durationS: number): Map<string, number> {
  let peaks = 0;
  for (let t = 1; t + 1 < loudness.length; t++) if (loudness[t] > loudness[t - 1] && loudness[t] > loudness[t + 1]) peaks++;
  const voicedRuns = runLengths(voiced, 1);
  const unvoicedRuns = runLengths(voiced, 0);
  const [voicedMean, voicedStd] = meanStd(voicedRuns);
  const [unvoicedMean, unvoicedStd] = meanStd(unvoicedRuns);
  const meanPower = rms.reduce((a, r) => a + r * r, 0) / rms.length;
  return new Map([
    ['loudnessPeaksPerSec', peaks / durationS],
    ['VoicedSegmentsPerSec', voicedRuns.length / durationS],
    ['MeanVoicedSegmentLengthSec', voicedMean],
    ['StddevVoicedSegmentLengthSec', voicedStd],
    ['MeanUnvoicedSegmentLength', unvoicedMean],
    ['StddevUnvoicedSegmentLength', unvoicedStd],
    ['equivalentSoundLevel_dBp', 10 * Math.log10(Math.max(meanPower, 1e-10))],
  ]);
}

/** The pitch window length in seconds (the shortest clip analysed without zero padding). */
export const SHORTEST_ANALYSED_S = PITCH_WINDOW_S;
