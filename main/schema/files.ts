/**
 * The names of the versioned files and folders a run and a study keep (main/runs/store.ts and
 * main/pipeline/study/paths.ts build the paths from them).
 */

/** A run folder's record. */
export const RUN_FILE = 'run.json';
/** A study folder's definition. */
export const STUDY_FILE = 'study.json';

/** The folders inside a study folder. */
export const STUDY_FOLDERS = {
  /** One run folder per member, named by the member's id. */
  runs: 'runs',
  /** Each member's output when run locally. */
  logs: 'logs',
  /** `<id>.json` for members that failed before their run folder existed. */
  failures: 'failures',
  /** The Slurm batch script, and its `logs/` folder. */
  slurm: 'slurm',
} as const;
