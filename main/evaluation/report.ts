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

/** A model with NaN or Inf outputs is broken, not merely bad: scoring it (NaN argmax = first class) would be a lie. */
function assertFiniteOutputs(input: ReportInput): void {
  const k = input.labels.length;
  let broken = 0;
  for (let i = 0; i < input.clips.length; i++) {
    if (!input.probabilities.subarray(i * k, (i + 1) * k).every(Number.isFinite)) broken++;
  }
  if (broken > 0) {
    throw new Error(
      `checkpoint '${input.checkpoint}' gives NaN or Inf outputs for ${broken} of ${input.clips.length} clips (its weights are broken, e.g. by a diverged training); it is not scored`,
    );
  }
}

export function buildEvaluationReport(input: ReportInput): EvaluationReport {
  assertFiniteOutputs(input);
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
