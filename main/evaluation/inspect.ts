import type { ClipPrediction } from './types';

const byConfidenceDesc = (x: ClipPrediction, y: ClipPrediction): number => y.confidence - x.confidence;

/** Wrong predictions, the most confidently wrong first. */
export function misclassified(predictions: readonly ClipPrediction[]): ClipPrediction[] {
  return predictions.filter((p) => p.predictedLabel !== p.trueLabel).sort(byConfidenceDesc);
}

/** The clips behind one confusion-matrix cell, most confident first. */
export function cellClips(predictions: readonly ClipPrediction[], trueLabel: string, predictedLabel: string): ClipPrediction[] {
  return predictions.filter((p) => p.trueLabel === trueLabel && p.predictedLabel === predictedLabel).sort(byConfidenceDesc);
}
