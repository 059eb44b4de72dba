/**
 * The Runs view's "Export ONNX" action: writes a run's checkpoint (best when complete, else
 * final) as ONNX into `<run>/exports/onnx-<checkpoint>/`, and offers to replace an export that is
 * already there rather than overwriting it silently.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { CheckpointName, OnnxExportSummary, RunSummary } from '../../../main/api/contract';
import { invoke } from '../api';
import { errorMessage } from '../lib/format';
import { exportCheckpoint } from '../lib/runsTable';

export interface OnnxExportOutcome {
  runId: string;
  checkpoint: CheckpointName;
  summary: OnnxExportSummary;
}

export const useOnnxExportStore = defineStore('onnxExport', () => {
  /** The run being exported, if any. */
  const exporting = ref<string | null>(null);
  const exported = ref<OnnxExportOutcome | null>(null);
  /** `replaceable`: the export folder exists, and exporting again with force would replace it. */
  const failure = ref<{ runId: string; message: string; replaceable: boolean } | null>(null);

  async function exportOnnx(run: RunSummary, force = false): Promise<void> {
    exported.value = null;
    failure.value = null;
    const checkpoint = exportCheckpoint(run);
    if (!checkpoint) {
      failure.value = { runId: run.id, message: 'this run has no complete checkpoint to export', replaceable: false };
      return;
    }
    exporting.value = run.id;
    try {
      const summary = await invoke('runs.exportOnnx', { runId: run.id, checkpoint, ...(force && { force }) });
      exported.value = { runId: run.id, checkpoint, summary };
    } catch (err) {
      const message = errorMessage(err);
      failure.value = {
        runId: run.id,
        message: `ONNX export failed: ${message}`,
        replaceable: !force && message.includes('already exists'),
      };
    } finally {
      exporting.value = null;
    }
  }

  function dismiss(): void {
    exported.value = null;
    failure.value = null;
  }

  return { exporting, exported, failure, exportOnnx, dismiss };
});
