/**
 * A live session's settings resolved for one model: the field table's checks, then the limits the
 * model sets (the window against its input length) and the normalisation it was trained with.
 */
import { inputSeconds } from '../../features/frames';
import type { FeatureConfig } from '../../features/config';
import type { NormalizationMode } from '../../features/standardize';
import { checkOverrides, defaultsFromTable, mergeOverrides, withPrefix } from '../../schema/fields';
import {
  LISTEN_FIELDS,
  MIN_LISTEN_HOP_S,
  MIN_LISTEN_WINDOW_S,
  type ListenNormalization,
  type ListenSettings,
} from '../../schema/listenFields';
import { representationInputKind } from '../../schema/names';

export const DEFAULT_LISTEN_SETTINGS: Readonly<ListenSettings> = Object.freeze(
  defaultsFromTable(LISTEN_FIELDS, 'default') as unknown as ListenSettings,
);

/** A vector model's functionals have no input length: its windows are this long by default. */
export const VECTOR_WINDOW_S = 3;

/** The default hop, when the window is longer. */
const DEFAULT_HOP_S = 1;

export interface ResolvedListenSettings extends ListenSettings {
  normalization: ListenNormalization;
}

/** What the settings depend on: the model's features and how it was normalised in training. */
export interface ListenModel {
  featureConfig: FeatureConfig;
  normalization: NormalizationMode;
}

/**
 * The audio a matrix model hears: the length whose natural frame count (1 + samples / hop) is its
 * input's frames. null for a vector model (functionals, a pooled encoder: any length).
 */
export function modelWindowS(cfg: FeatureConfig): number | null {
  return inputSeconds(cfg);
}

/** `overrides` (untrusted) checked against the field table, then against the model; throws one line naming the setting. */
export function resolveListenSettings(overrides: unknown, model: ListenModel): ResolvedListenSettings {
  const given = mergeOverrides(
    { ...DEFAULT_LISTEN_SETTINGS },
    withPrefix('invalid listen settings: ', () => checkOverrides(LISTEN_FIELDS, overrides, 'the listen settings')),
  );
  const longest = modelWindowS(model.featureConfig);
  const windowS = given.windowS === 0 ? (longest ?? VECTOR_WINDOW_S) : given.windowS;
  if (windowS < MIN_LISTEN_WINDOW_S) throw new Error(`the window must be at least ${MIN_LISTEN_WINDOW_S} s (got ${windowS} s)`);
  // A little slack: the default is this length rounded to the sample.
  if (longest !== null && windowS > longest + 1e-6) {
    throw new Error(
      `the window (${windowS} s) is longer than the model's input (${longest.toFixed(2)} s, ${model.featureConfig.frames} frames): it would not hear the rest`,
    );
  }
  const hopS = given.hopS === 0 ? Math.min(DEFAULT_HOP_S, windowS) : given.hopS;
  if (hopS < MIN_LISTEN_HOP_S) throw new Error(`the hop must be at least ${MIN_LISTEN_HOP_S} s (got ${hopS} s)`);
  if (hopS > windowS)
    throw new Error(`the hop (${hopS} s) is longer than the window (${windowS} s): audio between windows would not be heard`);
  const vector = representationInputKind(model.featureConfig.representation, model.featureConfig.encoderPooling) === 'vector';
  return { ...given, windowS, hopS, normalization: normalizationOf(model.normalization, given.speakerNorm, vector) };
}

/**
 * A per-speaker model without live statistics standardises each window as predict does a file of
 * unknown speaker: a matrix with its own statistics, a vector (which they would make zeros) with
 * the training clips'.
 */
function normalizationOf(mode: NormalizationMode, speakerNorm: boolean, vector: boolean): ListenNormalization {
  if (mode !== 'speaker') return mode;
  if (speakerNorm) return 'speaker-live';
  return vector ? 'speaker-training' : 'speaker-window';
}
