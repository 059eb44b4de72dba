/**
 * App-wide state: what the engine told us about itself, the backend in use, which view is open,
 * and the run/checkpoint the views share (opening a run in Runs shows it in Evaluate).
 */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { AppInfo, BackendInfo, CheckpointName } from '../../../main/api/contract';
import { invoke } from '../api';
import { errorMessage } from '../lib/format';
import { recall, remember } from '../lib/sessionState';

export type ViewName = 'dataset' | 'train' | 'runs' | 'studies' | 'evaluate' | 'compare' | 'predict';

export const VIEWS: { name: ViewName; title: string }[] = [
  { name: 'dataset', title: 'Dataset' },
  { name: 'train', title: 'Train' },
  { name: 'runs', title: 'Runs' },
  { name: 'studies', title: 'Studies' },
  { name: 'evaluate', title: 'Evaluate' },
  { name: 'compare', title: 'Compare' },
  { name: 'predict', title: 'Predict' },
];

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const backend = ref<BackendInfo | null>(null);
  const backendError = ref<string | null>(null);
  // The view shown survives a reload of the page (serve mode).
  const savedView = recall('view');
  const view = ref<ViewName>(VIEWS.some((v) => v.name === savedView) ? (savedView as ViewName) : 'dataset');
  watch(view, (name) => remember('view', name));
  /** The run and checkpoint Evaluate, Compare and Predict start from. */
  const selectedRunId = ref<string | null>(null);
  const selectedCheckpoint = ref<CheckpointName>('best');
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      info.value = await invoke('app.info', {});
    } catch (err) {
      error.value = errorMessage(err);
      return;
    }
    try {
      backend.value = await invoke('app.backend', {});
    } catch (err) {
      backendError.value = errorMessage(err);
    }
  }

  function show(name: ViewName): void {
    view.value = name;
  }

  /** Opens a run's checkpoint in a view (Evaluate by default). */
  function openRun(runId: string, checkpoint: CheckpointName = 'best', target: ViewName = 'evaluate'): void {
    selectedRunId.value = runId;
    selectedCheckpoint.value = checkpoint;
    view.value = target;
  }

  return { info, backend, backendError, view, selectedRunId, selectedCheckpoint, error, load, show, openRun };
});
