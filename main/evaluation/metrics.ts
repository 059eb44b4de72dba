import type { ClipPrediction } from './types';

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Clips whose true label is this class. */
  support: number;
  /** Clips predicted as this class. */
  predicted: number;
}

export interface EvaluationMetrics {
  n: number;
  labels: string[];
  accuracy: number;
  /** Unweighted average recall (balanced accuracy) over classes with support > 0. */
  uar: number;
  /** Mean F1 over classes with support > 0. */
  macroF1: number;
  /** F1 weighted by support. */
  weightedF1: number;
  perClass: ClassMetrics[];
  /** Counts, [true][predicted]. */
  confusion: number[][];
  /** Rows divided by their support; rows with no support are all zeros. */
  confusionNormalized: number[][];
  /** Classes present in the data that the model never predicted (their precision is reported as 0). */
  neverPredicted: string[];
}

export interface HeadlineMetrics {
  accuracy: number;
  uar: number;
  macroF1: number;
}

/** Maps each prediction's true and predicted label to its index in `labels`; unknown labels are an error. */
export function labelIndices(
  predictions: readonly ClipPrediction[],
  labels: readonly string[],
): { trueIdx: Int32Array; predIdx: Int32Array } {
  const index = new Map(labels.map((label, i) => [label, i]));
  if (index.size !== labels.length) throw new Error(`Duplicate labels in [${labels.join(', ')}]`);
  const trueIdx = new Int32Array(predictions.length);
  const predIdx = new Int32Array(predictions.length);
  predictions.forEach((p, i) => {
    const t = index.get(p.trueLabel);
    const q = index.get(p.predictedLabel);
    if (t === undefined) throw new Error(`Clip ${p.clipId}: true label "${p.trueLabel}" is not one of [${labels.join(', ')}]`);
    if (q === undefined) throw new Error(`Clip ${p.clipId}: predicted label "${p.predictedLabel}" is not one of [${labels.join(', ')}]`);
    trueIdx[i] = t;
    predIdx[i] = q;
  });
  return { trueIdx, predIdx };
}

/**
 * Accuracy, UAR and macro-F1 from a flat k×k confusion count matrix ([true * k + pred]).
 * Shared by computeMetrics and the bootstrap so both always agree. F1 is computed as
 * 2·tp / (support + predicted), which equals 2PR/(P+R) and is 0 when the class is never predicted.
 */
export function headlineFromCounts(counts: ArrayLike<number>, k: number): HeadlineMetrics {
  let n = 0;
  let correct = 0;
  let recallSum = 0;
  let f1Sum = 0;
  let supported = 0;
  for (let c = 0; c < k; c++) {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += counts[c * k + j]!;
      predicted += counts[j * k + c]!;
    }
    const tp = counts[c * k + c]!;
    n += support;
    correct += tp;
    if (support > 0) {
      supported++;
      recallSum += tp / support;
      f1Sum += (2 * tp) / (support + predicted);
    }
  }
  return {
    accuracy: n > 0 ? correct / n : 0,
    uar: supported > 0 ? recallSum / supported : 0,
    macroF1: supported > 0 ? f1Sum / supported : 0,
  };
}

export function computeMetrics(predictions: readonly ClipPrediction[], labels: readonly string[]): EvaluationMetrics {
  const k = labels.length;
  const { trueIdx, predIdx } = labelIndices(predictions, labels);
  const counts = new Float64Array(k * k);
  for (let i = 0; i < trueIdx.length; i++) counts[trueIdx[i]! * k + predIdx[i]!]! += 1;

  const confusion = labels.map((_, t) => Array.from(counts.subarray(t * k, t * k + k)));
  const perClass: ClassMetrics[] = labels.map((label, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c]!, 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support, predicted };
  });
  const n = predictions.length;
  const weightedF1 = n > 0 ? perClass.reduce((sum, c) => sum + c.f1 * c.support, 0) / n : 0;

  return {
    n,
    labels: [...labels],
    ...headlineFromCounts(counts, k),
    weightedF1,
    perClass,
    confusion,
    confusionNormalized: confusion.map((row, c) => {
      const support = perClass[c]!.support;
      return row.map((v) => (support > 0 ? v / support : 0));
    }),
    neverPredicted: perClass.filter((c) => c.support > 0 && c.predicted === 0).map((c) => c.label),
  };
}
