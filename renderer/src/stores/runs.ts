/**
 * The runs of the workspace: the list (refreshed when the engine says it changed), the selected
 * run's detail, and the row actions — rename, delete (after a confirmation), export a report,
 * reveal the folder — plus switching the runs folder.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { ApiEvents, CheckpointName, EpochMetrics, ExportedReport, RunDetail, RunSummary } from '../../../main/api/contract';
import { invoke, on } from '../api';
import { errorMessage } from '../lib/format';
import { exportCheckpoint, runNameError, sortRuns, splitShort, type RunSortKey } from '../lib/runsTable';
import { useAppStore } from './app';

export interface ExportOutcome {
  runId: string;
  checkpoint: CheckpointName;
  report: ExportedReport;
}

export const useRunsStore = defineStore('runs', () => {
  const app = useAppStore();

  const runs = ref<RunSummary[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const sortKey = ref<RunSortKey>('createdAt');
  const descending = ref(true);
  const sorted = computed(() => sortRuns(runs.value, sortKey.value, descending.value));

  const selectedId = ref<string | null>(null);
  const detail = ref<RunDetail | null>(null);
  const detailLoading = ref(false);
  const detailError = ref<string | null>(null);

  const renamingId = ref<string | null>(null);
  const renameText = ref('');
  const renameError = ref<string | null>(null);

  const deletingId = ref<string | null>(null);
  const deleteBusy = ref(false);
  const deleteError = ref<string | null>(null);

  const exporting = ref<string | null>(null);
  const exported = ref<ExportOutcome | null>(null);
  /** Serve mode has no file manager to open: the folder is shown as text instead. */
  const revealed = ref<{ runId: string; dir: string } | null>(null);
  /** Export / reveal failures, with the run they were for. */
  const actionError = ref<{ runId: string; message: string } | null>(null);

  const folderOverride = ref<string | null>(null);
  const runsDir = computed(() => folderOverride.value ?? app.info?.runsDir ?? null);
  const folderBusy = ref(false);
  const folderError = ref<string | null>(null);

  /** The runs ticked for the validation-UAR overlay, and the stored epochs of each. */
  const overlaid = ref<string[]>([]);
  const overlayEpochs = shallowRef(new Map<string, EpochMetrics[]>());
  const overlayError = ref<string | null>(null);
  watch(
    overlaid,
    async (ids) => {
      overlayError.value = null;
      for (const runId of ids) {
        if (overlayEpochs.value.has(runId)) continue;
        try {
          const { epochs } = await invoke('runs.get', { runId });
          overlayEpochs.value = new Map(overlayEpochs.value).set(runId, epochs);
        } catch (err) {
          overlayError.value = `${runId}: ${errorMessage(err)}`;
        }
      }
    },
    { deep: true },
  );
  // A run that trains on (or was renamed) is read again the next time it is ticked.
  watch(runs, () => {
    const known = new Set(runs.value.map((r) => r.id));
    overlaid.value = overlaid.value.filter((id) => known.has(id));
    overlayEpochs.value = new Map(
      [...overlayEpochs.value].filter(([id]) => overlaid.value.includes(id) && !runs.value.find((r) => r.id === id)?.live),
    );
  });

  /** Each listed run's split in short (from its record: a run's split never changes), by run id. */
  const splits = ref<Record<string, string>>({});
  let splitsLoading = false;

  /** Reads the records of listed runs whose split is not known yet, one at a time. */
  async function loadSplits(): Promise<void> {
    if (splitsLoading) return;
    splitsLoading = true;
    try {
      const unknown = () => runs.value.find((r) => !(r.id in splits.value));
      for (let run = unknown(); run; run = unknown()) {
        const runId = run.id;
        let text = '–';
        try {
          text = splitShort((await invoke('runs.get', { runId })).record.split);
        } catch {
          // A run whose record cannot be read shows no split; its row says why in the status.
        }
        splits.value = { ...splits.value, [runId]: text };
      }
    } finally {
      splitsLoading = false;
    }
  }

  function find(runId: string): RunSummary | undefined {
    return runs.value.find((run) => run.id === runId);
  }

  function sortBy(key: RunSortKey): void {
    if (sortKey.value === key) {
      descending.value = !descending.value;
    } else {
      sortKey.value = key;
      descending.value = key !== 'name' && key !== 'status';
    }
  }

  let listSeq = 0;

  async function refresh(): Promise<void> {
    const seq = ++listSeq;
    loading.value = true;
    try {
      const list = await invoke('runs.list', {});
      if (seq !== listSeq) return;
      runs.value = list;
      error.value = null;
      loaded.value = true;
      void loadSplits();
    } catch (err) {
      if (seq === listSeq) error.value = errorMessage(err);
    } finally {
      if (seq === listSeq) loading.value = false;
    }
  }

  let detailSeq = 0;

  async function loadDetail(): Promise<void> {
    const runId = selectedId.value;
    const seq = ++detailSeq;
    if (!runId) {
      detail.value = null;
      return;
    }
    detailLoading.value = true;
    try {
      const loadedDetail = await invoke('runs.get', { runId });
      if (seq !== detailSeq) return;
      detail.value = loadedDetail;
      splits.value = { ...splits.value, [runId]: splitShort(loadedDetail.record.split) };
      detailError.value = null;
    } catch (err) {
      if (seq === detailSeq) {
        detail.value = null;
        detailError.value = errorMessage(err);
      }
    } finally {
      if (seq === detailSeq) detailLoading.value = false;
    }
  }

  async function select(runId: string | null): Promise<void> {
    if (selectedId.value === runId) return;
    selectedId.value = runId;
    detail.value = null;
    detailError.value = null;
    await loadDetail();
  }

  function startRename(runId: string): void {
    renamingId.value = runId;
    renameText.value = find(runId)?.name ?? '';
    renameError.value = null;
  }

  function cancelRename(): void {
    renamingId.value = null;
    renameError.value = null;
  }

  async function saveRename(): Promise<void> {
    const runId = renamingId.value;
    if (!runId) return;
    const problem = runNameError(renameText.value);
    if (problem) {
      renameError.value = problem;
      return;
    }
    try {
      const summary = await invoke('runs.rename', { runId, name: renameText.value.trim() });
      runs.value = runs.value.map((run) => (run.id === runId ? summary : run));
      if (detail.value?.summary.id === runId) detail.value = { ...detail.value, summary };
      renamingId.value = null;
      renameError.value = null;
    } catch (err) {
      renameError.value = errorMessage(err);
    }
  }

  function askDelete(runId: string): void {
    deletingId.value = runId;
    deleteError.value = null;
  }

  function cancelDelete(): void {
    deletingId.value = null;
    deleteError.value = null;
  }

  async function confirmDelete(): Promise<void> {
    const runId = deletingId.value;
    if (!runId || deleteBusy.value) return;
    deleteBusy.value = true;
    try {
      await invoke('runs.delete', { runId });
      runs.value = runs.value.filter((run) => run.id !== runId);
      if (selectedId.value === runId) {
        selectedId.value = null;
        detail.value = null;
      }
      if (exported.value?.runId === runId) exported.value = null;
      if (revealed.value?.runId === runId) revealed.value = null;
      deletingId.value = null;
      deleteError.value = null;
    } catch (err) {
      deleteError.value = errorMessage(err);
    } finally {
      deleteBusy.value = false;
    }
  }

  /** Writes the run's report (metrics JSON and per-class CSV; the Evaluate view adds the PNG). */
  async function exportReport(runId: string): Promise<void> {
    const run = find(runId);
    actionError.value = null;
    exported.value = null;
    const checkpoint = run ? exportCheckpoint(run) : null;
    if (!checkpoint) {
      actionError.value = { runId, message: 'this run has no complete checkpoint to export a report for' };
      return;
    }
    exporting.value = runId;
    try {
      const report = await invoke('runs.export', { runId, checkpoint });
      exported.value = { runId, checkpoint, report };
    } catch (err) {
      actionError.value = { runId, message: `export failed: ${errorMessage(err)}` };
    } finally {
      exporting.value = null;
    }
  }

  /** Opens the run folder in the file manager (desktop), or shows its path (serve mode). */
  async function reveal(runId: string): Promise<void> {
    actionError.value = null;
    try {
      const dir = detail.value?.summary.id === runId ? detail.value.dir : (await invoke('runs.get', { runId })).dir;
      if (app.info?.nativeDialogs) {
        await invoke('shell.reveal', { path: dir });
        revealed.value = null;
      } else {
        revealed.value = { runId, dir };
      }
    } catch (err) {
      actionError.value = { runId, message: `could not reveal the folder: ${errorMessage(err)}` };
    }
  }

  /** Lists (and writes new runs into) another folder from now on. */
  async function setFolder(dir: string): Promise<void> {
    const trimmed = dir.trim();
    if (!trimmed) {
      folderError.value = 'Type the path of a runs folder';
      return;
    }
    folderBusy.value = true;
    folderError.value = null;
    try {
      const result = await invoke('runs.setFolder', { dir: trimmed });
      folderOverride.value = result.runsDir;
      if (app.info) app.info.runsDir = result.runsDir;
      selectedId.value = null;
      detail.value = null;
      exported.value = null;
      revealed.value = null;
      await refresh();
    } catch (err) {
      folderError.value = errorMessage(err);
    } finally {
      folderBusy.value = false;
    }
  }

  /** Desktop: picks the folder with the native dialog, then switches to it. */
  async function chooseFolder(): Promise<void> {
    folderError.value = null;
    try {
      const picked = await invoke('dialog.pickFolder', { title: 'Choose a runs folder' });
      if (picked.path) await setFolder(picked.path);
    } catch (err) {
      folderError.value = errorMessage(err);
    }
  }

  // Epochs of a run being trained arrive as events: the detail of that run follows them.
  const runOfJob = new Map<string, string>();

  function onTrainingEvent({ jobId, event }: ApiEvents['training.event']): void {
    if (event.type === 'run') runOfJob.set(jobId, event.runId);
    if (event.type !== 'epoch' || !detail.value || runOfJob.get(jobId) !== detail.value.summary.id) return;
    const others = detail.value.epochs.filter((m) => m.epoch !== event.metrics.epoch);
    detail.value = { ...detail.value, epochs: [...others, event.metrics].sort((a, b) => a.epoch - b.epoch) };
  }

  function onRunsChanged(runId: string | undefined): void {
    void refresh();
    if (selectedId.value && (runId === undefined || runId === selectedId.value)) void loadDetail();
  }

  let initialised = false;

  /** Subscribes to the engine's run events and loads the list (once). */
  async function init(): Promise<void> {
    if (initialised) return;
    initialised = true;
    on('runs.changed', (payload) => onRunsChanged(payload.runId));
    on('job.finished', (payload) => {
      if (payload.job.kind === 'training') onRunsChanged(payload.outcome?.runId ?? payload.job.runId);
    });
    on('training.event', onTrainingEvent);
    await refresh();
  }

  return {
    runs,
    loaded,
    loading,
    error,
    sortKey,
    descending,
    sorted,
    splits,
    overlaid,
    overlayEpochs,
    overlayError,
    selectedId,
    detail,
    detailLoading,
    detailError,
    renamingId,
    renameText,
    renameError,
    deletingId,
    deleteBusy,
    deleteError,
    exporting,
    exported,
    revealed,
    actionError,
    runsDir,
    folderBusy,
    folderError,
    init,
    refresh,
    sortBy,
    select,
    loadDetail,
    startRename,
    cancelRename,
    saveRename,
    askDelete,
    cancelDelete,
    confirmDelete,
    exportReport,
    reveal,
    setFolder,
    chooseFolder,
  };
});
