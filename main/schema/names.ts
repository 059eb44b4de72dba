/** The names a training configuration chooses from (plain data, shared with the UI's form). */

export type ModelName = 'seed-cnn' | 'crnn' | 'res-cnn';
export const MODEL_NAMES: readonly ModelName[] = ['seed-cnn', 'crnn', 'res-cnn'];

export type OptimizerName = 'adamw' | 'adam' | 'sgd';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adamw', 'adam', 'sgd'];

export type ClassWeightMode = 'balanced' | 'none';

/** How the learning rate moves: ReduceLROnPlateau on the validation loss, or per-step cosine with warm-up. */
export type LrScheduleName = 'plateau' | 'cosine';
export const LR_SCHEDULES: readonly LrScheduleName[] = ['plateau', 'cosine'];

/** What `checkpoints/best` holds: one epoch, or the weight average of the last / top epochs. */
export type WeightAveraging = 'none' | 'last' | 'top';
export const WEIGHT_AVERAGING_MODES: readonly WeightAveraging[] = ['none', 'last', 'top'];

/** After weight averaging: recompute batch-norm statistics on the training set, or average them. */
export type AveragingBatchNorm = 'recompute' | 'average';
export const AVERAGING_BATCH_NORM_MODES: readonly AveragingBatchNorm[] = ['recompute', 'average'];
