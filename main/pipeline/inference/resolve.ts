/**
 * Finds the checkpoint folder to predict with, from either a run folder (`<run>/checkpoints/{best,final}`)
 * or a checkpoint folder given directly.
 */
import { join, resolve } from 'node:path';
import { inspectCheckpoint, MANIFEST_FILE } from '../../runs/checkpoints';
import { MODEL_FILE } from '../../runs/fsIoHandler';
import type { CheckpointName } from '../../runs/types';
import { RUN_FILE } from '../../schema/files';
import { pathExists } from '../../util/fs';

export interface CheckpointSource {
  /** The checkpoint folder the model was loaded from. */
  dir: string;
  /** The run folder, when a run folder was given. */
  runDir: string | null;
  /** Which checkpoint of the run, or null when a checkpoint folder was given directly. */
  checkpoint: CheckpointName | null;
  /** Set when the requested checkpoint could not be used and another was taken instead. */
  note: string | null;
}

/**
 * A run folder gives its `best` checkpoint unless `checkpoint` says otherwise. When `best` is asked for
 * only by default and is missing or incomplete, `final` is used and `note` says why; a checkpoint named
 * explicitly must be usable.
 */
export async function resolveCheckpoint(path: string, checkpoint?: CheckpointName): Promise<CheckpointSource> {
  const dir = resolve(path);
  if (!(await pathExists(dir))) throw new Error(`No run or checkpoint folder at ${dir}`);

  const isCheckpointDir = (await pathExists(join(dir, MANIFEST_FILE))) || (await pathExists(join(dir, MODEL_FILE)));
  if (isCheckpointDir) {
    if (checkpoint !== undefined) {
      throw new Error(`${dir} is a checkpoint folder; the checkpoint option ("${checkpoint}") applies to run folders only`);
    }
    return { dir, runDir: null, checkpoint: null, note: null };
  }

  const checkpointsDir = join(dir, 'checkpoints');
  if (!(await pathExists(checkpointsDir)) && !(await pathExists(join(dir, RUN_FILE)))) {
    throw new Error(`${dir} is neither a run folder (${RUN_FILE}, checkpoints/) nor a checkpoint folder (${MANIFEST_FILE}, ${MODEL_FILE})`);
  }

  const requested = checkpoint ?? 'best';
  const first = await inspectCheckpoint(join(checkpointsDir, requested), requested);
  if (first.complete) return { dir: first.dir, runDir: dir, checkpoint: requested, note: null };
  if (checkpoint !== undefined || requested !== 'best') {
    throw new Error(`Run ${dir} has no usable "${requested}" checkpoint: ${first.problem}`);
  }

  const fallback = await inspectCheckpoint(join(checkpointsDir, 'final'), 'final');
  if (!fallback.complete) {
    throw new Error(`Run ${dir} has no usable checkpoint: best: ${first.problem}; final: ${fallback.problem}`);
  }
  return {
    dir: fallback.dir,
    runDir: dir,
    checkpoint: 'final',
    note: `best checkpoint unusable (${first.problem}); using final`,
  };
}
