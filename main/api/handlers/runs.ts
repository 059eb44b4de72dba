/** The runs area: listing, opening, renaming, deleting and exporting runs, and choosing the runs folder. */
import { join } from 'node:path';
import { exportEvaluation } from '../../pipeline/evaluations';
import { exportOnnx, ONNX_EXPORT_FILES } from '../../pipeline/export/exportOnnx';
import { initBackend } from '../../compute/backend';
import { deleteRun, listEvaluations, openRun, renameRun } from '../../runs/store';
import { CHECKPOINT_NAMES } from '../../runs/types';
import type { RunDetail } from '../contract';
import { epochHistory, listRunSummaries, summarizeRun } from '../runViews';
import { CHECKPOINT_REF, request, type AreaTable } from './engine';

/** A run's summary, record, epochs and stored evaluations (also a study member's). */
export async function runDetail(dir: string): Promise<RunDetail> {
  const opened = await openRun(dir);
  const stored = await listEvaluations(opened.dir);
  return {
    summary: summarizeRun(opened),
    record: opened.record,
    dir: opened.dir,
    epochs: epochHistory(opened),
    evaluations: CHECKPOINT_NAMES.filter((name) => stored.includes(name)),
  };
}

export const runRequests: AreaTable<
  'runs.list' | 'runs.get' | 'runs.rename' | 'runs.delete' | 'runs.export' | 'runs.exportOnnx' | 'runs.setFolder'
> = {
  'runs.list': request({}, async ({ workspace }) => listRunSummaries(workspace.runsDir)),

  'runs.get': request({ runId: { kind: 'runId' } }, async ({ runDir }, args) => runDetail(runDir(args.runId))),

  'runs.rename': request({ runId: { kind: 'runId' }, name: { kind: 'runName' } }, async ({ ctx, runDir }, { runId, name }) => {
    await renameRun(runDir(runId), name);
    ctx.emit('runs.changed', { runId });
    return summarizeRun(await openRun(runDir(runId)));
  }),

  'runs.delete': request({ runId: { kind: 'runId' } }, async ({ ctx, workspace, runDir }, { runId }) => {
    runDir(runId);
    await deleteRun(workspace.runsDir, runId);
    ctx.emit('runs.changed', { runId });
    return { ok: true as const };
  }),

  'runs.export': request(CHECKPOINT_REF, async ({ runDir, evaluationSource }, ref) =>
    exportEvaluation(runDir(ref.runId), ref.checkpoint, evaluationSource()),
  ),

  'runs.exportOnnx': request(
    { ...CHECKPOINT_REF, force: { kind: 'boolean', optional: true } },
    async ({ workspace, runDir }, { runId, checkpoint, force }) => {
      await initBackend(workspace.backendPreference);
      const result = await exportOnnx({ source: runDir(runId), checkpoint, force: force ?? false });
      return {
        dir: result.dir,
        files: ONNX_EXPORT_FILES.map((file) => join(result.dir, file)),
        opset: result.opset,
        inputKind: result.inputKind,
        framesFixedBy: result.framesFixedBy,
      };
    },
  ),

  'runs.setFolder': request({ dir: { kind: 'path', exists: 'folder' } }, async ({ ctx, workspace }, args) => {
    workspace.setRunsDir(args.dir);
    ctx.emit('runs.changed', {});
    return { runsDir: workspace.runsDir };
  }),
};
