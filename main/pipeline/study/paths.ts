/** Where things live inside a study folder (the names are main/schema/files.ts's). */
import { join, resolve } from 'node:path';
import { STUDY_FOLDERS } from '../../schema/files';
import type { StudyFile } from './format';

export const studyRunsDir = (dir: string): string => join(resolve(dir), STUDY_FOLDERS.runs);
export const studyLogsDir = (dir: string): string => join(resolve(dir), STUDY_FOLDERS.logs);
/** `<id>.json` for members that failed before their run folder existed (bad config, unreadable data). */
export const studyFailuresDir = (dir: string): string => join(resolve(dir), STUDY_FOLDERS.failures);
export const studySlurmDir = (dir: string): string => join(resolve(dir), STUDY_FOLDERS.slurm);
/** The Slurm array tasks' output (Slurm does not create it). */
export const studySlurmLogsDir = (dir: string): string => join(studySlurmDir(dir), STUDY_FOLDERS.logs);
export const studyCacheRoot = (dir: string, study: StudyFile): string => resolve(dir, study.cacheDir);
