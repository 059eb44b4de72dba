/**
 * The Predict view's state: the checkpoint to predict with and one row per file the user gave
 * (picked, dropped or chosen natively). Files are checked here (type, size), read and sent one at
 * a time, in order (files given with a speaker: together); each row ends as a prediction or as that
 * file's error — one bad file never stops the others.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { CheckpointRef, FilePrediction, PredictInput } from '../../../main/api/contract';
import { invoke, plainMessage } from '../api';
import { checkAudioFile, fileToPredictInput } from '../lib/files';
import { count, errorMessage } from '../lib/format';
import { plainRef, sameRef, type ViewerPrediction } from './evaluation';

export type PredictRowStatus = 'reading' | 'queued' | 'predicting' | 'ok' | 'error';

export interface PredictRow {
  id: number;
  /** The file name (uploads) or path (native picks). */
  name: string;
  status: PredictRowStatus;
  checkpoint: CheckpointRef;
  /** The speaker the file was given with ('' = unknown). */
  speaker: string;
  /** The model's classes, aligned with result.probabilities. */
  labels: string[];
  result: FilePrediction | null;
  error: { code: string; message: string } | null;
}

/** Something that can become a PredictInput: bytes read on demand, or a path the engine reads. */
type Source = { kind: 'file'; file: Blob & { name: string } } | { kind: 'path'; path: string };

/** A row to predict: its source and the speaker it was given with ('' = unknown). */
interface Job {
  id: number;
  source: Source;
  speaker: string;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'failed';
}

export const useInferenceStore = defineStore('inference', () => {
  const target = ref<CheckpointRef | null>(null);
  const rows = ref<PredictRow[]>([]);
  const selectedId = ref<number | null>(null);
  /**
   * The speaker of the files added next ('' = unknown). Files added together with a speaker are
   * normalised with that speaker's joint statistics by a per-speaker model.
   */
  const speaker = ref('');
  /** Problems not tied to one file (no checkpoint chosen, the native picker failed). */
  const error = ref<string | null>(null);
  let nextId = 1;
  let queue: Promise<void> = Promise.resolve();
  /** Files that arrived before a checkpoint was chosen (e.g. opened from the OS): predicted once one is. */
  let waiting: { name: string; source: Source; problem: PredictRow['error'] }[] = [];
  /**
   * The checkpoint's encoder folder is missing or holds another model (the engine's reason): the
   * view offers to choose where that folder is now; the rows it stopped wait in `needEncoder`.
   */
  const encoderNeeded = ref<string | null>(null);
  /** The folder chosen for the current checkpoint's encoder (sent with every request), and why one could not be opened. */
  const encoderDir = ref<string | null>(null);
  const encoderError = ref<string | null>(null);
  let needEncoder: { jobs: Job[]; checkpoint: CheckpointRef }[] = [];

  const busy = computed(() => rows.value.some((r) => r.status === 'reading' || r.status === 'queued' || r.status === 'predicting'));
  const selectedRow = computed(() => rows.value.find((r) => r.id === selectedId.value) ?? null);
  const selectedPrediction = computed<ViewerPrediction | null>(() => {
    const row = selectedRow.value;
    const result = row?.result;
    if (!row || !result?.ok || !result.probabilities || !result.emotion) return null;
    return { labels: row.labels, probabilities: result.probabilities, predictedLabel: result.emotion };
  });

  function setTarget(value: CheckpointRef | null): void {
    if (!sameRef(target.value, value)) {
      encoderNeeded.value = null;
      encoderDir.value = null;
      encoderError.value = null;
      needEncoder = [];
    }
    target.value = value ? plainRef(value) : null;
    if (target.value && waiting.length > 0) {
      const items = waiting;
      waiting = [];
      void enqueue(items);
    }
  }

  /** Changes a row through the reactive array, so the view sees it. */
  function update(id: number, patch: Partial<PredictRow>): void {
    const row = rows.value.find((r) => r.id === id);
    if (row) Object.assign(row, patch);
  }

  function addRow(name: string, checkpoint: CheckpointRef, speaker: string, problem: PredictRow['error']): number {
    const id = nextId++;
    rows.value.push({ id, name, status: problem ? 'error' : 'queued', checkpoint, speaker, labels: [], result: null, error: problem });
    if (selectedId.value === null) selectedId.value = id;
    return id;
  }

  /** Shows one file's answer (or its error) in its row. */
  function settle(id: number, labels: string[], result: FilePrediction | undefined): void {
    if (!result) {
      update(id, { status: 'error', error: { code: 'failed', message: 'the engine returned no result for this file' } });
    } else if (!result.ok) {
      const problem = result.error ?? { code: 'failed', message: 'prediction failed' };
      // The row shows the file's name already: its message need not repeat it.
      update(id, { status: 'error', labels, result, error: { code: problem.code, message: plainMessage(problem.message, result.name) } });
    } else {
      update(id, { status: 'ok', labels, result });
    }
  }

  /**
   * Predicts the jobs in one request: files of one speaker go together, so that a model trained
   * with per-speaker normalisation standardises them with their joint statistics.
   */
  async function predictTogether(jobs: Job[], checkpoint: CheckpointRef): Promise<void> {
    const sent: { id: number; input: PredictInput }[] = [];
    for (const job of jobs) {
      let input: PredictInput;
      if (job.source.kind === 'file') {
        update(job.id, { status: 'reading' });
        try {
          input = await fileToPredictInput(job.source.file);
        } catch (err) {
          update(job.id, { status: 'error', error: { code: 'unreadable', message: `the file could not be read: ${errorMessage(err)}` } });
          continue;
        }
      } else {
        input = { path: job.source.path };
      }
      sent.push({ id: job.id, input: job.speaker ? { ...input, speaker: job.speaker } : input });
    }
    if (sent.length === 0) return;
    for (const { id } of sent) update(id, { status: 'predicting' });
    const folder = sameRef(target.value, checkpoint) ? encoderDir.value : null;
    try {
      const batch = await invoke('predict.files', {
        ...plainRef(checkpoint),
        files: sent.map((s) => s.input),
        ...(folder && { encoderDir: folder }),
      });
      sent.forEach(({ id }, i) => settle(id, batch.labels, batch.results[i]));
    } catch (err) {
      const code = errorCode(err);
      const needsFolder = code === 'encoder-needed' && sameRef(target.value, checkpoint);
      // The view shows the reason once, above the rows, with the folder choice.
      const message = needsFolder ? "waits for the checkpoint's encoder folder (above)" : errorMessage(err);
      for (const { id } of sent) update(id, { status: 'error', error: { code, message } });
      if (needsFolder) {
        encoderNeeded.value = errorMessage(err);
        needEncoder.push({ jobs: jobs.filter((job) => sent.some((s) => s.id === job.id)), checkpoint });
      }
    }
  }

  /**
   * Opens `dir` as the folder of the current checkpoint's encoder (encoders.open: the engine reads
   * only folders the user chose), then predicts again the rows that waited for it.
   */
  async function useEncoderFolder(dir: string): Promise<void> {
    const trimmed = dir.trim();
    if (!trimmed) return;
    try {
      encoderDir.value = (await invoke('encoders.open', { dir: trimmed })).dir;
      encoderError.value = null;
    } catch (err) {
      encoderError.value = errorMessage(err);
      return;
    }
    encoderNeeded.value = null;
    const waitingRows = needEncoder;
    needEncoder = [];
    for (const { jobs } of waitingRows) for (const job of jobs) update(job.id, { status: 'queued', error: null });
    queue = queue.then(async () => {
      for (const { jobs, checkpoint } of waitingRows) await predictTogether(jobs, checkpoint);
    });
    await queue;
  }

  /** The desktop folder dialog for the encoder folder. */
  async function chooseEncoderFolder(): Promise<void> {
    try {
      const { path } = await invoke('dialog.pickFolder', { title: "Choose the checkpoint's encoder folder (ONNX export)" });
      if (path) await useEncoderFolder(path);
    } catch (err) {
      encoderError.value = errorMessage(err);
    }
  }

  /** Adds rows for the sources and predicts them one after another (after anything already queued). */
  function enqueue(items: { name: string; source: Source; problem: PredictRow['error'] }[]): Promise<void> {
    if (!target.value) {
      waiting.push(...items);
      error.value = `Choose a run and a checkpoint first: ${count(waiting.length, 'file')} ${waiting.length === 1 ? 'waits' : 'wait'} for one.`;
      return Promise.resolve();
    }
    error.value = null;
    const checkpoint = plainRef(target.value);
    const given = speaker.value.trim();
    const jobs: Job[] = items.flatMap((item) => {
      const id = addRow(item.name, checkpoint, given, item.problem);
      return item.problem ? [] : [{ id, source: item.source, speaker: given }];
    });
    queue = queue.then(async () => {
      // Files given with a speaker go in one request; the others one at a time, so each row fills in as soon as it can.
      if (given) await predictTogether(jobs, checkpoint);
      else for (const job of jobs) await predictTogether([job], checkpoint);
    });
    return queue;
  }

  /** Files from the file input or a drop. */
  function addFiles(files: readonly (Blob & { name: string })[]): Promise<void> {
    return enqueue(files.map((file) => ({ name: file.name, source: { kind: 'file', file }, problem: checkAudioFile(file) })));
  }

  /** Paths from the native picker (the engine reads them itself). */
  function addPaths(paths: readonly string[]): Promise<void> {
    return enqueue(paths.map((path) => ({ name: path, source: { kind: 'path', path }, problem: checkAudioFile({ name: path }) })));
  }

  /** The native file picker (desktop app only). */
  async function chooseNative(): Promise<void> {
    try {
      const { paths } = await invoke('dialog.pickFiles', { title: 'Choose audio files', audioOnly: true });
      if (paths.length > 0) await addPaths(paths);
    } catch (err) {
      error.value = errorMessage(err);
    }
  }

  function select(id: number | null): void {
    selectedId.value = id;
  }

  /** Moves the selection by `step` rows (keyboard navigation), staying within the list. */
  function move(step: number): void {
    if (rows.value.length === 0) return;
    const index = rows.value.findIndex((r) => r.id === selectedId.value);
    const next = index < 0 ? 0 : Math.min(rows.value.length - 1, Math.max(0, index + step));
    selectedId.value = rows.value[next]!.id;
  }

  /** Empties the list (rows still being predicted finish unseen). */
  function clear(): void {
    rows.value = [];
    selectedId.value = null;
    error.value = null;
  }

  return {
    target,
    speaker,
    rows,
    selectedId,
    selectedRow,
    selectedPrediction,
    error,
    busy,
    encoderNeeded,
    encoderDir,
    encoderError,
    useEncoderFolder,
    chooseEncoderFolder,
    setTarget,
    addFiles,
    addPaths,
    chooseNative,
    select,
    move,
    clear,
  };
});
