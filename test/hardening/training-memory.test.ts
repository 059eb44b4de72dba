/**
 * An input too long for the backend is refused before any work, with the longest that fits; and a
 * training that dies on an error nothing caught (as the wasm backend's threads do when they run out
 * of memory) leaves its run `failed` with the reason, not `running` and later `interrupted`.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel } from '../../main/models';
import { checkTrainingMemory, trainingMemoryBudget, trainingStepBytes } from '../../main/training/memory';
import { runCli, SOURCE_CLI, type CliResult } from '../cli/run-cli';

const work = mkdtempSync(join(tmpdir(), 'ser-memory-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CLIPS = ['03a01Nc', '03a01Wa', '03a02Nc', '03a02Wb', '08a01Na', '08a01Wa', '09a01Nb', '09a01Wb'];
const data = join(work, 'data');
mkdirSync(data);
for (const clip of CLIPS) copyFileSync(join('resources/demo-emodb', `${clip}.wav`), join(data, `${clip}.wav`));
const SMALL = [
  '--preset',
  'quick',
  '--model',
  'seed-cnn',
  '--n-mfcc',
  '16',
  '--batch',
  '4',
  '--test-speakers',
  '03',
  '--val-speakers',
  '08',
];

describe('the training memory budget', () => {
  it('estimates one step from the layer shapes, linear in the batch', () => {
    const model = createModel('seed-cnn', { inputShape: [40, 100, 1], numClasses: 7 });
    try {
      const one = trainingStepBytes(model, 1);
      expect(trainingStepBytes(model, 32)).toBe(32 * one);
      // The first conv block alone holds 40 × 100 × 32 values (conv, batch norm, ReLU) per example.
      expect(one).toBeGreaterThan(3 * 40 * 100 * 32 * 4);
    } finally {
      model.dispose();
    }
  });

  it('gives wasm and webgpu 3 GiB and the CPU backends half the machine', () => {
    expect(trainingMemoryBudget('wasm', 64 * 1024 ** 3)).toBe(3 * 1024 ** 3);
    expect(trainingMemoryBudget('webgpu', 64 * 1024 ** 3)).toBe(3 * 1024 ** 3);
    expect(trainingMemoryBudget('cpu', 64 * 1024 ** 3)).toBe(32 * 1024 ** 3);
    expect(trainingMemoryBudget('tensorflow', 4 * 1024 ** 3)).toBe(3 * 1024 ** 3);
  });

  it('passes the default inputs and names the longest that fits for one that does not', () => {
    const base = { model: 'crnn' as const, rows: 40, numClasses: 7, batchSize: 64 };
    expect(() => checkTrainingMemory({ ...base, frames: 500 }, trainingMemoryBudget('wasm'))).not.toThrow();
    let message = '';
    try {
      checkTrainingMemory({ ...base, frames: 100_000 }, trainingMemoryBudget('wasm'));
    } catch (err) {
      message = (err as Error).message;
    }
    const fits = Number(/at most ([\d,]+) frames fit/.exec(message)?.[1]?.replace(/,/g, ''));
    expect(message).toMatch(
      /^inputs of 100,000 frames are too long for crnn at batch size 64: one training step would need about \d+\.\d GiB/,
    );
    expect(fits).toBeGreaterThan(500);
    expect(() => checkTrainingMemory({ ...base, frames: fits }, trainingMemoryBudget('wasm'))).not.toThrow();
    expect(() => checkTrainingMemory({ ...base, frames: Math.ceil(fits * 1.05) }, trainingMemoryBudget('wasm'))).toThrow(/too long/);
    expect(tf.memory().numTensors).toBe(0);
  });

  it('train --frames 100000 is refused at once, before any feature is extracted or run folder made', async () => {
    const runsDir = join(work, 'refused-runs');
    const cache = join(work, 'refused-cache');
    const result = await runCli([
      'train',
      data,
      ...SMALL,
      '--frames',
      '100000',
      '--backend',
      'wasm',
      '--runs-dir',
      runsDir,
      '--cache-dir',
      cache,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^ser train: error: inputs of 100,000 frames are too long for seed-cnn at batch size 4: one training step would need about [\d.]+ GiB, more than the 3\.0 GiB it may use on this backend; at most [\d,]+ frames fit at this batch size \(or make the batch smaller\)\n$/,
    );
    expect(existsSync(runsDir)).toBe(false);
    expect(existsSync(cache)).toBe(false);
  }, 180_000);
});

/** Throws, from a timer (outside any await, as the wasm threads' abort does), once a run is training. */
const CRASH_PRELOAD = `
import { existsSync, readdirSync, readFileSync } from 'node:fs';
const runs = process.env.CRASH_RUNS_DIR;
const timer = setInterval(() => {
  for (const id of existsSync(runs) ? readdirSync(runs) : []) {
    let status;
    try { status = JSON.parse(readFileSync(runs + '/' + id + '/run.json', 'utf8')).status; } catch { continue; }
    if (status === 'running') {
      clearInterval(timer);
      throw new WebAssembly.RuntimeError('memory access out of bounds');
    }
  }
}, 20);
timer.unref();
`;

function runCliWithPreload(preload: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', preload, ...SOURCE_CLI, ...args],
      { env: { ...process.env, ...env }, timeout: 240_000 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('a training that dies on an uncaught error', () => {
  it('leaves its run failed with the reason, and its lock released', async () => {
    const runsDir = join(work, 'crash-runs');
    const preload = join(work, 'crash-preload.mjs');
    writeFileSync(preload, CRASH_PRELOAD);
    const result = await runCliWithPreload(
      preload,
      [
        'train',
        data,
        ...SMALL,
        '--frames',
        '32',
        '--epochs',
        '20',
        '--backend',
        'cpu',
        '--runs-dir',
        runsDir,
        '--cache-dir',
        join(work, 'cache'),
      ],
      { CRASH_RUNS_DIR: runsDir },
    );
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toContain('ser train: error: the training stopped: RuntimeError: memory access out of bounds\n');
    const [id] = readdirSync(runsDir);
    const record = JSON.parse(readFileSync(join(runsDir, id!, 'run.json'), 'utf8'));
    expect(record.status).toBe('failed');
    expect(record.error).toBe('the training stopped: RuntimeError: memory access out of bounds');
    expect(existsSync(join(runsDir, id!, 'lock'))).toBe(false);
  }, 240_000);
});
