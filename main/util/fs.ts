import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { pidAlive } from './process';

/** `.<name>.<pid>.<random>.tmp`: the writer's pid in the name tells a stale temp file from one being written. */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;

/**
 * Writes a file atomically: the data goes to a temporary file in the same folder, is flushed,
 * then renamed over the target. A crash or a full disk leaves the old file intact.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await fsp.readFile(path, 'utf8')) as T;
}

/**
 * Writes a folder atomically: `fill` fills a temp folder beside `target` (`.<name>.tmp-<random>`),
 * which is then renamed into place, so a crash never leaves a half-written `target`. An existing
 * target is, with `ifExists: 'replace'`, moved aside (`.<name>.old-<random>`) and removed only once
 * the new folder is in (put back if the swap fails); with a function, refused with the error it
 * makes; without either, left to the rename (which fails on a non-empty folder).
 */
export async function writeFolderAtomic<T>(
  target: string,
  fill: (dir: string) => Promise<T>,
  options: { ifExists?: 'replace' | (() => Error) } = {},
): Promise<T> {
  const suffix = randomBytes(4).toString('hex');
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${suffix}`);
  const old = join(dirname(target), `.${basename(target)}.old-${suffix}`);
  await fsp.mkdir(tmp, { recursive: true });
  let movedOld = false;
  let result: T;
  try {
    result = await fill(tmp);
    if (options.ifExists !== undefined && (await pathExists(target))) {
      if (options.ifExists !== 'replace') throw options.ifExists();
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
  return result;
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the temp files writeFileAtomic left in `dir` when its process was killed mid-write
 * (the pid in the name is no longer running). Files of live processes are left alone.
 */
export async function removeStaleTempFiles(dir: string): Promise<{ removed: string[]; bytes: number }> {
  const entries = await fsp.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  let bytes = 0;
  for (const name of entries) {
    const pid = Number(TEMP_NAME.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || pidAlive(pid)) continue;
    const path = join(dir, name);
    const size = (await fsp.stat(path).catch(() => null))?.size ?? 0;
    try {
      await fsp.rm(path);
    } catch {
      continue;
    }
    removed.push(name);
    bytes += size;
  }
  return { removed, bytes };
}
