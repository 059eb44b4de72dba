import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { memberEntryArgs, parseMemberEntryArgs, studyMemberLauncher } from '../../../main/pipeline/study/memberProcess';

describe("the study member entry's command line", () => {
  it('reads back what the executors write', () => {
    expect(parseMemberEntryArgs(memberEntryArgs('/shared/st', 7, 3))).toEqual({ dir: '/shared/st', index: 7, threads: 3 });
    expect(parseMemberEntryArgs(['/shared/st', '0'])).toEqual({ dir: '/shared/st', index: 0 });
  });

  it('refuses a missing or malformed index, threads or extra arguments, one line each', () => {
    expect(() => parseMemberEntryArgs(['/shared/st'])).toThrow('a study folder and a member index are needed');
    expect(() => parseMemberEntryArgs(['/shared/st', '-1'])).toThrow(
      "INDEX must be a member number written in decimal (0, 1, 2, …), got '-1'",
    );
    expect(() => parseMemberEntryArgs(['/shared/st', '2', '--threads', '0'])).toThrow("--threads must be a whole number ≥ 1, got '0'");
    expect(() => parseMemberEntryArgs(['/shared/st', '2', '--backend', 'wasm'])).toThrow("unexpected arguments '--backend wasm'");
  });

  it('is started from source under tsx here, and a bad call ends with one error line and exit code 1', () => {
    const launcher = studyMemberLauncher();
    expect(launcher.args.at(-1)).toMatch(/main[\\/]pipeline[\\/]study[\\/]member-entry\.ts$/);
    const child = spawnSync(launcher.command, [...launcher.args, '/nonexistent-study', 'x'], { cwd: launcher.cwd, encoding: 'utf8' });
    expect(child.status).toBe(1);
    expect(child.stderr.trim()).toBe("study member: error: INDEX must be a member number written in decimal (0, 1, 2, …), got 'x'");
  }, 60_000);
});
