/**
 * A training stopped by a full disk is recorded as failed with the reason, not left 'running'
 * (which the run list would later call 'interrupted', losing why it stopped).
 */
import { promises as fsp, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runTrainingJob } from '../../main/pipeline/job';
import { listRuns } from '../../main/runs/store';
import { resolveTrainingConfig } from '../../main/training/config';

const work = mkdtempSync(join(tmpdir(), 'ser-job-enospc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** From now on no file can be created or appended to, as on a full disk; rewriting a file's existing bytes still works. */
function fillDisk(): void {
  const realOpen = fsp.open.bind(fsp);
  vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
    const [path, flags] = args;
    if (flags === 'w' || flags === 'a') {
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${String(path)}'`), {
        code: 'ENOSPC',
        errno: -28,
        syscall: 'open',
        path: String(path),
      });
    }
    return realOpen(...args);
  });
}

describe('a training that runs out of disk space', () => {
  it('is recorded as failed: no space left on device', async () => {
    const runsDir = join(work, 'runs');
    let runDir = '';
    const training = runTrainingJob({
      datasetRoot: resolve('resources/demo-emodb'),
      config: resolveTrainingConfig({ preset: 'quick', model: 'crnn', epochs: 2, batchSize: 32, seed: 1 }),
      featureConfig: { nMfcc: 16, frames: 16 },
      runsDir,
      cacheRoot: join(work, 'cache'),
      onEvent: (event) => {
        if (event.type !== 'run') return;
        runDir = event.runDir;
        fillDisk(); // run.json exists; the first metrics line or checkpoint will not fit
      },
    });
    await expect(training).rejects.toMatchObject({ code: 'ENOSPC' });
    vi.restoreAllMocks();

    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    expect(record).toMatchObject({
      status: 'failed',
      formatVersion: 2,
      error: expect.stringMatching(/^no space left on device \(writing .+\)$/),
    });
    const [listed] = await listRuns(runsDir);
    expect(listed!.record).toMatchObject({ status: 'failed', error: record.error });
  }, 120_000);
});
