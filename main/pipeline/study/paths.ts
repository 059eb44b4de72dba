/** Where things live inside a study folder. */
import { join, resolve } from 'node:path';
import type { StudyFile } from './format';

export const studyRunsDir = (dir: string): string => join(resolve(dir), 'runs');
export const studyLogsDir = (dir: string): string => join(resolve(dir), 'logs');
/** `<id>.json` for members that failed before their run folder existed (bad config, unreadable data). */
export const studyFailuresDir = (dir: string): string => join(resolve(dir), 'failures');
export const studySlurmDir = (dir: string): string => join(resolve(dir), 'slurm');
export const studyCacheRoot = (dir: string, study: StudyFile): string => resolve(dir, study.cacheDir);
