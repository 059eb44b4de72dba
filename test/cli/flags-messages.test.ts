/**
 * What the command line says when it works and when it does not: no native noise on stderr, flags
 * with typos or negative numbers, messages for missing or wrong folders, and the exit codes
 * (0 done, 1 failed, 2 partly failed).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProgressBar } from '../../main/cli/progress';
import { writeRun } from '../pipeline/inference/helpers';
import { SWIFTSHADER_ICD } from '../webgpu/adapter';
import { runCli } from './run-cli';

const work = mkdtempSync(join(tmpdir(), 'ser-cli-messages-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DEMO = 'resources/demo-emodb';
const TIMEOUT = 180_000;

/** The environment of a user without a desktop session: no XDG_RUNTIME_DIR, no Vulkan driver chosen. */
const HEADLESS = { XDG_RUNTIME_DIR: undefined, VK_ICD_FILENAMES: undefined } as unknown as Record<string, string>;

describe('a command that loads TensorFlow and probes the GPU', () => {
  it(
    'prints nothing on stderr when it succeeds (no libwayland or Dawn messages)',
    async () => {
      const result = await runCli(['backends'], HEADLESS);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^webgpu +unavailable +Dawn found no WebGPU adapter/m);
      expect(result.stderr).toBe('');
    },
    TIMEOUT,
  );

  it.skipIf(!existsSync(SWIFTSHADER_ICD))(
    'stays quiet when it finds and uses the software adapter',
    async () => {
      const result = await runCli(['backends', '--json'], { ...HEADLESS, VK_ICD_FILENAMES: SWIFTSHADER_ICD });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).backends.find((b: { name: string }) => b.name === 'webgpu')).toMatchObject({ available: true });
      expect(result.stderr).toBe('');
    },
    TIMEOUT,
  );
});

describe('flags', () => {
  it('an unknown flag gets one line with the nearest known flag', async () => {
    const result = await runCli(['train', DEMO, '--framez', '3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('ser train: error: unknown option --framez (did you mean --frames?): --help lists the options\n');
    const far = await runCli(['scan', DEMO, '--zzzzzz']);
    expect(far.stderr).toBe('ser scan: error: unknown option --zzzzzz: --help lists the options\n');
  });

  it.each([
    [['train', DEMO, '--deltas', '-1'], 'ser train: error: --deltas: deltas must be an integer in 0..2, got -1'],
    [['train', DEMO, '--fmin', '-50'], 'ser train: error: --fmin: fmin must be a number in [0, 96000], got -50'],
    [['train', DEMO, '--frames', '-1'], 'ser train: error: --frames: frames must be an integer in 0..100000, got -1'],
    [['study', 'run', join(work, 'nowhere'), '--parallel', '-1'], 'ser study: error: --parallel must be ≥ 1, got -1'],
  ])('a negative number gets the range error: %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${message}\n`);
  });

  it('a flag without its value says so', async () => {
    const result = await runCli(['train', DEMO, '--frames']);
    expect(result.stderr).toBe('ser train: error: --frames needs a value\n');
  });

  it('a member index is a decimal integer only', async () => {
    for (const index of ['0x1', '1e0', ' 1', '1.0']) {
      const result = await runCli(['study', 'member', join(work, 'nowhere'), index]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`ser study: error: INDEX must be a member number written in decimal (0, 1, 2, …), got '${index}'\n`);
    }
    const negative = await runCli(['study', 'member', join(work, 'nowhere'), '-1']);
    expect(negative.stderr).toBe('ser study: error: -1: a negative number is not a valid argument here\n');
  });

  it('train --help lists every backend, webgpu included', async () => {
    const result = await runCli(['train', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--backend auto|tensorflow-gpu|webgpu|tensorflow|wasm|cpu');
  });
});

describe('messages', () => {
  it('study commands say a folder does not exist, or is a file', async () => {
    const missing = join(work, 'no-such-study');
    const run = await runCli(['study', 'run', missing]);
    expect(run.stderr).toBe(`ser study: error: the study folder ${missing} does not exist\n`);
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a study');
    for (const command of ['status', 'report']) {
      const result = await runCli(['study', command, file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`ser study: error: ${file} is not a study folder: it is a file\n`);
    }
  });

  it('a progress bar that never drew clears nothing (no blank line before an early error)', () => {
    const written: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const bar = createProgressBar('features', tty);
    bar.finish();
    expect(written).toEqual([]);
    bar.update(1, 2);
    bar.finish();
    expect(written.join('')).toMatch(/^\rfeatures .*\r {79}\r$/);
  });
});

describe('predict: messages and exit codes', () => {
  it(
    'names each failure once, and exits 2 when some files failed, 1 when all did, 0 when none did',
    async () => {
      const run = await writeRun(work, ['best']);
      const good = join(DEMO, '03a01Wa.wav');
      const partly = await runCli(['predict', run, good, 'README.md']);
      expect(partly.code, partly.stderr).toBe(2);
      expect(partly.stdout).toContain('README.md\n  error (not-audio): not a WAV, FLAC, Ogg or MP3 file\n');
      expect(partly.stdout).toMatch(/03a01Wa\.wav\n {2}\w+ \(\d+\.\d %\)/);
      expect(partly.stderr).toBe('ser predict: error: 1 of 2 files could not be predicted (see above)\n');
      expect((await runCli(['predict', run, 'README.md'])).code).toBe(1);
      const all = await runCli(['predict', run, good, '--json']);
      expect(all.code, all.stderr).toBe(0);
    },
    TIMEOUT,
  );

  it('ser --help documents the exit codes', async () => {
    const result = await runCli(['--help']);
    expect(result.stdout).toContain('exit codes:\n  0  everything asked for was done\n  1  the command failed');
    expect(result.stdout).toContain('  2  partly failed');
  });
});
