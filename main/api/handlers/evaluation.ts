/** The evaluation area: a checkpoint's evaluation, and two checkpoints compared clip by clip. */
import { compareCheckpoints } from '../../pipeline/evaluations';
import type { CheckpointRef } from '../contract';
import { warmUpClipViews } from '../clipView';
import { CHECKPOINT_REF, request, type AreaTable } from './engine';

export const evaluationRequests: AreaTable<'evaluation.get' | 'evaluation.compare'> = {
  'evaluation.get': request(CHECKPOINT_REF, async ({ evaluation }, ref) => {
    warmUpClipViews(); // its clips open in the clip viewer next
    return evaluation(ref);
  }),

  'evaluation.compare': request(
    { a: { kind: 'record', fields: CHECKPOINT_REF }, b: { kind: 'record', fields: CHECKPOINT_REF } },
    async ({ workspace, runDir, evaluationSource }, { a, b }) => {
      const side = (ref: CheckpointRef) => ({
        runDir: runDir(ref.runId),
        checkpoint: ref.checkpoint,
        name: `${ref.runId}/${ref.checkpoint}`,
      });
      const comparison = await compareCheckpoints(side(a), side(b), evaluationSource());
      for (const clip of comparison.disagreements) workspace.allowFile(clip.path);
      return comparison;
    },
  ),
};
