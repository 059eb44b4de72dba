/** The names a training configuration chooses from (plain data, shared with the UI's form). */

export type ModelName = 'seed-cnn' | 'crnn' | 'res-cnn';
export const MODEL_NAMES: readonly ModelName[] = ['seed-cnn', 'crnn', 'res-cnn'];

export type OptimizerName = 'adamw' | 'adam' | 'sgd';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adamw', 'adam', 'sgd'];

export type ClassWeightMode = 'balanced' | 'none';
