/**
 * What every classical classifier provides to the inner cross-validation and the checkpoint: a grid
 * of candidate hyper-parameters, out-of-fold scores for one candidate, a final fit, and class
 * probabilities from the fitted parameters (plain JSON data, saved as classifier.json).
 */
import type { ClassWeightMode } from '../../schema/names';
import type { Vectors } from './vectors';

export type HyperParameters = Record<string, number>;

/** The examples a classifier learns from: vectors, class indices, and the seed of every random choice. */
export interface TrainingData {
  vectors: Vectors;
  y: Int32Array;
  numClasses: number;
  classWeights: ClassWeightMode;
  seed: number;
}

/** Hyper-parameter grids (an empty or absent grid: the classifier's own default grid). */
export interface ClassifierSettings {
  cValues?: readonly number[];
  gammaScales?: readonly number[];
  kValues?: readonly number[];
  hiddenUnits: number;
}

export interface Learner<P> {
  /** The candidates the inner cross-validation compares, simplest first (ties go to the first). */
  candidates(settings: ClassifierSettings, dims: number): HyperParameters[];
  /**
   * Fits on the examples `train` of `data` and returns scores for the examples `held` (held.length
   * × numClasses; the largest is the prediction). State shared across calls (kernel matrices) may
   * be kept in `cache`, which lives for one training data set.
   */
  crossScores(data: TrainingData, train: Int32Array, held: Int32Array, h: HyperParameters, cache: Map<string, unknown>): Float64Array;
  /**
   * The final fit on every example; `outOfFold` holds the chosen candidate's out-of-fold scores of
   * every example (the SVMs calibrate their probabilities on them).
   */
  fit(data: TrainingData, h: HyperParameters, outOfFold: Float64Array, cache: Map<string, unknown>): P;
  /**
   * The out-of-fold scores as class probabilities (the SVMs' decision values through the fitted
   * Platt sigmoids); absent when the scores are probabilities already.
   */
  scoresToProbabilities?(parameters: P, scores: Float64Array): Float64Array;
  /** Class probabilities of `vectors` (n × numClasses, rows summing to 1). */
  probabilities(parameters: P, vectors: Vectors, numClasses: number): Float64Array;
  /** Throws when stored parameters do not fit `dims` and `numClasses` (a damaged classifier.json). */
  check(parameters: unknown, dims: number, numClasses: number): asserts parameters is P;
}

/** A grid from the settings, or the default grid when none was given. */
export function gridOr(values: readonly number[] | undefined, fallback: readonly number[]): readonly number[] {
  return values && values.length > 0 ? values : fallback;
}

/** Throws unless `value` is an array of `length` finite numbers. */
export function expectNumbers(value: unknown, length: number, what: string): asserts value is number[] {
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new Error(`${what} must be ${length} finite numbers`);
  }
}
