/**
 * Worker-thread entry: runs one training job off the caller's event loop (the app's main process
 * or the serve-mode server stays responsive) and posts its events back. `remote.ts` is the other end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainingJob, type TrainJobOptions } from './job';
import type { TrainingWorkerMessage, TrainingWorkerOptions } from './remote';

const port = parentPort;
if (!port) throw new Error('training-worker.ts must run in a worker thread');

const controller = new AbortController();
port.on('message', (message: { type: 'cancel' }) => {
  if (message.type === 'cancel') controller.abort();
});

const post = (message: TrainingWorkerMessage) => port.postMessage(message);
const options = workerData as TrainingWorkerOptions;
const jobOptions: TrainJobOptions = { ...options, signal: controller.signal, onEvent: (event) => post({ type: 'event', event }) };

try {
  // The full evaluation reports stay on disk: the outcome is what crosses to the UI.
  const { runDir: _runDir, evaluations: _evaluations, ...outcome } = await runTrainingJob(jobOptions);
  post({ type: 'result', outcome });
} catch (err) {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}
