/**
 * The Runs table: sorting, the text of each cell and status, and a readable summary of a run's
 * stored record (config, split, backend, interruption) for its detail panel. run.json fields the
 * contract types as `unknown` are read defensively: a run written by another version still shows.
 */
import type { BestCheckpoint, CheckpointName, EpochMetrics, OnnxExportSummary, RunDetail, RunSummary } from '../../../main/api/contract';
import { featureFieldApplies, FEATURE_FIELDS, FEATURE_GROUPS } from '../../../main/schema/featureFields';
import { valueAt, type FieldSpec } from '../../../main/schema/fields';
import { MAX_RUN_NAME_LENGTH } from '../../../main/schema/runLimits';
import { trainingFieldApplies, TRAINING_FIELDS, TRAINING_GROUPS, type TrainingFieldPath } from '../../../main/schema/trainingFields';
import { baseName, count, dateTime, integer, percent } from './format';
import type { LineSeries } from './trainingCharts';

export type RunSortKey = 'createdAt' | 'name' | 'status' | 'bestUar' | 'finalUar';

function sortValue(run: RunSummary, key: RunSortKey): string | number {
  switch (key) {
    case 'createdAt': {
      const time = Date.parse(run.createdAt);
      return Number.isNaN(time) ? 0 : time;
    }
    case 'name':
      return run.name.toLowerCase();
    case 'status':
      return run.status;
    case 'bestUar':
      return run.test.best?.uar ?? -1;
    case 'finalUar':
      return run.test.final?.uar ?? -1;
  }
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy (newest first by default); ties go newest first, then by id, so rows do not jump. */
export function sortRuns(runs: readonly RunSummary[], key: RunSortKey = 'createdAt', descending = true): RunSummary[] {
  return [...runs].sort((a, b) => {
    const order = compare(sortValue(a, key), sortValue(b, key));
    if (order !== 0) return descending ? -order : order;
    return compare(sortValue(b, 'createdAt'), sortValue(a, 'createdAt')) || a.id.localeCompare(b.id);
  });
}

/** The status word shown in the table: running, done, interrupted, failed, cancelled. */
export function statusText(run: RunSummary): string {
  return run.status;
}

/** The tooltip of the status: the failure message, or that a process trains it now. */
export function statusDetail(run: RunSummary): string {
  if (run.error) return run.error;
  if (run.live) return 'a process is training this run now';
  return '';
}

export interface RunRow {
  id: string;
  name: string;
  status: string;
  statusDetail: string;
  dataset: string;
  model: string;
  epochs: string;
  learningRate: string;
  batchSize: string;
  seed: string;
  bestEpoch: string;
  bestUar: string;
  bestAccuracy: string;
  finalUar: string;
  finalAccuracy: string;
  created: string;
  /** The split in short, e.g. "speaker: test 03,08 / val 09" ('…' while the run's record loads). */
  split: string;
}

export function runRow(run: RunSummary, split?: string): RunRow {
  // A classical model has no epochs, learning rate or batch: its columns say so with a dash.
  const applies = (path: TrainingFieldPath) =>
    !run.model || trainingFieldApplies(path, (field) => (field === 'model' ? run.model : undefined));
  return {
    id: run.id,
    name: run.name,
    status: statusText(run),
    statusDetail: statusDetail(run),
    dataset: run.datasetRoot ? baseName(run.datasetRoot) : '–',
    model: run.model || '–',
    epochs: !applies('epochs')
      ? '–'
      : run.hyper?.epochs === undefined
        ? integer(run.epochsRun)
        : `${integer(run.epochsRun)}/${integer(run.hyper.epochs)}`,
    learningRate: applies('learningRate') ? text(run.hyper?.learningRate) : '–',
    batchSize: applies('batchSize') ? text(run.hyper?.batchSize) : '–',
    seed: text(run.hyper?.seed),
    bestEpoch: run.bestEpoch === undefined || !applies('epochs') ? '–' : integer(run.bestEpoch),
    bestUar: percent(run.test.best?.uar),
    bestAccuracy: percent(run.test.best?.accuracy),
    finalUar: percent(run.test.final?.uar),
    finalAccuracy: percent(run.test.final?.accuracy),
    created: dateTime(run.createdAt),
    split: split ?? '…',
  };
}

/** The checkpoint a report is exported for: best when complete, else final, else none. */
export function exportCheckpoint(run: RunSummary): CheckpointName | null {
  if (run.checkpoints.best?.complete) return 'best';
  if (run.checkpoints.final?.complete) return 'final';
  return null;
}

/** How an ONNX export takes a clip, for the Runs view's message. */
export function onnxInputNote(summary: OnnxExportSummary): string {
  if (summary.inputKind === 'vector') return 'one feature vector per clip';
  return summary.framesFixedBy ? 'fixed number of frames' : 'any number of frames';
}

/** The message for an invalid run name, or null. */
export function runNameError(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'A run needs a name';
  if (trimmed.length > MAX_RUN_NAME_LENGTH) return `Names are at most ${MAX_RUN_NAME_LENGTH} characters`;
  return null;
}

export interface Fact {
  label: string;
  value: string;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function text(value: unknown): string {
  if (value === undefined || value === null || value === '') return '–';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (Array.isArray(value)) return value.length ? value.map(text).join(', ') : '–';
  return String(value);
}

export interface FactGroup {
  title: string;
  facts: Fact[];
}

/** A stored setting as text: numbers as written, lists comma-separated, booleans yes/no. */
function settingText(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value) && value.length === 0) return 'none';
  return text(value);
}

/**
 * One group of settings from a field table, in table order, labelled as the form labels them:
 * fields that do not apply under the stored values (warm-up without the cosine schedule, …) and
 * fields a run of an older version did not store are left out.
 */
function trainingApplies(values: Record<string, unknown>, path: string): boolean {
  return trainingFieldApplies(path as TrainingFieldPath, (field) => valueAt(values, field));
}

function tableFacts(
  table: Readonly<Record<string, FieldSpec>>,
  applies: (values: Record<string, unknown>, path: string) => boolean,
  values: Record<string, unknown>,
  group: string,
): Fact[] {
  return Object.entries(table).flatMap(([path, spec]) => {
    if (spec.group !== group) return [];
    if (!applies(values, path)) return [];
    const value = valueAt(values, path);
    return value === undefined ? [] : [{ label: spec.label, value: settingText(value) }];
  });
}

/**
 * The run's training and feature settings (run.json `config.training` and `config.features`),
 * generated from the field tables the Train form and the Features panel are made from, so every
 * setting shows here. The split's fields are left to splitFacts, which says what the split made.
 */
export function configGroups(detail: RunDetail): FactGroup[] {
  const config = asRecord(detail.record.config);
  const training = asRecord(config?.training);
  const features = asRecord(config?.features);
  const groups: FactGroup[] = [];
  if (training) {
    const trainingTable = TRAINING_FIELDS as Readonly<Record<string, FieldSpec>>;
    for (const group of TRAINING_GROUPS) {
      if (group.id === 'split') continue;
      const facts = tableFacts(trainingTable, trainingApplies, training, group.id);
      if (facts.length) groups.push({ title: group.title, facts });
    }
  }
  if (features) {
    const featureTable = FEATURE_FIELDS as Readonly<Record<string, FieldSpec>>;
    const facts = FEATURE_GROUPS.flatMap((group) => tableFacts(featureTable, featureFieldApplies, features, group.id));
    if (facts.length) groups.push({ title: 'Features', facts });
  }
  return groups;
}

export interface SplitFacts {
  description: string;
  leaksSpeakers: boolean;
  counts: string;
  speakers: Fact[];
}

/**
 * A run's split (run.json `split`) in a few words for the table: "speaker: test 03,08 / val 09",
 * "fold 2 of 5: test 03 / val –", or "random (seed 7)"; "–" when the run recorded none.
 */
export function splitShort(value: unknown): string {
  const split = asRecord(value);
  if (!split) return '–';
  if (split.kind === 'random') return `random (seed ${text(split.seed)})`;
  const speakers = asRecord(split.speakers);
  const list = (part: string) => {
    const names = speakers?.[part];
    return Array.isArray(names) && names.length ? names.map(String).join(',') : '–';
  };
  const fold = asRecord(split.fold);
  const head = split.kind === 'kfold' && fold ? `fold ${Number(fold.index) + 1} of ${text(fold.count)}` : text(split.kind);
  return `${head}: test ${list('test')} / val ${list('val')}`;
}

export function splitFacts(detail: RunDetail): SplitFacts | null {
  const split = asRecord(detail.record.split);
  if (!split) return null;
  const size = (part: unknown) => (Array.isArray(part) ? part.length : 0);
  const speakers = asRecord(split.speakers);
  return {
    description: typeof split.description === 'string' ? split.description : text(split.kind),
    leaksSpeakers: split.leaksSpeakers === true,
    counts: `train ${size(split.train)} · val ${size(split.val)} · test ${size(split.test)} clips`,
    speakers: speakers
      ? (['train', 'val', 'test'] as const).map((part) => ({ label: `${part} speakers`, value: text(speakers[part]) }))
      : [],
  };
}

/** "wasm (tfjs wasm) — skipped tensorflow-gpu: …". */
export function backendText(detail: RunDetail): string {
  const backend = asRecord(detail.record.backend);
  if (!backend) return '–';
  let line = text(backend.name);
  if (backend.tfBackend) line += ` (tfjs ${text(backend.tfBackend)})`;
  const blas = asRecord(backend.blas);
  if (blas?.active === true) line += `, BLAS: ${text(blas.description)}`;
  const core = asRecord(blas?.core);
  if (blas?.active === true && core) line += ` (core ${text(core.name)}: ${text(core.reason)})`;
  const dnnl = asRecord(blas?.dnnl);
  if (blas?.active === true && dnnl?.active === true) line += `, convs, batch norm, pooling: ${text(dnnl.description)}`;
  const skipped = Array.isArray(backend.skipped)
    ? backend.skipped.map(asRecord).filter((s): s is Record<string, unknown> => s !== null)
    : [];
  if (skipped.length) line += ` — ${skipped.map((s) => `${text(s.name)} skipped: ${text(s.reason)}`).join('; ')}`;
  return line;
}

/** Why an interrupted run stopped, and what survived, or null when it was not interrupted. */
export function interruptionText(detail: RunDetail): string | null {
  const interruption = detail.record.interruption;
  if (!interruption) return null;
  const kept = interruption.lastGoodCheckpoint
    ? `last complete checkpoint: ${interruption.lastGoodCheckpoint}`
    : 'no complete checkpoint survived';
  return `${interruption.reason} (detected ${dateTime(interruption.detectedAt)}; ${kept})`;
}

/** The dataset a run trained on: folder, scheme, clip and class counts. */
export function datasetText(detail: RunDetail): string {
  const dataset = detail.record.dataset;
  if (!dataset) return detail.summary.datasetRoot || '–';
  return `${dataset.root} (${dataset.scheme}, ${count(dataset.clips, 'clip')}, ${count(dataset.labels.length, 'class', 'classes')})`;
}

/** Test metrics of a checkpoint as "UAR 61.2 % · accuracy 63.0 % · macro-F1 60.1 %". */
export function testText(metrics: { accuracy: number; uar: number; macroF1: number } | undefined): string {
  if (!metrics) return 'not evaluated';
  return `UAR ${percent(metrics.uar)} · accuracy ${percent(metrics.accuracy)} · macro-F1 ${percent(metrics.macroF1)}`;
}

/** "best epoch 12", or "best = average of epochs 31–40" for a weight-averaged `best`. */
export function bestCheckpointText(bestEpoch: number | undefined, checkpoint: BestCheckpoint | undefined): string | null {
  if (checkpoint?.kind === 'average') {
    const epochs = [...checkpoint.epochs].sort((a, b) => a - b);
    const consecutive = epochs.every((epoch, i) => i === 0 || epoch === epochs[i - 1]! + 1);
    const list = consecutive && epochs.length > 2 ? `${epochs[0]}–${epochs.at(-1)}` : epochs.join(', ');
    return `best = average of epoch${epochs.length === 1 ? '' : 's'} ${list}`;
  }
  const epoch = checkpoint?.epoch ?? bestEpoch;
  return epoch === undefined || epoch === 0 ? null : `best epoch ${epoch}`;
}

/** Distinct line colours for overlaid runs (cycled). */
const OVERLAY_COLORS = ['#2f6fde', '#e07b28', '#2e8b57', '#c0392b', '#7b2cbf', '#277da1', '#8d6e00', '#d1495b'];

/** One validation-UAR line (in percent) per run, for overlaying several runs' curves. */
export function overlaySeries(runs: readonly { name: string; epochs: readonly EpochMetrics[] }[]): LineSeries[] {
  return runs.map((run, i) => ({
    label: run.name,
    data: run.epochs.filter((m) => Number.isFinite(m.valUar)).map((m) => ({ x: m.epoch, y: m.valUar * 100 })),
    color: OVERLAY_COLORS[i % OVERLAY_COLORS.length],
  }));
}
