import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createStudy,
  defaultParallel,
  runStudyLocal,
  runStudyMember,
  studyStatus,
  threadsPerMember,
  type LocalEvent,
} from '../../../main/pipeline/study';
import { resolveTrainingConfig } from '../../../main/training/config';

const work = mkdtempSync(join(tmpdir(), 'ser-study-local-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * A stand-in member process (node -e) given the member entry's arguments (DIR INDEX --threads N):
 * records them and its start/end times, sleeps a little, and fails like the entry does for member 1.
 */
const FAKE_MEMBER = `
const [, dir, index, , threads] = process.argv;
const fs = require('node:fs');
const start = Date.now();
setTimeout(() => {
  fs.writeFileSync(require('node:path').join(dir, 'fake-' + index + '.json'), JSON.stringify({ index, threads, start, end: Date.now() }));
  if (index === '1') { console.error('study member: error: member 1 could not read its clips'); process.exit(1); }
}, 400);
`;

describe('local executor', () => {
  it('runs one single-threaded member per core by default, as many as the memory holds', () => {
    const GiB = 2 ** 30;
    expect(defaultParallel(2, 16 * GiB)).toBe(2);
    expect(defaultParallel(64, 16 * GiB)).toBe(10);
    expect(defaultParallel(8, 1 * GiB)).toBe(1);
    expect(threadsPerMember(2, defaultParallel(2, 16 * GiB))).toBe(1);
  });

  it('gives each of N members floor(cores / N) threads', () => {
    expect(threadsPerMember(2, 1)).toBe(2);
    expect(threadsPerMember(2, 2)).toBe(1);
    expect(threadsPerMember(16, 3)).toBe(5);
    expect(threadsPerMember(2, 4)).toBe(1);
  });

  it('runs members N at a time; a failing member is reported and the others still run', async () => {
    const dir = join(work, 'study');
    await createStudy(dir, {
      datasetRoot: 'resources/demo-emodb',
      protocol: { kind: 'kfold', k: 3 },
      training: resolveTrainingConfig({ preset: 'quick', epochs: 1 }),
      features: { nMfcc: 16, frames: 16 },
      seeds: [1],
    });
    const events: LocalEvent[] = [];
    const result = await runStudyLocal(dir, {
      parallel: 2,
      cores: 4,
      launcher: { command: process.execPath, args: ['-e', FAKE_MEMBER], cwd: process.cwd() },
      onEvent: (e) => events.push(e),
    });
    expect(result.ran).toBe(3);
    expect(result.succeeded).toBe(2);
    expect(result.failed).toEqual([
      { id: 'c1-s1-f2', index: 1, reason: 'member 1 could not read its clips', log: join(dir, 'logs', 'c1-s1-f2.log') },
    ]);
    expect(readFileSync(join(dir, 'logs', 'c1-s1-f2.log'), 'utf8')).toContain('could not read its clips');
    expect(events.find((e) => e.type === 'plan')).toMatchObject({ total: 3, toRun: 3, parallel: 2, threads: 2 });

    const runs = [0, 1, 2].map(
      (i) => JSON.parse(readFileSync(join(dir, `fake-${i}.json`), 'utf8')) as { threads: string; start: number; end: number },
    );
    expect(runs.every((r) => r.threads === '2')).toBe(true);
    // Members 0 and 1 overlapped in time; member 2 waited for a free slot.
    expect(runs[0]!.start).toBeLessThan(runs[1]!.end);
    expect(runs[1]!.start).toBeLessThan(runs[0]!.end);
    expect(runs[2]!.start).toBeGreaterThanOrEqual(Math.min(runs[0]!.end, runs[1]!.end) - 50);
    // The features were extracted once, before any member started.
    expect(events.some((e) => e.type === 'features')).toBe(true);
    // The fake members wrote no run folders: the study still shows them as not done.
    expect((await studyStatus(dir)).counts.pending).toBe(3);
  });

  it('says when the study folder does not exist, or is not visible from a Slurm node', async () => {
    await expect(runStudyMember(join(work, 'not-mounted'), 0)).rejects.toThrow(/^the study folder .*not-mounted does not exist$/);
    await expect(runStudyLocal(join(work, 'not-mounted'), { launcher: { command: 'false', args: [], cwd: work } })).rejects.toThrow(
      /^the study folder .*not-mounted does not exist$/,
    );
    process.env.SLURM_JOB_ID = '7';
    try {
      await expect(runStudyMember(join(work, 'not-mounted'), 0)).rejects.toThrow(
        /^the study folder .*not-mounted does not exist on host .*: put the study on a filesystem every node can see$/,
      );
    } finally {
      delete process.env.SLURM_JOB_ID;
    }
  });

  it('on stop passes one SIGINT to running members, starts no more, and counts them as stopped, not failed', async () => {
    const dir = join(work, 'study');
    const SLOW_MEMBER = `
process.on('SIGINT', () => { console.error('ser study: error: member was cancelled; it is rerun next time'); process.exit(1); });
setTimeout(() => {}, 20000);
`;
    const controller = new AbortController();
    const result = await runStudyLocal(dir, {
      parallel: 2,
      cores: 2,
      launcher: { command: process.execPath, args: ['-e', SLOW_MEMBER], cwd: process.cwd() },
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'member-start' && e.member.index === 1) setTimeout(() => controller.abort(), 300);
      },
    });
    expect(result).toMatchObject({ ran: 2, succeeded: 0, failed: [], stopped: 2, cancelled: true });
  });
});
