import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OnnxExportSummary } from '../../main/api/contract';
import { setApi } from '../../renderer/src/api';
import { onnxInputNote } from '../../renderer/src/lib/runsTable';
import { useOnnxExportStore } from '../../renderer/src/stores/onnxExport';
import { fakeApi, runSummary } from './fake-api';

const summary: OnnxExportSummary = {
  dir: '/runs/a/exports/onnx-best',
  files: ['/runs/a/exports/onnx-best/model.onnx', '/runs/a/exports/onnx-best/export.json', '/runs/a/exports/onnx-best/README.md'],
  opset: 13,
  inputKind: 'matrix',
  framesFixedBy: null,
};

describe('ONNX export store', () => {
  let exists: boolean;
  let fake: ReturnType<typeof fakeApi>;
  beforeEach(() => {
    setActivePinia(createPinia());
    exists = false;
    fake = fakeApi({
      'runs.exportOnnx': async (args) => {
        if (exists && !args.force) throw new Error('export folder /runs/a/exports/onnx-best already exists (use --force to replace it)');
        exists = true;
        return summary;
      },
    });
    setApi(fake.api);
  });

  it('exports the best checkpoint, then offers to replace the existing export and does so only when asked', async () => {
    const store = useOnnxExportStore();
    const run = runSummary('a', '2026-01-01T00:00:00Z');
    await store.exportOnnx(run);
    expect(fake.calls.at(-1)?.args).toEqual({ runId: 'a', checkpoint: 'best' });
    expect(store.exported).toEqual({ runId: 'a', checkpoint: 'best', summary });

    await store.exportOnnx(run);
    expect(store.exported).toBeNull();
    expect(store.failure).toEqual({
      runId: 'a',
      message: expect.stringMatching(/^ONNX export failed: .*already exists/),
      replaceable: true,
    });
    await store.exportOnnx(run, true);
    expect(fake.calls.at(-1)?.args).toEqual({ runId: 'a', checkpoint: 'best', force: true });
    expect(store.failure).toBeNull();
    expect(store.exported?.summary.dir).toBe('/runs/a/exports/onnx-best');
  });

  it('says so when the run has no complete checkpoint, without asking the engine', async () => {
    const store = useOnnxExportStore();
    await store.exportOnnx(
      runSummary('b', '2026-01-01T00:00:00Z', { checkpoints: { best: { complete: false }, final: { complete: false } } }),
    );
    expect(store.failure?.message).toBe('this run has no complete checkpoint to export');
    expect(fake.count('runs.exportOnnx')).toBe(0);
  });

  it('says how the exported model takes a clip: a matrix of any or a fixed number of frames, or a vector', () => {
    expect(onnxInputNote(summary)).toBe('any number of frames');
    expect(onnxInputNote({ ...summary, framesFixedBy: 'flatten (Flatten)' })).toBe('fixed number of frames');
    expect(onnxInputNote({ ...summary, inputKind: 'vector' })).toBe('one feature vector per clip');
  });
});
