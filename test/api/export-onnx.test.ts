/** runs.exportOnnx: the Runs view's "Export ONNX" door, validated, writing <run>/exports/onnx-<checkpoint>/. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, dispatch, type Engine } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';
import { initBackend } from '../../main/compute/backend';
import type { OnnxExportSummary } from '../../main/api/contract';
import { runTrainingJob } from '../../main/pipeline/job';
import { resolveTrainingConfig } from '../../main/training/config';
import { writeZooCheckpoint } from '../pipeline/export/helpers';

describe('runs.exportOnnx', () => {
  let dir: string;
  let engine: Engine;
  const exportOnnx = (args: object) =>
    dispatch(engine.handlers, 'runs.exportOnnx', { runId: 'run-1', checkpoint: 'best', ...args }) as Promise<OnnxExportSummary>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ser-export-onnx-'));
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'up'),
      demoDatasetPath: resolve('resources/demo-emodb'),
    });
    engine = createEngine({ appVersion: 'test', door: 'serve', workspace, emit: () => undefined });
    await initBackend('cpu');
    await writeZooCheckpoint(join(workspace.runsDir, 'run-1'), 'seed-cnn', 'best', 1);
  });

  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the export folder, refuses to overwrite it, and replaces it when forced', async () => {
    const exported = await exportOnnx({});
    expect(exported.dir).toBe(join(dir, 'runs', 'run-1', 'exports', 'onnx-best'));
    expect(exported.files.map((f) => f.slice(exported.dir.length + 1))).toEqual(['model.onnx', 'export.json', 'README.md']);
    expect(exported.files.every((f) => existsSync(f))).toBe(true);
    expect(exported.opset).toBe(13);
    expect(exported.inputKind).toBe('matrix');
    expect(exported.framesFixedBy).toBe('adaptive_pool (AveragePooling2D)');
    await expect(exportOnnx({})).rejects.toThrow(/export folder .*onnx-best already exists \(use --force to replace it\)/);
    await expect(exportOnnx({ force: true })).resolves.toMatchObject({ dir: exported.dir });
  }, 60_000);

  it('exports a classical run: the Runs view button works for it too', async () => {
    const { runDir } = await runTrainingJob({
      datasetRoot: resolve('resources/demo-emodb'),
      config: resolveTrainingConfig({ model: 'logreg', seed: 1, classifier: { innerFolds: 3, hiddenUnits: 8 } }),
      featureConfig: { representation: 'egemaps-like' },
      cacheRoot: join(dir, 'cache'),
      runsDir: join(dir, 'runs'),
      backend: 'cpu',
      onEvent: () => undefined,
    });
    const exported = await exportOnnx({ runId: basename(runDir) });
    expect(exported).toMatchObject({ dir: join(runDir, 'exports', 'onnx-best'), inputKind: 'vector', framesFixedBy: null });
    expect(exported.files.every((f) => existsSync(f))).toBe(true);
  }, 120_000);

  it('validates its arguments and names a missing checkpoint', async () => {
    await expect(exportOnnx({ checkpoint: 'middle' })).rejects.toMatchObject({ code: 'invalid-arguments' });
    await expect(exportOnnx({ force: 'yes' })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: "runs.exportOnnx: 'force' must be true or false",
    });
    await expect(exportOnnx({ runId: '../elsewhere' })).rejects.toMatchObject({ code: 'invalid-arguments' });
    await expect(exportOnnx({ checkpoint: 'final' })).rejects.toThrow(/has no usable "final" checkpoint/);
  });
});
