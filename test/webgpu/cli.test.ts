/**
 * The command line on the webgpu backend (software adapter): `backends --json` names the adapter,
 * and a tiny `train --backend webgpu` completes with the adapter in run.json. The dataset is
 * eight demo clips (two classes, three speakers) so the one training step stays short on
 * SwiftShader.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTrainingInWorker } from '../../main/pipeline/remote';
import { resolveTrainingConfig } from '../../main/training/config';
import type { BackendInfo } from '../../main/schema/backend';
import { runCli } from '../cli/run-cli';
import { webgpuEnv, webgpuSkipReason } from './adapter';

const CLIPS = ['03a01Nc', '03a01Wa', '03a02Nc', '03a02Wb', '08a01Na', '08a01Wa', '09a01Nb', '09a01Wb'];

// SwiftShader's wall time depends on how busy the cores are.
const SLOW = 400_000;

const skip = await webgpuSkipReason();
if (skip) console.log(`SKIPPED webgpu command-line tests: ${skip}`);

describe.skipIf(skip != null)('CLI on the webgpu backend (software adapter)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ser-webgpu-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(
    'backends --json lists webgpu as available by name only, with the adapter',
    async () => {
      const { code, stdout, stderr } = await runCli(['backends', '--json'], webgpuEnv() as Record<string, string>);
      expect(code, stderr).toBe(0);
      const list = (
        JSON.parse(stdout) as {
          backends: { name: string; available: boolean; automatic: boolean; adapter?: { description: string; software: boolean } }[];
        }
      ).backends;
      expect(list.map((b) => b.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
      const webgpu = list.find((b) => b.name === 'webgpu')!;
      expect(webgpu).toMatchObject({ available: true, automatic: false, adapter: { software: true } });
      expect(webgpu.adapter!.description).toMatch(/swiftshader/i);
    },
    SLOW,
  );

  it(
    'the training worker (worker_threads) starts the webgpu backend',
    async () => {
      const data = join(root, 'worker-data');
      mkdirSync(data);
      for (const clip of CLIPS) copyFileSync(join('resources/demo-emodb', `${clip}.wav`), join(data, `${clip}.wav`));
      const controller = new AbortController();
      let backend: BackendInfo | undefined;
      // Cancelled as soon as the backend is reported: what matters here is that Dawn loads in a worker.
      const outcome = await runTrainingInWorker(
        {
          datasetRoot: data,
          config: resolveTrainingConfig({ preset: 'quick', model: 'seed-cnn', epochs: 1, batchSize: 4 }),
          featureConfig: { nMfcc: 16, frames: 16 },
          runsDir: join(root, 'worker-runs'),
          cacheRoot: join(root, 'cache'),
          backend: 'webgpu',
        },
        {
          signal: controller.signal,
          onEvent: (event) => {
            if (event.type !== 'backend') return;
            backend = event.backend;
            controller.abort();
          },
        },
      ).catch((error: Error) => error);
      expect(backend).toMatchObject({ name: 'webgpu', tfBackend: 'webgpu', adapter: { software: true } });
      expect(outcome instanceof Error ? outcome.message : 'cancelled').toMatch(/cancel/);
    },
    SLOW,
  );

  it(
    'train --backend webgpu completes one epoch and run.json names the adapter',
    async () => {
      const data = join(root, 'data');
      mkdirSync(data);
      for (const clip of CLIPS) copyFileSync(join('resources/demo-emodb', `${clip}.wav`), join(data, `${clip}.wav`));
      const runs = join(root, 'runs');
      const { code, stdout, stderr } = await runCli(
        [
          'train',
          data,
          '--backend',
          'webgpu',
          '--model',
          'seed-cnn',
          '--epochs',
          '1',
          '--n-mfcc',
          '16',
          '--frames',
          '16',
          '--batch',
          '4',
          '--test-speakers',
          '09',
          '--val-speakers',
          '08',
          '--runs-dir',
          runs,
          '--cache-dir',
          join(root, 'cache'),
        ],
        webgpuEnv() as Record<string, string>,
        SLOW,
      );
      expect(code, stderr).toBe(0);
      const runDir = stdout.trim().split('\n').at(-1)!;
      const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
      expect(run.status).toBe('done');
      expect(run.backend).toMatchObject({
        name: 'webgpu',
        tfBackend: 'webgpu',
        adapter: { vendor: 'google', architecture: 'swiftshader', software: true },
      });
      expect(run.summary.epochsRun).toBe(1);
      expect(Number.isFinite(run.summary.test.final.accuracy)).toBe(true);
    },
    SLOW,
  );
});
