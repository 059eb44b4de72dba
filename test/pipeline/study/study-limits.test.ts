/**
 * One size limit and one executor per study, at the CLI and in the engine: a huge grid or a
 * parallelism past the limit is refused at once, study.json over the limit is refused on read, and
 * a study another `study run` holds is refused with the holder named (a stale lock is taken over).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudy, readStudy, runStudyLocal, STUDY_LOCK_FILE, studyRunner } from '../../../main/pipeline/study';
import { MAX_STUDY_MEMBERS, MAX_STUDY_PARALLEL } from '../../../main/schema/studyLimits';
import { resolveTrainingConfig } from '../../../main/training/config';
import { runCli } from '../../cli/run-cli';

const DEMO = 'resources/demo-emodb';
const work = mkdtempSync(join(tmpdir(), 'ser-study-limits-'));
const dir = join(work, 'study');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A member process that writes nothing and exits at once. */
const NOOP_MEMBER = { command: process.execPath, args: ['-e', ''], cwd: process.cwd() };

const holdAs = (pid: number) => {
  const startedAt = new Date().toISOString();
  writeFileSync(join(dir, STUDY_LOCK_FILE), JSON.stringify({ pid, hostname: hostname(), startedAt, heartbeatAt: startedAt }));
};

describe('study limits and the one-executor lock', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await createStudy(dir, {
      datasetRoot: DEMO,
      protocol: { kind: 'kfold', k: 2 },
      training: resolveTrainingConfig({ preset: 'quick', model: 'seed-cnn', epochs: 1 }),
      features: { nMfcc: 16, frames: 16 },
      seeds: [1],
    });
  });

  it('refuses a huge grid by counting, before the dataset is read or a cell enumerated', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1)).join(',');
    const started = performance.now();
    await expect(
      createStudy(join(work, 'huge'), {
        datasetRoot: DEMO,
        protocol: { kind: 'loso' },
        training: resolveTrainingConfig(),
        seeds: [1, 2, 3],
        grid: [
          { field: 'epochs', values: Array.from({ length: 300 }, (_, i) => i + 1) },
          { field: 'batchSize', values: Array.from({ length: 300 }, (_, i) => i + 1) },
        ],
      }),
    ).rejects.toThrow(`a study holds at most ${MAX_STUDY_MEMBERS} members, and this one would have 270,000`);
    expect(performance.now() - started).toBeLessThan(500);
    const cli = await runCli([
      'study',
      'init',
      join(work, 'huge'),
      '--data',
      DEMO,
      '--protocol',
      'loso',
      '--grid',
      `epochs=${many(300)}`,
      '--grid',
      `batchSize=${many(300)}`,
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(
      /a study holds at most 5000 members, and this one would have 90,000 \(300 × 300 grid cells × 1 seed × at least 1 fold\)/,
    );
  });

  it('refuses a study.json over the limit when it is read', async () => {
    const crafted = join(work, 'crafted');
    await createStudy(crafted, { datasetRoot: DEMO, protocol: { kind: 'kfold', k: 2 }, training: resolveTrainingConfig(), seeds: [1] });
    const file = join(crafted, 'study.json');
    const study = JSON.parse(readFileSync(file, 'utf8'));
    study.grid = [
      { field: 'epochs', values: Array.from({ length: 1000 }, (_, i) => i + 1) },
      { field: 'batchSize', values: Array.from({ length: 1000 }, (_, i) => i + 1) },
    ];
    writeFileSync(file, JSON.stringify(study));
    const started = performance.now();
    await expect(readStudy(crafted)).rejects.toThrow(/'grid' is too large: a study holds at most 5000 members/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses more member processes at once than the limit, at the CLI and in the engine', async () => {
    const cli = await runCli(['study', 'run', dir, '--parallel', '1000000000']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`--parallel must be ≤ ${MAX_STUDY_PARALLEL}, got 1000000000`);
    // Integers are decimal: exponent notation is refused before the limit is checked.
    const exponent = await runCli(['study', 'run', dir, '--parallel', '1e9']);
    expect(exponent.code).toBe(1);
    expect(exponent.stderr).toContain(`--parallel must be an integer, got '1e9'`);
    await expect(runStudyLocal(dir, { parallel: 1e9, launcher: NOOP_MEMBER })).rejects.toThrow(
      `parallel must be a whole number from 1 to ${MAX_STUDY_PARALLEL} (got 1000000000)`,
    );
  });

  it('refuses a second executor with the holder named, at the CLI and in the engine; takes over a stale lock', async () => {
    holdAs(process.pid); // alive: this test process stands in for another `study run`
    const holder = `is already being run by pid ${process.pid} on ${hostname()} since`;
    await expect(runStudyLocal(dir, { launcher: NOOP_MEMBER })).rejects.toThrow(holder);
    const cli = await runCli(['study', 'run', dir]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(holder);
    expect((await runCli(['study', 'status', dir])).stdout).toContain(`being run by pid ${process.pid} on ${hostname()} since`);
    expect(await studyRunner(dir)).toMatchObject({ pid: process.pid, hostname: hostname() });

    holdAs(2 ** 22 + 12345); // no such process: the lock is stale
    expect(await studyRunner(dir)).toBeNull();
    let heldWhileRunning: unknown = null;
    await runStudyLocal(dir, {
      launcher: NOOP_MEMBER,
      onEvent: (event) => {
        if (event.type === 'plan') void studyRunner(dir).then((runner) => (heldWhileRunning = runner));
      },
    }).catch(() => undefined);
    expect(heldWhileRunning).toMatchObject({ pid: process.pid });
    // Released at the end.
    expect(await studyRunner(dir)).toBeNull();
  });
});
