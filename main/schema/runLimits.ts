/**
 * What a run's name and id may be, declared once: the handler table, the engine and the renderer's
 * forms check these.
 */

/** Characters a run's display name may have (after trimming). */
export const MAX_RUN_NAME_LENGTH = 120;

/** The problem with a run's display name in one sentence, or null when it is fine. */
export function runNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'a run name cannot be empty';
  if (trimmed.length > MAX_RUN_NAME_LENGTH) return `a run name has at most ${MAX_RUN_NAME_LENGTH} characters`;
  return null;
}

/**
 * A run, study or study member id as the engine writes them: it becomes a folder name, so letters,
 * digits, dots, dashes and underscores only, starting with a letter or digit, no '..'.
 */
export function isRunId(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) && !value.includes('..');
}
