/**
 * The interactive training session: the engine's options, the one training job the UI follows
 * (started here, or re-attached after a reload), and everything its events report — backend,
 * feature extraction, per-batch progress (throttled), per-epoch metrics, the log and the outcome.
 * What a job reported stays after it ends, also when it was cancelled or failed.
 */
import type { SchemeChoice } from '../../../main/schema/datasetSchemes';
import { isClassicalModel } from '../../../main/schema/names';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  ApiEvents,
  BackendInfo,
  BatchProgress,
  ClassifierProgress,
  EpochMetrics,
  ExtractionProgress,
  FeatureOverrides,
  JobInfo,
  SplitCounts,
  TrainingEvent,
  TrainingOptions,
  TrainingOutcome,
  TrainingOverrides,
  TrainingStartArgs,
} from '../../../main/api/contract';
import { invoke, on } from '../api';
import { errorMessage, eta, hyperParameterText, integer, number, percent } from '../lib/format';

export type TrainingStatus = 'idle' | 'starting' | 'running' | 'done' | 'cancelled' | 'failed';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  time: number;
}

/** Lines of log kept (older ones are dropped). */
export const LOG_LIMIT = 200;
/** Batch progress reaches the UI at most this often, so frames stay short while training runs. */
export const BATCH_UI_INTERVAL_MS = 100;

/** "epoch 2/5 · batch 10/40 · loss 1.234 · acc 45.0 % · 120 samples/s · ETA 42 s" (no ETA once the run has ended). */
export function batchLine(p: BatchProgress, withEta = true): string {
  const rate = p.samplesPerSecond < 100 ? number(p.samplesPerSecond, 1) : integer(p.samplesPerSecond);
  const parts = [
    `epoch ${p.epoch}/${p.epochs}`,
    `batch ${p.batch}/${p.batches}`,
    `loss ${number(p.loss, 3)}`,
    `acc ${percent(p.accuracy)}`,
    `${rate} samples/s`,
  ];
  const etaText = withEta ? eta(p.etaS) : '';
  if (etaText) parts.push(etaText);
  return parts.join(' · ');
}

/** Batches done of the whole run, 0..1 (for the progress bar). */
export function batchFraction(p: BatchProgress): number {
  const total = p.epochs * p.batches;
  if (total <= 0) return 0;
  return Math.min(1, ((p.epoch - 1) * p.batches + p.batch) / total);
}

/** A classical run so far: its inner cross-validation (the latest candidate count), the chosen hyper-parameters, its stage. */
export interface ClassifierState {
  stage: ClassifierProgress['stage'];
  search: Extract<ClassifierProgress, { stage: 'inner-cv' }> | null;
  chosen: Record<string, number> | null;
  /** Clips of the refit, then of the test evaluation. */
  clips: number;
  /** Every candidate scored so far, in the order the inner cross-validation scored them. */
  scores: InnerCvScore[];
}

/** One hyper-parameter candidate of the inner cross-validation and its pooled out-of-fold UAR. */
export interface InnerCvScore {
  hyperParameters: Record<string, number>;
  uar: number;
}

export function mergeClassifier(state: ClassifierState | null, progress: ClassifierProgress): ClassifierState {
  const base: ClassifierState = state ?? { stage: progress.stage, search: null, chosen: null, clips: 0, scores: [] };
  if (progress.stage === 'inner-cv')
    return { ...base, stage: 'inner-cv', search: progress, scores: progress.last ? [...base.scores, progress.last] : base.scores };
  if (progress.stage === 'refit') return { ...base, stage: 'refit', chosen: progress.hyperParameters, clips: progress.clips };
  return { ...base, stage: 'test', clips: progress.clips };
}

/**
 * "inner CV 3/9 candidates on 4 speaker folds · last C=0.1: UAR 52.0 %", then the refit and the
 * test evaluation; once the run has ended, what was searched and chosen.
 */
export function classifierLine(state: ClassifierState, running = true): string {
  const search = state.search;
  const searched = search ? `inner CV ${search.done}/${search.candidates} candidates on ${search.folds} speaker folds` : 'inner CV';
  const chosen = state.chosen ? `chosen ${hyperParameterText(state.chosen)}` : '';
  if (!running) return [searched, chosen].filter(Boolean).join(' · ');
  if (state.stage === 'inner-cv')
    return search?.last
      ? `${searched} · last ${hyperParameterText(search.last.hyperParameters)}: UAR ${percent(search.last.uar)}`
      : `${searched}…`;
  if (state.stage === 'refit') return `${searched} · ${chosen} · refitting on all ${integer(state.clips)} training and validation clips…`;
  return `${searched} · ${chosen} · evaluating on the ${integer(state.clips)} test clips…`;
}

/** Candidates scored of the inner CV, 0..1 (the refit and the test come after all of them). */
export function classifierFraction(state: ClassifierState): number {
  if (state.stage !== 'inner-cv') return 1;
  return state.search && state.search.candidates > 0 ? state.search.done / state.search.candidates : 0;
}

/** Adds (or replaces, by epoch number) metrics, keeping epoch order. */
function mergeEpochs(current: readonly EpochMetrics[], incoming: readonly EpochMetrics[]): EpochMetrics[] {
  const byEpoch = new Map(current.map((m) => [m.epoch, m]));
  for (const m of incoming) byEpoch.set(m.epoch, m);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

type EarlyMessage = { kind: 'event'; payload: ApiEvents['training.event'] } | { kind: 'finished'; payload: ApiEvents['job.finished'] };

export const useTrainingStore = defineStore('training', () => {
  const options = ref<TrainingOptions | null>(null);
  const optionsLoading = ref(false);
  const optionsError = ref<string | null>(null);

  const job = ref<JobInfo | null>(null);
  const status = ref<TrainingStatus>('idle');
  /** The dataset the followed job trains on. */
  const datasetRoot = ref<string | null>(null);
  const cancelling = ref(false);
  /** Why the job failed (from the engine). */
  const failure = ref<string | null>(null);
  /** training.start / jobs.cancel rejections. */
  const actionError = ref<string | null>(null);
  /** What training.validate said about the current form (null = fine or not asked). */
  const serverError = ref<string | null>(null);
  const validating = ref(false);
  /** Re-attaching to a running job after a reload failed. */
  const attachError = ref<string | null>(null);

  const backend = ref<BackendInfo | null>(null);
  const features = ref<ExtractionProgress | null>(null);
  const runId = ref<string | null>(null);
  const runDir = ref<string | null>(null);
  const batch = ref<BatchProgress | null>(null);
  /** A classical model's job: no batches, an inner cross-validation and one fit. */
  const classical = ref(false);
  const classifier = ref<ClassifierState | null>(null);
  const epochs = ref<EpochMetrics[]>([]);
  const log = ref<LogLine[]>([]);
  const outcome = ref<TrainingOutcome | null>(null);

  // Events can reach us before 'training.start' has answered with the job id: keep them until it has.
  let early: EarlyMessage[] = [];

  const running = computed(() => status.value === 'starting' || status.value === 'running');

  /** The text of the status line: "running", "done", "cancelled", "failed: …". */
  const statusText = computed(() => {
    switch (status.value) {
      case 'idle':
        return 'idle';
      case 'starting':
        return 'starting…';
      case 'running':
        return cancelling.value ? 'running (cancelling…)' : 'running';
      case 'failed':
        return `failed: ${failure.value ?? 'unknown error'}`;
      default:
        return status.value;
    }
  });

  // Per-batch events arrive many times a second: keep the latest and show it at most every
  // BATCH_UI_INTERVAL_MS.
  let pendingBatch: BatchProgress | null = null;
  let lastBatchShownAt = 0;
  let batchTimer: ReturnType<typeof setTimeout> | null = null;

  function showBatch(progress: BatchProgress): void {
    batch.value = progress;
    lastBatchShownAt = Date.now();
  }

  function receiveBatch(progress: BatchProgress): void {
    const sinceShown = Date.now() - lastBatchShownAt;
    if (!batchTimer && sinceShown >= BATCH_UI_INTERVAL_MS) {
      showBatch(progress);
      return;
    }
    pendingBatch = progress;
    batchTimer ??= setTimeout(flushBatch, Math.max(0, BATCH_UI_INTERVAL_MS - sinceShown));
  }

  function flushBatch(): void {
    if (batchTimer) clearTimeout(batchTimer);
    batchTimer = null;
    if (pendingBatch) showBatch(pendingBatch);
    pendingBatch = null;
  }

  function pushLog(level: LogLine['level'], message: string): void {
    log.value.push({ level, message, time: Date.now() });
    if (log.value.length > LOG_LIMIT) log.value.splice(0, log.value.length - LOG_LIMIT);
  }

  function reset(): void {
    flushBatch();
    job.value = null;
    datasetRoot.value = null;
    cancelling.value = false;
    failure.value = null;
    actionError.value = null;
    attachError.value = null;
    backend.value = null;
    features.value = null;
    runId.value = null;
    runDir.value = null;
    batch.value = null;
    classical.value = false;
    classifier.value = null;
    lastBatchShownAt = 0;
    epochs.value = [];
    log.value = [];
    outcome.value = null;
    early = [];
  }

  function applyEvent(event: TrainingEvent): void {
    switch (event.type) {
      case 'log':
        pushLog(event.level, event.message);
        break;
      case 'backend':
        backend.value = event.backend;
        break;
      case 'features':
        features.value = event.progress;
        break;
      case 'run':
        runId.value = event.runId;
        runDir.value = event.runDir;
        if (job.value) job.value = { ...job.value, runId: event.runId };
        break;
      case 'batch':
        receiveBatch(event.progress);
        break;
      case 'classifier':
        classical.value = true;
        classifier.value = mergeClassifier(classifier.value, event.progress);
        break;
      case 'epoch':
        flushBatch();
        epochs.value = mergeEpochs(epochs.value, [event.metrics]);
        break;
    }
  }

  function applyFinished(payload: ApiEvents['job.finished']): void {
    flushBatch();
    const ended = payload.job;
    job.value = ended;
    cancelling.value = false;
    status.value = ended.state === 'running' ? 'running' : ended.state;
    failure.value = ended.error ?? null;
    outcome.value = payload.outcome ?? null;
    if (payload.outcome) runId.value = payload.outcome.runId;
    else if (ended.runId) runId.value = ended.runId;
    pushLog(ended.state === 'failed' ? 'error' : 'info', `training ${ended.state}${ended.error ? `: ${ended.error}` : ''}`);
  }

  function onTrainingEvent(payload: ApiEvents['training.event']): void {
    if (!job.value) {
      if (status.value === 'starting') early.push({ kind: 'event', payload });
      return;
    }
    if (payload.jobId === job.value.jobId && running.value) applyEvent(payload.event);
  }

  function onJobFinished(payload: ApiEvents['job.finished']): void {
    if (payload.job.kind !== 'training') return;
    if (!job.value) {
      if (status.value === 'starting') early.push({ kind: 'finished', payload });
      return;
    }
    if (payload.job.jobId === job.value.jobId && running.value) applyFinished(payload);
  }

  function replayEarly(jobId: string): void {
    const messages = early;
    early = [];
    for (const message of messages) {
      if (message.kind === 'event') {
        if (message.payload.jobId === jobId) onTrainingEvent(message.payload);
      } else if (message.payload.job.jobId === jobId) {
        onJobFinished(message.payload);
      }
    }
  }

  async function loadOptions(): Promise<void> {
    optionsLoading.value = true;
    optionsError.value = null;
    try {
      options.value = await invoke('training.options', {});
    } catch (err) {
      optionsError.value = errorMessage(err);
    } finally {
      optionsLoading.value = false;
    }
  }

  let validateSeq = 0;

  /** Asks the engine whether a configuration is valid; the latest answer wins. */
  /** The split the form's config makes of the open dataset (clips per part and class). */
  const splitPreview = ref<SplitCounts | null>(null);
  const splitPreviewError = ref<string | null>(null);
  let splitSeq = 0;

  async function previewSplit(root: string, scheme: SchemeChoice, config: TrainingOverrides): Promise<void> {
    const seq = ++splitSeq;
    try {
      const counts = await invoke('training.splitPreview', { root, scheme, config });
      if (seq !== splitSeq) return;
      splitPreview.value = counts;
      splitPreviewError.value = null;
    } catch (err) {
      if (seq !== splitSeq) return;
      splitPreview.value = null;
      splitPreviewError.value = errorMessage(err);
    }
  }

  async function validateOnServer(config: TrainingOverrides, features?: FeatureOverrides): Promise<void> {
    const seq = ++validateSeq;
    validating.value = true;
    try {
      const answer = await invoke('training.validate', features ? { config, features } : { config });
      if (seq === validateSeq) serverError.value = answer.ok ? null : answer.error;
    } catch (err) {
      if (seq === validateSeq) serverError.value = errorMessage(err);
    } finally {
      if (seq === validateSeq) validating.value = false;
    }
  }

  /** Forgets the last server answer (the form changed). */
  function clearServerError(): void {
    validateSeq++;
    validating.value = false;
    serverError.value = null;
  }

  async function start(args: TrainingStartArgs): Promise<void> {
    if (running.value) return;
    reset();
    status.value = 'starting';
    datasetRoot.value = args.root;
    classical.value = isClassicalModel(String(args.config.model ?? ''));
    let info: JobInfo;
    try {
      info = await invoke('training.start', args);
    } catch (err) {
      early = [];
      status.value = 'idle';
      actionError.value = errorMessage(err);
      return;
    }
    job.value = info;
    runId.value = info.runId ?? null;
    status.value = info.state;
    failure.value = info.error ?? null;
    replayEarly(info.jobId);
  }

  async function cancel(): Promise<void> {
    const current = job.value;
    if (!current || status.value !== 'running') return;
    cancelling.value = true;
    actionError.value = null;
    try {
      const info = await invoke('jobs.cancel', { jobId: current.jobId });
      // The job normally ends a moment later with 'job.finished'; an already-ended one ends here.
      if (info.state !== 'running' && status.value === 'running' && job.value?.jobId === info.jobId) applyFinished({ job: info });
    } catch (err) {
      cancelling.value = false;
      actionError.value = errorMessage(err);
    }
  }

  /** Follows a training job that is already running (the page was reloaded mid-run). */
  async function reattach(): Promise<void> {
    attachError.value = null;
    let jobs: JobInfo[];
    try {
      jobs = await invoke('jobs.list', {});
    } catch (err) {
      attachError.value = `could not list running jobs: ${errorMessage(err)}`;
      return;
    }
    const live = jobs.find((j) => j.kind === 'training' && j.state === 'running');
    if (!live || running.value) return;
    reset();
    job.value = live;
    status.value = 'running';
    datasetRoot.value = live.root;
    runId.value = live.runId ?? null;
    pushLog('info', `re-attached to the training job started ${live.startedAt}`);
    if (!live.runId) return;
    try {
      const detail = await invoke('runs.get', { runId: live.runId });
      epochs.value = mergeEpochs(detail.epochs, epochs.value);
      runDir.value = detail.dir;
    } catch (err) {
      attachError.value = `could not load the epochs so far: ${errorMessage(err)}`;
    }
  }

  let initialised = false;

  /** Subscribes to the job events and loads options and any running job (once). */
  async function init(): Promise<void> {
    if (initialised) return;
    initialised = true;
    on('training.event', onTrainingEvent);
    on('job.finished', onJobFinished);
    await Promise.all([loadOptions(), reattach()]);
  }

  return {
    options,
    optionsLoading,
    optionsError,
    job,
    status,
    statusText,
    running,
    datasetRoot,
    cancelling,
    failure,
    actionError,
    serverError,
    validating,
    attachError,
    backend,
    features,
    runId,
    runDir,
    batch,
    classical,
    classifier,
    epochs,
    log,
    outcome,
    init,
    loadOptions,
    validateOnServer,
    clearServerError,
    splitPreview,
    splitPreviewError,
    previewSplit,
    start,
    cancel,
    reattach,
    flushBatch,
  };
});
