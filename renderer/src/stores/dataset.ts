import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DatasetOverview } from '../../../main/api/contract';
import { invoke } from '../api';

export const useDatasetStore = defineStore('dataset', () => {
  const overview = ref<DatasetOverview | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  async function open(root: string): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      overview.value = await invoke('dataset.open', { root });
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    } finally {
      loading.value = false;
    }
  }

  return { overview, loading, error, open };
});
