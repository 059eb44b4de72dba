/**
 * A live listening session: mono samples arrive in chunks of any size and are resampled to the
 * model's rate as they come (each sample once: StreamResampler); a ring buffer of one window keeps
 * the latest audio; every hop a window is cut, measured (its RMS level against the voice gate)
 * and, when voiced, classified the way `predict` classifies a file holding exactly those samples
 * at the model's rate: the same features (the predictor's own samples → features step: the
 * feature code, or the encoder in its worker), the checkpoint's normalisation (or the live
 * speaker's statistics accumulated over the session), the model. A vector model (functionals, a
 * pooled encoder) is one vector per window: its live statistics are over the windows' vectors,
 * and while they warm up it uses the training clips' statistics, as predict does a lone file.
 *
 * Memory is fixed whatever the session's length: the ring holds one window, the resampler its
 * filter's reach, the speaker's statistics a few numbers per feature row, and the optional
 * recording (at the input rate) stops at its limit.
 */
import { StreamResampler } from '../../audio';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from '../../audio/limits';
import { RunningStandardizer } from '../../features/standardize';
import { LISTEN_WARMUP_S, rmsDb, type ListenWindow } from '../../schema/listenFields';
import type { EmotionPredictor } from '../inference';
import { Recording } from './recording';
import type { ResolvedListenSettings } from './settings';

export interface ListenSessionOptions {
  /** Keep up to this many seconds of what was heard, for saving (default: none). */
  recordS?: number;
}

export class ListenSession {
  /** Samples per window and per hop, at the model's rate. */
  readonly windowSamples: number;
  readonly hopSamples: number;
  /** The model's rate. */
  readonly sampleRate: number;
  private readonly resampler: StreamResampler;
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
    if (!Number.isInteger(inputRate) || inputRate < MIN_SAMPLE_RATE || inputRate > MAX_SAMPLE_RATE) {
      throw new Error(
        `the input sample rate must be a whole number of Hz from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} (got ${inputRate})`,
      );
    }
    this.sampleRate = predictor.featureConfig.sampleRate;
    this.resampler = new StreamResampler(inputRate, this.sampleRate);
    this.windowSamples = Math.round(settings.windowS * this.sampleRate);
    this.hopSamples = Math.round(settings.hopS * this.sampleRate);
    this.ring = new Float32Array(this.windowSamples);
    this.nextEnd = this.windowSamples;
    const speakerMode = settings.normalization === 'speaker-live' || settings.normalization === 'speaker-training';
    if (speakerMode && predictor.inputKind === 'vector' && predictor.unknownSpeakerProblem) {
      throw new Error(
        "this checkpoint normalises per speaker and was trained before the training clips' statistics were recorded, which a vector model's windows need until the live speaker's statistics are warm: retrain the model to listen with it",
      );
    }
    this.speaker = settings.normalization === 'speaker-live' ? new RunningStandardizer(predictor.rows, predictor.frames) : null;
    const recordSamples = Math.round((options.recordS ?? 0) * inputRate);
    this.recording = recordSamples > 0 ? new Recording(inputRate, recordSamples) : null;
  }

  get labels(): readonly string[] {
    return this.predictor.labels;
  }

  /** Seconds of audio received (at the model's rate, after resampling). */
  get receivedS(): number {
    return this.received / this.sampleRate;
  }

  /** What the session holds, in samples and frames: fixed, whatever it has heard (the recording up to its limit). */
  held(): { ringSamples: number; resamplerSamples: number; recordedSamples: number; speakerRows: number } {
    return {
      ringSamples: this.ring.length,
      resamplerSamples: this.resampler.heldSamples,
      recordedSamples: this.recording?.sampleCount ?? 0,
      speakerRows: this.speaker?.rows ?? 0,
    };
  }

  /**
   * Takes the next samples (mono, at the input rate) and returns the windows they complete, in
   * order. Calls are handled one after another, in the order made.
   */
  push(samples: Float32Array): Promise<ListenWindow[]> {
    const arrived = performance.now();
    const done = this.queue.then(() => this.take(samples, arrived));
    this.queue = done.catch(() => undefined);
    return done;
  }

  /**
   * The stream has ended (a file, standard input): the windows its last samples complete, the
   * end resampled as resample() resamples the end of a whole file. Nothing may be pushed after.
   */
  finish(): Promise<ListenWindow[]> {
    const arrived = performance.now();
    const done = this.queue.then(() => this.windowsOf(this.resampler.flush(), arrived));
    this.queue = done.catch(() => undefined);
    return done;
  }

  /** Resolves once every push and finish made so far is done. */
  settled(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  /** `arrived`: when the samples were handed over, the moment a window they end is in hand. */
  private async take(input: Float32Array, arrived: number): Promise<ListenWindow[]> {
    this.recording?.add(input);
    return this.windowsOf(this.resampler.push(input), arrived);
  }

  /** Samples at the model's rate into the ring: the windows they complete. */
  private async windowsOf(samples: Float32Array, arrived: number): Promise<ListenWindow[]> {
    const windows: ListenWindow[] = [];
    let at = 0;
    while (at < samples.length) {
      const count = Math.min(samples.length - at, this.nextEnd - this.received);
      this.write(samples.subarray(at, at + count));
      at += count;
      if (this.received === this.nextEnd) {
        windows.push(await this.classify(this.window(), arrived));
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

  private async classify(samples: Float32Array, arrived: number): Promise<ListenWindow> {
    const endS = this.received / this.sampleRate;
    const startS = (this.received - samples.length) / this.sampleRate;
    const levelDb = rmsDb(samples);
    const window: ListenWindow = { index: this.index++, startS, endS, levelDb, voiced: levelDb >= this.settings.gateDb };
    if (!window.voiced) return window;

    const matrix = await this.predictor.featuresOf(samples);
    if (this.speaker) {
      this.speaker.add(matrix.data, matrix.validFrames);
      this.speechS += endS - Math.max(startS, this.voicedUntilS);
      this.voicedUntilS = endS;
    }
    const warmingUp = this.speechS < LISTEN_WARMUP_S;
    // A vector's live statistics over a few windows are about as bad as its own: the training clips' until warm.
    const statistics = this.predictor.inputKind === 'vector' && warmingUp ? 'training' : 'speaker';
    const scores = await this.predictor.predictFeatures(
      { data: matrix.data, rows: matrix.rows, frames: matrix.frames, validFrames: matrix.validFrames },
      statistics === 'speaker' ? this.speaker?.stats() : undefined,
    );
    return {
      ...window,
      emotion: scores.emotion,
      confidence: scores.confidence,
      probabilities: this.predictor.labels.map((label) => scores.probabilities[label]!),
      latencyMs: performance.now() - arrived,
      ...(this.speaker && { speechS: this.speechS, warmingUp, statistics }),
    };
  }
}
