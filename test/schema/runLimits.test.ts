import { describe, expect, it } from 'vitest';
import { isRunId, MAX_RUN_NAME_LENGTH, runNameProblem } from '../../main/schema/runLimits';

describe('run limits', () => {
  it('takes a name up to the limit, trimmed, and refuses an empty or longer one', () => {
    expect(runNameProblem('  baseline  ')).toBeNull();
    expect(runNameProblem('x'.repeat(MAX_RUN_NAME_LENGTH))).toBeNull();
    expect(runNameProblem('   ')).toBe('a run name cannot be empty');
    expect(runNameProblem('x'.repeat(MAX_RUN_NAME_LENGTH + 1))).toBe(`a run name has at most ${MAX_RUN_NAME_LENGTH} characters`);
  });

  it('accepts the ids the store and studies write and refuses anything that could leave the folder', () => {
    for (const id of ['20260101-120000-crnn-on-emodb-ab12', 'c1-s2-f03', 'grid_v2.1']) expect(isRunId(id)).toBe(true);
    for (const id of ['', '.hidden', '-x', 'a/b', 'a\\b', 'a..b', '..', 'a b']) expect(isRunId(id)).toBe(false);
  });
});
