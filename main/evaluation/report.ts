/**
 * An evaluation report: what `evaluation-<checkpoint>.json` in a run folder holds — metrics,
 * bootstrap confidence intervals and every per-clip prediction with all class probabilities.
 */
import { bootstrapConfidenceIntervals, type BootstrapIntervals } from './bootstrap';
import { computeMetrics, type EvaluationMetrics } from './metrics';
import type { ClipPrediction } from './types';

export interface EvaluationReport {
  checkpoint: string;
  createdAt: string;
  dataset: { root: string; scheme: string; part: string };
  split: { description: string; leaksSpeakers: boolean };
  labels: string[];
  metrics: EvaluationMetrics;
  confidenceIntervals: BootstrapIntervals;
  predictions: ClipPrediction[];
  /** Cross-corpus evaluation: data classes the model cannot predict (their clips are excluded). */
  excluded?: { unknownToModel: string[]; clips: number };
}

export interface ReportInput {
  checkpoint: string;
  labels: string[];
  clips: readonly { id: string; path: string; speaker: string; label: string }[];
  /** clips.length × labels.length softmax probabilities. */
  probabilities: Float32Array;
  dataset: { root: string; scheme: string; part: string };
  splitDescription: string;
  leaksSpeakers: boolean;
  seed: number;
  excluded?: EvaluationReport['excluded'];
}

export function predictionsFromProbabilities(
  clips: ReportInput['clips'],
  labels: readonly string[],
  probabilities: Float32Array,
): ClipPrediction[] {
  const k = labels.length;
  return clips.map((clip, i) => {
    const row = Array.from(probabilities.subarray(i * k, (i + 1) * k));
    let best = 0;
    for (let c = 1; c < k; c++) if (row[c]! > row[best]!) best = c;
    return {
      clipId: clip.id,
      path: clip.path,
      speaker: clip.speaker,
      trueLabel: clip.label,
      predictedLabel: labels[best]!,
      confidence: row[best]!,
      probabilities: row,
    };
  });
}

export function buildEvaluationReport(input: ReportInput): EvaluationReport {
  const predictions = predictionsFromProbabilities(input.clips, input.labels, input.probabilities);
  return {
    checkpoint: input.checkpoint,
    createdAt: new Date().toISOString(),
    dataset: input.dataset,
    split: { description: input.splitDescription, leaksSpeakers: input.leaksSpeakers },
    labels: [...input.labels],
    metrics: computeMetrics(predictions, input.labels),
    confidenceIntervals: bootstrapConfidenceIntervals(predictions, input.labels, { seed: input.seed, iterations: 1000 }),
    predictions,
    ...(input.excluded ? { excluded: input.excluded } : {}),
  };
}
