/**
 * Runs a training job in a worker thread: the same options and events as runTrainingJob, with
 * cancel through an AbortSignal. The doors (app, serve mode) train through this so their event
 * loop never waits on a batch.
 */
import { Worker } from 'node:worker_threads';
import { resolveWorkerScript } from '../features/pool';
import { failAbandonedRun } from '../runs/store';
import type { TrainJobOptions } from './prepareJob';
import type { TrainingEvent, TrainingOutcome } from '../training/progress';

export type TrainingWorkerOptions = Omit<TrainJobOptions, 'signal' | 'onEvent'>;

export type TrainingWorkerMessage =
  { type: 'event'; event: TrainingEvent } | { type: 'result'; outcome: TrainingOutcome } | { type: 'error'; message: string };

export interface RemoteHooks {
  signal?: AbortSignal;
  onEvent?: (event: TrainingEvent) => void;
}

export function runTrainingInWorker(options: TrainingWorkerOptions, hooks: RemoteHooks = {}): Promise<TrainingOutcome> {
  const script = resolveWorkerScript(import.meta.url, 'training-worker.ts', 'training-worker.js');
  const worker = new Worker(script.url, { workerData: options });
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      // The wasm backend's thread pool keeps a worker alive after its job: end it explicitly.
      void worker.terminate();
      action();
    };
    const onAbort = () => worker.postMessage({ type: 'cancel' });
    if (hooks.signal?.aborted) onAbort();
    hooks.signal?.addEventListener('abort', onAbort);
    // A worker that dies (an error nothing caught, a backend that aborted) cannot write its run's
    // outcome: the run it made is marked failed here, with the reason, before the caller hears.
    let runDir: string | null = null;
    const died = (error: Error) =>
      finish(() => {
        const marked = runDir ? failAbandonedRun(runDir, `the training stopped: ${error.message}`) : Promise.resolve();
        void marked.catch(() => undefined).then(() => reject(error));
      });
    worker.on('message', (message: TrainingWorkerMessage) => {
      if (message.type === 'event') {
        if (message.event.type === 'run') runDir = message.event.runDir;
        hooks.onEvent?.(message.event);
      } else if (message.type === 'result') finish(() => resolvePromise(message.outcome));
      else finish(() => reject(new Error(message.message)));
    });
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`the training worker stopped unexpectedly (exit code ${code})`)));
  });
}
