/**
 * Feature worker: computes the features of a batch of clips per message (one message per clip
 * costs more than a short clip's features); the work itself is in clip.ts.
 * Runs inside a worker_threads Worker started by the extraction pool.
 */
import { parentPort } from 'node:worker_threads';
import { computeBatchFeatures, type FeatureBatch } from './clip';

export { computeBatchFeatures, computeClipFeatures } from './clip';
export type { FeatureBatch, FeatureTask, FeatureTaskResult } from './clip';

if (parentPort) {
  const port = parentPort;
  port.on('message', async (message: { id: number; task: FeatureBatch }) => {
    const results = await computeBatchFeatures(message.task);
    const transfer = results.flatMap((r) => (r.ok ? [r.data.buffer as ArrayBuffer] : []));
    port.postMessage({ id: message.id, result: results }, transfer);
  });
}
