/**
 * The workbench next to PyTorch on the same machine, in the same run: the seed's CNN trained on
 * the same exported features (`ser features --export`) by the workbench (the real training loop,
 * median step) and by ../shared/bench/torch-seed-cnn.py (median epoch), with the same threads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, type BenchResult } from './report';
import { trainingThroughput } from './train';

const TORCH_SCRIPT = resolve('../shared/bench/torch-seed-cnn.py');
const PYTHON = process.env.SER_BENCH_PYTHON ?? '/usr/bin/python3';

/** EmoDB where the shared data is, else the demo clips that ship with the repository. */
function benchDataset(): string {
  if (process.env.SER_BENCH_DATASET) return resolve(process.env.SER_BENCH_DATASET);
  const shared = resolve('../shared/data/emodb');
  return existsSync(shared) ? shared : resolve('resources/demo-emodb');
}

/** Runs `ser features DATASET --n-mfcc 40 --frames 100 --export FILE` (this CLI, from source). */
function exportFeatures(dataset: string, npy: string): { clips: number; rows: number; frames: number } {
  const cli = fileURLToPath(new URL('../main/cli/index.ts', import.meta.url));
  const run = spawnSync(
    process.execPath,
    [...process.execArgv, cli, 'features', dataset, '--n-mfcc', '40', '--frames', '100', '--export', npy],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`ser features --export failed: ${run.stderr.trim().split('\n').pop()}`);
  const [clips, rows, frames] = (JSON.parse(readFileSync(npy.replace(/\.npy$/, '.json'), 'utf8')) as { shape: number[] }).shape;
  return { clips: clips!, rows: rows!, frames: frames! };
}

/** PyTorch's median samples/s (epochs 2..E), or why it could not run. */
function torchSamplesPerSecond(npy: string, threads: number, epochs: number): { value: number; torch: string } | { skipped: string } {
  if (!existsSync(TORCH_SCRIPT)) return { skipped: `${TORCH_SCRIPT} not found` };
  const run = spawnSync(PYTHON, [TORCH_SCRIPT, npy, '--epochs', String(epochs), '--threads', String(threads), '--batch', '64'], {
    encoding: 'utf8',
  });
  if (run.error) return { skipped: `${PYTHON}: ${run.error.message}` };
  if (run.status !== 0) return { skipped: `torch-seed-cnn.py failed: ${run.stderr.trim().split('\n').pop()}` };
  const last = JSON.parse(run.stdout.trim().split('\n').pop()!) as { torch: string; median_samples_per_s_epochs_2_on: number };
  return { value: last.median_samples_per_s_epochs_2_on, torch: last.torch };
}

export async function workbenchVersusTorch(options: { quick: boolean }): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ser-bench-torch-'));
  try {
    const dataset = benchDataset();
    const npy = join(dir, 'features.npy');
    const shape = exportFeatures(dataset, npy);
    const ours = await trainingThroughput('seed-cnn', 'wasm', true, options.quick ? 5 : 10, 2, {
      rows: shape.rows,
      frames: shape.frames,
      batch: 64,
    });
    const threads = Number(ours.threads ?? 1);
    const torch = torchSamplesPerSecond(npy, threads, options.quick ? 3 : 8);
    const workbench = Number(ours.samplesPerSecond);
    return {
      benchmark: 'vs-torch',
      model: 'seed-cnn',
      processor: machineInfo().cpu,
      blas: ours.blas ?? null,
      threads,
      input: `${shape.rows}×${shape.frames}`,
      batch: 64,
      dataset: `${dataset} (${shape.clips} clips)`,
      workbenchSamplesPerSecond: workbench,
      torchSamplesPerSecond: 'value' in torch ? torch.value : null,
      ratio: 'value' in torch ? Number((workbench / torch.value).toFixed(2)) : null,
      torch: 'value' in torch ? `PyTorch ${torch.torch}` : `skipped: ${torch.skipped}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
