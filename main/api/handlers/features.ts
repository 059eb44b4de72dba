/** The features area: how much of a dataset's feature cache is filled, and filling it. */
import { scanDataset } from '../../dataset';
import { cacheCoverage, cacheDirFor } from '../../features/cache';
import { featureConfigHash, featureRowCount } from '../../features/config';
import { resolveFrames } from '../../features/frames';
import type { ArgSpec } from '../args';
import { request, SCHEME_FIELD, type AreaTable } from './engine';

/** A dataset the session opened, how to read it, and the feature overrides. */
const FEATURE_ARGS = {
  root: { kind: 'path', exists: 'folder', confine: 'opened' },
  scheme: SCHEME_FIELD,
  features: { kind: 'features' },
} as const satisfies ArgSpec;

export const featureRequests: AreaTable<'features.status' | 'features.extract'> = {
  'features.status': request(FEATURE_ARGS, async ({ workspace }, { root, scheme, features }) => {
    const scan = await scanDataset(root, { scheme: scheme ?? 'auto' });
    const { config, note } = await resolveFrames(features, scan.clips);
    const configHash = featureConfigHash(config);
    const cacheDir = cacheDirFor(workspace.cacheDir, root, configHash);
    const coverage = await cacheCoverage(cacheDir, { configHash, rows: featureRowCount(config), frames: config.frames }, scan.clips);
    return {
      root,
      configHash,
      cacheDir,
      cached: coverage.cached,
      failed: coverage.failed,
      total: scan.clips.length,
      frames: config.frames,
      framesNote: note,
    };
  }),

  'features.extract': request(FEATURE_ARGS, async ({ jobs }, { root, scheme, features }) =>
    jobs.startFeatures(root, scheme ?? 'auto', features),
  ),
};
