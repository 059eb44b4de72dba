/** The features area: how much of a dataset's feature cache is filled, and filling it. */
import { scanDataset } from '../../dataset';
import { cacheCoverage, cacheDirFor } from '../../features/cache';
import { encoderIdentity, featureConfigHash, featureRowCount } from '../../features/config';
import { encoderDtypesIn, EncoderFolderError, openEncoderFolder } from '../../features/encoder/folder';
import { ApiError } from '../validate';
import { resolveFrames } from '../../features/frames';
import type { ArgSpec } from '../args';
import { request, SCHEME_FIELD, type AreaTable } from './engine';

/** A dataset the session opened, how to read it, and the feature overrides. */
const FEATURE_ARGS = {
  root: { kind: 'path', exists: 'folder', confine: 'opened' },
  scheme: SCHEME_FIELD,
  features: { kind: 'features' },
} as const satisfies ArgSpec;

export const featureRequests: AreaTable<'features.status' | 'features.extract' | 'encoders.open'> = {
  'features.status': request(FEATURE_ARGS, async ({ workspace }, { root, scheme, features }) => {
    const scan = await scanDataset(root, { scheme: scheme ?? 'auto' });
    const { config, note } = await resolveFrames(features, scan.clips);
    const folder = config.representation === 'encoder' ? await openEncoderFolder(config.encoderDir, config.encoderDtype) : null;
    const identity = folder ? encoderIdentity(config, folder) : undefined;
    const configHash = featureConfigHash(config, identity);
    const cacheDir = cacheDirFor(workspace.cacheDir, root, configHash);
    const coverage = await cacheCoverage(
      cacheDir,
      { configHash, rows: featureRowCount(config, identity), frames: config.frames },
      scan.clips,
    );
    return {
      root,
      configHash,
      cacheDir,
      cached: coverage.cached,
      failed: coverage.failed,
      total: scan.clips.length,
      frames: config.frames,
      framesNote: note,
      ...(identity && {
        encoder: {
          name: identity.name,
          file: identity.file,
          sha256: identity.sha256,
          layer: identity.layer,
          layers: identity.layers,
          hiddenSize: identity.hiddenSize,
        },
      }),
    };
  }),

  'encoders.open': request({ dir: { kind: 'path', exists: 'folder' } }, async ({ workspace }, { dir }) => {
    let folder;
    try {
      folder = await openEncoderFolder(dir);
    } catch (err) {
      if (err instanceof EncoderFolderError) throw new ApiError('invalid-arguments', `encoders.open: ${err.message}`);
      throw err;
    }
    workspace.allowEncoder(folder.dir);
    const { name, modelType, hiddenSize, layers, file, dtype, sizeBytes, sha256 } = folder;
    return {
      dir: folder.dir,
      name,
      modelType,
      hiddenSize,
      layers,
      file,
      dtype,
      sizeBytes,
      sha256,
      dtypes: await encoderDtypesIn(folder.dir),
    };
  }),

  'features.extract': request(FEATURE_ARGS, async ({ jobs }, { root, scheme, features }) =>
    jobs.startFeatures(root, scheme ?? 'auto', features),
  ),
};
