/**
 * The Studies view's tables, as plain functions of the engine's status and report: the members ×
 * folds grid, the sortable results table, the pooled matrix's clips, and the New-study form.
 */
import type { SchemeChoice } from '../../../main/schema/datasetSchemes';
import type {
  ClipPrediction,
  FeatureOverrides,
  GridValue,
  PairedComparison,
  StudyCellReport,
  StudyCreateArgs,
  StudyMemberStatus,
  StudyReportView,
  StudyStatusView,
  TrainingOverrides,
} from '../../../main/api/contract';
import { featureFieldApplies, FEATURE_FIELDS } from '../../../main/schema/featureFields';
import { defaultsFromTable, valueAt } from '../../../main/schema/fields';
import { isRunId } from '../../../main/schema/runLimits';
import { MAX_GRID_FIELDS } from '../../../main/schema/studyLimits';
import { trainingFieldApplies, type TrainingFieldPath } from '../../../main/schema/trainingFields';
import { FEATURE_FORM_GROUPS } from './featureForm';
import { FORM_GROUPS } from './trainForm';

// --- Members × folds ------------------------------------------------------------------------

export interface MemberGridRow {
  key: string;
  cell: number;
  cellLabel: string;
  seed: number;
  /** One entry per fold, in fold order. */
  members: (StudyMemberStatus | null)[];
}

/** One row per grid cell × seed, one column per fold. */
export function memberGrid(status: StudyStatusView): MemberGridRow[] {
  const rows = new Map<string, MemberGridRow>();
  for (const member of status.members) {
    const key = `${member.cell}/${member.seed}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        key,
        cell: member.cell,
        cellLabel: member.cellLabel,
        seed: member.seed,
        members: Array.from({ length: status.folds }, () => null),
      };
      rows.set(key, row);
    }
    row.members[member.fold] = member;
  }
  return [...rows.values()];
}

/** "pid 123 on node7 since 2026-12-07 01:02:03 UTC": who runs a study, from its lock. */
export function runnerText(runner: { pid: number; hostname: string; startedAt: string }): string {
  const since = runner.startedAt.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
  return `pid ${runner.pid} on ${runner.hostname} since ${since}`;
}

/** "fold 1 (03)", "fold 2 (08, 09)": each fold with its test speakers, in fold order. */
export function foldLabels(foldTests: readonly (readonly string[])[]): string[] {
  return foldTests.map((speakers, i) => `fold ${i + 1} (${speakers.join(', ')})`);
}

/** A member's progress in [0, 1] (done = 1). */
export function memberProgress(member: StudyMemberStatus): number {
  if (member.state === 'done') return 1;
  if (member.epoch === undefined || member.epochs <= 0) return 0;
  return Math.min(1, member.epoch / member.epochs);
}

/** "running · epoch 3/20", "failed: reason" — a member cell's tooltip. */
export function memberTitle(member: StudyMemberStatus): string {
  const where = `${member.id}: ${member.cellLabel}, seed ${member.seed}, fold ${member.fold + 1}`;
  const epoch = member.epoch !== undefined ? ` · epoch ${member.epoch}/${member.epochs}` : '';
  const slurm = member.slurm ? ` · Slurm ${member.slurm.jobId}_${member.index} ${member.slurm.state}` : '';
  return `${where} — ${member.state}${epoch}${slurm}${member.reason ? `: ${member.reason}` : ''}`;
}

/** "Slurm job 12 (10 tasks)" for a study submitted with the Slurm executor, or null. */
export function slurmSummary(members: readonly StudyMemberStatus[]): string | null {
  const tasks = new Map<string, number>();
  for (const m of members) if (m.slurm) tasks.set(m.slurm.jobId, (tasks.get(m.slurm.jobId) ?? 0) + 1);
  if (tasks.size === 0) return null;
  const jobs = [...tasks].map(([id, n]) => `${id} (${n} task${n === 1 ? '' : 's'})`);
  return `Slurm job${tasks.size === 1 ? '' : 's'} ${jobs.join(', ')}`;
}

// --- Results table --------------------------------------------------------------------------

export type ResultSortKey = 'cell' | 'uar' | 'accuracy' | 'macroF1' | 'foldUar' | `grid:${string}`;
export interface ResultSort {
  key: ResultSortKey;
  descending: boolean;
}

export interface ResultRow {
  cell: StudyCellReport;
  /** The grid's field values of this cell, in axis order. */
  values: GridValue[];
}

function sortValue(row: ResultRow, key: ResultSortKey, fields: readonly string[]): number | string | boolean | undefined {
  const c = row.cell;
  if (key === 'cell') return c.index;
  if (key === 'uar') return c.pooled?.uar;
  if (key === 'accuracy') return c.pooled?.accuracy;
  if (key === 'macroF1') return c.pooled?.macroF1;
  if (key === 'foldUar') return c.mean?.uar;
  return row.values[fields.indexOf(key.slice('grid:'.length))];
}

/** The report's cells with their grid values, sorted; cells without results always last. */
export function resultRows(report: StudyReportView, sort: ResultSort): ResultRow[] {
  const fields = report.study.grid.map((axis) => axis.field);
  const rows = report.cells.map((cell) => ({ cell, values: fields.map((field) => cell.overrides[field]!) }));
  const direction = sort.descending ? -1 : 1;
  return rows.sort((a, b) => {
    const x = sortValue(a, sort.key, fields);
    const y = sortValue(b, sort.key, fields);
    if (x === undefined || y === undefined) return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0) || a.cell.index - b.cell.index;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return order * direction || a.cell.index - b.cell.index;
  });
}

/** Clicking a column: the same one flips its direction; a new one starts with the best (highest) first for metrics. */
export function nextSort(current: ResultSort, key: ResultSortKey): ResultSort {
  if (current.key === key) return { key, descending: !current.descending };
  return { key, descending: key === 'uar' || key === 'accuracy' || key === 'macroF1' || key === 'foldUar' };
}

/** The paired comparison of two cells (in either order), as the report states it. */
export function findComparison(report: StudyReportView, a: number, b: number): PairedComparison | null {
  const la = report.cells[a]?.label;
  const lb = report.cells[b]?.label;
  return report.comparisons.find((c) => (c.a === la && c.b === lb) || (c.a === lb && c.b === la)) ?? null;
}

// --- The pooled matrix's clips --------------------------------------------------------------

/** A clip of one member's test fold, with where it came from. */
export interface PooledClip extends ClipPrediction {
  memberId: string;
  fold: number;
  seed: number;
  /** The member's label order (its probabilities follow it). */
  labels: string[];
}

export function pooledCellClips(clips: readonly PooledClip[], trueLabel: string, predictedLabel: string): PooledClip[] {
  return clips
    .filter((c) => c.trueLabel === trueLabel && c.predictedLabel === predictedLabel)
    .sort((a, b) => b.confidence - a.confidence || a.fold - b.fold);
}

// --- New study ------------------------------------------------------------------------------

export { MAX_GRID_FIELDS } from '../../../main/schema/studyLimits';

/** Fields the grid offers (any training setting works; these are the common ones). */
export const GRID_FIELDS = [
  'model',
  'features.representation',
  'learningRate',
  'epochs',
  'batchSize',
  'weightDecay',
  'optimizer',
  'loss',
  'labelSmoothing',
  'augment.mixupAlpha',
] as const;

export interface NewStudyForm {
  name: string;
  protocol: 'loso' | 'kfold' | 'fixed';
  k: string;
  testSpeakers: string;
  seeds: string;
  grid: { field: string; values: string }[];
}

export function emptyStudyForm(): NewStudyForm {
  return { name: '', protocol: 'loso', k: '5', testSpeakers: '', seeds: '1,2,3', grid: [] };
}

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * The studies.create arguments from the form and the Train form's settings (its seed and split are
 * the study's to decide, so they are dropped); throws one sentence naming the field that is wrong.
 * Grid values and the settings themselves are checked by the engine.
 */
export function studyCreateArgs(
  form: NewStudyForm,
  base: TrainingOverrides,
  root: string,
  scheme?: SchemeChoice,
  features?: FeatureOverrides,
): StudyCreateArgs {
  const name = form.name.trim();
  if (!isRunId(name)) throw new Error('Name: use letters, digits, dots, dashes or underscores (it becomes a folder name)');
  const seeds = list(form.seeds).map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error('Seeds: give whole numbers ≥ 0, e.g. 1,2,3');
  if (new Set(seeds).size !== seeds.length) throw new Error('Seeds: a seed is listed twice');
  let protocol: string = form.protocol;
  if (form.protocol === 'kfold') {
    const k = Number(form.k);
    if (!Number.isInteger(k) || k < 2) throw new Error('Folds: K must be a whole number ≥ 2');
    protocol = `kfold:${k}`;
  }
  const testSpeakers = list(form.testSpeakers);
  if (form.protocol === 'fixed' && testSpeakers.length === 0) throw new Error('Test speakers: the fixed protocol needs at least one');
  if (form.grid.length > MAX_GRID_FIELDS) throw new Error(`Grid: at most ${MAX_GRID_FIELDS} fields`);
  const grid = form.grid.map((axis, i) => {
    const values = axis.values
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (axis.field.trim() === '') throw new Error(`Grid field ${i + 1}: choose a setting`);
    if (values.length === 0) throw new Error(`Grid field ${i + 1} (${axis.field}): give at least one value, separated by commas`);
    return { field: axis.field.trim(), values };
  });
  const { seed: _seed, split: _split, ...config } = base;
  return {
    name,
    root,
    ...(scheme ? { scheme } : {}),
    config,
    ...(features ? { features } : {}),
    protocol,
    ...(form.protocol === 'fixed' ? { testSpeakers } : {}),
    seeds,
    grid,
  };
}

export interface SettingsGroup {
  title: string;
  items: { label: string; value: string }[];
}

function shownValue(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : '–';
  return String(value);
}

/**
 * The settings a new study will use, generated from the field tables: the feature fields, then the
 * training fields by group (without the seed and split, which the study sets per member), each
 * with its form label; fields that do not apply (a plateau setting under a cosine schedule) are left out.
 */
export function studySettings(base: TrainingOverrides, features: FeatureOverrides): SettingsGroup[] {
  const featureDefaults = defaultsFromTable(FEATURE_FIELDS, 'default');
  const feature = (field: string) => (features as Record<string, unknown>)[field] ?? featureDefaults[field];
  const featureGroups = FEATURE_FORM_GROUPS.map((group) => ({
    title: group.title,
    items: group.fields
      .filter(({ field }) => featureFieldApplies(features as Record<string, unknown>, field))
      .map(({ field, spec }) => ({ label: spec.label, value: shownValue(feature(field)) })),
  }));
  const trainingApplies = (path: TrainingFieldPath) => trainingFieldApplies(path, (field) => valueAt(base, field));
  const trainingGroups = FORM_GROUPS.filter((group) => group.id !== 'split').map((group) => ({
    title: group.title,
    items: group.fields
      .filter(({ path }) => path !== 'seed' && trainingApplies(path) && valueAt(base, path) !== undefined)
      .map(({ path, spec }) => ({ label: spec.label, value: shownValue(valueAt(base, path)) })),
  }));
  return [...featureGroups, ...trainingGroups].filter((group) => group.items.length > 0);
}
