import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { pathExists, writeJsonAtomic } from '../util/fs';
import { expectedWeightBytes, fsSaveHandler, readModelJson } from './fsIoHandler';
import type { CheckpointManifest, CheckpointName } from './types';

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

/** Throws an error naming the first field that makes `value` unusable as a checkpoint manifest. */
export function validateManifest(value: unknown, where: string): CheckpointManifest {
  const fail = (what: string): never => {
    throw new Error(`Invalid checkpoint manifest ${where}: ${what}`);
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('not a JSON object');
  const m = value as Record<string, unknown>;
  const isFiniteArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

  const labels = m.labels;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string' && l.length > 0)) {
    fail('labels must be a non-empty list of names');
  }
  if (new Set(labels as string[]).size !== (labels as string[]).length) fail('labels contain duplicates');
  if (m.featureConfig === undefined || m.featureConfig === null) fail('featureConfig is missing');
  if (typeof m.featureConfigHash !== 'string' || m.featureConfigHash === '') fail('featureConfigHash is missing');
  const standardizer = m.standardizer as { mean?: unknown; std?: unknown } | undefined;
  if (!standardizer || !isFiniteArray(standardizer.mean) || !isFiniteArray(standardizer.std)) {
    fail('standardizer must hold finite mean and std arrays');
  }
  if ((standardizer!.mean as number[]).length !== (standardizer!.std as number[]).length) fail('standardizer mean and std differ in length');
  if (typeof m.modelName !== 'string' || m.modelName === '') fail('modelName is missing');
  if (!Array.isArray(m.inputShape) || m.inputShape.length === 0 || !m.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    fail('inputShape must be a list of positive integers');
  }
  if (!Number.isInteger(m.epoch) || (m.epoch as number) < 0) fail('epoch must be a non-negative integer');
  if (typeof m.backend !== 'string') fail('backend is missing');
  if (!m.versions || typeof m.versions !== 'object') fail('versions is missing');
  if (typeof m.createdAt !== 'string') fail('createdAt is missing');
  return value as CheckpointManifest;
}

/**
 * Writes a checkpoint into a temp folder and swaps it in with renames, so a crash at any point leaves
 * either the previous checkpoint or the new one complete on disk (recoverCheckpoints finishes a swap
 * cut in half). The manifest is written last: a folder without one was never finished.
 */
export async function writeCheckpoint(
  checkpointsDir: string,
  name: CheckpointName,
  model: tf.LayersModel,
  manifest: CheckpointManifest,
): Promise<string> {
  validateManifest(manifest, `for checkpoint "${name}"`);
  const suffix = randomBytes(4).toString('hex');
  const target = join(checkpointsDir, name);
  const tmp = join(checkpointsDir, `.${name}.tmp-${suffix}`);
  const old = join(checkpointsDir, `.${name}.old-${suffix}`);
  await fsp.mkdir(tmp, { recursive: true });
  let movedOld = false;
  try {
    await model.save(fsSaveHandler(tmp));
    await writeJsonAtomic(join(tmp, MANIFEST_FILE), manifest);
    if (await pathExists(target)) {
      await fsp.rename(target, old);
      movedOld = true;
    }
    await fsp.rename(tmp, target);
  } catch (err) {
    if (movedOld && !(await pathExists(target))) await fsp.rename(old, target).catch(() => undefined);
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (movedOld) await fsp.rm(old, { recursive: true, force: true });
  return target;
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

  let manifest: CheckpointManifest;
  try {
    manifest = validateManifest(JSON.parse(await fsp.readFile(join(dir, MANIFEST_FILE), 'utf8')), `in ${dir}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state(false, `${MANIFEST_FILE} is missing (the save did not finish)`);
    return state(false, `${MANIFEST_FILE} is corrupt: ${(err as Error).message}`);
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
