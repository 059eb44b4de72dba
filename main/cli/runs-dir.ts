import { resolve } from 'node:path';

/** The runs folder when no --runs-dir is given: $SER_RUNS_DIR, else ./runs. */
export function defaultRunsDir(): string {
  return resolve(process.env.SER_RUNS_DIR ?? 'runs');
}
