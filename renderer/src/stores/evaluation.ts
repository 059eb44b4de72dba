/**
 * Evaluations and comparisons of checkpoints.
 *
 * useEvaluationStore: the run list the checkpoint pickers offer (the Runs store's, kept fresh by it),
 * evaluation reports cached per checkpoint, and the Evaluate view's state (the checkpoint shown,
 * matrix mode, the selected cell and clip, the report export).
 * useComparisonStore: the Compare view's two checkpoints and the engine's comparison of them.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import type {
  CheckpointName,
  CheckpointRef,
  ClipPrediction,
  Comparison,
  EvaluationReport,
  ExportedReport,
  RunSummary,
} from '../../../main/api/contract';
import { invoke } from '../api';
import { withRunNames } from '../lib/compareView';
import { selectionClips, type ClipSelection, type ConfusionMode } from '../lib/confusion';
import { errorMessage, percent } from '../lib/format';
import { useRunsStore } from './runs';

export const CHECKPOINTS: readonly CheckpointName[] = ['best', 'final'];

/** What ClipViewer takes as a clip's prediction. */
export interface ViewerPrediction {
  labels: string[];
  probabilities: number[];
  predictedLabel: string;
  trueLabel?: string;
}

export function refKey(ref: CheckpointRef): string {
  return `${ref.runId}#${ref.checkpoint}`;
}

export function sameRef(a: CheckpointRef | null | undefined, b: CheckpointRef | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.runId === b.runId && a.checkpoint === b.checkpoint;
}

/** A plain copy (reactive proxies cannot cross IPC). */
export function plainRef(ref: CheckpointRef): CheckpointRef {
  return { runId: ref.runId, checkpoint: ref.checkpoint };
}

export function checkpointComplete(run: RunSummary | undefined, checkpoint: CheckpointName): boolean {
  return Boolean(run?.checkpoints[checkpoint]?.complete);
}

export function newestFirst(runs: readonly RunSummary[]): RunSummary[] {
  return [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The newest run's `prefer` checkpoint (or its other one) among runs with a complete checkpoint. */
export function newestCompleteRef(runs: readonly RunSummary[], prefer: CheckpointName = 'best'): CheckpointRef | null {
  for (const run of newestFirst(runs)) {
    const order = prefer === 'best' ? CHECKPOINTS : [...CHECKPOINTS].reverse();
    const checkpoint = order.find((c) => checkpointComplete(run, c));
    if (checkpoint) return { runId: run.id, checkpoint };
  }
  return null;
}

/** Best vs final of one run: the given one, else the newest run that has both. */
export function defaultComparison(runs: readonly RunSummary[], runId?: string | null): { a: CheckpointRef; b: CheckpointRef } | null {
  const run = runId
    ? runs.find((r) => r.id === runId)
    : newestFirst(runs).find((r) => checkpointComplete(r, 'best') && checkpointComplete(r, 'final'));
  const id = run?.id ?? runId;
  if (!id) return null;
  return { a: { runId: id, checkpoint: 'best' }, b: { runId: id, checkpoint: 'final' } };
}

/** "ravdess-cnn · done · test UAR 61.2 %" for the run select. */
export function runOptionLabel(run: RunSummary): string {
  const uar = run.test.best?.uar ?? run.test.final?.uar;
  const live = run.live ? ' (training)' : '';
  return `${run.name} · ${run.status}${live} · ${uar === undefined ? 'not evaluated' : `test UAR ${percent(uar)}`}`;
}

/** "run name · best" (the id when the run is not in the list). */
export function refTitle(ref: CheckpointRef, runs: readonly RunSummary[]): string {
  const run = runs.find((r) => r.id === ref.runId);
  return `${run?.name ?? ref.runId} · ${ref.checkpoint}`;
}

function viewerPrediction(labels: string[], clip: ClipPrediction): ViewerPrediction {
  return { labels, probabilities: clip.probabilities, predictedLabel: clip.predictedLabel, trueLabel: clip.trueLabel };
}

export const useEvaluationStore = defineStore('evaluation', () => {
  // --- The run list for the pickers: the Runs store's list (one request per change for both) ---
  const runsStore = useRunsStore();
  const runs = computed(() => newestFirst(runsStore.runs));
  /** The list was asked for at least once (it may have failed: see runsError). */
  const runsLoaded = computed(() => runsStore.loaded || runsStore.error !== null);
  const runsLoading = computed(() => runsStore.loading);
  const runsError = computed(() => runsStore.error);
  const loadRuns = (): Promise<void> => runsStore.refresh();
  /** Loads the run list once and keeps it fresh from then on (the store lives as long as the app). */
  const ensureRuns = (): Promise<void> => runsStore.init();

  // --- Reports, cached per checkpoint ----------------------------------------------------------
  // Reports are large and never edited: kept raw (no deep reactivity), the map replaced on change.
  const reports = shallowRef<Record<string, EvaluationReport>>({});
  const loadingKeys = ref<string[]>([]);
  const errors = ref<Record<string, string>>({});
  const pending = new Map<string, Promise<EvaluationReport>>();

  /** Drops the cached reports of runs that no longer exist (deleted, or another runs folder). */
  function forgetMissingRuns(list: readonly RunSummary[]): void {
    const ids = new Set(list.map((r) => r.id));
    const kept = Object.entries(reports.value).filter(([key]) => ids.has(key.slice(0, key.lastIndexOf('#'))));
    if (kept.length !== Object.keys(reports.value).length) reports.value = Object.fromEntries(kept);
  }
  watch(() => runsStore.runs, forgetMissingRuns);

  /** The report of a checkpoint: cached, or asked once (concurrent callers share the request). */
  function fetchReport(target: CheckpointRef): Promise<EvaluationReport> {
    const key = refKey(target);
    const cached = reports.value[key];
    if (cached) return Promise.resolve(cached);
    const inFlight = pending.get(key);
    if (inFlight) return inFlight;

    errors.value = Object.fromEntries(Object.entries(errors.value).filter(([k]) => k !== key));
    loadingKeys.value = [...loadingKeys.value, key];
    const request = invoke('evaluation.get', plainRef(target))
      .then((report) => {
        reports.value = { ...reports.value, [key]: markRaw(report) };
        // The engine stored the test metrics with the run: the pickers' "not evaluated" must go.
        const run = runsStore.runs.find((r) => r.id === target.runId);
        if (run && !run.test[target.checkpoint]) void runsStore.refresh();
        return report;
      })
      .catch((err: unknown) => {
        errors.value = { ...errors.value, [key]: errorMessage(err) };
        throw err;
      })
      .finally(() => {
        pending.delete(key);
        loadingKeys.value = loadingKeys.value.filter((k) => k !== key);
      });
    pending.set(key, request);
    return request;
  }

  // --- The Evaluate view -----------------------------------------------------------------------
  const current = ref<CheckpointRef | null>(null);
  const mode = ref<ConfusionMode>('counts');
  const selection = ref<ClipSelection | null>(null);
  const selectedIndex = ref<number | null>(null);
  const exporting = ref(false);
  const exportResult = ref<ExportedReport | null>(null);
  const exportError = ref<string | null>(null);

  const currentKey = computed(() => (current.value ? refKey(current.value) : null));
  const report = computed<EvaluationReport | null>(() => (currentKey.value ? (reports.value[currentKey.value] ?? null) : null));
  const loading = computed(() => currentKey.value !== null && loadingKeys.value.includes(currentKey.value));
  const error = computed(() => (currentKey.value ? (errors.value[currentKey.value] ?? null) : null));

  const misclassifiedCount = computed(() => report.value?.predictions.filter((p) => p.trueLabel !== p.predictedLabel).length ?? 0);
  const clips = computed<ClipPrediction[]>(() =>
    report.value && selection.value ? selectionClips(report.value.predictions, selection.value) : [],
  );
  const selectedClip = computed<ClipPrediction | null>(() =>
    selectedIndex.value === null ? null : (clips.value[selectedIndex.value] ?? null),
  );
  const selectedPrediction = computed<ViewerPrediction | null>(() =>
    report.value && selectedClip.value ? viewerPrediction(report.value.labels, selectedClip.value) : null,
  );

  /** Shows a checkpoint's evaluation (from the cache, or asked from the engine; failures land in `error`). */
  async function load(target: CheckpointRef | null): Promise<void> {
    if (!sameRef(current.value, target)) {
      current.value = target ? plainRef(target) : null;
      selection.value = null;
      selectedIndex.value = null;
      exportResult.value = null;
      exportError.value = null;
    }
    if (!target) return;
    try {
      await fetchReport(target);
    } catch {
      // Recorded in `errors` for this checkpoint, shown by the view.
    }
  }

  function setMode(value: ConfusionMode): void {
    mode.value = value;
  }

  function select(value: ClipSelection): void {
    selection.value = value;
    selectedIndex.value = clips.value.length > 0 ? 0 : null;
  }

  function selectCell(trueLabel: string, predictedLabel: string): void {
    select({ kind: 'cell', trueLabel, predictedLabel });
  }

  function selectMisclassified(): void {
    select({ kind: 'misclassified' });
  }

  function selectClip(index: number | null): void {
    if (index === null || clips.value.length === 0) {
      selectedIndex.value = null;
      return;
    }
    selectedIndex.value = Math.min(clips.value.length - 1, Math.max(0, Math.round(index)));
  }

  /** Writes the report files, the confusion-matrix PNG included (drawn by the engine), into the run's exports/ folder. */
  async function exportReport(): Promise<void> {
    if (!current.value) return;
    exporting.value = true;
    exportError.value = null;
    exportResult.value = null;
    try {
      exportResult.value = await invoke('runs.export', plainRef(current.value));
    } catch (err) {
      exportError.value = errorMessage(err);
    } finally {
      exporting.value = false;
    }
  }

  return {
    runs,
    runsLoaded,
    runsLoading,
    runsError,
    loadRuns,
    ensureRuns,
    reports,
    fetchReport,
    current,
    report,
    loading,
    error,
    mode,
    selection,
    selectedIndex,
    misclassifiedCount,
    clips,
    selectedClip,
    selectedPrediction,
    exporting,
    exportResult,
    exportError,
    load,
    setMode,
    selectCell,
    selectMisclassified,
    selectClip,
    exportReport,
  };
});

export const useComparisonStore = defineStore('comparison', () => {
  const evaluation = useEvaluationStore();

  const a = ref<CheckpointRef | null>(null);
  const b = ref<CheckpointRef | null>(null);
  const comparison = shallowRef<Comparison | null>(null);
  /** The two checkpoints `comparison` is of (the pickers may have moved on since). */
  const compared = ref<{ a: CheckpointRef; b: CheckpointRef } | null>(null);
  const comparing = ref(false);
  const error = ref<string | null>(null);
  const selectedIndex = ref<number | null>(null);
  let request = 0;

  function setPair(pair: { a: CheckpointRef | null; b: CheckpointRef | null }): void {
    a.value = pair.a ? plainRef(pair.a) : null;
    b.value = pair.b ? plainRef(pair.b) : null;
  }

  async function compare(): Promise<void> {
    if (!a.value || !b.value) {
      error.value = 'Choose two checkpoints to compare.';
      return;
    }
    const pair = { a: plainRef(a.value), b: plainRef(b.value) };
    const token = ++request;
    comparing.value = true;
    error.value = null;
    try {
      const result = await invoke('evaluation.compare', pair);
      if (token !== request) return;
      comparison.value = markRaw(result);
      compared.value = pair;
      selectedIndex.value = result.disagreements.length > 0 ? 0 : null;
      // Both reports give the viewer every class probability of A and of B; the engine has them stored by now.
      evaluation.fetchReport(pair.a).catch(() => undefined);
      evaluation.fetchReport(pair.b).catch(() => undefined);
    } catch (err) {
      if (token !== request) return;
      error.value = withRunNames(errorMessage(err), evaluation.runs);
      comparison.value = null;
      compared.value = null;
      selectedIndex.value = null;
    } finally {
      if (token === request) comparing.value = false;
    }
  }

  const disagreements = computed(() => comparison.value?.disagreements ?? []);
  const selectedDisagreement = computed(() => (selectedIndex.value === null ? null : (disagreements.value[selectedIndex.value] ?? null)));

  /** The predictions of one side of the compared pair, by clip id (empty until its report is here). */
  function sidePredictions(side: 'a' | 'b'): { report: EvaluationReport | null; byClip: Map<string, ClipPrediction> } {
    const report = compared.value ? (evaluation.reports[refKey(compared.value[side])] ?? null) : null;
    return { report, byClip: new Map((report?.predictions ?? []).map((p) => [p.clipId, p])) };
  }
  const sideA = computed(() => sidePredictions('a'));
  const sideB = computed(() => sidePredictions('b'));

  function predictionOf(side: { report: EvaluationReport | null; byClip: Map<string, ClipPrediction> }): ViewerPrediction | null {
    const d = selectedDisagreement.value;
    const clip = d ? side.byClip.get(d.clipId) : undefined;
    return side.report && clip ? viewerPrediction(side.report.labels, clip) : null;
  }

  /** A's and B's predictions of the selected disagreement, with all class probabilities (once each report is here). */
  const selectedPredictions = computed<{ a: ViewerPrediction | null; b: ViewerPrediction | null }>(() => ({
    a: predictionOf(sideA.value),
    b: predictionOf(sideB.value),
  }));

  function selectDisagreement(index: number | null): void {
    const n = disagreements.value.length;
    selectedIndex.value = index === null || n === 0 ? null : Math.min(n - 1, Math.max(0, Math.round(index)));
  }

  return {
    a,
    b,
    comparison,
    compared,
    comparing,
    error,
    selectedIndex,
    disagreements,
    selectedDisagreement,
    selectedPredictions,
    setPair,
    compare,
    selectDisagreement,
  };
});
