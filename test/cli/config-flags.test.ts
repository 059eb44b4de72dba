/**
 * The CLI's train and features flags come from the field tables: a bad value is refused before
 * anything runs, naming the flag, the field and the text; the usage prints the table's defaults.
 */
import { describe, expect, it } from 'vitest';
import { modelRepresentationProblem, normalizationProblem } from '../../main/schema/names';
import { runCli } from './run-cli';

const DEMO = 'resources/demo-emodb';

describe('CLI: config flags from the field tables', () => {
  it('train refuses a wrong type, an out-of-range value and a bad nested field, naming flag and field', async () => {
    const cases: [string[], string][] = [
      [['--lr', '0.00l'], '--lr: learningRate must be a number, got the string "0.00l"'],
      [['--aug-noise', '1.5'], '--aug-noise: augment.noise must be a number in [0, 1], got 1.5'],
      [['--balanced-sampler', '--no-balanced-sampler'], '--balanced-sampler and --no-balanced-sampler contradict each other'],
      [['--n-fft', '1000'], '--n-fft: nFft must be a power of two in 256..16384, got 1000'],
    ];
    for (const [flags, message] of cases) {
      const result = await runCli(['train', DEMO, ...flags]);
      expect(result.code, flags.join(' ')).toBe(1);
      expect(result.stderr).toBe(`ser train: error: ${message}\n`);
    }
  }, 240_000);

  it('train refuses a classical model on a matrix representation, and a grid value off the table', async () => {
    const model = await runCli(['train', DEMO, '--model', 'logreg']);
    expect(model.code).toBe(1);
    expect(model.stderr).toBe(`ser train: error: ${modelRepresentationProblem('logreg', 'mfcc')}\n`);
    const grid = await runCli(['train', DEMO, '--model', 'knn', '--k-grid', '3,4']);
    expect(grid.code).toBe(1);
    expect(grid.stderr).toMatch(/--k-grid: classifier\.kGrid\[1\] must be 1, 3, .* or 51, got the string "4"/);
  }, 240_000);

  it('train refuses per-clip normalisation of feature vectors in one line', async () => {
    const result = await runCli(['train', DEMO, '--model', 'logreg', '--representation', 'egemaps-like', '--normalization', 'clip']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`ser train: error: ${normalizationProblem('clip', 'egemaps-like')}\n`);
  }, 240_000);

  it('features refuses an unknown descriptor naming the item', async () => {
    const result = await runCli(['features', DEMO, '--extras', 'rms,chroma,mfcc']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--extras: extras\[2\] must be chroma, .* got the string "mfcc"/);
  }, 120_000);

  it('train --help lists every field flag with the defaults of both presets', async () => {
    const result = await runCli(['train', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--lr X +peak learning rate, a number in \(0, 10\] \(default 0\.001\)/);
    expect(result.stdout).toMatch(/--weight-decay X .*\(default 0\.0001 quick, 0\.01 full\)/);
    expect(result.stdout).toMatch(/--clip-norm X/);
    expect(result.stdout).toMatch(/--balanced-sampler \| --no-balanced-sampler/);
    expect(result.stdout).toMatch(/--n-mfcc N .*\(default 40\)/);
  }, 120_000);
});
