/**
 * The settings of a live listening session (`ser listen`, the Predict view's Listen panel): one
 * field table, from which the CLI flags, the panel's form and the engine's validation derive.
 * Limits that depend on the model (the window against its input length) are checked by the engine.
 */
import type { FieldTable } from './fields';

export interface ListenSettings {
  /** Seconds of audio per classified window; 0 = the model's input length. */
  windowS: number;
  /** Seconds between the starts of consecutive windows; 0 = 1 s, or the window when shorter. */
  hopS: number;
  /** Windows whose RMS level is below this (dB re full scale) are not classified. */
  gateDb: number;
  /** Per-speaker models: standardise with the statistics of the live speaker heard so far. */
  speakerNorm: boolean;
}

export const LISTEN_FIELDS: FieldTable<ListenSettings, 'default'> = {
  windowS: {
    kind: 'number',
    min: 0,
    max: 30,
    minNote: "(0 = the model's input length)",
    default: 0,
    label: 'Window (s)',
    help: 'seconds of audio in each classified window',
    flag: 'window',
    group: 'listen',
  },
  hopS: {
    kind: 'number',
    min: 0,
    max: 30,
    minNote: '(0 = 1 s, or the window when shorter)',
    default: 0,
    label: 'Hop (s)',
    help: 'seconds from the start of one window to the start of the next (at most the window)',
    flag: 'hop',
    group: 'listen',
  },
  gateDb: {
    kind: 'number',
    min: -120,
    max: 0,
    default: -45,
    label: 'Voice gate (dBFS)',
    help: 'windows quieter than this RMS level (dB below full scale) count as silence and are not classified',
    flag: 'gate',
    group: 'listen',
  },
  speakerNorm: {
    kind: 'boolean',
    default: true,
    label: 'Live speaker statistics',
    help: "models trained with per-speaker normalisation: standardise with the live speaker's statistics accumulated over the session (off: each window with its own)",
    flag: 'speaker-norm',
    group: 'listen',
  },
};

/** The shortest window and hop the engine takes (shorter ones hold too few frames to say anything). */
export const MIN_LISTEN_WINDOW_S = 0.25;
export const MIN_LISTEN_HOP_S = 0.1;

/** Seconds of speech after which the live speaker's statistics count as warmed up. */
export const LISTEN_WARMUP_S = 10;

/** The longest recording a session keeps for saving (the audio decoder's default limit). */
export const MAX_LISTEN_RECORDING_S = 600;

/**
 * How a session standardises windows: with the training statistics (`global`), each window with
 * its own (`clip`, and `speaker-window` for a per-speaker model of matrices without live
 * statistics), with the training clips' statistics a per-speaker model of vectors records
 * (`speaker-training`: live statistics off), or with the live speaker's statistics accumulated over
 * the session (`speaker-live`; a vector model uses the training clips' while warming up).
 */
export type ListenNormalization = 'global' | 'clip' | 'speaker-live' | 'speaker-window' | 'speaker-training';

/** The level reported for digital silence (whose RMS level is -∞ dB). */
export const SILENCE_DB = -120;

/**
 * RMS level in dB re full scale, rounded to 0.1 dB; SILENCE_DB for digital silence. The engine's
 * voice gate and the app's level meter both measure with it.
 */
export function rmsDb(samples: ArrayLike<number>): number {
  let squares = 0;
  for (let i = 0; i < samples.length; i++) squares += samples[i]! * samples[i]!;
  const rms = Math.sqrt(squares / Math.max(1, samples.length));
  return rms > 0 ? Math.max(SILENCE_DB, Math.round(200 * Math.log10(rms)) / 10) : SILENCE_DB;
}

/** One classified (or gated) window of a live session. Times are seconds from the session's start. */
export interface ListenWindow {
  /** 0, 1, 2, … in order. */
  index: number;
  startS: number;
  endS: number;
  /** The window's RMS level in dB re full scale (-120 for digital silence). */
  levelDb: number;
  /** false: below the gate, not classified (no probabilities). */
  voiced: boolean;
  emotion?: string;
  confidence?: number;
  /** Class probabilities, aligned with the session's labels. */
  probabilities?: number[];
  /** From the moment the window's last sample was handed to the session (resampling, waiting included) to its probabilities. */
  latencyMs?: number;
  /** speaker-live: seconds of speech the speaker's statistics hold after this window. */
  speechS?: number;
  /** speaker-live: fewer than LISTEN_WARMUP_S seconds of speech so far. */
  warmingUp?: boolean;
  /**
   * speaker-live: what this window was standardised with: the live speaker's statistics, or (a
   * vector model while warming up) the training clips'.
   */
  statistics?: 'speaker' | 'training';
}

/** A session as started: what the app shows and sends. */
export interface ListenSessionInfo {
  sessionId: string;
  labels: string[];
  windowS: number;
  hopS: number;
  gateDb: number;
  normalization: ListenNormalization;
  /** The rate the session expects its samples at. */
  sampleRate: number;
  /** Seconds of what is heard that the session keeps for saving. */
  maxRecordingS: number;
  /** Set when the run's best checkpoint was unusable and final was taken. */
  note?: string;
}

/** What stopping gives: the windows the stream's end completes (as `ser listen` flushes at its end), and the recording's length. */
export interface ListenStopResult {
  windows: ListenWindow[];
  recordedS: number;
}

export interface ListenPushResult {
  windows: ListenWindow[];
  receivedS: number;
  recordedS: number;
  /** The recording reached its limit: what follows is classified but not kept. */
  recordingFull: boolean;
}
