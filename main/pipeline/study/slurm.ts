/**
 * The Slurm executor: the members still to do become one job array (`sbatch --array`), each task
 * running the member entry (`study-member.js DIR $SLURM_ARRAY_TASK_ID`) on the shared study folder. Slurm is the
 * scheduler and the study folder is the state; `squeue`/`sacct` only fill in what the run
 * folders cannot say yet (queued, or killed before the member started).
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../util/fs';
import { check, readVersionedJson, writeVersionedJson, type VersionedFormat } from '../../util/versionedJson';
import { studySlurmDir, studySlurmLogsDir } from './paths';

export interface SlurmResources {
  partition?: string;
  /** HH:MM:SS, or what sbatch accepts for --time. */
  time?: string;
  cpusPerTask?: number;
  /** e.g. 8G. */
  mem?: string;
  /** At most this many tasks at once (the %P of --array). */
  maxParallel?: number;
}

/** How a member process is started: node and the member entry (memberProcess.ts), its arguments appended. */
export interface MemberLauncher {
  command: string;
  args: string[];
  /** Working folder of the member processes. */
  cwd: string;
}

export interface SlurmJobRecord {
  jobId: string;
  submittedAt: string;
  indices: number[];
}

/** `slurm/jobs.json`: the array jobs submitted for the study, in order. */
interface JobsFile {
  jobs: SlurmJobRecord[];
}

const JOBS_FORMAT: VersionedFormat<JobsFile> = {
  name: 'Slurm jobs file',
  current: 1,
  migrate: {},
  validate: (value) => {
    if (!Array.isArray(value.jobs)) throw new Error("'jobs' must be a list");
    value.jobs.forEach((job: unknown, i: number) => {
      const record = check.object(job, `jobs[${i}]`);
      check.string(record.jobId, `jobs[${i}].jobId`);
      check.string(record.submittedAt, `jobs[${i}].submittedAt`);
      (Array.isArray(record.indices) ? record.indices : [null]).forEach((index: unknown, k: number) =>
        check.integer(index, `jobs[${i}].indices[${k}]`),
      );
    });
    return value as unknown as JobsFile;
  },
};

/** A task's Slurm state; 'ENDED' when it left the queue and sacct (off on many clusters) says nothing. */
export type SlurmTaskState = { jobId: string; state: string; source: 'squeue' | 'sacct' };

const JOBS_FILE = 'jobs.json';
export const SLURM_SCRIPT = 'array.sbatch';

/** 0,1,2,5,7,8 → "0-2,5,7-8". */
export function compressIndices(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** "3", "[4-6,9%2]" → task ids. */
function expandTaskIds(text: string): number[] {
  const body = text.replace(/^\[|\]$/g, '').replace(/%\d+$/, '');
  const out: number[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    for (let i = lo; i <= hi; i++) out.push(i);
  }
  return out;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The sbatch script for `indices` of the study in `dir`. */
export function slurmScript(
  dir: string,
  indices: readonly number[],
  resources: SlurmResources,
  launcher: MemberLauncher,
  jobName: string,
): string {
  const studyDir = resolve(dir);
  const logs = studySlurmLogsDir(studyDir);
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${jobName.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60)}`,
    `#SBATCH --array=${compressIndices(indices)}${resources.maxParallel ? `%${resources.maxParallel}` : ''}`,
    `#SBATCH --output=${logs}/%A_%a.out`,
    `#SBATCH --chdir=${launcher.cwd}`,
    `#SBATCH --ntasks=1`,
  ];
  if (resources.partition) lines.push(`#SBATCH --partition=${resources.partition}`);
  if (resources.time) lines.push(`#SBATCH --time=${resources.time}`);
  if (resources.cpusPerTask) lines.push(`#SBATCH --cpus-per-task=${resources.cpusPerTask}`);
  if (resources.mem) lines.push(`#SBATCH --mem=${resources.mem}`);
  lines.push(
    '',
    '# One study member per array task; its threads follow the CPUs Slurm gave it.',
    // The member entry's arguments (memberProcess.ts), with the index and threads from Slurm's variables.
    `exec ${[launcher.command, ...launcher.args, studyDir].map(quote).join(' ')} "$SLURM_ARRAY_TASK_ID" --threads "\${SLURM_CPUS_PER_TASK:-1}"`,
    '',
  );
  return lines.join('\n');
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    execFile(command, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        const reason = (stderr.trim().split('\n').at(-1) || error.message).trim();
        fail(new Error(`${command} failed: ${reason}`));
      } else done(stdout);
    });
  });
}

async function readJobs(dir: string): Promise<JobsFile> {
  const path = join(studySlurmDir(dir), JOBS_FILE);
  return (await readVersionedJson(path, JOBS_FORMAT)) ?? { jobs: [] };
}

export async function slurmJobs(dir: string): Promise<SlurmJobRecord[]> {
  return (await readJobs(resolve(dir))).jobs;
}

/** Writes the script and submits it; returns the job id. */
export async function submitSlurmArray(
  dir: string,
  indices: readonly number[],
  resources: SlurmResources,
  launcher: MemberLauncher,
  jobName: string,
): Promise<{ jobId: string; script: string }> {
  const studyDir = resolve(dir);
  if (indices.length === 0) throw new Error('there are no members to submit');
  const slurmDir = studySlurmDir(studyDir);
  await fsp.mkdir(studySlurmLogsDir(studyDir), { recursive: true });
  const script = join(slurmDir, SLURM_SCRIPT);
  await writeFileAtomic(script, slurmScript(studyDir, indices, resources, launcher, jobName));
  const out = await run('sbatch', ['--parsable', script]);
  const jobId = out.trim().split(';')[0]!;
  if (!/^\d+$/.test(jobId)) throw new Error(`sbatch answered '${out.trim()}' instead of a job id`);
  const jobs = await readJobs(studyDir);
  jobs.jobs.push({ jobId, submittedAt: new Date().toISOString(), indices: [...indices] });
  await writeVersionedJson(join(slurmDir, JOBS_FILE), JOBS_FORMAT, jobs);
  return { jobId, script };
}

export function parseSlurmStates(text: string, source: SlurmTaskState['source']): Map<string, Map<number, SlurmTaskState>> {
  const byJob = new Map<string, Map<number, SlurmTaskState>>();
  for (const line of text.split('\n')) {
    const [id, rawState] = line.trim().split('|');
    const m = /^(\d+)_(.+)$/.exec(id ?? '');
    if (!m || !rawState) continue;
    const state = rawState.split(' ')[0]!;
    const tasks = byJob.get(m[1]!) ?? new Map<number, SlurmTaskState>();
    for (const task of expandTaskIds(m[2]!)) tasks.set(task, { jobId: m[1]!, state, source });
    byJob.set(m[1]!, tasks);
  }
  return byJob;
}

/**
 * What Slurm says about each submitted member (by index), from the study's latest job covering
 * it: squeue for live tasks, sacct for finished ones (when accounting is on). `problems` lists
 * the commands that could not answer.
 */
export async function slurmTaskStates(dir: string): Promise<{ states: Map<number, SlurmTaskState>; problems: string[] }> {
  const jobs = await slurmJobs(dir);
  const states = new Map<number, SlurmTaskState>();
  const problems: string[] = [];
  if (jobs.length === 0) return { states, problems };
  const ids = jobs.map((j) => j.jobId).join(',');
  const [queue, accounting] = await Promise.all([
    // All jobs rather than `-j ids`: squeue fails outright when one id has been purged from its memory.
    run('squeue', ['-h', '-r', '-o', '%i|%T']).catch((err: Error) => {
      problems.push(err.message);
      return '';
    }),
    run('sacct', ['-n', '-P', '-X', '-j', ids, '-o', 'JobID,State']).catch((err: Error) => {
      problems.push(err.message);
      return '';
    }),
  ]);
  const queueAnswered = problems.length === 0 || !problems.some((p) => p.startsWith('squeue'));
  const fromQueue = parseSlurmStates(queue, 'squeue');
  const fromAccounting = parseSlurmStates(accounting, 'sacct');
  for (const job of jobs) {
    for (const index of job.indices) {
      const state = fromQueue.get(job.jobId)?.get(index) ?? fromAccounting.get(job.jobId)?.get(index);
      // Out of the queue with no accounting record: the task has ended, how is up to the run folder (or its log).
      if (state) states.set(index, state);
      else if (queueAnswered) states.set(index, { jobId: job.jobId, state: 'ENDED', source: 'squeue' });
      else states.delete(index);
    }
  }
  return { states, problems };
}

/** The log of one array task inside the study. */
export function slurmTaskLog(dir: string, jobId: string, index: number): string {
  return join(studySlurmLogsDir(dir), `${jobId}_${index}.out`);
}

/** The last `error:` line of a task's log (what the member printed before it stopped), if any. */
export async function slurmTaskError(dir: string, jobId: string, index: number): Promise<string | null> {
  const text = await fsp.readFile(slurmTaskLog(dir, jobId, index), 'utf8').catch(() => '');
  const line = text
    .split('\n')
    .reverse()
    .find((l) => /error: /.test(l));
  return line ? line.replace(/^.*?error: /, '').trim() : null;
}

/** True when the path is on a RAM disk or a per-machine temporary folder, which other nodes cannot see. */
export async function isNodeLocalPath(path: string): Promise<string | null> {
  const TMPFS_MAGIC = 0x01021994;
  const stat = await fsp.statfs(path).catch(() => null);
  if (stat && stat.type === TMPFS_MAGIC) return 'a tmpfs (RAM disk) of this machine';
  if (/^\/(tmp|var\/tmp|dev\/shm)(\/|$)/.test(resolve(path))) return 'a temporary folder of this machine';
  return null;
}
