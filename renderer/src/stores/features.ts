/**
 * Feature extraction for datasets: the cache status per dataset, the running extraction job and
 * its progress, and the last result per dataset. Engine events are subscribed once (`attach()`,
 * also done lazily by `extract()`), so progress keeps flowing whichever view is shown.
 */
import type { SchemeChoice } from '../../../main/schema/datasetSchemes';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  ApiEvents,
  CacheStatus,
  EncoderSummary,
  ExtractionProgress,
  ExtractionResult,
  FeatureOverrides,
  JobInfo,
} from '../../../main/api/contract';
import { invoke, on } from '../api';
import { featureFormDefaults, toFeatureOverrides, validateFeatureForm, type FeatureFormValues } from '../lib/featureForm';
import { errorMessage } from '../lib/format';

export interface RunningExtraction {
  /** '' until features.extract has answered. */
  jobId: string;
  root: string;
  progress: ExtractionProgress | null;
  cancelling: boolean;
}

export const useFeaturesStore = defineStore('features', () => {
  const statusByRoot = ref<Record<string, CacheStatus>>({});
  const statusErrorByRoot = ref<Record<string, string>>({});
  const statusLoading = ref<Record<string, boolean>>({});
  const running = ref<RunningExtraction | null>(null);
  const resultByRoot = ref<Record<string, ExtractionResult>>({});
  /** Why the last extraction could not start, failed or could not be cancelled. */
  const error = ref<string | null>(null);
  /** The Features form: what extraction, the cache status and training use. */
  const form = ref<FeatureFormValues>(featureFormDefaults());
  const formErrors = computed(() => validateFeatureForm(form.value));
  /** The form's feature overrides, or null while a field is invalid. */
  const overrides = computed<FeatureOverrides | null>(() =>
    Object.keys(formErrors.value).length === 0 ? toFeatureOverrides(form.value) : null,
  );

  /** `features` for a request: omitted for the defaults; null while the form is invalid. */
  function featureArgs(): { features?: FeatureOverrides } | null {
    const current = overrides.value;
    if (!current) return null;
    return Object.keys(current).length > 0 ? { features: current } : {};
  }

  function resetForm(): void {
    form.value = featureFormDefaults();
  }

  /** The encoder folder the form names, as encoders.open read it; why it could not be, for the form. */
  const encoder = ref<EncoderSummary | null>(null);
  const encoderError = ref<string | null>(null);
  const encoderDir = computed(() => (form.value.representation === 'encoder' ? String(form.value.encoderDir).trim() : ''));

  /**
   * Opens the form's encoder folder (the engine reads a folder only once it is chosen) unless it is
   * open already; false when the form names one that cannot be opened.
   */
  async function ensureEncoder(): Promise<boolean> {
    const dir = encoderDir.value;
    if (dir === '') return true;
    if (encoder.value && (encoder.value.dir === dir || openedAs === dir)) return true;
    try {
      encoder.value = await invoke('encoders.open', { dir });
      openedAs = dir;
      encoderError.value = null;
      return true;
    } catch (err) {
      encoder.value = null;
      encoderError.value = errorMessage(err);
      return false;
    }
  }
  let openedAs = '';

  /** The desktop folder dialog for the encoder folder; the chosen folder is opened at once. */
  async function chooseEncoder(): Promise<void> {
    try {
      const { path } = await invoke('dialog.pickFolder', { title: 'Choose an encoder folder (ONNX export)' });
      if (!path) return;
      form.value = { ...form.value, encoderDir: path };
      await ensureEncoder();
    } catch (err) {
      encoderError.value = errorMessage(err);
    }
  }

  let attached = false;
  /** Jobs whose end we already saw (the end can arrive before features.extract answers). */
  const finishedJobs = new Set<string>();

  async function refreshStatus(root: string): Promise<void> {
    const features = featureArgs();
    if (!features) {
      statusErrorByRoot.value = { ...statusErrorByRoot.value, [root]: 'fix the feature settings first' };
      return;
    }
    statusLoading.value = { ...statusLoading.value, [root]: true };
    try {
      if (!(await ensureEncoder())) throw new Error(encoderError.value ?? 'the encoder folder cannot be opened');
      const status = await invoke('features.status', { root, ...features });
      statusByRoot.value = { ...statusByRoot.value, [root]: status };
      const { [root]: _dropped, ...others } = statusErrorByRoot.value;
      statusErrorByRoot.value = others;
    } catch (err) {
      statusErrorByRoot.value = { ...statusErrorByRoot.value, [root]: errorMessage(err) };
    } finally {
      statusLoading.value = { ...statusLoading.value, [root]: false };
    }
  }

  function isOurs(jobId: string, root: string): boolean {
    const job = running.value;
    if (!job) return false;
    return job.jobId === jobId || (job.jobId === '' && job.root === root);
  }

  function onProgress(payload: ApiEvents['features.progress']): void {
    if (finishedJobs.has(payload.jobId) || !isOurs(payload.jobId, payload.root)) return;
    running.value = { ...running.value!, jobId: payload.jobId, progress: payload.progress };
  }

  function onFinished(payload: ApiEvents['job.finished']): void {
    const { job, result } = payload;
    if (job.kind !== 'features') return;
    finishedJobs.add(job.jobId);
    // The engine names a dataset by its real path everywhere (the overview's root): one key.
    if (result) resultByRoot.value = { ...resultByRoot.value, [job.root]: result };
    if (isOurs(job.jobId, job.root)) {
      running.value = null;
      if (job.state === 'failed') error.value = `Feature extraction failed: ${job.error ?? 'unknown error'}`;
    }
    void refreshStatus(job.root);
  }

  /** Subscribes to the engine's events (once) and adopts a features job already running. */
  function attach(): void {
    if (attached) return;
    attached = true;
    on('features.progress', onProgress);
    on('job.finished', onFinished);
    void adoptRunningJob();
  }

  async function adoptRunningJob(): Promise<void> {
    try {
      const jobs = await invoke('jobs.list', {});
      const job = jobs.find((j) => j.kind === 'features' && j.state === 'running');
      if (job && !running.value && !finishedJobs.has(job.jobId)) {
        running.value = { jobId: job.jobId, root: job.root, progress: null, cancelling: false };
      }
    } catch (err) {
      error.value = `Could not list running jobs: ${errorMessage(err)}`;
    }
  }

  async function extract(root: string, scheme?: SchemeChoice): Promise<void> {
    attach();
    if (running.value) return;
    const features = featureArgs();
    if (!features) {
      error.value = `Fix the feature settings first: ${Object.values(formErrors.value)[0]}`;
      return;
    }
    error.value = null;
    // Only an encoder config waits here: the others start at once (progress may follow immediately).
    if (encoderDir.value !== '' && !(await ensureEncoder())) {
      error.value = `Could not open the encoder folder: ${encoderError.value}`;
      return;
    }
    running.value = { jobId: '', root, progress: null, cancelling: false };
    let job: JobInfo;
    try {
      job = await invoke('features.extract', { root, ...(scheme && scheme !== 'auto' ? { scheme } : {}), ...features });
    } catch (err) {
      running.value = null;
      error.value = `Could not start feature extraction: ${errorMessage(err)}`;
      return;
    }
    if (finishedJobs.has(job.jobId) || job.state !== 'running') {
      // It ended before (or as) it was reported: the job.finished event did or will handle it.
      if (running.value?.root === root && (running.value.jobId === '' || running.value.jobId === job.jobId)) running.value = null;
      if (job.state === 'failed') error.value = `Feature extraction failed: ${job.error ?? 'unknown error'}`;
      return;
    }
    if (running.value && running.value.root === root) running.value = { ...running.value, jobId: job.jobId };
  }

  async function cancel(): Promise<void> {
    const job = running.value;
    if (!job || job.jobId === '' || job.cancelling) return;
    running.value = { ...job, cancelling: true };
    try {
      const info = await invoke('jobs.cancel', { jobId: job.jobId });
      if (info.state !== 'running' && running.value?.jobId === job.jobId) {
        // Already over: don't wait for an event that may have been sent before we asked.
        running.value = null;
        void refreshStatus(job.root);
      }
    } catch (err) {
      if (running.value?.jobId === job.jobId) running.value = { ...running.value, cancelling: false };
      error.value = `Could not cancel: ${errorMessage(err)}`;
    }
  }

  function statusFor(root: string | null | undefined): CacheStatus | null {
    return root ? (statusByRoot.value[root] ?? null) : null;
  }

  function resultFor(root: string | null | undefined): ExtractionResult | null {
    return root ? (resultByRoot.value[root] ?? null) : null;
  }

  return {
    statusByRoot,
    statusErrorByRoot,
    statusLoading,
    running,
    resultByRoot,
    error,
    form,
    formErrors,
    overrides,
    resetForm,
    encoder,
    encoderError,
    ensureEncoder,
    chooseEncoder,
    attach,
    refreshStatus,
    extract,
    cancel,
    statusFor,
    resultFor,
  };
});
