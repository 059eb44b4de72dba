/**
 * The comparison table a study gives (the one papers publish): one row per grid cell (feature set ×
 * classifier) and per fusion, with pooled UAR [interval], accuracy, macro-F1, the per-fold spread
 * and a paired test against a chosen baseline row; and its CSV and LaTeX forms. Node-free: the
 * report builds the rows, the CLI and the Studies view print and export them.
 */
import type { Interval } from '../../evaluation/bootstrap';
import type { CellOverrides } from './gridTypes';

export interface BaselineTest {
  /** Mean over shared folds of (row − baseline) UAR. */
  uarDifference: number;
  /** Sign-flip permutation test on the per-fold UAR differences (null without a shared fold). */
  signFlipP: number | null;
  /** Exact McNemar test on the clips both predicted (null without shared clips). */
  mcnemarP: number | null;
  /** Sign-flip p below alpha. */
  significant: boolean;
  folds: number;
  verdict: string;
}

export interface StudyTableRow {
  /** `c1`, `c2`, … for grid cells (their number in the report), `f1`, … for fusions. */
  key: string;
  kind: 'cell' | 'fusion';
  label: string;
  /** A cell's grid values ({} for fusions). */
  overrides: CellOverrides;
  /** A fusion's cells, by key. */
  cells?: string[];
  /** A fusion averages over seeds (one derived member per fold) rather than seed by seed. */
  seedsAveraged?: boolean;
  members: { done: number; total: number };
  /** The rest only once members have finished. */
  n?: number;
  uar?: number;
  uarCi?: Interval;
  accuracy?: number;
  accuracyCi?: Interval;
  macroF1?: number;
  macroF1Ci?: Interval;
  /** Mean and sample sd over the per-fold runs (each fold × seed; a seed-averaged fusion: each fold). */
  foldUarMean?: number;
  foldUarSd?: number;
  foldAccuracyMean?: number;
  foldAccuracySd?: number;
  foldRuns?: number;
  /** Against the table's baseline row; absent for the baseline itself and rows without results. */
  vsBaseline?: BaselineTest;
}

export interface StudyTable {
  /** The key of the row every other is tested against, or null when no row has results. */
  baseline: string | null;
  rows: StudyTableRow[];
}

const csvField = (value: unknown): string => {
  const text = value === undefined || value === null ? '' : typeof value === 'number' ? String(Number(value.toFixed(6))) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** One CSV line per row: label, grid values, pooled metrics with intervals, fold spread, the baseline test. */
export function studyTableCsv(table: StudyTable): string {
  const fields = [...new Set(table.rows.flatMap((r) => Object.keys(r.overrides)))];
  const baseline = table.rows.find((r) => r.key === table.baseline);
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
    'id',
    'fused_cells',
    'seeds_averaged',
    'baseline',
    'uar_difference_vs_baseline',
    'sign_flip_p',
    'mcnemar_p',
  ];
  const rows = table.rows.map((r) => [
    r.label,
    ...fields.map((f) => r.overrides[f]),
    r.members.done,
    r.members.total,
    r.n,
    r.accuracy,
    r.accuracyCi?.[0],
    r.accuracyCi?.[1],
    r.uar,
    r.uarCi?.[0],
    r.uarCi?.[1],
    r.macroF1,
    r.macroF1Ci?.[0],
    r.macroF1Ci?.[1],
    r.foldUarMean,
    r.foldUarSd,
    r.foldAccuracyMean,
    r.foldAccuracySd,
    r.key,
    r.cells?.join('+'),
    r.kind === 'fusion' ? Boolean(r.seedsAveraged) : undefined,
    baseline?.label,
    r.vsBaseline?.uarDifference,
    r.vsBaseline?.signFlipP,
    r.vsBaseline?.mcnemarP,
  ]);
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** Escapes the characters LaTeX treats specially. */
export function latexEscape(text: string): string {
  return text.replace(/[\\{}&%$#_^~]/g, (c) => {
    if (c === '\\') return '\\textbackslash{}';
    if (c === '^') return '\\textasciicircum{}';
    if (c === '~') return '\\textasciitilde{}';
    return `\\${c}`;
  });
}

/** A fraction as a percentage with one decimal, e.g. 0.7853 → 78.5. */
export const percent1 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '--' : (x * 100).toFixed(1));

/** A p-value as papers print it. */
export function pText(p: number | null | undefined): string {
  if (p === null || p === undefined) return '--';
  if (p < 0.001) return '<0.001';
  return p < 0.01 ? p.toFixed(3) : p.toFixed(2);
}

/** `<` is not a text-mode character in LaTeX. */
const latexP = (p: number | null | undefined): string => pText(p).replace('<', '$<$');

/**
 * A booktabs table (needs `\usepackage{booktabs}`): rows as in the report, values in %, the
 * interval in brackets, the baseline row marked, differences against it with both p-values.
 */
export function studyTableLatex(table: StudyTable, caption: string): string {
  const baseline = table.rows.find((r) => r.key === table.baseline);
  const lines = [
    '\\begin{table}[t]',
    '\\centering',
    `\\caption{${latexEscape(caption)}${baseline ? ` $\\Delta$UAR and $p$-values against ${latexEscape(baseline.label)} (sign-flip test on per-fold UAR; McNemar on pooled predictions).` : ''}}`,
    '\\begin{tabular}{llrrrrrrr}',
    '\\toprule',
    ' & Cell & UAR [95\\,\\% CI] & Acc. & Macro-F1 & Fold UAR (mean $\\pm$ sd) & $\\Delta$UAR & $p$ (sign-flip) & $p$ (McNemar) \\\\',
    '\\midrule',
  ];
  for (const r of table.rows) {
    const name = `${latexEscape(r.label)}${r.key === table.baseline ? ' (baseline)' : ''}`;
    if (r.uar === undefined) {
      lines.push(`${r.key} & ${name} & \\multicolumn{7}{l}{no finished members} \\\\`);
      continue;
    }
    const ci = r.uarCi ? ` [${percent1(r.uarCi[0])}, ${percent1(r.uarCi[1])}]` : '';
    const v = r.vsBaseline;
    const delta = v ? `${v.uarDifference >= 0 ? '+' : '$-$'}${percent1(Math.abs(v.uarDifference))}` : '--';
    lines.push(
      `${r.key} & ${name} & ${percent1(r.uar)}${ci} & ${percent1(r.accuracy)} & ${percent1(r.macroF1)} & ${percent1(r.foldUarMean)} $\\pm$ ${percent1(r.foldUarSd)} & ${delta} & ${latexP(v?.signFlipP)} & ${latexP(v?.mcnemarP)} \\\\`,
    );
  }
  lines.push('\\bottomrule', '\\end{tabular}', '\\end{table}');
  return lines.join('\n') + '\n';
}
