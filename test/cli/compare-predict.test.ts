/** compare lists the clips two checkpoints disagree on; predict fails when no file could be predicted. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRun } from '../pipeline/inference/helpers';
import { runWithEvaluations, sampleReport } from '../pipeline/evaluation-fixtures';
import { runCli } from './run-cli';

const work = mkdtempSync(join(tmpdir(), 'ser-cli-compare-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('CLI compare and predict', () => {
  it('compare prints each disagreeing clip with its true label and both predictions (text and --json)', async () => {
    const run = await runWithEvaluations(work, 'run-a', { best: sampleReport('best'), final: sampleReport('final', undefined, 1) });
    const text = await runCli(['compare', run]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('3 clip(s) where A and B predict differently:');
    expect(text.stdout).toMatch(/\/data\/c3\.wav +anger +anger \(80 %\) +neutral \(80 %\)/);
    expect(text.stdout).toMatch(/\/data\/c4\.wav +neutral +neutral \(80 %\) +sadness \(80 %\)/);
    expect(text.stdout).toMatch(/\/data\/c5\.wav +sadness +sadness \(80 %\) +anger \(80 %\)/);
    const json = await runCli(['compare', run, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const { disagreements } = JSON.parse(json.stdout);
    expect(
      disagreements.map((d: { path: string; trueLabel: string; aPredicted: string; bPredicted: string }) => [
        d.path,
        d.trueLabel,
        d.aPredicted,
        d.bPredicted,
      ]),
    ).toEqual([
      ['/data/c3.wav', 'anger', 'anger', 'neutral'],
      ['/data/c4.wav', 'neutral', 'neutral', 'sadness'],
      ['/data/c5.wav', 'sadness', 'sadness', 'anger'],
    ]);
  }, 180_000);

  it('predict exits non-zero, and says so, when every file failed', async () => {
    const run = await writeRun(work, ['best']);
    const result = await runCli(['predict', run, 'README.md', 'package.json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('README.md\n  error (not-audio)');
    expect(result.stderr).toContain('ser predict: error: none of the 2 files could be predicted');
  }, 180_000);
});
