/** The names a training configuration chooses from (plain data, shared with the UI's form). */

/** The networks of the model zoo (they take feature matrices). */
export type NetworkModelName = 'seed-cnn' | 'crnn' | 'res-cnn';
export const NETWORK_MODEL_NAMES: readonly NetworkModelName[] = ['seed-cnn', 'crnn', 'res-cnn'];

export type OptimizerName = 'adamw' | 'adam' | 'sgd';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adamw', 'adam', 'sgd'];

export type ClassWeightMode = 'balanced' | 'none';

/** How the learning rate moves: ReduceLROnPlateau on the validation loss, or per-step cosine with warm-up. */
export type LrScheduleName = 'plateau' | 'cosine';

/** What `checkpoints/best` holds: one epoch, or the weight average of the last / top epochs. */
export type WeightAveraging = 'none' | 'last' | 'top';

/** After weight averaging: recompute batch-norm statistics on the training set, or average them. */
export type AveragingBatchNorm = 'recompute' | 'average';

export type PresetName = 'quick' | 'full';
export const PRESET_NAMES: readonly PresetName[] = ['quick', 'full'];

export type LossName = 'cross-entropy' | 'focal';
export const LOSS_NAMES: readonly LossName[] = ['cross-entropy', 'focal'];

/** The validation metric that picks `checkpoints/best`. */
export type SelectionMetric = 'val_uar' | 'val_accuracy' | 'val_macro_f1' | 'val_loss';

export const CLASS_WEIGHT_MODES: readonly ClassWeightMode[] = ['balanced', 'none'];

export type SplitKind = 'speaker' | 'random';
export const SPLIT_KINDS: readonly SplitKind[] = ['speaker', 'random'];

/** 'librosa': librosa-exact MFCC; 'meyda': Meyda's own MFCC on the same framing. */
export type FeaturePreset = 'librosa' | 'meyda';
export const FEATURE_PRESETS: readonly FeaturePreset[] = ['librosa', 'meyda'];

export type MeydaDescriptor = 'chroma' | 'spectralCentroid' | 'spectralFlatness' | 'spectralRolloff' | 'rms' | 'zcr' | 'loudness';
/** All descriptors, in the canonical order used for rows and hashing. */
export const MEYDA_DESCRIPTORS: readonly MeydaDescriptor[] = [
  'chroma',
  'spectralCentroid',
  'spectralFlatness',
  'spectralRolloff',
  'rms',
  'zcr',
  'loudness',
];

/** The tfjs backends, best first. */
export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/** The checkpoints a run keeps. */
export type CheckpointName = 'best' | 'final';
export const CHECKPOINT_NAMES: readonly CheckpointName[] = ['best', 'final'];

/**
 * Utterance-level feature vectors (acoustic functionals: descriptors on short windows, then
 * statistics over the utterance). A vector feature set is stored as a matrix of one frame: rows are
 * the named dimensions, frames = 1, so the cache, normalisation and export treat it like any other.
 */
export type VectorRepresentation = 'egemaps-like' | 'compare-like';
export const VECTOR_REPRESENTATIONS: readonly VectorRepresentation[] = ['egemaps-like', 'compare-like'];

/**
 * A pretrained speech encoder's frame embeddings (features/encoder/): pooled to their mean and
 * standard deviation over the clip (one vector, as functionals are) or kept as a frame sequence.
 */
export type EncoderPooling = 'mean-std' | 'frames';
export const ENCODER_POOLINGS: readonly EncoderPooling[] = ['mean-std', 'frames'];

/**
 * Which file of an encoder export to run, by the names Hugging Face exports use in `onnx/`:
 * model.onnx (fp32), model_fp16.onnx, model_quantized.onnx (q8), model_int8.onnx, model_uint8.onnx;
 * 'auto' takes the first present in that order, fp32 before the quantised files.
 */
export type EncoderDtype = 'auto' | 'fp32' | 'q8' | 'int8' | 'uint8' | 'fp16';
export const ENCODER_DTYPES: readonly EncoderDtype[] = ['auto', 'fp32', 'q8', 'int8', 'uint8', 'fp16'];

/** Classifiers of feature vectors (they accept only vector representations). */
export type ClassicalModelName = 'svm-linear' | 'svm-rbf' | 'logreg' | 'knn' | 'mlp';
export const CLASSICAL_MODEL_NAMES: readonly ClassicalModelName[] = ['svm-linear', 'svm-rbf', 'logreg', 'knn', 'mlp'];

/** The shape of input a representation produces and a model accepts. */
export type InputKind = 'matrix' | 'vector';

export function isVectorRepresentation(representation: string): representation is VectorRepresentation {
  return (VECTOR_REPRESENTATIONS as readonly string[]).includes(representation);
}

export function isClassicalModel(model: string): model is ClassicalModelName {
  return (CLASSICAL_MODEL_NAMES as readonly string[]).includes(model);
}

/** Every model a training configuration can name: the networks, then the classical classifiers. */
export type ModelName = NetworkModelName | ClassicalModelName;
export const MODEL_NAMES: readonly ModelName[] = [...NETWORK_MODEL_NAMES, ...CLASSICAL_MODEL_NAMES];

/** The input a model accepts: classical classifiers take vectors, the networks matrices. */
export function modelInputKind(model: ModelName): InputKind {
  return isClassicalModel(model) ? 'vector' : 'matrix';
}

/** The input a representation produces (an encoder's: a vector when pooled, else its frames). */
export function representationInputKind(representation: string, encoderPooling: string = 'mean-std'): InputKind {
  if (representation === 'encoder') return encoderPooling === 'frames' ? 'matrix' : 'vector';
  return isVectorRepresentation(representation) ? 'vector' : 'matrix';
}

/** How the doors and the UI name a representation (an encoder's with its pooling). */
function representationText(representation: string, encoderPooling: string): string {
  return representation === 'encoder' ? `representation 'encoder' with pooling '${encoderPooling}'` : `representation '${representation}'`;
}

/**
 * Why `model` cannot take `representation` (one line), or null when it can: classical
 * classifiers take only vectors (functionals, a pooled encoder), the networks only matrices
 * (MFCC, log-mel, an encoder's frames).
 */
export function modelRepresentationProblem(model: ModelName, representation: string, encoderPooling: string = 'mean-std'): string | null {
  if (modelInputKind(model) === representationInputKind(representation, encoderPooling)) return null;
  const given = representationText(representation, encoderPooling);
  return modelInputKind(model) === 'vector'
    ? `model '${model}' classifies feature vectors, but ${given} gives matrices: choose a vector representation (${VECTOR_REPRESENTATIONS.join(', ')}, or encoder with mean-std pooling)`
    : `model '${model}' takes feature matrices, but ${given} gives vectors: choose a classical model (${CLASSICAL_MODEL_NAMES.join(', ')}), or encoder with frames pooling`;
}

/**
 * Why `normalization` cannot standardise `representation`'s features (one line), or null when it
 * can: a vector is one frame per clip, and standardising a clip by its own statistics turns that
 * frame into zeros, so every clip would look alike.
 */
export function normalizationProblem(normalization: string, representation: string, encoderPooling: string = 'mean-std'): string | null {
  if (normalization !== 'clip' || representationInputKind(representation, encoderPooling) !== 'vector') return null;
  return `normalization 'clip' standardises each clip by its own statistics, but ${representationText(representation, encoderPooling)} gives one vector per clip, which that turns into zeros: choose normalization 'speaker' or 'global'`;
}

/**
 * The one rule every door (CLI, app, serve mode, study grids, the job itself) applies to a training
 * config and its features: the model reads the representation, and the normalisation keeps it.
 */
export function trainingInputProblem(
  training: { model: ModelName; normalization: string },
  features: { representation: string; encoderPooling?: string },
): string | null {
  const pooling = features.encoderPooling ?? 'mean-std';
  return (
    modelRepresentationProblem(training.model, features.representation, pooling) ??
    normalizationProblem(training.normalization, features.representation, pooling)
  );
}
