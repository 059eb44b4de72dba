export {
  EmotionPredictor,
  EncoderNeededError,
  isPredictionFailure,
  type FeatureMatrixInput,
  type PredictManyOptions,
  type Prediction,
  type PredictionFailure,
  type PredictionResult,
  type PredictorLoadOptions,
  TRAINING_STATISTICS_WARNING,
  UNKNOWN_SPEAKER_WARNING,
} from './predictor';
export { SPEAKER_NAME_SCHEMES, speakersFromNames, type SpeakerNameScheme } from './speakers';
export { resolveCheckpoint, type CheckpointSource } from './resolve';
export { scoresFromLogits, softmax, type RankedLabel, type Scores } from './scores';
export {
  FUSION_FILE,
  FusedPredictor,
  fusePredictions,
  isFusedCheckpoint,
  loadPredictor,
  writeFusedCheckpoint,
  type FusionManifest,
} from './fused';
