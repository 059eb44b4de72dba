/**
 * How big a study may be, declared once: every door (CLI, the handler table, the engine's study
 * creation and its study.json reader) checks these. Counting is arithmetic on the grid's value
 * counts, so a request for a huge grid is refused before any cell is enumerated.
 */

/** Members (grid cells × seeds × folds) one study may hold. */
export const MAX_STUDY_MEMBERS = 5000;
/** Grid axes (settings varied) a study made in the app or through the handler table may have. */
export const MAX_GRID_FIELDS = 3;
/** Member processes one local run may start at once (also the Slurm array's %N). */
export const MAX_STUDY_PARALLEL = 64;

/** Grid cells = the product of each axis's number of values (1 for no axes). */
export function gridCellCount(valueCounts: readonly number[]): number {
  return valueCounts.reduce((product, n) => product * n, 1);
}

/**
 * Throws one sentence when cells × seeds × folds is over MAX_STUDY_MEMBERS. `folds` may be left out
 * before the dataset is scanned: at least one fold is counted then.
 */
export function checkStudySize(size: { gridValues: readonly number[]; seeds: number; folds?: number }): void {
  const cells = gridCellCount(size.gridValues);
  const folds = size.folds ?? 1;
  const members = cells * size.seeds * folds;
  if (members <= MAX_STUDY_MEMBERS) return;
  const grid = size.gridValues.length > 0 ? `${size.gridValues.join(' × ')} grid cells` : '1 grid cell';
  const foldText = size.folds === undefined ? 'at least 1 fold' : `${folds} fold${folds === 1 ? '' : 's'}`;
  throw new Error(
    `a study holds at most ${MAX_STUDY_MEMBERS} members, and this one would have ${members.toLocaleString('en-US')} ` +
      `(${grid} × ${size.seeds} seed${size.seeds === 1 ? '' : 's'} × ${foldText}): use fewer grid values or seeds, or split it into several studies`,
  );
}

/** Throws one sentence unless `parallel` is a whole number in 1..MAX_STUDY_PARALLEL. */
export function checkStudyParallel(parallel: unknown, name = 'parallel'): number {
  if (typeof parallel !== 'number' || !Number.isInteger(parallel) || parallel < 1 || parallel > MAX_STUDY_PARALLEL) {
    throw new Error(`${name} must be a whole number from 1 to ${MAX_STUDY_PARALLEL} (got ${JSON.stringify(parallel)})`);
  }
  return parallel;
}
