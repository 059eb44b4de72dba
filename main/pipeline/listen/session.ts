/**
 * A live listening session: mono samples arrive in chunks of any size; a ring buffer of one
 * window keeps the latest audio; every hop a window is cut, measured (its RMS level against the
 * voice gate) and, when voiced, classified the way `predict` classifies a file holding exactly
 * those samples: resampled to the model's rate, the same feature matrix, the checkpoint's
 * normalisation (or the live speaker's statistics accumulated over the session), the model.
 *
 * Memory is fixed whatever the session's length: the ring holds one window, the speaker's
 * statistics a few numbers per feature row, and the optional recording stops at its limit.
 */
import { resample } from '../../audio';
import { computeFeatureMatrix } from '../../features/compute';
import { RunningStandardizer } from '../../features/standardize';
import { LISTEN_WARMUP_S, type ListenWindow } from '../../schema/listenFields';
import type { EmotionPredictor } from '../inference';
import { Recording } from './recording';
import type { ResolvedListenSettings } from './settings';

/** The level reported for digital silence (whose RMS level is -∞ dB). */
const SILENCE_DB = -120;

export interface ListenSessionOptions {
  /** Keep up to this many seconds of what was heard, for saving (default: none). */
  recordS?: number;
}

export class ListenSession {
  /** Samples per window and per hop, at the input rate. */
  readonly windowSamples: number;
  readonly hopSamples: number;
  private readonly ring: Float32Array;
  private received = 0;
  private nextEnd: number;
  private index = 0;
  private readonly speaker: RunningStandardizer | null;
  /** Seconds of speech in the speaker's statistics (overlapping windows count once). */
  private speechS = 0;
  private voicedUntilS = 0;
  readonly recording: Recording | null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly predictor: EmotionPredictor,
    readonly settings: ResolvedListenSettings,
    /** The rate the samples arrive at (Hz). */
    readonly inputRate: number,
    options: ListenSessionOptions = {},
  ) {
    if (!Number.isInteger(inputRate) || inputRate < 1000 || inputRate > 768_000) {
      throw new Error(`the input sample rate must be a whole number of Hz from 1000 to 768000 (got ${inputRate})`);
    }
    this.windowSamples = Math.round(settings.windowS * inputRate);
    this.hopSamples = Math.round(settings.hopS * inputRate);
    this.ring = new Float32Array(this.windowSamples);
    this.nextEnd = this.windowSamples;
    this.speaker = settings.normalization === 'speaker-live' ? new RunningStandardizer(predictor.rows, predictor.frames) : null;
    const recordSamples = Math.round((options.recordS ?? 0) * inputRate);
    this.recording = recordSamples > 0 ? new Recording(inputRate, recordSamples) : null;
  }

  get labels(): readonly string[] {
    return this.predictor.labels;
  }

  /** Seconds of audio received. */
  get receivedS(): number {
    return this.received / this.inputRate;
  }

  /** What the session holds, in samples and frames: fixed, whatever it has heard (the recording up to its limit). */
  held(): { ringSamples: number; recordedSamples: number; speakerRows: number } {
    return { ringSamples: this.ring.length, recordedSamples: this.recording?.sampleCount ?? 0, speakerRows: this.speaker?.rows ?? 0 };
  }

  /**
   * Takes the next samples (mono, at the input rate) and returns the windows they complete, in
   * order. Calls are handled one after another, in the order made.
   */
  push(samples: Float32Array): Promise<ListenWindow[]> {
    const done = this.queue.then(() => this.take(samples));
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async take(samples: Float32Array): Promise<ListenWindow[]> {
    this.recording?.add(samples);
    const windows: ListenWindow[] = [];
    let at = 0;
    while (at < samples.length) {
      const count = Math.min(samples.length - at, this.nextEnd - this.received);
      this.write(samples.subarray(at, at + count));
      at += count;
      if (this.received === this.nextEnd) {
        windows.push(await this.classify(this.window()));
        this.nextEnd += this.hopSamples;
      }
    }
    return windows;
  }

  /** Appends to the ring, overwriting its oldest samples. */
  private write(samples: Float32Array): void {
    let offset = this.received % this.ring.length;
    let from = 0;
    while (from < samples.length) {
      const count = Math.min(samples.length - from, this.ring.length - offset);
      this.ring.set(samples.subarray(from, from + count), offset);
      from += count;
      offset = 0;
    }
    this.received += samples.length;
  }

  /** The ring's samples, oldest first: the window that ends now. */
  private window(): Float32Array {
    const start = this.received % this.ring.length;
    const out = new Float32Array(this.ring.length);
    out.set(this.ring.subarray(start));
    out.set(this.ring.subarray(0, start), this.ring.length - start);
    return out;
  }

  private async classify(samples: Float32Array): Promise<ListenWindow> {
    const started = performance.now();
    const endS = this.received / this.inputRate;
    const startS = (this.received - samples.length) / this.inputRate;
    const levelDb = rmsDb(samples);
    const window: ListenWindow = { index: this.index++, startS, endS, levelDb, voiced: levelDb >= this.settings.gateDb };
    if (!window.voiced) return window;

    const cfg = this.predictor.featureConfig;
    const matrix = computeFeatureMatrix(resample(samples, this.inputRate, cfg.sampleRate), cfg);
    if (this.speaker) {
      this.speaker.add(matrix.data, matrix.validFrames);
      this.speechS += endS - Math.max(startS, this.voicedUntilS);
      this.voicedUntilS = endS;
    }
    const scores = await this.predictor.predictFeatures(
      { data: matrix.data, rows: matrix.rows, frames: matrix.frames, validFrames: matrix.validFrames },
      this.speaker?.stats(),
    );
    return {
      ...window,
      emotion: scores.emotion,
      confidence: scores.confidence,
      probabilities: this.predictor.labels.map((label) => scores.probabilities[label]!),
      latencyMs: performance.now() - started,
      ...(this.speaker && { speechS: this.speechS, warmingUp: this.speechS < LISTEN_WARMUP_S }),
    };
  }
}

/** RMS level in dB re full scale, rounded to 0.1 dB; SILENCE_DB for digital silence. */
export function rmsDb(samples: Float32Array): number {
  let squares = 0;
  for (let i = 0; i < samples.length; i++) squares += samples[i]! * samples[i]!;
  const rms = Math.sqrt(squares / Math.max(1, samples.length));
  return rms > 0 ? Math.max(SILENCE_DB, Math.round(200 * Math.log10(rms)) / 10) : SILENCE_DB;
}
