/**
 * runs.export takes the rendered confusion matrix as base64 with its own bound (a few MB), not the
 * 4 096 characters of an ordinary string argument: Evaluate's "Export report" sends ~100 kB.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, dispatch, type Engine } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';
import { noisePng, runWithEvaluations, sampleReport } from '../pipeline/evaluation-fixtures';

describe('runs.export', () => {
  let dir: string;
  let engine: Engine;
  const exportRun = (args: object) =>
    dispatch(engine.handlers, 'runs.export', { runId: 'run-1', checkpoint: 'best', ...args }) as Promise<{ dir: string; files: string[] }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ser-export-'));
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'up'),
      demoDatasetPath: resolve('resources/demo-emodb'),
    });
    engine = createEngine({ appVersion: 'test', door: 'serve', workspace, emit: () => undefined });
    await runWithEvaluations(workspace.runsDir, 'run-1', { best: sampleReport('best') });
  });

  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the report files and a confusion PNG far larger than an ordinary string argument', async () => {
    const png = noisePng(400, 300);
    expect(png.toString('base64').length).toBeGreaterThan(100_000);
    const exported = await exportRun({ confusionPngBase64: png.toString('base64') });
    expect(exported.files.map((f) => f.slice(exported.dir.length + 1)).sort()).toEqual([
      'best-confusion.csv',
      'best-confusion.png',
      'best-metrics.json',
      'best-per-class.csv',
      'best-predictions.csv',
    ]);
    expect(readFileSync(join(exported.dir, 'best-confusion.png')).equals(png)).toBe(true);
  });

  it('refuses an image that is not a PNG, is not base64, or is larger than 4 MB', async () => {
    await expect(exportRun({ confusionPngBase64: Buffer.from('GIF89a............').toString('base64') })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: "runs.export: 'confusionPngBase64' is not a PNG image",
    });
    await expect(exportRun({ confusionPngBase64: 'not base64!' })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringContaining('not valid base64'),
    });
    await expect(exportRun({ confusionPngBase64: 'A'.repeat(6 * 1024 * 1024) })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: "runs.export: 'confusionPngBase64' is larger than 4 MB",
    });
    await expect(exportRun({ confusionPngBase64: 42 })).rejects.toMatchObject({ code: 'invalid-arguments' });
  });
});
