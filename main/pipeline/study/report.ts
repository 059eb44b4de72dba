/**
 * A study's report: for each grid cell, the finished members' test predictions pooled over folds
 * (speaker-bootstrap intervals), the per-fold and per-seed tables, and paired comparisons between
 * cells.
 */
import { resolve } from 'node:path';
import { comparePairedCells, type PairedComparison } from '../../evaluation/paired';
import { poolCrossValidation, type CrossValidationSummary, type MemberPredictions } from '../../evaluation/pooled';
import { readEvaluation } from '../../evaluation/file';
import { protocolLabel, readStudy } from './format';
import type { CellOverrides, GridAxis } from './grid';
import { studyCells } from './members';
import { listStudyMembers } from './status';

export type ReportCheckpoint = 'best' | 'final';

export interface CellReport extends Partial<CrossValidationSummary> {
  index: number;
  label: string;
  overrides: CellOverrides;
  members: { total: number; done: number };
}

export interface StudyReport {
  study: { dir: string; name: string; protocol: string; folds: number; seeds: number[]; grid: GridAxis[]; checkpoint: ReportCheckpoint };
  /** True when every member finished; otherwise the numbers cover the finished ones. */
  complete: boolean;
  cells: CellReport[];
  /** Every pair of cells with results: B against A (positive differences favour B). */
  comparisons: PairedComparison[];
}

export interface StudyReportOptions {
  /** Which checkpoint's evaluation to pool (default best). */
  checkpoint?: ReportCheckpoint;
  /** Bootstrap iterations (default 1000) and seed (default 1). */
  iterations?: number;
  bootstrapSeed?: number;
}

export async function studyReport(dir: string, options: StudyReportOptions = {}): Promise<StudyReport> {
  const studyDir = resolve(dir);
  const checkpoint = options.checkpoint ?? 'best';
  const study = await readStudy(studyDir);
  const { members } = await listStudyMembers(studyDir, study);
  const perCell = new Map<number, MemberPredictions[]>();
  let labels: string[] | null = null;
  for (const m of members) {
    if (m.state !== 'done' || !m.runDir) continue;
    const evaluation = await readEvaluation(m.runDir, checkpoint);
    if (!evaluation) throw new Error(`member ${m.id} has no ${checkpoint} evaluation (evaluation-${checkpoint}.json in ${m.runDir})`);
    if (labels && labels.join('\t') !== evaluation.labels.join('\t')) {
      throw new Error(`member ${m.id} was evaluated on labels [${evaluation.labels.join(', ')}], others on [${labels.join(', ')}]`);
    }
    labels = evaluation.labels;
    perCell.set(m.cell, [...(perCell.get(m.cell) ?? []), { fold: m.fold, seed: m.seed, predictions: evaluation.predictions }]);
  }
  const cells: CellReport[] = studyCells(study).map((cell) => {
    const finished = perCell.get(cell.index) ?? [];
    const summary =
      finished.length > 0 && labels
        ? poolCrossValidation(finished, labels, { seed: options.bootstrapSeed ?? 1, iterations: options.iterations })
        : {};
    return {
      index: cell.index,
      label: cell.label,
      overrides: cell.overrides,
      members: { total: members.filter((m) => m.cell === cell.index).length, done: finished.length },
      ...summary,
    };
  });
  const comparisons: PairedComparison[] = [];
  const withResults = cells.filter((c) => c.folds);
  for (let i = 0; i < withResults.length; i++) {
    for (let j = i + 1; j < withResults.length; j++) {
      const a = withResults[i]!;
      const b = withResults[j]!;
      comparisons.push(
        comparePairedCells(
          { name: a.label, folds: a.folds!, members: perCell.get(a.index)! },
          { name: b.label, folds: b.folds!, members: perCell.get(b.index)! },
        ),
      );
    }
  }
  return {
    study: {
      dir: studyDir,
      name: study.name,
      protocol: protocolLabel(study.protocol),
      folds: study.folds.length,
      seeds: study.seeds,
      grid: study.grid,
      checkpoint,
    },
    complete: members.every((m) => m.state === 'done'),
    cells,
    comparisons,
  };
}

const csvField = (value: unknown): string => {
  const text = value === undefined || value === null ? '' : typeof value === 'number' ? String(Number(value.toFixed(6))) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** One row per cell: its grid values, then the pooled metrics with intervals and mean ± sd over folds. */
export function studyReportCsv(report: StudyReport): string {
  const fields = report.study.grid.map((a) => a.field);
  const header = [
    'cell',
    ...fields,
    'members_done',
    'members_total',
    'n',
    'accuracy',
    'accuracy_lo',
    'accuracy_hi',
    'uar',
    'uar_lo',
    'uar_hi',
    'macro_f1',
    'macro_f1_lo',
    'macro_f1_hi',
    'fold_uar_mean',
    'fold_uar_sd',
    'fold_accuracy_mean',
    'fold_accuracy_sd',
  ];
  const rows = report.cells.map((c) => {
    const p = c.pooled;
    return [
      c.label,
      ...fields.map((f) => c.overrides[f]),
      c.members.done,
      c.members.total,
      p?.n,
      p?.accuracy,
      p?.ci.accuracy[0],
      p?.ci.accuracy[1],
      p?.uar,
      p?.ci.uar[0],
      p?.ci.uar[1],
      p?.macroF1,
      p?.ci.macroF1[0],
      p?.ci.macroF1[1],
      c.mean?.uar,
      c.sd?.uar,
      c.mean?.accuracy,
      c.sd?.accuracy,
    ];
  });
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}
