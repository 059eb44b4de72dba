import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStudy, parseProtocol, studyStatus } from '../../main/pipeline/study';
import { resolveTrainingConfig } from '../../main/training/config';
import { runCli } from './run-cli';

const DEMO = 'resources/demo-emodb';
const work = mkdtempSync(join(tmpdir(), 'ser-study-cli-'));
const dir = join(work, 'study');
// One epoch of the smallest model on 16 × 16 MFCC inputs keeps each member to a few seconds of training.
const TINY = ['--model', 'seed-cnn', '--preset', 'quick', '--epochs', '1', '--n-mfcc', '16', '--frames', '16', '--batch', '32'];

// Each CLI call starts Node, tsx and tfjs; members are separate processes. Generous for a loaded machine.
const TIMEOUT = 240_000;

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('CLI: study init → run (local, 2 at once) → status → report → rerun', () => {
  it(
    'init fixes the folds and lists the members',
    async () => {
      const r = await runCli(['study', 'init', dir, '--data', DEMO, '--protocol', 'kfold:2', '--seeds', '1', ...TINY]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('2 members = 1 grid cell × 1 seed × 2 folds');
      const study = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8'));
      expect(study.formatVersion).toBe(2);
      expect(study.folds).toHaveLength(2);
      // The demo set's 10 speakers are split between the two folds' test parts.
      expect([...study.folds[0].test, ...study.folds[1].test].sort()).toEqual(['03', '08', '09', '10', '11', '12', '13', '14', '15', '16']);
      await expect(
        createStudy(dir, { datasetRoot: DEMO, protocol: { kind: 'loso' }, training: resolveTrainingConfig(), seeds: [1] }),
      ).rejects.toThrow(/already holds a study/);
    },
    TIMEOUT,
  );

  it(
    'refuses a bad grid or protocol with a one-line reason',
    async () => {
      const grid = await runCli(['study', 'init', join(work, 'x'), '--data', DEMO, '--protocol', 'loso', '--grid', 'epochz=1,2']);
      expect(grid.code).toBe(1);
      expect(grid.stderr.trim()).toBe(
        "ser study: error: grid field 'epochz' is not a training or feature setting (examples: model, learningRate, augment.mixupAlpha, features.frames)",
      );
      expect(() => parseProtocol('kfold')).toThrow("protocol must be loso, kfold:K or fixed, got 'kfold'");
      expect(() => parseProtocol('fixed')).toThrow('protocol fixed needs the test speakers (--test-speakers a,b)');
      expect(parseProtocol('kfold:5')).toEqual({ kind: 'kfold', k: 5 });
    },
    TIMEOUT,
  );

  it(
    'run trains every member as an ordinary run folder, two at a time',
    async () => {
      const r = await runCli(['study', 'run', dir, '--executor', 'local', '--parallel', '2', '--cores', '2']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain('2 members: 0 finished or running elsewhere, 2 to run, 2 at a time with 1 thread each');
      expect(r.stdout).toContain('all 2 members done');
      for (const id of ['c1-s1-f1', 'c1-s1-f2']) {
        const record = JSON.parse(readFileSync(join(dir, 'runs', id, 'run.json'), 'utf8'));
        expect(record.status).toBe('done');
        expect(record.seed).toBe(1);
      }
    },
    TIMEOUT,
  );

  it(
    'status and report cover the whole corpus, pooled over folds',
    async () => {
      const s = await studyStatus(dir);
      expect(s.counts.done).toBe(2);
      expect(s.members.map((m) => `${m.id} ${m.state}`)).toEqual(['c1-s1-f1 done', 'c1-s1-f2 done']);

      const csv = join(work, 'report.csv');
      const report = await runCli(['study', 'report', dir, '--json', '--csv', csv]);
      expect(report.code, report.stderr).toBe(0);
      const r = JSON.parse(report.stdout);
      expect(r.complete).toBe(true);
      expect(r.cells).toHaveLength(1);
      const cell = r.cells[0];
      expect(cell.pooled.n).toBe(135); // every demo clip predicted exactly once
      expect(cell.pooled.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(135);
      expect(cell.pooled.labels).toHaveLength(7);
      for (const key of ['accuracy', 'uar', 'macroF1'] as const) {
        expect(cell.pooled.ci[key][0]).toBeLessThanOrEqual(cell.pooled[key] + 1e-9);
        expect(cell.pooled.ci[key][1]).toBeGreaterThanOrEqual(cell.pooled[key] - 1e-9);
      }
      expect(cell.pooled.ci.groupBy).toBe('speaker');
      expect(cell.folds.map((f: { n: number }) => f.n).reduce((a: number, b: number) => a + b, 0)).toBe(135);
      expect(cell.mean.uar).toBeCloseTo((cell.folds[0].uar + cell.folds[1].uar) / 2, 12);
      expect(r.comparisons).toEqual([]);
      const lines = readFileSync(csv, 'utf8').trim().split('\n');
      expect(lines[0]).toMatch(/^cell,members_done,members_total,n,accuracy,/);
      expect(lines[1]).toMatch(/^base,2,2,135,/);
    },
    TIMEOUT,
  );

  it(
    'report --with pairs the cells of another study on the same folds, and refuses other folds',
    async () => {
      const copy = join(work, 'same-folds');
      cpSync(dir, copy, { recursive: true });
      const file = join(copy, 'study.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), name: 'baseline' }));
      const r = await runCli(['study', 'report', dir, '--with', copy, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.cells.map((c: { label: string; studyDir: string }) => [c.label, c.studyDir])).toEqual([
        ['study: base', dir],
        ['baseline: base', copy],
      ]);
      // The same predictions on both sides: no difference, and the pairing found every fold.
      expect(report.comparisons).toHaveLength(1);
      expect(report.comparisons[0].uarDifference).toBe(0);
      expect(report.comparisons[0].folds).toHaveLength(2);

      const loose = await runCli(['study', 'report', dir, '--with', copy, copy]);
      expect(loose.stderr.trim()).toBe(`ser study: error: unexpected argument '${copy}': give each other study with a --with of its own`);

      const other = join(work, 'other-folds');
      expect((await runCli(['study', 'init', other, '--data', DEMO, '--protocol', 'kfold:3', ...TINY])).code).toBe(0);
      const refused = await runCli(['study', 'report', dir, '--with', other]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `cannot compare ${dir} with ${other}: their folds differ (protocol, split seed or validation ratio)`,
      );
    },
    TIMEOUT,
  );

  it(
    'a rerun skips finished members and trains interrupted ones again',
    async () => {
      const keptRun = join(dir, 'runs', 'c1-s1-f1', 'run.json');
      const keptMtime = statSync(keptRun).mtimeMs;
      const interrupted = join(dir, 'runs', 'c1-s1-f2', 'run.json');
      writeFileSync(interrupted, JSON.stringify({ ...JSON.parse(readFileSync(interrupted, 'utf8')), status: 'cancelled' }));
      expect((await studyStatus(dir)).members[1]!.state).toBe('interrupted');

      const r = await runCli(['study', 'run', dir, '--parallel', '2']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain('2 members: 1 finished or running elsewhere, 1 to run');
      expect(r.stdout).toMatch(/done +c1-s1-f2/);
      expect(statSync(keptRun).mtimeMs).toBe(keptMtime);
      expect(JSON.parse(readFileSync(interrupted, 'utf8')).status).toBe('done');
    },
    TIMEOUT,
  );

  it(
    'exits 2 when some members are done and others failed, 1 when none is done',
    async () => {
      // A copy whose recorded dataset fingerprint no longer matches: every member that runs fails at once.
      const copy = join(work, 'failing');
      cpSync(dir, copy, { recursive: true });
      const studyFile = join(copy, 'study.json');
      const study = JSON.parse(readFileSync(studyFile, 'utf8'));
      writeFileSync(studyFile, JSON.stringify({ ...study, dataset: { ...study.dataset, fingerprint: 'changed' } }));
      const interrupt = (id: string) => {
        const file = join(copy, 'runs', id, 'run.json');
        writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), status: 'cancelled' }));
      };
      interrupt('c1-s1-f2');
      const partly = await runCli(['study', 'run', copy]);
      expect(partly.code, partly.stderr + partly.stdout).toBe(2);
      expect(partly.stdout).toMatch(/FAILED c1-s1-f2 .*changed since the study was created/);
      expect(partly.stderr).toMatch(/^ser study: error: 1 of 2 members are not done \(1 failed, 0 interrupted, 0 pending\)/);
      interrupt('c1-s1-f1');
      const none = await runCli(['study', 'run', copy]);
      expect(none.code, none.stderr + none.stdout).toBe(1);
      expect(none.stderr).toMatch(/^ser study: error: 2 of 2 members are not done \(2 failed/);
    },
    TIMEOUT,
  );
});

describe('study init with auto frames', () => {
  it('fixes auto frames (0) to the longest clip, in the base config and in a features.frames grid', async () => {
    const notes: string[] = [];
    const study = await createStudy(join(work, 'auto-frames'), {
      datasetRoot: DEMO,
      protocol: { kind: 'kfold', k: 2 },
      training: resolveTrainingConfig(),
      seeds: [1],
      grid: [{ field: 'features.frames', values: [0, 160] }],
      onLog: (line) => notes.push(line),
    });
    // The demo clips are at most 2.0 s: auto keeps the 100-frame minimum.
    expect(study.features.frames).toBe(100);
    expect(study.grid).toEqual([{ field: 'features.frames', values: [100, 160] }]);
    expect(notes).toEqual([expect.stringMatching(/^frames auto: 100 \(2\.32 s, the minimum; the longest clip is 2\.00 s, 87 frames\)$/)]);
    const fixed = await createStudy(join(work, 'fixed-frames'), {
      datasetRoot: DEMO,
      protocol: { kind: 'kfold', k: 2 },
      training: resolveTrainingConfig(),
      features: { frames: 64 },
      seeds: [1],
      onLog: (line) => notes.push(line),
    });
    expect(fixed.features.frames).toBe(64);
    expect(notes).toHaveLength(1);
  });
});
