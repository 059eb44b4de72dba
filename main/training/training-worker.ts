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
  const result = await runTrainingJob(jobOptions);
  const test = Object.fromEntries(
    Object.entries(result.evaluations).map(([name, report]) => [name, { accuracy: report.metrics.accuracy, uar: report.metrics.uar, macroF1: report.metrics.macroF1 }]),
  );
  post({
    type: 'result',
    outcome: { runId: result.runId, status: result.status, epochsRun: result.epochsRun, bestEpoch: result.bestEpoch, stoppedEarly: result.stoppedEarly, test },
  });
} catch (err) {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}
