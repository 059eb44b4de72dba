/**
 * The open dataset: its overview (other views read `overview.root` as "the current dataset"),
 * the clip browser's filters and sort, and the selected clip.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import type { DatasetOverview } from '../../../main/api/contract';
import { invoke } from '../api';
import { browseClips, emptyFilter, toggleSort, type ClipSort, type ClipSortKey } from '../lib/clipFilter';
import { errorMessage } from '../lib/format';
import { recall, remember } from '../lib/sessionState';

import { isSchemeChoice, type SchemeChoice, type SchemeName } from '../../../main/schema/datasetSchemes';

export { SCHEME_CHOICES } from '../../../main/schema/datasetSchemes';

/** sessionStorage key of the open dataset ({root, scheme?}), kept across a reload. */
export const OPENED_KEY = 'dataset';

export const useDatasetStore = defineStore('dataset', () => {
  // Shallow: the overview is read-only data with thousands of clips; no need for deep proxies.
  const overview = shallowRef<DatasetOverview | null>(null);
  /** The scheme the overview was opened with; undefined = detected ('auto'). */
  const openedScheme = ref<SchemeName | undefined>(undefined);
  const loading = ref(false);
  /** The folder being opened while `loading`. */
  const loadingRoot = ref<string | null>(null);
  const error = ref<string | null>(null);
  const selectedClipPath = ref<string | null>(null);
  const filters = reactive(emptyFilter());
  const sort = ref<ClipSort>({ key: 'file', descending: false });

  let latestRequest = 0;

  /** Opens a dataset folder; a later call wins over an earlier one still in flight. */
  async function open(root: string, scheme?: SchemeChoice): Promise<void> {
    const folder = root.trim();
    if (folder === '') {
      error.value = 'Enter the path of a dataset folder.';
      return;
    }
    const chosenScheme = scheme && scheme !== 'auto' ? scheme : undefined;
    const request = ++latestRequest;
    loading.value = true;
    loadingRoot.value = folder;
    error.value = null;
    try {
      const result = await invoke('dataset.open', chosenScheme ? { root: folder, scheme: chosenScheme } : { root: folder });
      if (request !== latestRequest) return;
      overview.value = result;
      openedScheme.value = chosenScheme;
      remember(OPENED_KEY, { root: folder, ...(chosenScheme ? { scheme: chosenScheme } : {}) });
      selectedClipPath.value = null;
      Object.assign(filters, emptyFilter());
    } catch (err) {
      if (request !== latestRequest) return;
      const reason = errorMessage(err);
      // The engine's reason usually names the folder already: say it once.
      error.value = reason.includes(folder) ? `Could not open the dataset: ${reason}` : `Could not open ${folder}: ${reason}`;
    } finally {
      if (request === latestRequest) {
        loading.value = false;
        loadingRoot.value = null;
      }
    }
  }

  /** Opens again the dataset that was open before the page was reloaded (serve mode), if any. */
  async function restore(): Promise<void> {
    const saved = recall(OPENED_KEY) as { root?: unknown; scheme?: unknown } | undefined;
    if (overview.value || loading.value || typeof saved?.root !== 'string') return;
    await open(saved.root, isSchemeChoice(saved.scheme) ? saved.scheme : undefined);
  }

  /** The native folder picker (Electron only); null when the user cancelled or it failed. */
  async function pickFolder(): Promise<string | null> {
    try {
      const { path } = await invoke('dialog.pickFolder', { title: 'Choose a dataset folder' });
      return path;
    } catch (err) {
      error.value = errorMessage(err);
      return null;
    }
  }

  /** The clip browser's rows: the overview's clips, filtered and sorted. */
  const visibleClips = computed(() => (overview.value ? browseClips(overview.value.clips, filters, sort.value) : []));

  function selectClip(path: string | null): void {
    selectedClipPath.value = path;
  }

  function sortBy(key: ClipSortKey): void {
    sort.value = toggleSort(sort.value, key);
  }

  function clearFilters(): void {
    Object.assign(filters, emptyFilter());
  }

  return {
    overview,
    openedScheme,
    loading,
    loadingRoot,
    error,
    selectedClipPath,
    filters,
    sort,
    visibleClips,
    open,
    restore,
    pickFolder,
    selectClip,
    sortBy,
    clearFilters,
  };
});
