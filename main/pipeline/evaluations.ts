/**
 * A run's evaluations as every door uses them: the stored report of a checkpoint (computed and
 * stored first when the run has none), two checkpoints compared on the same test set, and a report
 * exported as files next to the run.
 */
import { basename, join } from 'node:path';
import type { BackendName } from '../schema/backend';
import { compareReports, type Comparison } from '../evaluation/compare';
import { confusionTitle, writeReportFiles, type ExportedFiles } from '../evaluation/export';
import type { EvaluationReport } from '../evaluation/report';
import { readEvaluation } from '../evaluation/file';
import type { CheckpointName } from '../runs/types';
import { evaluateCheckpoint } from './evaluateCheckpoint';

export interface EvaluationSourceOptions {
  cacheRoot?: string;
  backend?: BackendName | 'auto';
  /** Called when a report had to be computed (and was stored in the run folder). */
  onComputed?: (runDir: string, checkpoint: CheckpointName) => void;
}

/** The stored evaluation of a checkpoint on its run's test split, computed (and stored) first if the run has none. */
export async function evaluationOf(
  runDir: string,
  checkpoint: CheckpointName,
  options: EvaluationSourceOptions = {},
): Promise<EvaluationReport> {
  const stored = await readEvaluation(runDir, checkpoint);
  if (stored) return stored;
  const { report } = await evaluateCheckpoint(runDir, { checkpoint, cacheRoot: options.cacheRoot, backend: options.backend });
  options.onComputed?.(runDir, checkpoint);
  return report;
}

export interface ComparedCheckpoint {
  runDir: string;
  checkpoint: CheckpointName;
  /** How the comparison names this side. */
  name: string;
}

/** Compares checkpoint B with checkpoint A on the same test clips (McNemar, per-class deltas, disagreements). */
export async function compareCheckpoints(
  a: ComparedCheckpoint,
  b: ComparedCheckpoint,
  options: EvaluationSourceOptions = {},
): Promise<Comparison> {
  const reportA = await evaluationOf(a.runDir, a.checkpoint, options);
  const reportB = await evaluationOf(b.runDir, b.checkpoint, options);
  return compareReports({ name: a.name, report: reportA }, { name: b.name, report: reportB });
}

/** Writes the checkpoint's evaluation as metrics JSON, CSV tables and the confusion-matrix PNG into `<run>/exports/`. */
export async function exportEvaluation(
  runDir: string,
  checkpoint: CheckpointName,
  options: EvaluationSourceOptions = {},
): Promise<ExportedFiles> {
  return exportReport(runDir, checkpoint, await evaluationOf(runDir, checkpoint, options));
}

/** Writes a report of the run as `<run>/exports/<name>-*` (`name`: the checkpoint, or its evaluation on another dataset). */
export function exportReport(runDir: string, name: string, report: EvaluationReport): Promise<ExportedFiles> {
  return writeReportFiles(join(runDir, 'exports'), name, report, confusionTitle(basename(runDir), report));
}
