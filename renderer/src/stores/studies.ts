/**
 * Studies: the list (runs folder and opened folders), one study's live status and report, running
 * it as a job, the pooled matrix's drill-down into every fold's clips, and creating a study from
 * the Train form's settings.
 */
import type { SchemeChoice } from '../../../main/schema/datasetSchemes';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type {
  ApiEvents,
  EpochMetrics,
  JobInfo,
  StudyDetail,
  StudyListEntry,
  StudyMemberStatus,
  StudyStatusView,
  TrainingOverrides,
} from '../../../main/api/contract';
import { invoke, on } from '../api';
import { errorMessage } from '../lib/format';
import { useFeaturesStore } from './features';
import {
  pooledCellClips,
  studyCreateArgs,
  type NewStudyForm,
  type PooledClip,
  type ResultSort,
  type ResultSortKey,
  nextSort,
} from '../lib/studies';

/**
 * How often the shown study is read again while the view is open: its run folders are the truth,
 * whoever runs its members (this app, `ser study run`, Slurm).
 */
export const POLL_MS = 4000;

export const useStudiesStore = defineStore('studies', () => {
  const list = ref<StudyListEntry[]>([]);
  const listError = ref<string | null>(null);
  const listLoading = ref(false);

  const selectedDir = ref<string | null>(null);
  const detail = shallowRef<StudyDetail | null>(null);
  const detailError = ref<string | null>(null);
  const detailLoading = ref(false);

  const job = ref<JobInfo | null>(null);
  const jobError = ref<string | null>(null);
  /** The shown study's feature extraction, while this app's run of it starts (before any member runs). */
  const featureProgress = ref<{ done: number; total: number } | null>(null);
  /** The last study job's result, and the study it ran. */
  const lastRunOf = ref<{ dir: string; result: NonNullable<ApiEvents['job.finished']['study']> } | null>(null);

  const sort = ref<ResultSort>({ key: 'cell', descending: false });
  /** Which checkpoint's test predictions the report pools (and the drill-down lists). */
  const checkpoint = ref<'best' | 'final'>('best');
  /** The report cell whose pooled matrix is shown, and two cells to compare. */
  const matrixCell = ref(0);
  const compare = ref<[number, number]>([0, 1]);

  /** Every finished member's test clips of `matrixCell`, loaded on the first click into its matrix. */
  const cellClips = shallowRef<PooledClip[]>([]);
  const cellClipsFor = ref<string | null>(null);
  const clipsLoading = ref(false);
  const clipsError = ref<string | null>(null);
  const selection = ref<{ trueLabel: string; predictedLabel: string } | null>(null);
  const selectedIndex = ref<number | null>(null);

  /** Members whose curves are overlaid, and their epochs as last read. */
  const curveMembers = ref<string[]>([]);
  const curves = shallowRef(new Map<string, EpochMetrics[]>());
  const curvesError = ref<string | null>(null);

  /** The Train form's current settings (TrainView keeps them here): a new study starts from them. */
  const baseSettings = shallowRef<TrainingOverrides | null>(null);
  const createError = ref<string | null>(null);
  const creating = ref(false);
  const exportError = ref<string | null>(null);

  const running = computed(() => job.value?.state === 'running');
  /** This app runs the shown study. */
  const runningHere = computed(() => running.value && job.value?.root === selectedDir.value);
  /** The shown study's last run from this app (not another study's). */
  const lastRun = computed(() => (lastRunOf.value && lastRunOf.value.dir === selectedDir.value ? lastRunOf.value.result : null));
  const selected = computed(() => list.value.find((s) => s.dir === selectedDir.value) ?? null);
  /** Who else runs the shown study (`ser study run`, another app), from its lock; null when nobody or this app. */
  const runnerElsewhere = computed(() => (runningHere.value ? null : (detail.value?.status.runner ?? null)));
  const busyElsewhere = computed(() => {
    const counts = detail.value?.status.counts;
    return Boolean(runnerElsewhere.value || (counts && counts.running + counts.queued > 0 && !runningHere.value));
  });
  const selectedClips = computed(() =>
    selection.value ? pooledCellClips(cellClips.value, selection.value.trueLabel, selection.value.predictedLabel) : [],
  );
  const selectedClip = computed(() => (selectedIndex.value === null ? null : (selectedClips.value[selectedIndex.value] ?? null)));

  async function refreshList(): Promise<void> {
    listLoading.value = true;
    try {
      list.value = await invoke('studies.list', {});
      listError.value = null;
      if (!selectedDir.value && list.value.length > 0) await select(list.value[0]!.dir);
    } catch (err) {
      listError.value = errorMessage(err);
    } finally {
      listLoading.value = false;
    }
  }

  /** Another study (same dataset and folds) whose cells join the report, to compare with; '' = none. */
  const withDir = ref('');
  /** Why the chosen study could not be compared with this one. */
  const withError = ref<string | null>(null);
  /** The study the comparison pair was last set up for. */
  let comparingWith = '';

  async function setWith(dir: string): Promise<void> {
    withDir.value = dir;
    withError.value = null;
    comparingWith = '';
    if (matrixCell.value > 0 && !dir) matrixCell.value = 0;
    clearDrillDown();
    await refresh();
  }

  /** The list and the shown study read again (the Refresh button: a study made meanwhile appears). */
  async function refreshAll(): Promise<void> {
    await refreshList();
    await refresh();
  }

  let latestDetail = 0;
  /** Reads the selected study's status and report again (quietly: the tables stay while it loads). */
  async function refresh(): Promise<void> {
    const dir = selectedDir.value;
    if (!dir) return;
    const request = ++latestDetail;
    detailLoading.value = true;
    try {
      const other = withDir.value;
      let result;
      try {
        result = await invoke('studies.get', { dir, checkpoint: checkpoint.value, ...(other ? { with: [other] } : {}) });
      } catch (err) {
        if (!other) throw err;
        // The other study cannot be paired with this one: say why, and show this one alone.
        withError.value = errorMessage(err);
        withDir.value = '';
        result = await invoke('studies.get', { dir, checkpoint: checkpoint.value });
      }
      if (request !== latestDetail) return;
      detail.value = { ...result, status: withLiveMembers(result.status) };
      detailError.value = null;
      const cells = result.report.cells;
      if (matrixCell.value >= cells.length) matrixCell.value = 0;
      if (compare.value[0] >= cells.length || compare.value[1] >= cells.length) compare.value = [0, Math.min(1, cells.length - 1)];
      if (other && comparingWith !== other) {
        // A study just chosen to compare with: this study's first cell against its first.
        const first = cells.findIndex((c) => c.studyDir !== dir);
        if (first > 0) compare.value = [0, first];
        comparingWith = other;
      }
    } catch (err) {
      if (request === latestDetail) detailError.value = errorMessage(err);
    } finally {
      if (request === latestDetail) detailLoading.value = false;
    }
  }

  /** Adds a member's curves to the overlay (reading its epochs now), or takes them away. */
  async function toggleCurve(memberId: string): Promise<void> {
    const dir = selectedDir.value;
    if (!dir) return;
    if (curveMembers.value.includes(memberId)) {
      curveMembers.value = curveMembers.value.filter((id) => id !== memberId);
      return;
    }
    curveMembers.value = [...curveMembers.value, memberId];
    curvesError.value = null;
    try {
      const { epochs } = await invoke('studies.member', { dir, memberId });
      if (selectedDir.value === dir) curves.value = new Map(curves.value).set(memberId, epochs);
    } catch (err) {
      curveMembers.value = curveMembers.value.filter((id) => id !== memberId);
      curvesError.value = errorMessage(err);
    }
  }

  function clearDrillDown(): void {
    cellClips.value = [];
    cellClipsFor.value = null;
    clipsError.value = null;
    selection.value = null;
    selectedIndex.value = null;
  }

  async function select(dir: string): Promise<void> {
    if (selectedDir.value !== dir) {
      selectedDir.value = dir;
      detail.value = null;
      detailError.value = null;
      withDir.value = '';
      withError.value = null;
      comparingWith = '';
      matrixCell.value = 0;
      compare.value = [0, 1];
      curveMembers.value = [];
      curves.value = new Map();
      clearDrillDown();
    }
    await refresh();
  }

  async function setCheckpoint(value: 'best' | 'final'): Promise<void> {
    if (checkpoint.value === value) return;
    checkpoint.value = value;
    clearDrillDown();
    await refresh();
  }

  /** Desktop: the native folder picker, then studies.open. */
  async function chooseFolder(): Promise<void> {
    listError.value = null;
    try {
      const picked = await invoke('dialog.pickFolder', { title: 'Open a study folder' });
      if (picked.path) await open(picked.path);
    } catch (err) {
      listError.value = errorMessage(err);
    }
  }

  async function open(dir: string): Promise<void> {
    listError.value = null;
    try {
      const entry = await invoke('studies.open', { dir: dir.trim() });
      await refreshList();
      await select(entry.dir);
    } catch (err) {
      listError.value = errorMessage(err);
    }
  }

  function setSort(key: ResultSortKey): void {
    sort.value = nextSort(sort.value, key);
  }

  function showMatrixOf(cell: number): void {
    if (matrixCell.value === cell) return;
    matrixCell.value = cell;
    clearDrillDown();
  }

  /** Lists the clips of one pooled-matrix cell: each finished member's test fold of the shown grid cell. */
  async function selectMatrixCell(trueLabel: string, predictedLabel: string): Promise<void> {
    selection.value = { trueLabel, predictedLabel };
    selectedIndex.value = null;
    const dir = selectedDir.value;
    const status = detail.value?.status;
    if (!dir || !status) return;
    const key = `${dir}#${matrixCell.value}#${checkpoint.value}`;
    if (cellClipsFor.value === key) return;
    const shown = detail.value?.report.cells[matrixCell.value];
    if (shown && shown.studyDir !== dir) {
      clipsError.value = `these clips belong to the study in ${shown.studyDir}: choose it above to look at them`;
      return;
    }
    const members = status.members.filter((m) => m.cell === matrixCell.value && m.state === 'done');
    clipsLoading.value = true;
    clipsError.value = null;
    try {
      const evaluations = await Promise.all(
        members.map((m) => invoke('studies.memberEvaluation', { dir, memberId: m.id, checkpoint: checkpoint.value })),
      );
      if (selectedDir.value !== dir) return;
      cellClips.value = evaluations.flatMap((evaluation, i) =>
        evaluation.predictions.map((p) => ({
          ...p,
          memberId: members[i]!.id,
          fold: members[i]!.fold,
          seed: members[i]!.seed,
          labels: evaluation.labels,
        })),
      );
      cellClipsFor.value = key;
    } catch (err) {
      clipsError.value = errorMessage(err);
    } finally {
      clipsLoading.value = false;
    }
  }

  function selectClip(index: number): void {
    selectedIndex.value = index;
  }

  async function run(parallel: number): Promise<void> {
    const dir = selectedDir.value;
    if (!dir) return;
    jobError.value = null;
    lastRunOf.value = null;
    try {
      job.value = await invoke('studies.run', { dir, parallel });
    } catch (err) {
      jobError.value = errorMessage(err);
    }
    // Another executor may hold it: show who.
    await refresh();
  }

  async function cancel(): Promise<void> {
    if (!job.value) return;
    try {
      job.value = await invoke('jobs.cancel', { jobId: job.value.jobId });
    } catch (err) {
      jobError.value = errorMessage(err);
    }
  }

  async function create(form: NewStudyForm, root: string | null, scheme?: SchemeChoice): Promise<boolean> {
    createError.value = null;
    try {
      if (!root) throw new Error('Open a dataset first (Dataset tab): the study trains on it');
      if (!baseSettings.value) throw new Error('The Train form has not loaded its settings yet');
      const features = useFeaturesStore().overrides;
      if (!features) throw new Error('Fix the feature settings first (Dataset view, Features)');
      creating.value = true;
      const entry = await invoke('studies.create', studyCreateArgs(form, baseSettings.value, root, scheme, features));
      await refreshList();
      await select(entry.dir);
      return true;
    } catch (err) {
      createError.value = errorMessage(err);
      return false;
    } finally {
      creating.value = false;
    }
  }

  /** The results table as CSV text (the view saves it). */
  async function exportCsv(): Promise<{ csv: string; fileName: string } | null> {
    const dir = selectedDir.value;
    if (!dir) return null;
    exportError.value = null;
    try {
      return await invoke('studies.exportCsv', { dir, checkpoint: checkpoint.value });
    } catch (err) {
      exportError.value = errorMessage(err);
      return null;
    }
  }

  // --- Live: the study job's events, and polling for members that run elsewhere -------------
  /** Members this app's study job has started and not yet ended (their run folder may not exist yet). */
  const startedHere = new Set<string>();

  /** The status with this app's started members as running while their folders still say pending. */
  function withLiveMembers(status: StudyStatusView): StudyStatusView {
    if (startedHere.size === 0 || !runningHere.value) return status;
    const members = status.members.map((m) => (m.state === 'pending' && startedHere.has(m.id) ? { ...m, state: 'running' as const } : m));
    const counts = { pending: 0, queued: 0, running: 0, done: 0, failed: 0, interrupted: 0 };
    for (const m of members) counts[m.state]++;
    return { ...status, members, counts };
  }

  function onStudyEvent(payload: ApiEvents['studies.event']): void {
    const event = payload.event;
    if (event.type === 'member-start') startedHere.add(event.member.id);
    if (event.type === 'member-end') startedHere.delete(event.member.id);
    if (payload.dir !== selectedDir.value || !detail.value) return;
    if (event.type === 'features') {
      featureProgress.value = event.progress.phase === 'done' ? null : { done: event.progress.done, total: event.progress.total };
      return;
    }
    featureProgress.value = null;
    if (event.type !== 'member-start' && event.type !== 'member-epoch') {
      if (event.type === 'member-end') void refresh();
      return;
    }
    const members = detail.value.status.members.map((m) =>
      m.id === event.member.id
        ? {
            ...m,
            state: 'running' as const,
            epoch: event.type === 'member-epoch' ? event.epoch : (m.epoch ?? 0),
            epochs: event.type === 'member-epoch' ? event.epochs : m.epochs,
          }
        : m,
    );
    const counts = { pending: 0, queued: 0, running: 0, done: 0, failed: 0, interrupted: 0 };
    for (const m of members) counts[m.state]++;
    detail.value = { ...detail.value, status: { ...detail.value.status, members, counts } };
  }

  function onJobFinished(payload: ApiEvents['job.finished']): void {
    if (payload.job.kind !== 'study' || payload.job.jobId !== job.value?.jobId) return;
    job.value = payload.job;
    featureProgress.value = null;
    startedHere.clear();
    lastRunOf.value = payload.study ? { dir: payload.job.root, result: payload.study } : null;
    if (payload.job.error) jobError.value = payload.job.error;
    void refresh();
  }

  /**
   * Reads the shown study's status (cheap) and, only when a member has finished or failed since,
   * its report too: members started by the CLI, Slurm or this app show up without a touch.
   */
  async function poll(): Promise<void> {
    const dir = selectedDir.value;
    const shown = detail.value;
    if (!dir || !shown || detailLoading.value) return;
    let status;
    try {
      status = await invoke('studies.status', { dir });
    } catch {
      return; // the next full refresh says what is wrong
    }
    if (selectedDir.value !== dir || detail.value !== shown || detailLoading.value) return;
    const finished = (members: StudyMemberStatus[]) =>
      members
        .filter((m) => m.state === 'done' || m.state === 'failed')
        .map((m) => `${m.id}:${m.state}`)
        .join(',');
    if (finished(status.members) !== finished(shown.status.members)) await refresh();
    else detail.value = { ...shown, status: withLiveMembers(status) };
  }

  let listening = false;
  let timer: ReturnType<typeof setInterval> | null = null;

  /** The view is shown: listen to events, and poll while members run somewhere else. */
  function attach(): void {
    if (!listening) {
      on('studies.event', onStudyEvent);
      on('job.finished', onJobFinished);
      listening = true;
    }
    timer ??= setInterval(() => void poll(), POLL_MS);
  }

  function detach(): void {
    if (timer) clearInterval(timer);
    timer = null;
  }

  return {
    list,
    listError,
    listLoading,
    selectedDir,
    selected,
    detail,
    detailError,
    detailLoading,
    job,
    jobError,
    lastRun,
    running,
    runningHere,
    runnerElsewhere,
    featureProgress,
    busyElsewhere,
    sort,
    checkpoint,
    setCheckpoint,
    chooseFolder,
    matrixCell,
    compare,
    withDir,
    withError,
    setWith,
    cellClips,
    clipsLoading,
    clipsError,
    selection,
    selectedIndex,
    selectedClips,
    selectedClip,
    curveMembers,
    curves,
    curvesError,
    toggleCurve,
    baseSettings,
    createError,
    creating,
    exportError,
    refreshList,
    refresh,
    refreshAll,
    select,
    open,
    setSort,
    showMatrixOf,
    selectMatrixCell,
    selectClip,
    run,
    cancel,
    create,
    exportCsv,
    attach,
    detach,
  };
});
