/** `ser export`: writes the ONNX folder of a run's checkpoint (a network's or a classifier's), refuses an existing one and a missing --format in one line. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { runTrainingJob } from '../../main/pipeline/job';
import { resolveTrainingConfig } from '../../main/training/config';
import { writeZooCheckpoint } from '../pipeline/export/helpers';
import { runCli } from './run-cli';

const work = mkdtempSync(join(tmpdir(), 'ser-cli-export-'));
// The training job's import registers the compute backends: choose one before a model is built here.
beforeAll(() => initBackend('cpu'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('CLI export', () => {
  it('exports a run to ONNX, then refuses to overwrite it without --force', async () => {
    const run = join(work, 'run');
    await writeZooCheckpoint(run, 'crnn', 'final', 7);
    const missingFormat = await runCli(['export', run]);
    expect(missingFormat.code).toBe(1);
    expect(missingFormat.stderr).toBe('ser export: error: --format is required (one of onnx)\n');

    const ok = await runCli(['export', run, '--format', 'onnx', '--checkpoint', 'final']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`crnn exported to ONNX (opset 13; batch and frames dynamic)\n${join(run, 'exports', 'onnx-final')}\n`);
    expect(readdirSync(join(run, 'exports', 'onnx-final')).sort()).toEqual(['README.md', 'export.json', 'model.onnx']);

    const again = await runCli(['export', run, '--format', 'onnx', '--checkpoint', 'final']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `ser export: error: export folder ${join(run, 'exports', 'onnx-final')} already exists (use --force to replace it)\n`,
    );
  }, 240_000);

  it('exports a classical run: one feature vector per clip', async () => {
    const { runDir } = await runTrainingJob({
      datasetRoot: resolve('resources/demo-emodb'),
      config: resolveTrainingConfig({ model: 'svm-linear', seed: 1, classifier: { innerFolds: 3, hiddenUnits: 8 } }),
      featureConfig: { representation: 'egemaps-like' },
      cacheRoot: join(work, 'cache'),
      runsDir: join(work, 'runs'),
      backend: 'cpu',
      onEvent: () => undefined,
    });
    const ok = await runCli(['export', runDir, '--format', 'onnx']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(
      `svm-linear exported to ONNX (opset 13; one feature vector per clip, batch dynamic)\n${join(runDir, 'exports', 'onnx-best')}\n`,
    );
  }, 240_000);
});
