export {
  EmotionPredictor,
  isPredictionFailure,
  type FeatureMatrixInput,
  type PredictManyOptions,
  type Prediction,
  type PredictionFailure,
  type PredictionResult,
  type PredictorLoadOptions,
} from './predictor';
export { resolveCheckpoint, type CheckpointSource } from './resolve';
export { scoresFromLogits, softmax, type RankedLabel, type Scores } from './scores';
