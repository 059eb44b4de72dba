/**
 * The Listen panel's state: the microphone, the engine's live session fed with its samples in
 * chunks (one request at a time, in order), the windows it classified (the newest
 * MAX_TIMELINE_WINDOWS), the level meter, and the recording saved as a WAV file. Whatever goes
 * wrong (no microphone, access denied, the device gone mid-session, the engine refusing) stops
 * the session and says why in one line.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { CheckpointRef, ListenSessionInfo, ListenWindow } from '../../../main/api/contract';
import { LISTEN_WARMUP_S, rmsDb, SILENCE_DB } from '../../../main/schema/listenFields';
import { invoke } from '../api';
import { errorMessage } from '../lib/format';
import {
  appendWindows,
  ChunkCollector,
  CHUNK_S,
  listenFormDefaults,
  listenFormError,
  microphoneErrorMessage,
  microphoneUnavailable,
  pcm16Base64,
  toListenSettings,
  type ListenFormValues,
} from '../lib/listen';
import { Microphone } from '../lib/microphone';
import { plainRef } from './evaluation';

export type ListenStatus = 'idle' | 'starting' | 'listening' | 'stopping';

/** More chunks than this waiting for the engine (5 s of audio) means it cannot keep up. */
const MAX_QUEUED_CHUNKS = 20;

export const useListenStore = defineStore('listen', () => {
  const form = ref<ListenFormValues>(listenFormDefaults());
  const status = ref<ListenStatus>('idle');
  const info = ref<ListenSessionInfo | null>(null);
  const windows = ref<ListenWindow[]>([]);
  const levelDb = ref(SILENCE_DB);
  const receivedS = ref(0);
  const recordedS = ref(0);
  const recordingFull = ref(false);
  const error = ref<string | null>(null);
  const saving = ref(false);
  const saved = ref<{ path: string; durationS: number } | null>(null);

  let microphone: Microphone | null = null;
  let collector: ChunkCollector | null = null;
  let queue: Promise<void> = Promise.resolve();
  let queued = 0;

  const formError = computed(() => listenFormError(form.value));
  const latest = computed(() => windows.value.at(-1) ?? null);
  /** The newest classified window, for the readout. */
  const latestVoiced = computed(() => [...windows.value].reverse().find((w) => w.voiced) ?? null);
  const warmup = computed(() => {
    if (info.value?.normalization !== 'speaker-live') return null;
    const speechS = latestVoiced.value?.speechS ?? 0;
    return {
      speechS,
      neededS: LISTEN_WARMUP_S,
      warmingUp: speechS < LISTEN_WARMUP_S,
      /** The windows are standardised with the training clips' statistics until then (a vector model). */
      training: latestVoiced.value?.statistics === 'training',
    };
  });

  /** Sends one chunk after those before it; the windows it completes join the timeline. */
  function send(sessionId: string, chunk: Float32Array): void {
    if (queued >= MAX_QUEUED_CHUNKS) {
      void stop('The engine cannot keep up with the microphone: try a longer hop.');
      return;
    }
    queued++;
    queue = queue.then(async () => {
      try {
        if (info.value?.sessionId !== sessionId) return;
        const result = await invoke('listen.push', { sessionId, pcm16Base64: pcm16Base64(chunk) });
        if (info.value?.sessionId !== sessionId) return;
        windows.value = appendWindows(windows.value, result.windows);
        receivedS.value = result.receivedS;
        recordedS.value = result.recordedS;
        recordingFull.value = result.recordingFull;
      } catch (err) {
        if (info.value?.sessionId === sessionId && status.value === 'listening') void stop(errorMessage(err));
      } finally {
        queued--;
      }
    });
  }

  /** `encoderDir`: where the checkpoint's encoder folder is now (chosen in the Predict view), as predict sends it. */
  async function start(target: CheckpointRef | null, encoderDir: string | null = null): Promise<void> {
    if (status.value !== 'idle') return;
    error.value = null;
    if (!target) {
      error.value = 'Choose a run and a checkpoint first.';
      return;
    }
    if (formError.value) {
      error.value = formError.value;
      return;
    }
    const unavailable = microphoneUnavailable({
      isSecureContext: window.isSecureContext,
      hasMediaDevices: Boolean(navigator.mediaDevices),
    });
    if (unavailable) {
      error.value = unavailable;
      return;
    }
    status.value = 'starting';
    saved.value = null;
    let sessionId: string | null = null;
    try {
      microphone = await Microphone.open({
        onSamples: (samples) => {
          levelDb.value = rmsDb(samples);
          if (sessionId && status.value === 'listening') for (const chunk of collector!.add(samples)) send(sessionId, chunk);
        },
        onEnded: () => void stop('The microphone was disconnected: the session stopped (what was heard so far can be saved).'),
      });
    } catch (err) {
      status.value = 'idle';
      error.value = microphoneErrorMessage(err);
      return;
    }
    try {
      const started = await invoke('listen.start', {
        ...plainRef(target),
        sampleRate: microphone.sampleRate,
        settings: toListenSettings(form.value),
        ...(encoderDir && { encoderDir }),
      });
      info.value = started;
      sessionId = started.sessionId;
      collector = new ChunkCollector(Math.round(CHUNK_S * microphone.sampleRate));
      windows.value = [];
      receivedS.value = recordedS.value = 0;
      recordingFull.value = false;
      status.value = 'listening';
    } catch (err) {
      microphone.close();
      microphone = null;
      status.value = 'idle';
      error.value = errorMessage(err);
    }
  }

  /**
   * Stops the microphone and the session: the samples of the chunk not yet complete are sent after
   * the chunks before them, and the session's end is flushed (the windows the last samples
   * complete join the timeline), as `ser listen` does at the end of its input. `reason` is shown
   * as the error.
   */
  async function stop(reason?: string): Promise<void> {
    if (status.value !== 'listening' && status.value !== 'starting') return;
    const wasListening = status.value === 'listening';
    status.value = 'stopping';
    if (reason) error.value = reason;
    microphone?.close();
    microphone = null;
    const sessionId = info.value?.sessionId;
    const rest = collector?.drain();
    // After an engine refusal (reason given), nothing more is sent.
    if (sessionId && wasListening && !reason && rest && rest.length > 0) send(sessionId, rest);
    await queue;
    if (sessionId) {
      try {
        const stopped = await invoke('listen.stop', { sessionId });
        recordedS.value = stopped.recordedS;
        windows.value = appendWindows(windows.value, stopped.windows);
      } catch (err) {
        error.value ??= errorMessage(err);
      }
    }
    status.value = 'idle';
  }

  /** Saves what the last session heard as a WAV file; returns its path. */
  async function save(): Promise<string | null> {
    const sessionId = info.value?.sessionId;
    if (!sessionId || saving.value) return null;
    saving.value = true;
    try {
      saved.value = await invoke('listen.save', { sessionId });
      return saved.value.path;
    } catch (err) {
      error.value = errorMessage(err);
      return null;
    } finally {
      saving.value = false;
    }
  }

  return {
    form,
    formError,
    status,
    info,
    windows,
    latest,
    latestVoiced,
    warmup,
    levelDb,
    receivedS,
    recordedS,
    recordingFull,
    error,
    saving,
    saved,
    start,
    stop,
    save,
  };
});
