/**
 * The two named functional sets: which LLD contours, over which frames, get which functionals,
 * plus clip-level values. Names are `<descriptor>_<functional>` (e.g. `F0semitone_pctl20`,
 * `loudness_pctlrange0-2`, `mfcc1V_mean` for MFCC 1 over voiced frames). Modelled on eGeMAPS v02
 * and ComParE 2013 (openSMILE), computed by this workbench's own descriptors: named "-like".
 */
import type { VectorRepresentation } from '../../schema/names';
import { AUDITORY_BANDS, MFCC_COUNT, ROLLOFF_PERCENTS } from './descriptors';
import type { FunctionalName } from './statistics';

export type FrameSelection = 'all' | 'voiced' | 'unvoiced';

export interface ContourGroup {
  /** The LLD contour (lld.ts). */
  lld: string;
  /** The prefix of its dimensions' names. */
  name: string;
  frames: FrameSelection;
  functionals: readonly FunctionalName[];
  /** Functionals of the contour's delta (first difference) rather than the contour. */
  delta?: boolean;
}

export interface FunctionalSet {
  groups: ContourGroup[];
  /** Clip-level values (lld.ts clipValues), appended after the groups. */
  clipValues: string[];
}

const TEN: readonly FunctionalName[] = [
  'mean',
  'stddevNorm',
  'pctl20',
  'pctl50',
  'pctl80',
  'pctlrange0-2',
  'meanRisingSlope',
  'stddevRisingSlope',
  'meanFallingSlope',
  'stddevFallingSlope',
];
const TWO: readonly FunctionalName[] = ['mean', 'stddevNorm'];
const ONE: readonly FunctionalName[] = ['mean'];

const group = (lld: string, frames: FrameSelection, functionals: readonly FunctionalName[], name = lld): ContourGroup => ({
  lld,
  name,
  frames,
  functionals,
});

/** eGeMAPS v02's 88 parameters, in its order. */
function egemapsLike(): FunctionalSet {
  const groups: ContourGroup[] = [
    group('F0semitone', 'voiced', TEN),
    group('loudness', 'all', TEN),
    group('spectralFlux', 'all', TWO),
    ...[1, 2, 3, 4].map((c) => group(`mfcc${c}`, 'all', TWO)),
    group('jitterLocal', 'voiced', TWO),
    group('shimmerLocaldB', 'voiced', TWO),
    group('HNRdBACF', 'voiced', TWO),
    group('logRelF0-H1-H2', 'voiced', TWO),
    group('logRelF0-H1-A3', 'voiced', TWO),
    ...[1, 2, 3].flatMap((f) => [
      group(`F${f}frequency`, 'voiced', TWO),
      group(`F${f}bandwidth`, 'voiced', TWO),
      group(`F${f}amplitudeLogRelF0`, 'voiced', TWO),
    ]),
    ...['alphaRatio', 'hammarbergIndex', 'slope0-500', 'slope500-1500', 'spectralFlux'].map((lld) =>
      group(lld, 'voiced', TWO, lld.replace(/^(slope)(.*)$/, '$1V$2').replace(/^(alphaRatio|hammarbergIndex|spectralFlux)$/, '$1V')),
    ),
    ...[1, 2, 3, 4].map((c) => group(`mfcc${c}`, 'voiced', TWO, `mfcc${c}V`)),
    ...['alphaRatio', 'hammarbergIndex', 'slope0-500', 'slope500-1500', 'spectralFlux'].map((lld) =>
      group(lld, 'unvoiced', ONE, lld.replace(/^(slope)(.*)$/, '$1UV$2').replace(/^(alphaRatio|hammarbergIndex|spectralFlux)$/, '$1UV')),
    ),
  ];
  return {
    groups,
    clipValues: [
      'loudnessPeaksPerSec',
      'VoicedSegmentsPerSec',
      'MeanVoicedSegmentLengthSec',
      'StddevVoicedSegmentLengthSec',
      'MeanUnvoicedSegmentLength',
      'StddevUnvoicedSegmentLength',
      'equivalentSoundLevel_dBp',
    ],
  };
}

/** Functionals of every ComParE-like contour and its delta. */
const COMPARE_FUNCTIONALS: readonly FunctionalName[] = [
  'mean',
  'stddev',
  'skewness',
  'kurtosis',
  'min',
  'max',
  'range',
  'minPos',
  'maxPos',
  'pctl1',
  'pctl20',
  'pctl50',
  'pctl80',
  'pctl99',
  'pctlrange0-2',
  'meanRisingSlope',
  'stddevRisingSlope',
  'meanFallingSlope',
  'stddevFallingSlope',
  'linregc1',
  'linregc2',
  'linregerrQ',
  'upleveltime25',
  'upleveltime75',
  'upleveltime90',
];

/** The LLDs of ComParE 2013 this workbench computes: energy, auditory bands, spectral shape, MFCC, voicing (all frames), then voice-quality ones (voiced frames). */
const COMPARE_ALL_FRAMES = [
  'loudness',
  'rmsEnergy',
  'zcr',
  ...Array.from({ length: AUDITORY_BANDS }, (_, b) => `audSpec${b + 1}`),
  'spectralFlux',
  'spectralCentroid',
  'spectralEntropy',
  'spectralVariance',
  'spectralSkewness',
  'spectralKurtosis',
  'spectralSlope',
  'spectralFlatness',
  ...ROLLOFF_PERCENTS.map((p) => `spectralRollOff${p}`),
  'alphaRatio',
  'hammarbergIndex',
  ...Array.from({ length: MFCC_COUNT }, (_, c) => `mfcc${c + 1}`),
  'voicingProb',
];
const COMPARE_VOICED = [
  'F0semitone',
  'jitterLocal',
  'jitterDDP',
  'shimmerLocaldB',
  'HNRdBACF',
  'logRelF0-H1-H2',
  'logRelF0-H1-A3',
  ...[1, 2, 3].flatMap((f) => [`F${f}frequency`, `F${f}bandwidth`, `F${f}amplitudeLogRelF0`]),
];

function compareLike(): FunctionalSet {
  const groups: ContourGroup[] = [];
  for (const [llds, frames] of [
    [COMPARE_ALL_FRAMES, 'all'],
    [COMPARE_VOICED, 'voiced'],
  ] as const) {
    for (const lld of llds) {
      groups.push(group(lld, frames, COMPARE_FUNCTIONALS));
      groups.push({ ...group(lld, frames, COMPARE_FUNCTIONALS, `${lld}_de`), delta: true });
    }
  }
  return { groups, clipValues: egemapsLike().clipValues };
}

const SETS: Record<VectorRepresentation, FunctionalSet> = {
  'egemaps-like': egemapsLike(),
  'compare-like': compareLike(),
};

export function functionalSet(representation: VectorRepresentation): FunctionalSet {
  return SETS[representation];
}

/** Every dimension's name, in order. */
export function functionalNames(representation: VectorRepresentation): string[] {
  const set = SETS[representation];
  return [...set.groups.flatMap((g) => g.functionals.map((f) => `${g.name}_${f}`)), ...set.clipValues];
}
