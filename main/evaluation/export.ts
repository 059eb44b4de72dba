/** An evaluation report as files a paper or a spreadsheet takes: metrics JSON and CSV tables. */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs';
import type { EvaluationReport } from './report';

/** Largest confusion-matrix image accepted with an export (a rendered matrix is well under 1 MB). */
export const MAX_EXPORT_PNG_BYTES = 4 * 1024 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A PNG starts with its 8-byte signature followed by the IHDR chunk. */
export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return false;
  return Buffer.from(bytes.subarray(12, 16)).toString('latin1') === 'IHDR';
}

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

export interface ExportedFiles {
  dir: string;
  files: string[];
}

/**
 * Writes `<dir>/<prefix>-metrics.json`, `-per-class.csv`, `-confusion.csv`, `-predictions.csv`
 * and, when given, `-confusion.png` (each atomically).
 */
export async function writeReportFiles(
  dir: string,
  prefix: string,
  report: EvaluationReport,
  confusionPng?: Uint8Array,
): Promise<ExportedFiles> {
  if (confusionPng && !isPng(confusionPng)) throw new Error('the confusion-matrix image is not a PNG');
  if (confusionPng && confusionPng.length > MAX_EXPORT_PNG_BYTES) {
    throw new Error(`the confusion-matrix image is larger than ${MAX_EXPORT_PNG_BYTES / 1024 / 1024} MB`);
  }
  const contents: [string, string | Uint8Array][] = [
    ['metrics.json', JSON.stringify(metricsSummary(report), null, 2) + '\n'],
    ['per-class.csv', perClassCsv(report)],
    ['confusion.csv', confusionCsv(report)],
    ['predictions.csv', predictionsCsv(report)],
  ];
  if (confusionPng) contents.push(['confusion.png', confusionPng]);
  const files: string[] = [];
  for (const [suffix, data] of contents) {
    const path = join(dir, `${prefix}-${suffix}`);
    await writeFileAtomic(path, data);
    files.push(path);
  }
  return { dir, files };
}
