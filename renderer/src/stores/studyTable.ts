/**
 * The open study's comparison table: cells (feature set × classifier) and fusions, each tested
 * against a baseline row, exported as CSV or LaTeX. The fusions, seed ensembles and baseline chosen
 * here are the options of `studies.get`; without any, the table is the studies store's report's.
 * It follows the studies store: every time that reads the study again, so does this.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { StudyReportView, StudyTableOptions } from '../../../main/api/contract';
import { invoke } from '../api';
import { errorMessage } from '../lib/format';
import { useStudiesStore } from './studies';

export const useStudyTableStore = defineStore('studyTable', () => {
  const studies = useStudiesStore();
  /** Fusions as `c1+c3`, in the order added. */
  const fusions = ref<string[]>([]);
  const ensembleSeeds = ref(false);
  /** The baseline row's key; '' = the first with results. */
  const baseline = ref('');
  /** The report read with the options above (null without options). */
  const withOptions = shallowRef<StudyReportView | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  const exportError = ref<string | null>(null);

  const hasOptions = computed(() => fusions.value.length > 0 || ensembleSeeds.value || baseline.value !== '');
  /** The report whose table is shown: the one with options once it has been read, else the plain one. */
  const report = computed<StudyReportView | null>(() => (hasOptions.value ? withOptions.value : null) ?? studies.detail?.report ?? null);

  function options(): StudyTableOptions {
    return {
      ...(fusions.value.length > 0 && { fuse: [...fusions.value] }),
      ...(ensembleSeeds.value && { ensembleSeeds: true }),
      ...(baseline.value && { baseline: baseline.value }),
    };
  }

  /** The request's study and report settings: the studies store's, with this table's options. */
  function requestArgs(): { dir: string; checkpoint: 'best' | 'final'; with?: string[] } & StudyTableOptions {
    return {
      dir: studies.selectedDir!,
      checkpoint: studies.checkpoint,
      ...(studies.withDir ? { with: [studies.withDir] } : {}),
      ...options(),
    };
  }

  let latest = 0;
  /** Reads the report with the options; on a refusal keeps the last good table and says why. */
  async function refresh(): Promise<boolean> {
    const request = ++latest;
    if (!studies.selectedDir || !hasOptions.value) {
      withOptions.value = null;
      error.value = null;
      return true;
    }
    loading.value = true;
    try {
      const { report: read } = await invoke('studies.get', requestArgs());
      if (request === latest) {
        withOptions.value = read;
        error.value = null;
      }
      return true;
    } catch (err) {
      if (request === latest) error.value = errorMessage(err);
      return false;
    } finally {
      if (request === latest) loading.value = false;
    }
  }

  /** Applies a change to the options; undoes it when the engine refuses it (the reason stays shown). */
  async function change(apply: () => void, undo: () => void): Promise<void> {
    apply();
    if (await refresh()) return;
    const reason = error.value;
    undo();
    await refresh();
    error.value = reason;
  }

  async function addFusion(keys: readonly string[]): Promise<void> {
    const text = keys.join('+');
    if (keys.length < 2 || fusions.value.includes(text)) return;
    await change(
      () => fusions.value.push(text),
      () => (fusions.value = fusions.value.filter((f) => f !== text)),
    );
  }

  async function removeFusion(text: string): Promise<void> {
    fusions.value = fusions.value.filter((f) => f !== text);
    // Fusion keys are numbered in order: a baseline on a fusion may no longer exist.
    if (baseline.value.startsWith('f')) baseline.value = '';
    await refresh();
  }

  async function setEnsembleSeeds(value: boolean): Promise<void> {
    const before = ensembleSeeds.value;
    if (!value && baseline.value.startsWith('f')) baseline.value = '';
    await change(
      () => (ensembleSeeds.value = value),
      () => (ensembleSeeds.value = before),
    );
  }

  async function setBaseline(key: string): Promise<void> {
    const before = baseline.value;
    await change(
      () => (baseline.value = key),
      () => (baseline.value = before),
    );
  }

  /** The table as CSV or LaTeX text (the view saves it). */
  async function exportTable(format: 'csv' | 'latex'): Promise<{ text: string; fileName: string } | null> {
    if (!studies.selectedDir) return null;
    exportError.value = null;
    try {
      return await invoke('studies.exportTable', { ...requestArgs(), format });
    } catch (err) {
      exportError.value = errorMessage(err);
      return null;
    }
  }

  /** The last fused run saved (its name), or why it could not be. */
  const savedRun = ref<string | null>(null);
  const saveError = ref<string | null>(null);
  const saving = ref(false);

  /** Saves one fold of a fusion row as a fused run in the runs folder (Runs, Evaluate and Predict list it). */
  async function saveFusedRun(row: { cells?: string[]; seedsAveraged?: boolean }, fold: number, seed?: number): Promise<void> {
    if (!studies.selectedDir || !row.cells) return;
    saving.value = true;
    saveError.value = null;
    savedRun.value = null;
    try {
      const saved = await invoke('studies.saveFusedRun', {
        dir: studies.selectedDir,
        fuse: row.cells.join('+'),
        fold,
        checkpoint: studies.checkpoint,
        ...(row.seedsAveraged ? { seedsAveraged: true } : seed !== undefined ? { seed } : {}),
      });
      savedRun.value = `${saved.runId} (${saved.name})`;
    } catch (err) {
      saveError.value = errorMessage(err);
    } finally {
      saving.value = false;
    }
  }

  // Another study: its own cells, so no fusions carried over.
  watch(
    () => studies.selectedDir,
    () => {
      fusions.value = [];
      ensembleSeeds.value = false;
      baseline.value = '';
      withOptions.value = null;
      error.value = null;
      savedRun.value = null;
      saveError.value = null;
    },
  );
  // The studies store read the study again (members finished, checkpoint or compared study changed).
  watch(
    () => studies.detail,
    () => {
      if (hasOptions.value) void refresh();
    },
  );

  return {
    fusions,
    ensembleSeeds,
    baseline,
    report,
    error,
    loading,
    exportError,
    addFusion,
    removeFusion,
    setEnsembleSeeds,
    setBaseline,
    exportTable,
    refresh,
    savedRun,
    saveError,
    saving,
    saveFusedRun,
  };
});
