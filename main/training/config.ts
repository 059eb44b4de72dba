/**
 * The training configuration: its field table lives in schema/trainingFields.ts (types, ranges,
 * per-preset defaults, labels, CLI flags); this module gives the engine its presets and the one
 * entry point that turns untrusted overrides into a checked config.
 */
import type { AugmentConfig } from './augment';
import { presetsFromTable, TRAINING_FIELDS, trainingResolver, type AugmentSettings, type TrainingConfig } from '../schema/trainingFields';

export type { AveragingBatchNorm, LossName, LrScheduleName, PresetName, SelectionMetric, WeightAveraging } from '../schema/names';
export type { SplitConfig, TrainingConfig, TrainingOverrides } from '../schema/trainingFields';

// The table's augment settings and the augmentation's config are the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const augmentShapesAgree: Same<AugmentSettings, AugmentConfig> = true;
void augmentShapesAgree;

export const PRESETS: Readonly<Record<TrainingConfig['preset'], TrainingConfig>> = presetsFromTable(TRAINING_FIELDS);

/**
 * The config a run uses: `overrides` (untrusted: a request's JSON, CLI flags) checked against the
 * field table and laid over the chosen preset (default `full`). Throws an Error naming the field
 * and the value received: `invalid training config: learningRate must be a number, got the string "0.001"`.
 */
export const resolveTrainingConfig: (overrides?: unknown) => TrainingConfig = trainingResolver(TRAINING_FIELDS);
