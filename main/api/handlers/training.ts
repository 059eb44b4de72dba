/** The training area: the form's choices, checking a config, previewing the split, starting a run. */
import { initBackend } from '../../compute/backend';
import { featureRowCount, resolveFeatureConfig } from '../../features/config';
import { AUTO_FRAMES_MIN } from '../../features/frames';
import { describeModel, NETWORK_MODEL_NAMES } from '../../models';
import { CLASSICAL_TITLES } from '../../models/classical';
import { previewSplit } from '../../pipeline/splitPreview';
import { CLASSICAL_MODEL_NAMES, OPTIMIZER_NAMES, trainingInputProblem } from '../../schema/names';
import { PRESETS, resolveTrainingConfig } from '../../training/config';
import { ApiError } from '../validate';
import { BACKEND_CHOICES } from './app';
import { request, SCHEME_FIELD, type AreaTable } from './engine';

export const trainingRequests: AreaTable<'training.options' | 'training.validate' | 'training.start' | 'training.splitPreview'> = {
  'training.options': request({}, async ({ workspace }) => {
    await initBackend(workspace.backendPreference);
    // Parameter counts for the default input (40 MFCC × the shortest auto length) and 7 classes.
    const config = resolveFeatureConfig();
    const frames = config.frames || AUTO_FRAMES_MIN;
    return {
      presets: PRESETS,
      models: [
        ...NETWORK_MODEL_NAMES.map((name) => {
          const description = describeModel(name, { inputShape: [featureRowCount(config), frames, 1], numClasses: 7 });
          return { name, title: description.title, parameters: description.parameters?.trainable ?? 0, input: 'matrix' as const };
        }),
        ...CLASSICAL_MODEL_NAMES.map((name) => ({ name, title: CLASSICAL_TITLES[name], parameters: 0, input: 'vector' as const })),
      ],
      optimizers: [...OPTIMIZER_NAMES],
      backends: [...BACKEND_CHOICES],
    };
  }),

  // Both configs go to their field tables here: their problems are this request's answer, not an error.
  'training.validate': request({ config: { kind: 'json' }, features: { kind: 'json' } }, async (_engine, args) => {
    try {
      const config = resolveTrainingConfig(args.config);
      const features = resolveFeatureConfig(args.features ?? {});
      const problem = trainingInputProblem(config, features);
      return problem ? { ok: false as const, error: problem } : { ok: true as const, config, features };
    } catch (err) {
      return { ok: false as const, error: err instanceof Error ? err.message : String(err) };
    }
  }),

  // The run records the folder as the user gave it (as `ser train` does), not its real path.
  'training.start': request(
    {
      root: { kind: 'path', exists: 'folder', confine: 'opened', asGiven: true },
      name: { kind: 'runName', optional: true },
      scheme: SCHEME_FIELD,
      config: { kind: 'json' },
      features: { kind: 'features' },
    },
    async ({ workspace, jobs }, args) => {
      await workspace.ensureFolders();
      return jobs.startTraining(args.root, args.scheme ?? 'auto', args.config, { name: args.name, features: args.features });
    },
  ),

  'training.splitPreview': request(
    { root: { kind: 'path', exists: 'folder', confine: 'opened' }, scheme: SCHEME_FIELD, config: { kind: 'json' } },
    async (_engine, args) => {
      try {
        return await previewSplit(args.root, args.scheme ?? 'auto', args.config);
      } catch (err) {
        throw new ApiError('invalid-arguments', err instanceof Error ? err.message : String(err));
      }
    },
  ),
};
