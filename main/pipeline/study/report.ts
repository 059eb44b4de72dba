/**
 * A study's report: for each grid cell, the finished members' test predictions pooled over folds
 * (speaker-bootstrap intervals), the per-fold and per-seed tables, and paired comparisons between
 * cells.
 */
import { resolve } from 'node:path';
import { comparePairedCells, type PairedComparison } from '../../evaluation/paired';
import { poolCrossValidation, type CrossValidationSummary, type MemberPredictions } from '../../evaluation/pooled';
import { readEvaluation } from '../../evaluation/file';
import { protocolLabel, readStudy, type StudyFile } from './format';
import type { CellOverrides, GridAxis } from './grid';
import { studyCells } from './members';
import { listStudyMembers } from './status';

export type ReportCheckpoint = 'best' | 'final';

export interface CellReport extends Partial<CrossValidationSummary> {
  index: number;
  /** The cell's grid values; in a report over several studies, prefixed with its study's name. */
  label: string;
  /** The folder of the study the cell belongs to. */
  studyDir: string;
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
  /**
   * Other studies on the same dataset and folds (e.g. the baseline a new recipe is judged against):
   * their cells join the report and every pair of cells is compared.
   */
  with?: string[];
}

/** Why two studies' members cannot be paired, or null when they can: the same clips in the same folds. */
function foldsMismatch(a: StudyFile, b: StudyFile): string | null {
  if (a.dataset.fingerprint !== b.dataset.fingerprint) return 'they were made on different datasets (or the dataset changed)';
  const key = (s: StudyFile) => JSON.stringify(s.folds.map((f) => [[...f.test].sort(), [...f.val].sort()]));
  return key(a) === key(b) ? null : 'their folds differ (protocol, split seed or validation ratio)';
}

/** The finished members' test predictions of each cell of one study. */
async function cellPredictions(studyDir: string, study: StudyFile, checkpoint: ReportCheckpoint) {
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
  return { members, perCell, labels };
}

export async function studyReport(dir: string, options: StudyReportOptions = {}): Promise<StudyReport> {
  const studyDir = resolve(dir);
  const checkpoint = options.checkpoint ?? 'best';
  const study = await readStudy(studyDir);
  const sources: { dir: string; study: StudyFile }[] = [{ dir: studyDir, study }];
  for (const other of options.with ?? []) {
    const otherDir = resolve(other);
    const otherStudy = await readStudy(otherDir);
    const problem = foldsMismatch(study, otherStudy);
    if (problem) throw new Error(`cannot compare ${studyDir} with ${otherDir}: ${problem}`);
    sources.push({ dir: otherDir, study: otherStudy });
  }

  const cells: CellReport[] = [];
  const predictionsOf = new Map<CellReport, MemberPredictions[]>();
  let labels: string[] | null = null;
  let complete = true;
  for (const source of sources) {
    const found = await cellPredictions(source.dir, source.study, checkpoint);
    if (found.labels && labels && found.labels.join('\t') !== labels.join('\t')) {
      throw new Error(`${source.dir} was evaluated on labels [${found.labels.join(', ')}], ${studyDir} on [${labels.join(', ')}]`);
    }
    labels = labels ?? found.labels;
    complete &&= found.members.every((m) => m.state === 'done');
    for (const cell of studyCells(source.study)) {
      const finished = found.perCell.get(cell.index) ?? [];
      const summary =
        finished.length > 0 && labels
          ? poolCrossValidation(finished, labels, { seed: options.bootstrapSeed ?? 1, iterations: options.iterations })
          : {};
      const report: CellReport = {
        index: cells.length,
        label: sources.length > 1 ? `${source.study.name}: ${cell.label}` : cell.label,
        studyDir: source.dir,
        overrides: cell.overrides,
        members: { total: found.members.filter((m) => m.cell === cell.index).length, done: finished.length },
        ...summary,
      };
      cells.push(report);
      predictionsOf.set(report, finished);
    }
  }
  const comparisons: PairedComparison[] = [];
  const withResults = cells.filter((c) => c.folds);
  for (let i = 0; i < withResults.length; i++) {
    for (let j = i + 1; j < withResults.length; j++) {
      const a = withResults[i]!;
      const b = withResults[j]!;
      comparisons.push(
        comparePairedCells(
          { name: a.label, folds: a.folds!, members: predictionsOf.get(a)! },
          { name: b.label, folds: b.folds!, members: predictionsOf.get(b)! },
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
    complete,
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
  const fields = [...new Set(report.cells.flatMap((c) => Object.keys(c.overrides)))];
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
