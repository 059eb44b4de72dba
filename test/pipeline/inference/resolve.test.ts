import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmotionPredictor, resolveCheckpoint } from '../../../main/pipeline/inference';
import { tempDir, writeRun } from './helpers';

let root: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  root = await tempDir();
});

afterAll(async () => {
  await root?.cleanup();
});

describe('resolveCheckpoint / EmotionPredictor.load on run folders', () => {
  it('uses best by default and final when asked', async () => {
    const run = await writeRun(root.dir, ['best', 'final']);
    const best = await EmotionPredictor.load(run);
    const final = await EmotionPredictor.load(run, { checkpoint: 'final' });
    try {
      expect(best.source).toEqual({ dir: join(run, 'checkpoints', 'best'), runDir: run, checkpoint: 'best', note: null });
      expect(best.manifest.epoch).toBe(2);
      expect(final.source.checkpoint).toBe('final');
      expect(final.manifest.epoch).toBe(5);
    } finally {
      best.dispose();
      final.dispose();
    }
  });

  it('falls back to final when best is missing, and says so', async () => {
    const run = await writeRun(root.dir, ['final']);
    const predictor = await EmotionPredictor.load(run);
    try {
      expect(predictor.source.checkpoint).toBe('final');
      expect(predictor.source.note).toMatch(/best checkpoint unusable \(no checkpoint at .*best\); using final/);
      expect(predictor.manifest.epoch).toBe(5);
    } finally {
      predictor.dispose();
    }
  });

  it('falls back to final when best is incomplete', async () => {
    const run = await writeRun(join(root.dir, 'incomplete'), ['best', 'final']);
    await rm(join(run, 'checkpoints', 'best', 'manifest.json'));
    const source = await resolveCheckpoint(run);
    expect(source.checkpoint).toBe('final');
    expect(source.note).toMatch(/manifest\.json is missing/);
  });

  it('does not fall back when a checkpoint is named explicitly', async () => {
    const run = await writeRun(join(root.dir, 'explicit'), ['final']);
    await expect(resolveCheckpoint(run, 'best')).rejects.toThrow(/no usable "best" checkpoint/);
  });

  it('fails clearly when the run has no usable checkpoint', async () => {
    const run = await writeRun(join(root.dir, 'none'), []);
    await expect(resolveCheckpoint(run)).rejects.toThrow(/no usable checkpoint: best: .*; final: /);
  });

  it('refuses the checkpoint option on a checkpoint folder', async () => {
    const run = await writeRun(join(root.dir, 'direct'), ['best']);
    const dir = join(run, 'checkpoints', 'best');
    expect((await resolveCheckpoint(dir)).dir).toBe(dir);
    await expect(resolveCheckpoint(dir, 'final')).rejects.toThrow(/applies to run folders only/);
  });

  it('refuses a plain file', async () => {
    const file = join(root.dir, 'notes.txt');
    await writeFile(file, 'hello');
    await expect(resolveCheckpoint(file)).rejects.toThrow(/neither a run folder/);
  });
});
