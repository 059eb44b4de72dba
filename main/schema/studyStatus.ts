/** A study's progress as the engine reports it (main/pipeline/study/status.ts) and the Studies view shows it. */

/** pending: not started; queued: waiting in Slurm; interrupted: stopped or cancelled, rerun next time. */
export type MemberState = 'pending' | 'queued' | 'running' | 'done' | 'failed' | 'interrupted';

export interface MemberStatus {
  index: number;
  /** Its run folder's name under `<study>/runs/`, e.g. `c1-s2-f03`. */
  id: string;
  cell: number;
  cellLabel: string;
  seed: number;
  fold: number;
  state: MemberState;
  /** The member's run folder (absent until it starts). */
  runDir?: string;
  /** Epochs finished / planned, while running or after. */
  epoch?: number;
  epochs: number;
  /** One-line reason for failed or interrupted members. */
  reason?: string;
  /** Slurm job and task state, for submitted members. */
  slurm?: { jobId: string; state: string };
}

/** Who runs a study now (this app, or `ser study run` anywhere), from its lock file. */
export interface StudyRunner {
  pid: number;
  hostname: string;
  startedAt: string;
}

export interface StudyStatus {
  dir: string;
  name: string;
  protocol: string;
  folds: number;
  /** Each fold's test speakers, in fold order. */
  foldTests: string[][];
  seeds: number[];
  cells: number;
  counts: Record<MemberState, number>;
  members: MemberStatus[];
  /** Slurm commands that could not answer (status then comes from the run folders alone). */
  problems: string[];
  /** The executor running the study now; null when none. */
  runner: StudyRunner | null;
}
