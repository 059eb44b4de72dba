/** An evaluation report as files a paper or a spreadsheet takes: metrics JSON and CSV tables. */
import type { EvaluationReport } from './report';

function csvCell(value: string | number): string {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(6)) : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: (string | number)[][]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** Headline metrics with their confidence intervals, per-class metrics and the confusion matrix (no per-clip data). */
export function metricsSummary(report: EvaluationReport): object {
  const { metrics, confidenceIntervals } = report;
  return {
    checkpoint: report.checkpoint,
    dataset: report.dataset,
    split: report.split,
    n: metrics.n,
    accuracy: metrics.accuracy,
    uar: metrics.uar,
    macroF1: metrics.macroF1,
    weightedF1: metrics.weightedF1,
    confidenceIntervals,
    labels: report.labels,
    perClass: metrics.perClass,
    confusion: metrics.confusion,
    confusionNormalized: metrics.confusionNormalized,
    neverPredicted: metrics.neverPredicted,
    ...(report.excluded ? { excluded: report.excluded } : {}),
  };
}

export function perClassCsv(report: EvaluationReport): string {
  return toCsv([
    ['label', 'precision', 'recall', 'f1', 'support', 'predicted'],
    ...report.metrics.perClass.map((c) => [c.label, c.precision, c.recall, c.f1, c.support, c.predicted]),
  ]);
}

export function confusionCsv(report: EvaluationReport): string {
  return toCsv([['true \\ predicted', ...report.labels], ...report.metrics.confusion.map((row, i) => [report.labels[i]!, ...row])]);
}

export function predictionsCsv(report: EvaluationReport): string {
  return toCsv([
    ['clip', 'speaker', 'true', 'predicted', 'confidence', ...report.labels.map((l) => `p_${l}`)],
    ...report.predictions.map((p) => [p.clipId, p.speaker, p.trueLabel, p.predictedLabel, p.confidence, ...p.probabilities]),
  ]);
}
