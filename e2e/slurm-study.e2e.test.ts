/// <reference lib="dom" />
/**
 * The Slurm executor against a real single-node cluster (slurmctld + slurmd + munged on
 * localhost): submit a tiny study as a job array, follow it to the end, read its report, then open
 * the study in the Studies view (serve mode, Chromium) as a researcher would after a cluster run;
 * saves e2e/screenshots/11-slurm-study.png. Needs root, Debian's slurm-wlm and munge, and the
 * built CLI and renderer (npm test builds first).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlurmCluster, type SlurmCluster } from '../test/pipeline/study/slurm-cluster';
import { openWorkbench } from './harness';

const CLI = resolve('out/main/cli.js');
const work = mkdtempSync(join(tmpdir(), 'ser-study-slurm-'));
let cluster: SlurmCluster | null = null;
let skipReason: string | null = null;

function cli(args: string[], env: Record<string, string>, timeoutMs = 240_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  if (!existsSync(CLI)) {
    skipReason = 'the built CLI (out/main/cli.js) is missing: run npx electron-vite build';
  } else {
    const started = await startSlurmCluster();
    if ('skip' in started) skipReason = started.skip;
    else cluster = started;
  }
  if (skipReason) process.stdout.write(`SKIPPED: Slurm study test: ${skipReason}\n`);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('study run --executor slurm on a single-node cluster', () => {
  it('submits the members as a job array, follows them, and the report pools them', async (ctx) => {
    if (!cluster) return ctx.skip();
    const dir = join(work, 'study');
    const env = { ...cluster.env, SER_CACHE_DIR: join(work, 'cache') };
    const init = await cli(
      [
        'study',
        'init',
        dir,
        '--data',
        'resources/demo-emodb',
        '--protocol',
        'kfold:2',
        '--seeds',
        '1',
        '--model',
        'seed-cnn',
        '--preset',
        'quick',
        '--epochs',
        '3',
        '--n-mfcc',
        '16',
        '--frames',
        '16',
        '--batch',
        '32',
      ],
      env,
    );
    expect(init.code, init.stderr).toBe(0);

    const run = await cli(
      ['study', 'run', dir, '--executor', 'slurm', '--parallel', '2', '--cpus-per-task', '1', '--time', '00:10:00'],
      env,
    );
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/submitted job \d+: 2 members/);
    expect(run.stdout).toContain('all 2 members done');
    // The study is in /tmp: fine on one node, and the executor says so.
    expect(run.stderr).toMatch(/warning: the study folder .* is on a (tmpfs|temporary folder)/);

    const script = readFileSync(join(dir, 'slurm', 'array.sbatch'), 'utf8');
    expect(script).toContain('#SBATCH --array=0-1%2');
    expect(script).toContain('#SBATCH --cpus-per-task=1');
    expect(script).toContain(`#SBATCH --output=${join(dir, 'slurm', 'logs')}/%A_%a.out`);
    expect(readdirSync(join(dir, 'slurm', 'logs')).sort()).toEqual([
      expect.stringMatching(/^\d+_0\.out$/),
      expect.stringMatching(/^\d+_1\.out$/),
    ]);

    const status = await cli(['study', 'status', dir, '--json'], env);
    const s = JSON.parse(status.stdout);
    expect(s.counts.done).toBe(2);
    expect(s.members.every((m: { slurm?: { jobId: string } }) => /^\d+$/.test(m.slurm?.jobId ?? ''))).toBe(true);

    const report = await cli(['study', 'report', dir, '--json'], env);
    expect(report.code, report.stderr).toBe(0);
    const r = JSON.parse(report.stdout);
    expect(r.complete).toBe(true);
    expect(r.cells[0].pooled.n).toBe(135);
    expect(r.cells[0].folds).toHaveLength(2);

    // Everything is done: a second run submits nothing.
    const again = await cli(['study', 'run', dir, '--executor', 'slurm'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to submit');

    // The app reads the same study: serve mode asks squeue/sacct through the cluster's SLURM_CONF.
    Object.assign(process.env, cluster.env);
    const workbench = await openWorkbench(work, work);
    try {
      const { page, pageErrors } = workbench;
      const byId = (id: string) => page.getByTestId(id);
      await byId('tab-studies').click();
      await expect.poll(() => byId('study-head').textContent()).toContain('2 done');
      expect(await byId('study-slurm').textContent()).toMatch(/Submitted to Slurm job \d+ \(2 tasks\)/);
      expect(await byId('study-member').first().getAttribute('title')).toMatch(/done · epoch \d\/3 · Slurm \d+_0 (COMPLETED|ENDED)/);
      await expect.poll(() => byId('study-result-row').count()).toBe(1);
      expect(await byId('study-result-row').first().textContent()).toMatch(/2\/2.*\d+\.\d %/s);
      await expect.poll(() => byId('study-matrix').getByTestId('cm-cell').count()).toBe(49);
      // Without Slurm accounting (sacct) the run folders tell everything once all members wrote theirs.
      expect(await page.locator('body').textContent()).not.toContain('sacct failed');
      await workbench.shot('11-slurm-study');
      expect(pageErrors).toEqual([]);
    } finally {
      await workbench.close();
    }
  }, 400_000);
});
