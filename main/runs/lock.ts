import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/fs';
import type { RunLock } from './types';
import { pidAlive } from '../util/process';

export const LOCK_FILE = 'lock';
/** A lock from another host whose heartbeat is older than this is considered abandoned. */
export const DEFAULT_STALE_AFTER_MS = 10 * 60 * 1000;

/** Takes the run's lock; fails if any lock file exists. */
export async function acquireLock(runDir: string, now: Date = new Date(), file = LOCK_FILE): Promise<RunLock> {
  const lock: RunLock = { pid: process.pid, hostname: hostname(), startedAt: now.toISOString(), heartbeatAt: now.toISOString() };
  // Write the content to a temp file and hard-link it into place: link() fails if the lock exists,
  // and a reader never sees an empty or half-written lock file.
  const tmp = join(runDir, `.lock.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await fsp.writeFile(tmp, JSON.stringify(lock) + '\n');
  try {
    await fsp.link(tmp, join(runDir, file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`Run ${runDir} is locked by another process`, { cause: err });
    throw err;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  return lock;
}

export async function refreshLock(runDir: string, lock: RunLock, now: Date = new Date(), file = LOCK_FILE): Promise<RunLock> {
  const next = { ...lock, heartbeatAt: now.toISOString() };
  await writeJsonAtomic(join(runDir, file), next);
  return next;
}

/** Removes the lock if it is still the one this process took. */
export async function releaseLock(runDir: string, lock: RunLock, file = LOCK_FILE): Promise<void> {
  const current = await readLock(runDir, file);
  if (current.lock && current.lock.pid === lock.pid && current.lock.startedAt === lock.startedAt) {
    await fsp.rm(join(runDir, file), { force: true });
  }
}

export interface LockState {
  lock: RunLock | null;
  /** True when a process is (as far as can be told) still holding the run. */
  alive: boolean;
  reason: string;
}

export async function readLock(runDir: string, file = LOCK_FILE): Promise<{ lock: RunLock | null; problem?: string }> {
  let text: string;
  try {
    text = await fsp.readFile(join(runDir, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lock: null, problem: 'no lock file' };
    throw err;
  }
  try {
    const lock = JSON.parse(text) as RunLock;
    if (Number.isInteger(lock.pid) && typeof lock.hostname === 'string' && typeof lock.heartbeatAt === 'string') return { lock };
  } catch {
    // fall through
  }
  return { lock: null, problem: 'lock file is unreadable' };
}

/**
 * Whether the process behind a lock is alive. On this host: the pid must exist and have started after
 * the last boot (so a pid reused after a reboot does not count). On another host, where pids mean
 * nothing here: the heartbeat must be recent.
 */
export async function lockState(
  runDir: string,
  staleAfterMs = DEFAULT_STALE_AFTER_MS,
  now: Date = new Date(),
  file = LOCK_FILE,
): Promise<LockState> {
  const { lock, problem } = await readLock(runDir, file);
  if (!lock) return { lock: null, alive: false, reason: problem ?? 'no lock file' };
  const owner = `pid ${lock.pid} on ${lock.hostname}`;
  if (lock.hostname === hostname()) {
    const bootedAt = now.getTime() - uptime() * 1000;
    if (Date.parse(lock.startedAt) < bootedAt - 60_000) return { lock, alive: false, reason: `${owner} started before the last reboot` };
    if (!pidAlive(lock.pid)) return { lock, alive: false, reason: `${owner} is no longer running` };
    return { lock, alive: true, reason: `held by ${owner}` };
  }
  const age = now.getTime() - Date.parse(lock.heartbeatAt);
  if (!(age <= staleAfterMs)) {
    return { lock, alive: false, reason: `no heartbeat from ${owner} for ${Math.round(age / 1000)} s` };
  }
  return { lock, alive: true, reason: `held by ${owner}` };
}

export async function removeLock(runDir: string, file = LOCK_FILE): Promise<void> {
  await fsp.rm(join(runDir, file), { force: true });
}
