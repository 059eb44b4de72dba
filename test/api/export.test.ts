/**
 * runs.export writes every file of a report, the confusion-matrix PNG included, drawn by the
 * engine: the app's Runs and Evaluate views and the CLI's `evaluate --export` write the same files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, dispatch, type Engine } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';
import { exportEvaluation } from '../../main/pipeline/evaluations';
import { runWithEvaluations, sampleReport } from '../pipeline/evaluation-fixtures';

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

  it('writes the report files and the confusion PNG without being sent an image', async () => {
    const exported = await exportRun({});
    expect(exported.files.map((f) => f.slice(exported.dir.length + 1)).sort()).toEqual([
      'best-confusion.csv',
      'best-confusion.png',
      'best-metrics.json',
      'best-per-class.csv',
      'best-predictions.csv',
    ]);
    const png = readFileSync(join(exported.dir, 'best-confusion.png'));
    expect(png.readUInt32BE(0)).toBe(0x89504e47);
    // The same bytes as the export every other door makes of this checkpoint.
    const again = await exportEvaluation(join(dir, 'runs', 'run-1'), 'best');
    expect(readFileSync(again.files.find((f) => f.endsWith('.png'))!).equals(png)).toBe(true);
  });

  it('refuses a bad checkpoint reference', async () => {
    await expect(exportRun({ checkpoint: 'middle' })).rejects.toMatchObject({ code: 'invalid-arguments' });
    await expect(exportRun({ runId: '../x' })).rejects.toMatchObject({ code: 'invalid-arguments' });
  });
});
