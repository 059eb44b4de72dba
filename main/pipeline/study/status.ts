/**
 * Where every member stands, from its run folder (the truth once a member has started) and,
 * for Slurm studies, from squeue/sacct for members that have not written anything yet.
 */
import { join, resolve } from 'node:path';
import { readJsonLines } from '../../runs/jsonLines';
import { listRuns } from '../../runs/store';
import { readStudy, protocolLabel, type StudyFile } from './format';
import { cellLabel } from './grid';
import { memberConfig, studyMembers } from './members';
import { readMemberFailure } from './member';
import { studyRunsDir } from './paths';
import { slurmJobs, slurmTaskError, slurmTaskStates } from './slurm';
import { studyRunner } from './lock';
import type { MemberState, MemberStatus, StudyStatus } from '../../schema/studyStatus';

export type { MemberState, MemberStatus, StudyStatus } from '../../schema/studyStatus';

const SLURM_FAILED = new Set([
  'ENDED',
  'FAILED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'CANCELLED',
  'BOOT_FAIL',
  'DEADLINE',
  'PREEMPTED',
]);

export async function listStudyMembers(dir: string, study?: StudyFile): Promise<{ members: MemberStatus[]; problems: string[] }> {
  const studyDir = resolve(dir);
  const s = study ?? (await readStudy(studyDir));
  const runsDir = studyRunsDir(studyDir);
  // Slurm first: a task that has left the queue has written its run folder's final state by now.
  const submitted = (await slurmJobs(studyDir)).length > 0;
  const { states, problems } = submitted ? await slurmTaskStates(studyDir) : { states: new Map(), problems: [] };
  const records = new Map((await listRuns(runsDir)).map((r) => [r.id, r]));
  const members: MemberStatus[] = [];
  for (const m of studyMembers(s)) {
    const listed = records.get(m.id);
    const record = listed?.record;
    const slurm = states.get(m.index);
    const status: MemberStatus = {
      index: m.index,
      id: m.id,
      cell: m.cell,
      cellLabel: cellLabel(m.overrides),
      seed: m.seed,
      fold: m.fold,
      state: 'pending',
      epochs: memberConfig(s, m).epochs,
      ...(slurm ? { slurm: { jobId: slurm.jobId, state: slurm.state } } : {}),
    };
    if (listed?.corrupt) {
      status.runDir = join(runsDir, m.id);
      status.state = 'failed';
      status.reason = `run.json is unreadable: ${listed.corrupt.reason}`;
    } else if (record) {
      status.runDir = join(runsDir, m.id);
      status.state =
        record.status === 'done' ? 'done' : record.status === 'running' ? 'running' : record.status === 'failed' ? 'failed' : 'interrupted';
      if (record.error) status.reason = record.error;
      else if (record.interruption) status.reason = record.interruption.reason;
      if (status.state !== 'done') status.epoch = (await readJsonLines(join(status.runDir, 'metrics.jsonl'))).lines.length;
      else status.epoch = record.summary?.epochsRun;
    } else if (slurm && slurm.state !== 'COMPLETED' && !SLURM_FAILED.has(slurm.state)) {
      if (slurm.state === 'PENDING' || slurm.state === 'REQUEUED' || slurm.state === 'SUSPENDED') status.state = 'queued';
      else if (slurm.state === 'RUNNING' || slurm.state === 'CONFIGURING' || slurm.state === 'COMPLETING') status.state = 'running';
    } else {
      const failure = await readMemberFailure(studyDir, m.id);
      if (failure) {
        status.state = 'failed';
        status.reason = failure.error;
      } else if (slurm) {
        status.state = 'failed';
        const logged = await slurmTaskError(studyDir, slurm.jobId, m.index);
        status.reason = `${logged ?? `the Slurm task ended (${slurm.state}) before the member wrote its run folder`}: see slurm/logs/${slurm.jobId}_${m.index}.out`;
      }
    }
    // A task Slurm killed (time limit, memory) leaves its run folder 'running' until the lock goes stale.
    if (status.state === 'running' && slurm && SLURM_FAILED.has(slurm.state)) {
      status.state = 'failed';
      status.reason = `Slurm ended the task: ${slurm.state} (see slurm/logs/${slurm.jobId}_${m.index}.out)`;
    }
    members.push(status);
  }
  // Once every submitted member has written its run folder, Slurm's answers no longer matter.
  const dependsOnSlurm = members.some((m) => m.slurm && !m.runDir);
  return { members, problems: dependsOnSlurm ? problems : [] };
}

export async function studyStatus(dir: string): Promise<StudyStatus> {
  const studyDir = resolve(dir);
  const study = await readStudy(studyDir);
  const { members, problems } = await listStudyMembers(studyDir, study);
  const counts: Record<MemberState, number> = { pending: 0, queued: 0, running: 0, done: 0, failed: 0, interrupted: 0 };
  for (const m of members) counts[m.state]++;
  return {
    dir: studyDir,
    name: study.name,
    protocol: protocolLabel(study.protocol),
    folds: study.folds.length,
    foldTests: study.folds.map((fold) => fold.test),
    seeds: study.seeds,
    cells: new Set(members.map((m) => m.cell)).size,
    counts,
    members,
    problems,
    runner: await studyRunner(studyDir),
  };
}
