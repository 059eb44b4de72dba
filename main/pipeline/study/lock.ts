/**
 * One executor per study: `study run` (local, or the Slurm submission), the app and serve mode take
 * `<study>/run.lock` (pid, host, start time, heartbeat) before they start members, and a second
 * executor is refused with the holder named, so two of them never train the same members. A lock
 * whose process is gone (this host) or whose heartbeat stopped (another host) is stale: taken over.
 */
import { acquireLock, lockState, refreshLock, releaseLock, removeLock } from '../../runs/lock';
import type { RunLock } from '../../runs/types';
import type { StudyRunner } from '../../schema/studyStatus';

export const STUDY_LOCK_FILE = 'run.lock';
const HEARTBEAT_MS = 30_000;
/** A holder on another host that has not refreshed its heartbeat for this long is gone. */
const STALE_AFTER_MS = 3 * 60_000;

/** Who runs a study now. */
export type { StudyRunner };

/** "pid 123 on node7 since 2026-12-07T01:02:03Z". */
export function describeRunner(runner: StudyRunner): string {
  return `pid ${runner.pid} on ${runner.hostname} since ${runner.startedAt.replace(/\.\d+Z$/, 'Z')}`;
}

function busyMessage(dir: string, runner: StudyRunner): string {
  return (
    `the study ${dir} is already being run by ${describeRunner(runner)}: wait for that run to end or stop it ` +
    `(if that process is gone for good, delete ${STUDY_LOCK_FILE} in the study folder)`
  );
}

export class StudyBusyError extends Error {
  constructor(
    dir: string,
    readonly runner: StudyRunner,
  ) {
    super(busyMessage(dir, runner));
  }
}

const runnerOf = (lock: RunLock): StudyRunner => ({ pid: lock.pid, hostname: lock.hostname, startedAt: lock.startedAt });

/** The live holder of the study's lock, or null (no lock, or a stale one). */
export async function studyRunner(studyDir: string): Promise<StudyRunner | null> {
  const state = await lockState(studyDir, STALE_AFTER_MS, new Date(), STUDY_LOCK_FILE);
  return state.alive && state.lock ? runnerOf(state.lock) : null;
}

export interface StudyLock {
  runner: StudyRunner;
  release(): Promise<void>;
}

/** Takes the study's lock (a stale one is taken over); a StudyBusyError names a live holder. */
export async function acquireStudyLock(studyDir: string): Promise<StudyLock> {
  const state = await lockState(studyDir, STALE_AFTER_MS, new Date(), STUDY_LOCK_FILE);
  if (state.alive && state.lock) throw new StudyBusyError(studyDir, runnerOf(state.lock));
  if (state.lock || state.reason === 'lock file is unreadable') await removeLock(studyDir, STUDY_LOCK_FILE);
  let lock: RunLock;
  try {
    lock = await acquireLock(studyDir, new Date(), STUDY_LOCK_FILE);
  } catch (err) {
    // Another executor took it between our look and our link.
    const holder = await studyRunner(studyDir);
    if (holder) throw new StudyBusyError(studyDir, holder);
    throw err;
  }
  let refreshing = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = refreshLock(studyDir, lock, new Date(), STUDY_LOCK_FILE)
      .then((next) => void (lock = next))
      .catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    runner: runnerOf(lock),
    async release() {
      clearInterval(timer);
      await refreshing;
      await releaseLock(studyDir, lock, STUDY_LOCK_FILE);
    },
  };
}
