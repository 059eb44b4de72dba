/**
 * A fused run: an ordinary run folder whose `best` checkpoint is a fused checkpoint of other runs'
 * checkpoints, and whose stored evaluation is their test predictions averaged clip by clip. Made in
 * the runs folder, it appears in the app's Runs, Evaluate and Predict views like any run.
 */
import { promises as fsp } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { bootstrapConfidenceIntervals } from '../evaluation/bootstrap';
import { readEvaluation, writeEvaluation } from '../evaluation/file';
import { averagePredictions } from '../evaluation/fusion';
import { computeMetrics } from '../evaluation/metrics';
import { RUN_FORMAT } from '../runs/formats';
import { openRun } from '../runs/store';
import type { CheckpointName, RunRecord } from '../runs/types';
import { pathExists, writeFolderAtomic } from '../util/fs';
import { writeVersionedJson } from '../util/versionedJson';
import { RUN_FILE } from '../schema/files';
import { writeFusedCheckpoint } from './inference/fused';

/**
 * Writes the run folder `outDir` (its name is the run id) fusing the `checkpoint` (default best) of
 * each run in `runDirs`; they must have evaluated that checkpoint on the same clips. The folder
 * appears whole or not at all.
 */
export async function writeFusedRun(
  runDirs: readonly string[],
  outDir: string,
  options: { checkpoint?: CheckpointName } = {},
): Promise<RunRecord> {
  const checkpoint = options.checkpoint ?? 'best';
  const target = resolve(outDir);
  const id = basename(target);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) || id.includes('..'))
    throw new Error(`the fused run's folder name '${id}' is not a run id (letters, digits, dots, dashes, underscores)`);
  if (await pathExists(target)) throw new Error(`${target} already exists: choose a new folder for the fused run`);
  if (runDirs.length < 2) throw new Error('a fused run needs at least two runs');
  const runs: { opened: Awaited<ReturnType<typeof openRun>>; evaluation: NonNullable<Awaited<ReturnType<typeof readEvaluation>>> }[] = [];
  for (const dir of runDirs) {
    const opened = await openRun(dir).catch((err: Error) => {
      throw new Error(`${resolve(dir)} is not a run folder: ${err.message}`, { cause: err });
    });
    const evaluation = await readEvaluation(opened.dir, checkpoint);
    if (!evaluation) throw new Error(`${opened.dir} has no evaluation of its ${checkpoint} checkpoint (evaluate it first)`);
    runs.push({ opened, evaluation });
  }
  const labels = runs[0]!.evaluation.labels;
  const predictions = averagePredictions(
    runs.map((r) => ({ name: r.opened.record.name, predictions: r.evaluation.predictions })),
    labels,
  );

  return writeFolderAtomic(target, async (tmp) => {
    await fsp.mkdir(join(tmp, 'checkpoints'), { recursive: true });
    await writeFusedCheckpoint(
      runs.map((r) => r.opened.dir),
      join(tmp, 'checkpoints', 'best'),
      { checkpoint },
    );
    const now = new Date().toISOString();
    // The first member's config, dataset and split describe the data; the name says it is a fusion.
    const { summary: _summary, bestEpoch: _bestEpoch, interruption: _interruption, error: _error, ...first } = runs[0]!.opened.record;
    const record: RunRecord = {
      ...first,
      id,
      name: `fusion of ${runs.map((r) => r.opened.record.name).join(' + ')}`,
      status: 'done',
      createdAt: now,
      updatedAt: now,
      finishedAt: now,
    };
    await writeVersionedJson(join(tmp, RUN_FILE), RUN_FORMAT, record);
    await writeEvaluation(tmp, 'best', {
      ...runs[0]!.evaluation,
      checkpoint: 'best',
      createdAt: now,
      metrics: computeMetrics(predictions, labels),
      confidenceIntervals: bootstrapConfidenceIntervals(predictions, labels, { seed: 1, iterations: 1000 }),
      predictions,
    });
    return record;
  });
}
