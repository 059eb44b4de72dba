/**
 * A study's report: for each grid cell, the finished members' test predictions pooled over folds
 * (speaker-bootstrap intervals), the per-fold and per-seed tables, and paired comparisons between
 * cells; fusions of cells (or of a cell's seeds) as derived cells; and the comparison table.
 */
import { resolve } from 'node:path';
import { ensembleSeeds, fuseSources, pairableMembers } from '../../evaluation/fusion';
import { comparePairedCells, type PairedComparison } from '../../evaluation/paired';
import { poolCrossValidation, type CrossValidationSummary, type MemberPredictions } from '../../evaluation/pooled';
import { readEvaluation } from '../../evaluation/file';
import { protocolLabel, readStudy, type StudyFile } from './format';
import type { CellOverrides, GridAxis } from './grid';
import { excludedCells, studyCells } from './members';
import { listStudyMembers } from './status';
import { studyTableCsv, studyTableLatex, type BaselineTest, type StudyTable, type StudyTableRow } from './table';

export type ReportCheckpoint = 'best' | 'final';

export interface CellReport extends Partial<CrossValidationSummary> {
  index: number;
  /** `c<index + 1>`: how fusions and the baseline name the cell. */
  key: string;
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
  /** The grid's cells the study does not train (the model cannot read the representation, or its normalisation would erase it). */
  excluded: { label: string; reason: string }[];
  /** Derived cells: fusions asked for, and the seed ensembles of cells with several seeds when asked. */
  fusions: FusedCellReport[];
  /**
   * Every pair of cells with results, and every fusion against each of its cells: B against A
   * (positive differences favour B).
   */
  comparisons: PairedComparison[];
  /** Cells and fusions as one table, tested against the baseline row. */
  table: StudyTable;
}

/** A derived cell: its members' class probabilities averaged clip by clip, fold by fold. */
export interface FusedCellReport extends Partial<CrossValidationSummary> {
  /** `f1`, `f2`, … */
  key: string;
  label: string;
  /** The fused cells' keys (one for a seed ensemble). */
  cells: string[];
  /** True: each cell's seeds averaged first (one derived member per fold); false: seed by seed. */
  seedsAveraged: boolean;
  /** Derived members made, and the most the finished members could give. */
  members: { total: number; done: number };
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
  /** Fusions to add, each a list of two or more cell keys (`['c1', 'c3']`; parseFusion reads `c1+c3`). */
  fuse?: string[][];
  /** Adds each multi-seed cell's seed ensemble, and fuses seed ensembles rather than seed by seed. */
  ensembleSeeds?: boolean;
  /** The row key the table tests every other row against (default c1). */
  baseline?: string;
}

/** A report option that names something the report does not have (a cell, a row) or cannot fuse: the caller's mistake. */
export class ReportOptionError extends Error {}

/** `c1+c3` → ['c1', 'c3']: two or more distinct cell keys. */
export function parseFusion(text: string): string[] {
  const keys = text.split('+').map((k) => k.trim());
  if (keys.length < 2 || keys.some((k) => !/^c[1-9]\d*$/.test(k)))
    throw new ReportOptionError(`a fusion names two or more cells by their numbers, like c1+c3 (got '${text}')`);
  if (new Set(keys).size !== keys.length) throw new ReportOptionError(`fusion '${text}' names a cell twice`);
  return keys;
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
        key: `c${cells.length + 1}`,
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
  const pool = (members: MemberPredictions[]) =>
    poolCrossValidation(members, labels!, { seed: options.bootstrapSeed ?? 1, iterations: options.iterations });
  const fusions = deriveFusions(cells, predictionsOf, options, study, pool);
  for (const fusion of fusions) {
    for (const key of fusion.report.cells) {
      const cell = cells.find((c) => c.key === key)!;
      comparisons.push(paired(cell, predictionsOf.get(cell)!, fusion.report, fusion.members));
    }
  }
  const rows = [
    ...cells.map((c) => ({ report: c, members: predictionsOf.get(c)! })),
    ...fusions.map((f) => ({ report: f.report, members: f.members })),
  ];
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
    excluded: excludedCells(study).map((c) => ({ label: c.label, reason: c.reason })),
    fusions: fusions.map((f) => f.report),
    comparisons,
    table: comparisonTable(rows, options.baseline),
  };
}

type Row = { key: string; label: string; folds?: CrossValidationSummary['folds'] };

/** B against A, McNemar pairing a one-seed side (a seed ensemble) with each of the other's seeds. */
function paired(a: Row, aMembers: MemberPredictions[], b: Row, bMembers: MemberPredictions[]): PairedComparison {
  return comparePairedCells(
    { name: a.label, folds: a.folds!, members: pairableMembers(aMembers, bMembers) },
    { name: b.label, folds: b.folds!, members: pairableMembers(bMembers, aMembers) },
  );
}

/** The fusions asked for, pooled like cells; refuses unknown cells, cells without results and clips that differ. */
function deriveFusions(
  cells: CellReport[],
  predictionsOf: Map<CellReport, MemberPredictions[]>,
  options: StudyReportOptions,
  study: StudyFile,
  pool: (members: MemberPredictions[]) => CrossValidationSummary,
): { report: FusedCellReport; members: MemberPredictions[] }[] {
  const ensemble = options.ensembleSeeds ?? false;
  const cellOf = (key: string): CellReport => {
    const cell = cells.find((c) => c.key === key);
    if (!cell) throw new ReportOptionError(`there is no cell ${key}: the report's cells are c1..c${cells.length}`);
    if (!cell.folds) throw new ReportOptionError(`cell ${key} (${cell.label}) has no finished members to fuse`);
    return cell;
  };
  const seedEnsemble = (cell: CellReport) => {
    // The labels were checked equal across cells when they were read.
    const labels = cell.pooled!.labels;
    return ensembleSeeds({ name: `${cell.key} (${cell.label})`, members: predictionsOf.get(cell)! }, labels);
  };
  const out: { report: FusedCellReport; members: MemberPredictions[] }[] = [];
  const add = (label: string, keys: string[], members: MemberPredictions[], total: number) => {
    out.push({
      report: {
        key: `f${out.length + 1}`,
        label,
        cells: keys,
        seedsAveraged: ensemble,
        members: { total, done: members.length },
        ...pool(members),
      },
      members,
    });
  };
  const folds = study.folds.length;
  if (ensemble) {
    for (const cell of cells) {
      if (!cell.folds || new Set(cell.folds.map((f) => f.seed)).size < 2) continue;
      add(`seeds of ${cell.key}`, [cell.key], seedEnsemble(cell), folds);
    }
  }
  for (const keys of options.fuse ?? []) {
    const chosen = keys.map(cellOf);
    const labels = chosen[0]!.pooled!.labels;
    const sources = chosen.map((cell) => ({
      name: `${cell.key} (${cell.label})`,
      members: ensemble ? seedEnsemble(cell) : predictionsOf.get(cell)!,
    }));
    let members: MemberPredictions[];
    try {
      members = fuseSources(sources, labels);
    } catch (err) {
      const hint = ensemble ? '' : ' (or fuse their seed ensembles with --ensemble-seeds)';
      throw new ReportOptionError(`cannot fuse ${keys.join('+')}: ${(err as Error).message}${hint}`, { cause: err });
    }
    add(`${keys.join(' + ')}${ensemble ? ' (seeds averaged)' : ''}`, keys, members, ensemble ? folds : folds * study.seeds.length);
  }
  return out;
}

/** Cells and fusions as one table; every row with results is tested against the baseline row. */
function comparisonTable(
  rows: { report: (CellReport | FusedCellReport) & Row; members: MemberPredictions[] }[],
  baselineKey: string | undefined,
): StudyTable {
  const key = baselineKey ?? rows.find((r) => r.report.folds)?.report.key ?? null;
  const baseline = key === null ? undefined : rows.find((r) => r.report.key === key);
  if (key !== null && !baseline)
    throw new Error(`there is no row ${key} to use as the baseline: choose one of ${rows.map((r) => r.report.key).join(', ')}`);
  if (baseline && !baseline.report.folds)
    throw new ReportOptionError(`the baseline ${key} (${baseline.report.label}) has no finished members`);
  return {
    baseline: baseline ? key : null,
    rows: rows.map(({ report: r, members }): StudyTableRow => {
      const isFusion = 'seedsAveraged' in r;
      const row: StudyTableRow = {
        key: r.key,
        kind: isFusion ? 'fusion' : 'cell',
        label: r.label,
        overrides: isFusion ? {} : (r as CellReport).overrides,
        ...(isFusion && { cells: (r as FusedCellReport).cells, seedsAveraged: (r as FusedCellReport).seedsAveraged }),
        members: r.members,
      };
      if (!r.pooled) return row;
      Object.assign(row, {
        n: r.pooled.n,
        uar: r.pooled.uar,
        uarCi: r.pooled.ci.uar,
        accuracy: r.pooled.accuracy,
        accuracyCi: r.pooled.ci.accuracy,
        macroF1: r.pooled.macroF1,
        macroF1Ci: r.pooled.ci.macroF1,
        foldUarMean: r.mean!.uar,
        foldUarSd: r.sd!.uar,
        foldAccuracyMean: r.mean!.accuracy,
        foldAccuracySd: r.sd!.accuracy,
        foldRuns: r.folds!.length,
      });
      if (baseline && r.key !== key) {
        const c = paired(baseline.report, baseline.members, r, members);
        const test: BaselineTest = {
          uarDifference: c.uarDifference,
          signFlipP: c.signFlip?.pValue ?? null,
          mcnemarP: c.mcnemar?.pValue ?? null,
          significant: c.significant,
          folds: c.folds.length,
          verdict: c.verdict,
        };
        row.vsBaseline = test;
      }
      return row;
    }),
  };
}

/** The comparison table as CSV: one row per cell and fusion (see studyTableCsv). */
export function studyReportCsv(report: StudyReport): string {
  return studyTableCsv(report.table);
}

/** The comparison table as a LaTeX (booktabs) table. */
export function studyReportLatex(report: StudyReport): string {
  const s = report.study;
  const caption = `${s.name}: ${s.protocol}, ${s.folds} folds, seeds ${s.seeds.join(', ')}; pooled over folds, 95 % speaker-bootstrap intervals, values in %.`;
  return studyTableLatex(report.table, caption);
}
