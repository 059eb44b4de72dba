import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { pathExists, writeFolderAtomic } from '../util/fs';
import { MANIFEST_FORMAT } from './formats';
import { expectedWeightBytes, fsSaveHandler, readModelJson } from './fsIoHandler';
import { FUSION_FILE, FUSION_FORMAT } from './fusionFile';
import type { CheckpointManifest, CheckpointName } from './types';
import { CLASSIFIER_FILE, CLASSIFIER_FORMAT, type ClassifierFile } from './classifierFile';
import { isClassicalModel } from '../schema/names';
import { decodeVersioned, FormatError, readVersionedJson, writeVersionedJson } from '../util/versionedJson';

export const MANIFEST_FILE = 'manifest.json';

export interface CheckpointState {
  name: string;
  dir: string;
  exists: boolean;
  complete: boolean;
  /** Why the checkpoint cannot be used, when it cannot. */
  problem?: string;
  manifest?: CheckpointManifest;
}

/** What a checkpoint holds beside its manifest: a tfjs model, or a fitted classical classifier. */
export type CheckpointContents = tf.LayersModel | ClassifierFile;

const isClassifierFile = (contents: CheckpointContents): contents is ClassifierFile => !('save' in contents);

/**
 * Writes a checkpoint into a temp folder and swaps it in with renames, so a crash at any point leaves
 * either the previous checkpoint or the new one complete on disk (recoverCheckpoints finishes a swap
 * cut in half). The manifest is written last: a folder without one was never finished.
 */
export async function writeCheckpoint(
  checkpointsDir: string,
  name: CheckpointName,
  contents: CheckpointContents,
  manifest: CheckpointManifest,
): Promise<string> {
  // Refuse a bad manifest before anything is written.
  decodeVersioned({ ...manifest, formatVersion: MANIFEST_FORMAT.current }, MANIFEST_FORMAT, `the manifest of checkpoint "${name}"`);
  const target = join(checkpointsDir, name);
  await writeFolderAtomic(
    target,
    async (tmp) => {
      if (isClassifierFile(contents)) await writeVersionedJson(join(tmp, CLASSIFIER_FILE), CLASSIFIER_FORMAT, contents);
      else await contents.save(fsSaveHandler(tmp));
      await writeVersionedJson(join(tmp, MANIFEST_FILE), MANIFEST_FORMAT, manifest);
    },
    { ifExists: 'replace' },
  );
  return target;
}

/** A fused checkpoint is complete when its manifest is valid and every member is; its first member's manifest stands for it. */
async function inspectFused(dir: string, name: string): Promise<CheckpointState> {
  const state = (complete: boolean, problem?: string, manifest?: CheckpointManifest): CheckpointState => ({
    name,
    dir,
    exists: true,
    complete,
    ...(problem !== undefined && { problem }),
    ...(manifest !== undefined && { manifest }),
  });
  let fusion;
  try {
    fusion = await readVersionedJson(join(dir, FUSION_FILE), FUSION_FORMAT);
  } catch (err) {
    return state(false, `${FUSION_FILE} is corrupt: ${err instanceof FormatError ? err.reason : (err as Error).message}`);
  }
  const members = await Promise.all(fusion!.members.map((m) => inspectCheckpoint(join(dir, m.dir), m.dir)));
  const broken = members.find((m) => !m.complete);
  if (broken) return state(false, `fused member ${broken.name}: ${broken.problem}`, members[0]!.manifest);
  return state(true, undefined, members[0]!.manifest);
}

/** Checks a checkpoint folder without loading the model: manifest valid, model.json valid, weights of the right size. */
export async function inspectCheckpoint(dir: string, name = dir): Promise<CheckpointState> {
  const state = (complete: boolean, problem?: string, manifest?: CheckpointManifest): CheckpointState => ({
    name,
    dir,
    exists: true,
    complete,
    ...(problem !== undefined && { problem }),
    ...(manifest !== undefined && { manifest }),
  });
  if (!(await pathExists(dir))) return { name, dir, exists: false, complete: false, problem: `no checkpoint at ${dir}` };
  if (await pathExists(join(dir, FUSION_FILE))) return inspectFused(dir, name);

  let manifest: CheckpointManifest | null;
  try {
    manifest = await readVersionedJson(join(dir, MANIFEST_FILE), MANIFEST_FORMAT);
  } catch (err) {
    return state(false, `${MANIFEST_FILE} is corrupt: ${err instanceof FormatError ? err.reason : (err as Error).message}`);
  }
  if (!manifest) return state(false, `${MANIFEST_FILE} is missing (the save did not finish)`);
  if (isClassicalModel(manifest.modelName)) {
    const [complete, problem] = await classifierProblem(dir, manifest);
    return state(complete, problem, manifest);
  }
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = await readModelJson(dir);
  } catch (err) {
    return state(false, (err as Error).message, manifest);
  }
  let actualBytes = 0;
  for (const group of modelJson.weightsManifest) {
    for (const path of group.paths) {
      try {
        actualBytes += (await fsp.stat(join(dir, path))).size;
      } catch {
        return state(false, `weight file ${path} is missing`, manifest);
      }
    }
  }
  const expected = expectedWeightBytes(modelJson);
  if (expected !== null && expected !== actualBytes) {
    return state(false, `weights are ${actualBytes} bytes but model.json describes ${expected}`, manifest);
  }
  return state(true, undefined, manifest);
}

/** Whether a classical checkpoint's classifier.json is readable and agrees with its manifest: [complete, problem]. */
async function classifierProblem(dir: string, manifest: CheckpointManifest): Promise<[boolean, string?]> {
  let file: ClassifierFile | null;
  try {
    file = await readVersionedJson(join(dir, CLASSIFIER_FILE), CLASSIFIER_FORMAT);
  } catch (err) {
    return [false, `${CLASSIFIER_FILE} is corrupt: ${err instanceof FormatError ? err.reason : (err as Error).message}`];
  }
  if (!file) return [false, `${CLASSIFIER_FILE} is missing`];
  if (file.model !== manifest.modelName) return [false, `${CLASSIFIER_FILE} holds a ${file.model} but the manifest says ${manifest.modelName}`];
  if (file.numClasses !== manifest.labels.length)
    return [false, `${CLASSIFIER_FILE} has ${file.numClasses} classes but the manifest lists ${manifest.labels.length} labels`];
  if (manifest.inputShape.join(',') !== `${file.dims},1,1`)
    return [false, `${CLASSIFIER_FILE} takes vectors of ${file.dims} values but the manifest says input [${manifest.inputShape.join(', ')}]`];
  return [true];
}

/** Temp and old folders left next to the checkpoints by saves that did not finish. */
export async function checkpointLeftovers(checkpointsDir: string): Promise<string[]> {
  const entries = await fsp.readdir(checkpointsDir).catch(() => [] as string[]);
  return entries.filter((e) => /^\.(best|final)\.(tmp|old)-/.test(e)).sort();
}

/**
 * Finishes or rolls back saves cut short by a crash; call only when no process holds the run.
 * A checkpoint whose folder is missing gets the newest complete leftover (the new temp folder, else the
 * old one); everything left over is then removed.
 */
export async function recoverCheckpoints(checkpointsDir: string, names: readonly CheckpointName[]): Promise<{ restored: string[]; removed: string[] }> {
  const leftovers = await checkpointLeftovers(checkpointsDir);
  const restored: string[] = [];
  for (const name of names) {
    const target = join(checkpointsDir, name);
    if (await pathExists(target)) continue;
    const candidates = [
      ...(await newestFirst(checkpointsDir, leftovers.filter((e) => e.startsWith(`.${name}.tmp-`)))),
      ...(await newestFirst(checkpointsDir, leftovers.filter((e) => e.startsWith(`.${name}.old-`)))),
    ];
    for (const candidate of candidates) {
      if ((await inspectCheckpoint(join(checkpointsDir, candidate))).complete) {
        await fsp.rename(join(checkpointsDir, candidate), target);
        restored.push(`${candidate} → ${name}`);
        break;
      }
    }
  }
  const removed = await checkpointLeftovers(checkpointsDir);
  for (const entry of removed) await fsp.rm(join(checkpointsDir, entry), { recursive: true, force: true });
  return { restored, removed };
}

async function newestFirst(dir: string, entries: string[]): Promise<string[]> {
  const withTimes = await Promise.all(entries.map(async (e) => ({ e, t: (await fsp.stat(join(dir, e))).mtimeMs })));
  return withTimes.sort((x, y) => y.t - x.t).map((x) => x.e);
}
