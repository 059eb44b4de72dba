/**
 * The app's live session: at most one at a time (starting one ends the one before), fed chunk by
 * chunk by the renderer through the contract. A stopped session keeps its recording until it is
 * saved or the next session starts; one that hears nothing for IDLE_MS (its page went away) is
 * stopped, so a model is never held for nobody.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { CheckpointName } from '../../runs/types';
import { MAX_LISTEN_RECORDING_S, type ListenPushResult, type ListenSessionInfo, type ListenStopResult } from '../../schema/listenFields';
import { EmotionPredictor, isFusedCheckpoint, resolveCheckpoint } from '../inference';
import { ListenSession } from './session';
import { resolveListenSettings } from './settings';

const IDLE_MS = 120_000;

/**
 * Loads the one model a session classifies with (a fused checkpoint is refused: its members each
 * need their own features); `encoderDir`: where its encoder folder is now, as predict takes it.
 */
export async function loadListenPredictor(path: string, checkpoint?: CheckpointName, encoderDir?: string): Promise<EmotionPredictor> {
  const fused = (await isFusedCheckpoint(path)) || (await isFusedCheckpoint((await resolveCheckpoint(path, checkpoint)).dir));
  if (fused) throw new Error(`${resolve(path)} is a fused checkpoint: listening takes one model (choose one of its members)`);
  return EmotionPredictor.load(path, { checkpoint, encoderDir });
}

interface Current {
  id: string;
  session: ListenSession;
  predictor: EmotionPredictor | null;
  stoppedBecause: string | null;
  idle: NodeJS.Timeout | null;
}

export class LiveListening {
  private current: Current | null = null;

  /**
   * Starts a session with the checkpoint of `runDir`, for samples at `sampleRate` (its encoder
   * folder read from `encoderDir` when given); ends any session before it.
   */
  async start(
    runDir: string,
    checkpoint: CheckpointName,
    sampleRate: number,
    settings: unknown,
    encoderDir?: string,
  ): Promise<ListenSessionInfo> {
    // The session before lets its model go before this one loads.
    this.end();
    const predictor = await loadListenPredictor(runDir, checkpoint, encoderDir);
    let session: ListenSession;
    try {
      const resolved = resolveListenSettings(settings, {
        featureConfig: predictor.featureConfig,
        normalization: predictor.manifest.normalization.mode,
      });
      session = new ListenSession(predictor, resolved, sampleRate, { recordS: MAX_LISTEN_RECORDING_S });
    } catch (err) {
      predictor.dispose();
      throw err;
    }
    const id = randomBytes(8).toString('hex');
    // A start that finished while this one loaded: the newest start wins.
    this.end();
    this.current = { id, session, predictor, stoppedBecause: null, idle: null };
    this.touch(this.current);
    const { windowS, hopS, gateDb, normalization } = session.settings;
    return {
      sessionId: id,
      labels: [...predictor.labels],
      windowS,
      hopS,
      gateDb,
      normalization,
      sampleRate,
      maxRecordingS: MAX_LISTEN_RECORDING_S,
      ...(predictor.source.note && { note: predictor.source.note }),
    };
  }

  async push(sessionId: string, samples: Float32Array): Promise<ListenPushResult> {
    const current = this.find(sessionId);
    if (!current.predictor)
      throw new Error(`the listening session has stopped${current.stoppedBecause ? ` (${current.stoppedBecause})` : ''}`);
    this.touch(current);
    const windows = await current.session.push(samples);
    const recording = current.session.recording!;
    return { windows, receivedS: current.session.receivedS, recordedS: recording.durationS, recordingFull: recording.full };
  }

  /**
   * Stops classifying: the stream has ended, so the windows its last samples complete are
   * classified (as `ser listen` does at the end of its input), then the model is let go. The
   * recording stays until saved or the next start.
   */
  async stop(sessionId: string): Promise<ListenStopResult> {
    const current = this.find(sessionId);
    // Queued before the release, which lets the model go once the session's queue is done.
    const finished = current.predictor ? current.session.finish() : Promise.resolve([]);
    this.release(current, 'stopped');
    return { windows: await finished, recordedS: current.session.recording!.durationS };
  }

  /** Saves the session's recording as a WAV file in `dir`. */
  async save(sessionId: string, dir: string): Promise<{ path: string; durationS: number }> {
    const recording = this.find(sessionId).session.recording!;
    return { path: await recording.save(dir), durationS: recording.durationS };
  }

  /** Ends the session, recording and all. */
  end(): void {
    if (this.current) this.release(this.current, 'ended');
    this.current = null;
  }

  private find(sessionId: string): Current {
    if (this.current?.id !== sessionId) throw new Error('no such listening session: it ended, or another one started since');
    return this.current;
  }

  private touch(current: Current): void {
    if (current.idle) clearTimeout(current.idle);
    current.idle = setTimeout(() => this.release(current, `no audio arrived for ${IDLE_MS / 1000} s`), IDLE_MS);
    current.idle.unref();
  }

  private release(current: Current, reason: string): void {
    if (current.idle) clearTimeout(current.idle);
    current.idle = null;
    if (!current.predictor) return;
    // A push still running finishes with the model before it goes.
    const predictor = current.predictor;
    current.predictor = null;
    current.stoppedBecause = reason;
    void current.session.settled().finally(() => predictor.dispose());
  }
}
