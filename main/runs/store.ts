import type { EncoderProvenance } from '../schema/encoder';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathExists } from '../util/fs';
import { RUN_FORMAT } from './formats';
import { inspectCheckpoint, recoverCheckpoints, writeCheckpoint, type CheckpointContents, type CheckpointState } from './checkpoints';
import { appendJsonLine, readJsonLines } from './jsonLines';
import { acquireLock, DEFAULT_STALE_AFTER_MS, lockState, refreshLock, releaseLock, removeLock } from './lock';
import {
  CHECKPOINT_NAMES,
  type CheckpointManifest,
  type CheckpointName,
  type RunDatasetInfo,
  type RunLock,
  type RunRecord,
  type RunStatus,
  type RunVersions,
  type StoredRunConfig,
  type RunOutcomeSummary,
} from './types';
import type { Split } from '../dataset/split';
import type { BackendInfo } from '../schema/backend';
import { RUN_FILE } from '../schema/files';
import { runNameProblem } from '../schema/runLimits';
import { FORMAT_VERSION_KEY, FormatError, readVersionedJson, writeVersionedJson } from '../util/versionedJson';


const METRICS_FILE = 'metrics.jsonl';
const CHECKPOINTS_DIR = 'checkpoints';

export interface RunInit {
  name: string;
  config: StoredRunConfig;
  dataset: RunDatasetInfo;
  split: Split;
  seed: number;
  backend: BackendInfo;
  versions: RunVersions;
  encoder?: EncoderProvenance;
}

export interface CreateRunOptions {
  /** Refresh the lock's heartbeat this often while the run is open; 0 turns the timer off. Default 30 s. */
  heartbeatIntervalMs?: number;
  /** A fixed run id (a study member's deterministic id) instead of a generated one; the folder must not exist yet. */
  id?: string;
}

export interface StatusExtra {
  error?: string;
  summary?: RunOutcomeSummary;
  bestEpoch?: number;
}

export type ManifestInput = Omit<CheckpointManifest, 'createdAt'> & { createdAt?: string };

export interface RunHandle {
  readonly id: string;
  readonly dir: string;
  /** A copy of the current record. */
  readonly record: RunRecord;
  appendMetrics(line: object): Promise<void>;
  /** Saves a checkpoint; saving 'best' also records its epoch as the run's bestEpoch. */
  saveCheckpoint(name: CheckpointName, contents: CheckpointContents, manifest: ManifestInput): Promise<string>;
  setStatus(status: RunStatus, extra?: StatusExtra): Promise<void>;
  heartbeat(): Promise<void>;
  /** Releases the lock; a run still 'running' at this point is recorded as interrupted. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** A lock from another host with no heartbeat for this long is abandoned. Default 10 minutes. */
  staleAfterMs?: number;
}

export interface OpenedRun {
  dir: string;
  record: RunRecord;
  metrics: Record<string, unknown>[];
  /** Lines of metrics.jsonl that could not be parsed (a torn last line after a crash). */
  skippedMetricLines: number;
  checkpoints: Record<CheckpointName, CheckpointState>;
  lock: RunLock | null;
  /** True while a process still holds the run. */
  live: boolean;
}

/**
 * The folder of a run inside runsDir. Refuses ids that could point anywhere else
 * (separators, '..', hidden names), whatever the caller passes.
 */
export function resolveRunDir(runsDir: string, runId: string): string {
  if (!runId || runId.startsWith('.') || /[/\\\0]/.test(runId) || runId.includes('..')) {
    throw new Error(`Invalid run id "${runId}"`);
  }
  const dir = resolve(runsDir, runId);
  if (dirname(dir) !== resolve(runsDir)) throw new Error(`Invalid run id "${runId}"`);
  return dir;
}

export async function createRun(runsDir: string, init: RunInit, options: CreateRunOptions = {}): Promise<RunHandle> {
  await fsp.mkdir(runsDir, { recursive: true });
  const created = new Date();
  const { id, dir } = options.id ? await makeFixedRunDir(runsDir, options.id) : await makeRunDir(runsDir, init.name, created);
  let lock = await acquireLock(dir, created);
  const now = created.toISOString();
  let record: RunRecord = {
    id,
    name: init.name,
    status: 'running',
    createdAt: now,
    updatedAt: now,
    config: init.config,
    dataset: init.dataset,
    split: init.split,
    seed: init.seed,
    backend: init.backend,
    versions: init.versions,
    ...(init.encoder && { encoder: init.encoder }),
  };
  await fsp.mkdir(join(dir, CHECKPOINTS_DIR), { recursive: true });
  await writeRecordFile(dir, record);

  let closed = false;
  // run.json and the lock are rewritten from memory; a queue keeps the writes in call order.
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(task: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error(`Run ${id} is closed`));
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  };
  const writeRecord = async (patch: Partial<RunRecord>): Promise<void> => {
    // The name may have been changed on disk by renameRun while we train; keep that change.
    const onDisk = await readRecord(dir).catch(() => null);
    record = { ...record, ...(onDisk?.name ? { name: onDisk.name } : {}), ...patch, updatedAt: new Date().toISOString() };
    await writeRecordFile(dir, record);
  };
  const setStatus = (status: RunStatus, extra: StatusExtra = {}): Promise<void> =>
    enqueue(() => writeRecord({ status, ...extra, ...(status !== 'running' && { finishedAt: new Date().toISOString() }) }));
  const heartbeat = (): Promise<void> =>
    enqueue(async () => {
      lock = await refreshLock(dir, lock);
    });

  const intervalMs = options.heartbeatIntervalMs ?? 30_000;
  // A failed heartbeat (e.g. a full disk) must not crash training; the next one tries again.
  const timer = intervalMs > 0 ? setInterval(() => void heartbeat().catch(() => undefined), intervalMs) : null;
  timer?.unref();

  return {
    id,
    dir,
    get record() {
      return structuredClone(record);
    },
    appendMetrics: (line) => enqueue(() => appendJsonLine(join(dir, METRICS_FILE), line)),
    saveCheckpoint: (name, contents, manifest) =>
      enqueue(async () => {
        const full: CheckpointManifest = { ...manifest, createdAt: manifest.createdAt ?? new Date().toISOString() };
        const saved = await writeCheckpoint(join(dir, CHECKPOINTS_DIR), name, contents, full);
        if (name === 'best') await writeRecord({ bestEpoch: full.epoch });
        return saved;
      }),
    setStatus,
    heartbeat,
    async close() {
      if (closed) return;
      if (timer) clearInterval(timer);
      try {
        await queue; // let a status change already asked for land first
        if (record.status === 'running') await setStatus('interrupted', { error: 'the run was closed while still running' });
      } finally {
        closed = true;
        await releaseLock(dir, lock);
      }
    },
  };
}

async function makeFixedRunDir(runsDir: string, id: string): Promise<{ id: string; dir: string }> {
  const dir = resolveRunDir(runsDir, id);
  try {
    await fsp.mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`Run folder ${dir} already exists`, { cause: err });
    throw err;
  }
  return { id, dir };
}

async function makeRunDir(runsDir: string, name: string, at: Date): Promise<{ id: string; dir: string }> {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15); // UTC, sortable
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'run';
  for (let attempt = 0; attempt < 10; attempt++) {
    const id = `${stamp}-${slug}-${randomBytes(2).toString('hex')}`;
    const dir = resolveRunDir(runsDir, id);
    try {
      await fsp.mkdir(dir);
      return { id, dir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`Could not find a free run id in ${runsDir}`);
}

async function readRecord(runDir: string): Promise<RunRecord> {
  const record = await readVersionedJson(join(runDir, RUN_FILE), RUN_FORMAT);
  if (!record) throw new Error(`Not a run folder: ${runDir} has no ${RUN_FILE}`);
  return { ...record, id: basename(runDir) };
}

/**
 * Writes run.json atomically. On a full disk there is no room for the atomic write's temp file,
 * but run.json's own blocks are allocated: the record without indentation is smaller than the
 * indented file on disk, so it is written over it in place. This keeps the reason a run ended
 * (e.g. "no space left on device") instead of losing it and later calling the run interrupted.
 */
async function writeRecordFile(runDir: string, record: RunRecord): Promise<void> {
  const path = join(runDir, RUN_FILE);
  try {
    await writeVersionedJson(path, RUN_FORMAT, record);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    const text = Buffer.from(JSON.stringify({ ...record, [FORMAT_VERSION_KEY]: RUN_FORMAT.current }) + '\n');
    const handle = await fsp.open(path, 'r+').catch(() => null);
    if (!handle) throw err;
    try {
      if (text.byteLength > (await handle.stat()).size) throw err;
      await handle.write(text, 0, text.byteLength, 0);
      await handle.truncate(text.byteLength);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

async function inspectCheckpoints(runDir: string): Promise<Record<CheckpointName, CheckpointState>> {
  const entries = await Promise.all(
    CHECKPOINT_NAMES.map(async (name) => [name, await inspectCheckpoint(join(runDir, CHECKPOINTS_DIR, name), name)] as const),
  );
  return Object.fromEntries(entries) as Record<CheckpointName, CheckpointState>;
}

function lastGoodCheckpoint(checkpoints: Record<CheckpointName, CheckpointState>): CheckpointName | null {
  let best: CheckpointState | null = null;
  for (const name of CHECKPOINT_NAMES) {
    const state = checkpoints[name];
    if (state.complete && (!best || state.manifest!.epoch > best.manifest!.epoch)) best = state;
  }
  return (best?.name as CheckpointName | undefined) ?? null;
}

/** The record as it should be reported: a 'running' run nobody holds any more is 'interrupted'. */
async function effectiveRecord(runDir: string, record: RunRecord, staleAfterMs: number): Promise<{ record: RunRecord; live: boolean; lock: RunLock | null }> {
  const state = await lockState(runDir, staleAfterMs);
  if (record.status !== 'running' || state.alive) return { record, live: state.alive, lock: state.lock };
  const now = new Date().toISOString();
  return {
    live: false,
    lock: state.lock,
    record: {
      ...record,
      status: 'interrupted',
      updatedAt: now,
      interruption: { detectedAt: now, reason: state.reason, lastGoodCheckpoint: lastGoodCheckpoint(await inspectCheckpoints(runDir)) },
    },
  };
}

/** One entry of a runs folder: a readable run, or a folder whose run.json cannot be used and why. */
export type ListedRun =
  | { id: string; dir: string; record: RunRecord; corrupt?: undefined }
  | { id: string; dir: string; record?: undefined; corrupt: CorruptRun };

export interface CorruptRun {
  /** What is wrong with run.json, in one sentence. */
  reason: string;
  /** When the folder was last changed (run.json's time, when it can be read), for sorting. */
  modifiedAt: string;
}

/**
 * All run folders in runsDir (folders with a run.json), newest first. A run.json that cannot be
 * used (bad JSON, a wrong shape, a newer format) is listed with the reason, not left out.
 */
export async function listRuns(runsDir: string, options: StoreOptions = {}): Promise<ListedRun[]> {
  const entries = await fsp.readdir(runsDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const listed: ListedRun[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    let dir: string;
    try {
      dir = resolveRunDir(runsDir, entry.name);
    } catch {
      continue;
    }
    const stat = await fsp.stat(join(dir, RUN_FILE)).catch(() => null);
    if (!stat) continue; // not a run folder
    try {
      const record = (await effectiveRecord(dir, await readRecord(dir), options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS)).record;
      listed.push({ id: entry.name, dir, record });
    } catch (err) {
      const reason = err instanceof FormatError ? err.reason : (err as Error).message;
      listed.push({ id: entry.name, dir, corrupt: { reason, modifiedAt: stat.mtime.toISOString() } });
    }
  }
  const time = (run: ListedRun) => run.record?.createdAt ?? run.corrupt!.modifiedAt;
  return listed.sort((a, b) => time(b).localeCompare(time(a)) || b.id.localeCompare(a.id));
}

/**
 * Brings a run nobody holds back to a consistent state: a 'running' status becomes 'interrupted' (with
 * the last good checkpoint noted), a stale lock is removed, and checkpoint saves cut short are finished
 * or rolled back. A live run is left alone.
 */
export async function repairRun(runDir: string, options: StoreOptions = {}): Promise<RunRecord> {
  const stored = await readRecord(runDir);
  const { record, live, lock } = await effectiveRecord(runDir, stored, options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
  if (live) return stored;
  await recoverCheckpoints(join(runDir, CHECKPOINTS_DIR), CHECKPOINT_NAMES);
  if (record.status !== stored.status) {
    record.interruption!.lastGoodCheckpoint = lastGoodCheckpoint(await inspectCheckpoints(runDir));
    await writeRecordFile(runDir, record);
  }
  if (lock) await removeLock(runDir);
  return record;
}

/**
 * Marks a run whose trainer died inside this process (the training worker, or a backend that
 * aborted) as failed with the reason, and removes this process's lock. A run that already has an
 * outcome keeps it: this only fills in what the trainer could no longer write.
 */
export async function failAbandonedRun(runDir: string, reason: string): Promise<void> {
  const record = await readRecord(runDir);
  if (record.status !== 'running') return;
  const now = new Date().toISOString();
  await writeRecordFile(runDir, { ...record, status: 'failed', error: reason, finishedAt: now, updatedAt: now });
  const { lock } = await lockState(runDir);
  if (lock?.pid === process.pid && lock.hostname === hostname()) await removeLock(runDir);
}

/** Everything about one run: its record (repaired if it was interrupted), metrics and checkpoints. */
export async function openRun(runDir: string, options: StoreOptions = {}): Promise<OpenedRun> {
  const dir = resolve(runDir);
  const stored = await readRecord(dir);
  const state = await lockState(dir, options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
  const record = state.alive ? stored : await repairRun(dir, options);
  const { lines, skipped } = await readJsonLines(join(dir, METRICS_FILE));
  return {
    dir,
    record,
    metrics: lines,
    skippedMetricLines: skipped,
    checkpoints: await inspectCheckpoints(dir),
    lock: state.alive ? state.lock : null,
    live: state.alive,
  };
}

export async function renameRun(runDir: string, name: string): Promise<RunRecord> {
  const problem = runNameProblem(name);
  if (problem) throw new Error(`Cannot rename the run: ${problem}`);
  const record = { ...(await readRecord(runDir)), name: name.trim(), updatedAt: new Date().toISOString() };
  await writeRecordFile(runDir, record);
  return record;
}

/** Deletes a run folder inside runsDir; refuses anything else, and runs still held by a process. */
export async function deleteRun(runsDir: string, runId: string, options: StoreOptions = {}): Promise<void> {
  const dir = resolveRunDir(runsDir, runId);
  const stat = await fsp.lstat(dir).catch(() => null);
  if (!stat || !stat.isDirectory()) throw new Error(`No run folder ${dir}`);
  if (!(await pathExists(join(dir, RUN_FILE)))) throw new Error(`Refusing to delete ${dir}: it has no ${RUN_FILE}`);
  if ((await lockState(dir, options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS)).alive) {
    throw new Error(`Refusing to delete run ${runId}: a process is still training it`);
  }
  await fsp.rm(dir, { recursive: true, force: true });
}

/** Names of the evaluations stored in a run, e.g. ['best', 'final']. */
export async function listEvaluations(runDir: string): Promise<string[]> {
  const entries = await fsp.readdir(runDir).catch(() => [] as string[]);
  return entries
    .map((e) => /^evaluation-([A-Za-z0-9][A-Za-z0-9_-]*)\.json$/.exec(e)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}
