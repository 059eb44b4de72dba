/**
 * Running a study's unfinished members: features first (one extraction fills the shared cache, so
 * members never race on it), then either N local member processes at once or one Slurm job array.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, promises as fsp } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { scanDataset } from '../../dataset';
import { extractFeatures, type ExtractionProgress } from '../../features/extract';
import { readStudy } from './format';
import { studyFeatureConfigs } from './members';
import { assertStudyWritable } from './member';
import { memberEntryArgs } from './memberProcess';
import { acquireStudyLock } from './lock';
import { checkStudyParallel } from '../../schema/studyLimits';
import { studyCacheRoot, studyLogsDir } from './paths';
import { isNodeLocalPath, submitSlurmArray, type MemberLauncher, type SlurmResources } from './slurm';
import { listStudyMembers, studyStatus, type MemberStatus, type StudyStatus } from './status';

export type { MemberLauncher } from './slurm';

export async function prepareStudyFeatures(
  dir: string,
  options: { signal?: AbortSignal; onProgress?: (p: ExtractionProgress) => void } = {},
): Promise<void> {
  const studyDir = resolve(dir);
  const study = await readStudy(studyDir);
  const scan = await scanDataset(study.dataset.root, { scheme: study.dataset.scheme });
  for (const config of studyFeatureConfigs(study)) {
    const features = await extractFeatures(scan, config, {
      cacheRoot: studyCacheRoot(studyDir, study),
      signal: options.signal,
      onProgress: options.onProgress,
    });
    if (features.cancelled) throw new Error('cancelled during feature extraction');
    if (features.clips.length === 0) throw new Error(`no clip of ${study.dataset.root} could be turned into features`);
  }
}

/** Members still to run: not finished and not held by a live process. */
function todo(members: MemberStatus[]): MemberStatus[] {
  return members.filter((m) => m.state !== 'done' && m.state !== 'running' && m.state !== 'queued');
}

export type LocalEvent =
  | { type: 'features'; progress: ExtractionProgress }
  | { type: 'plan'; total: number; skipped: number; toRun: number; parallel: number; threads: number }
  | { type: 'member-start'; member: MemberStatus }
  | { type: 'member-epoch'; member: MemberStatus; epoch: number; epochs: number }
  /** `stopped`: it ended because the run was being stopped (it is rerun next time), not a failure. */
  | { type: 'member-end'; member: MemberStatus; ok: boolean; stopped?: boolean; reason?: string; log: string; seconds: number };

export interface LocalRunOptions {
  /** Member processes at once (default: defaultParallel). */
  parallel?: number;
  /** Cores to share between them (default: this machine's). Each member gets floor(cores / parallel) threads. */
  cores?: number;
  launcher: MemberLauncher;
  /** Stop starting members and ask running ones to stop after their batch (they are rerun next time). */
  signal?: AbortSignal;
  /** Kill running members at once. */
  killSignal?: AbortSignal;
  onEvent?: (event: LocalEvent) => void;
}

export interface LocalRunResult {
  ran: number;
  succeeded: number;
  failed: { id: string; index: number; reason: string; log: string }[];
  /** Members that ended because the run was stopped. */
  stopped: number;
  cancelled: boolean;
  seconds: number;
}

/**
 * Members at once when the caller does not say: one single-threaded member per core, as many as
 * the memory holds (a training member peaks near 1 GiB; 1.5 GiB each leaves room). Measured with
 * `npm run bench -- parallel` on 2 shared, busy cores: two 1-thread members trained 1.2× (seed-cnn)
 * and 1.4× (CRNN) the samples/s of one 2-thread member (an earlier measurement: ~3×), because the
 * augmentation, optimizer and the layers between the matmuls run on one thread, and threads that
 * wait for each other at every matmul lose most when the cores are shared.
 */
export function defaultParallel(cores: number, memoryBytes: number = totalmem()): number {
  return Math.max(1, Math.min(cores, Math.floor(memoryBytes / (1.5 * 2 ** 30))));
}

/** Threads per member so that parallel × threads fits the cores. */
export function threadsPerMember(cores: number, parallel: number): number {
  return Math.max(1, Math.floor(cores / parallel));
}

/** The last `error:` line a member process printed, or its exit. */
function failureReason(output: string, code: number | null, signal: NodeJS.Signals | null): string {
  const line = output
    .split('\n')
    .reverse()
    .find((l) => /error: /.test(l));
  if (line) return line.replace(/^.*?error: /, '');
  return signal ? `the member process was killed (${signal})` : `the member process exited with code ${code}`;
}

/** Runs the unfinished members while holding the study's lock (a second executor is refused, naming this one). */
export async function runStudyLocal(dir: string, options: LocalRunOptions): Promise<LocalRunResult> {
  if (options.parallel !== undefined) checkStudyParallel(options.parallel);
  const studyDir = resolve(dir);
  await assertStudyWritable(studyDir);
  const lock = await acquireStudyLock(studyDir);
  try {
    return await runMembersLocal(studyDir, options);
  } finally {
    await lock.release();
  }
}

async function runMembersLocal(dir: string, options: LocalRunOptions): Promise<LocalRunResult> {
  const started = Date.now();
  const studyDir = resolve(dir);
  const emit = options.onEvent ?? (() => undefined);
  const cores = options.cores ?? availableParallelism();
  const parallel = Math.max(1, Math.floor(options.parallel ?? defaultParallel(cores)));
  const threads = threadsPerMember(cores, parallel);
  const { members } = await listStudyMembers(studyDir);
  const queue = todo(members);
  emit({ type: 'plan', total: members.length, skipped: members.length - queue.length, toRun: queue.length, parallel, threads });
  const result: LocalRunResult = { ran: 0, succeeded: 0, failed: [], stopped: 0, cancelled: false, seconds: 0 };
  if (queue.length > 0) {
    await prepareStudyFeatures(studyDir, { signal: options.signal, onProgress: (progress) => emit({ type: 'features', progress }) });
    await fsp.mkdir(studyLogsDir(studyDir), { recursive: true });
  }

  const children = new Set<ChildProcess>();
  const onKill = () => children.forEach((c) => c.kill('SIGKILL'));
  const onStop = () => children.forEach((c) => c.kill('SIGINT'));
  options.killSignal?.addEventListener('abort', onKill);
  options.signal?.addEventListener('abort', onStop);

  const runOne = (member: MemberStatus) =>
    new Promise<void>((done) => {
      const log = join(studyLogsDir(studyDir), `${member.id}.log`);
      const out = createWriteStream(log);
      const t0 = Date.now();
      // Its own process group: a Ctrl-C in the terminal reaches only us, and we pass on one SIGINT.
      const child = spawn(options.launcher.command, [...options.launcher.args, ...memberEntryArgs(studyDir, member.index, threads)], {
        cwd: options.launcher.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      children.add(child);
      emit({ type: 'member-start', member });
      let tail = '';
      const onData = (chunk: Buffer) => {
        out.write(chunk);
        const text = chunk.toString('utf8');
        tail = (tail + text).slice(-4000);
        for (const m of text.matchAll(/^epoch +(\d+)\/(\d+)/gm))
          emit({ type: 'member-epoch', member, epoch: Number(m[1]), epochs: Number(m[2]) });
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
        children.delete(child);
        out.end();
        result.ran++;
        const ok = code === 0 && !spawnError;
        const seconds = (Date.now() - t0) / 1000;
        if (ok) {
          result.succeeded++;
          emit({ type: 'member-end', member, ok, log, seconds });
        } else if (options.signal?.aborted && !spawnError) {
          result.stopped++;
          emit({ type: 'member-end', member, ok, stopped: true, reason: failureReason(tail, code, signal), log, seconds });
        } else {
          const reason = spawnError
            ? `could not start ${options.launcher.command}: ${spawnError.message}`
            : failureReason(tail, code, signal);
          result.failed.push({ id: member.id, index: member.index, reason, log });
          emit({ type: 'member-end', member, ok, reason, log, seconds });
        }
        done();
      };
      child.on('error', (err) => finish(null, null, err));
      child.on('close', (code, signal) => finish(code, signal));
    });

  const workers = Array.from({ length: Math.min(parallel, queue.length) }, async () => {
    for (;;) {
      if (options.signal?.aborted) return;
      const next = queue.shift();
      if (!next) return;
      await runOne(next);
    }
  });
  try {
    await Promise.all(workers);
  } finally {
    options.killSignal?.removeEventListener('abort', onKill);
    options.signal?.removeEventListener('abort', onStop);
  }
  result.cancelled = Boolean(options.signal?.aborted);
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

export interface SlurmRunOptions extends SlurmResources {
  launcher: MemberLauncher;
  signal?: AbortSignal;
  onFeatures?: (progress: ExtractionProgress) => void;
}

export interface SlurmSubmission {
  jobId: string | null;
  script: string | null;
  indices: number[];
  /** Things that may stop the jobs from seeing the study or the program. */
  warnings: string[];
}

/** Extracts features, then submits the unfinished members as one job array. */
export async function submitStudySlurm(dir: string, options: SlurmRunOptions): Promise<SlurmSubmission> {
  if (options.maxParallel !== undefined) checkStudyParallel(options.maxParallel);
  const studyDir = resolve(dir);
  await assertStudyWritable(studyDir);
  // Held while features are extracted and the array is submitted; the tasks then hold their run folders.
  const lock = await acquireStudyLock(studyDir);
  try {
    return await submitMembersSlurm(studyDir, options);
  } finally {
    await lock.release();
  }
}

async function submitMembersSlurm(studyDir: string, options: SlurmRunOptions): Promise<SlurmSubmission> {
  const study = await readStudy(studyDir);
  const warnings: string[] = [];
  for (const [what, path] of [
    ['the study folder', studyDir],
    ['the dataset', study.dataset.root],
    ['the feature cache', studyCacheRoot(studyDir, study)],
    ['the program', options.launcher.args.at(-1) ?? options.launcher.command],
  ] as const) {
    const local = await isNodeLocalPath(path);
    if (local)
      warnings.push(
        `${what} (${path}) is on ${local}: jobs on other nodes cannot see it, so run them on this node only or move it to a shared filesystem`,
      );
  }
  const { members } = await listStudyMembers(studyDir, study);
  const indices = todo(members).map((m) => m.index);
  if (indices.length === 0) return { jobId: null, script: null, indices, warnings };
  await prepareStudyFeatures(studyDir, { signal: options.signal, onProgress: options.onFeatures });
  const { jobId, script } = await submitSlurmArray(studyDir, indices, options, options.launcher, `ser-study-${study.name}`);
  return { jobId, script, indices, warnings };
}

/**
 * Follows a submitted study until no member is queued or running (polling the run folders and
 * squeue/sacct); returns the last status. Stops early, with the status so far, when `signal` aborts.
 */
export async function waitForStudy(
  dir: string,
  options: { intervalMs?: number; signal?: AbortSignal; onStatus?: (status: StudyStatus) => void } = {},
): Promise<StudyStatus> {
  for (;;) {
    const status = await studyStatus(dir);
    options.onStatus?.(status);
    if ((status.counts.queued === 0 && status.counts.running === 0) || options.signal?.aborted) return status;
    await new Promise<void>((done) => {
      const timer = setTimeout(done, options.intervalMs ?? 5000);
      options.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          done();
        },
        { once: true },
      );
    });
  }
}
