/**
 * `ser export RUN --format onnx`: a run's checkpoint as a self-contained folder — model.onnx,
 * export.json (labels, feature configuration, normalisation statistics, the model's inputs) and a
 * README on computing the features and running the model in Python and Node. The folder is
 * written under a temp name and renamed into place, so it is either complete or absent.
 */
import { promises as fsp } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { featureRowNames } from '../../features/config';
import { loadCheckpoint, loadClassifier } from '../../models/checkpoint';
import { inspectCheckpoint } from '../../runs/checkpoints';
import type { CheckpointManifest, CheckpointName } from '../../runs/types';
import { isClassicalModel, type InputKind } from '../../schema/names';
import { pathExists, writeFolderAtomic } from '../../util/fs';
import { isFusedCheckpoint } from '../inference/fused';
import { resolveCheckpoint } from '../inference/resolve';
import { classifierToOnnx } from './classifierGraph';
import { toOnnx } from './onnxGraph';
import { ONNX_OPSET, type OnnxExport } from './onnxProto';
import type { ExportDescription } from './description';
import { exportReadme } from './readme';

export type { ExportDescription } from './description';

export const EXPORT_FORMATS = ['onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const ONNX_MODEL_FILE = 'model.onnx';
export const EXPORT_JSON_FILE = 'export.json';
export const EXPORT_README_FILE = 'README.md';
/** The files of an export folder. */
export const ONNX_EXPORT_FILES = [ONNX_MODEL_FILE, EXPORT_JSON_FILE, EXPORT_README_FILE];

export interface ExportOptions {
  /** A run folder (its best checkpoint by default) or a checkpoint folder. */
  source: string;
  checkpoint?: CheckpointName;
  /** Default: `<run>/exports/onnx-<checkpoint>`; required for a checkpoint folder given directly. */
  out?: string;
  /** Replace an existing export folder. */
  force?: boolean;
}

export interface ExportResult {
  dir: string;
  checkpointDir: string;
  modelName: string;
  opset: number;
  /** What the model takes: a feature matrix per clip (the networks) or a vector (the classical classifiers). */
  inputKind: InputKind;
  /** The layer that fixes the number of frames, or null when frames are a dynamic dimension (or there are none). */
  framesFixedBy: string | null;
  /** Set when the default best checkpoint could not be used and final was exported instead. */
  note: string | null;
}

/** The default export folder of a run's checkpoint. */
export function defaultExportDir(runDir: string, checkpoint: string): string {
  return join(runDir, 'exports', `onnx-${checkpoint}`);
}

/**
 * The checkpoint as ONNX, whichever kind it holds: a network converted layer by layer, or a
 * classical classifier. A fused checkpoint is refused: its members may take different features.
 */
async function checkpointToOnnx(dir: string): Promise<{ onnxModel: OnnxExport; manifest: CheckpointManifest }> {
  if (await isFusedCheckpoint(dir)) {
    throw new Error(`Checkpoint ${dir} is a late fusion of several checkpoints, which ONNX export does not take: export each member's run`);
  }
  const state = await inspectCheckpoint(dir);
  if (!state.complete) throw new Error(`Checkpoint ${dir} cannot be used: ${state.problem}`);
  if (isClassicalModel(state.manifest!.modelName)) {
    const { file, manifest } = await loadClassifier(dir);
    return { onnxModel: classifierToOnnx(file), manifest };
  }
  const { model, manifest } = await loadCheckpoint(dir);
  try {
    return { onnxModel: await toOnnx(model), manifest };
  } catch (err) {
    throw new Error(`Checkpoint ${dir} (${manifest.modelName}) cannot be exported: ${(err as Error).message}`, { cause: err });
  } finally {
    model.dispose();
  }
}

export async function exportOnnx(options: ExportOptions): Promise<ExportResult> {
  const source = await resolveCheckpoint(options.source, options.checkpoint);
  const checkpointName = source.checkpoint ?? basename(source.dir);
  if (options.out === undefined && source.runDir === null) {
    throw new Error(`${source.dir} is a checkpoint folder: say where the export goes with --out`);
  }
  const target = resolve(options.out ?? defaultExportDir(source.runDir!, checkpointName));
  if (!options.force && (await pathExists(target))) {
    throw new Error(`export folder ${target} already exists (use --force to replace it)`);
  }

  const { onnxModel, manifest } = await checkpointToOnnx(source.dir);

  const description: ExportDescription = {
    format: 'onnx',
    opset: ONNX_OPSET,
    model: manifest.modelName,
    checkpoint: checkpointName,
    epoch: manifest.epoch,
    labels: manifest.labels,
    inputShape: manifest.inputShape,
    inputKind: onnxModel.inputKind,
    inputs: onnxModel.inputs,
    output: onnxModel.output,
    framesFixedBy: onnxModel.framesFixedBy,
    featureConfig: manifest.featureConfig,
    featureConfigHash: manifest.featureConfigHash,
    featureNames: featureRowNames(manifest.featureConfig),
    normalization: manifest.normalization,
    standardizer: manifest.standardizer ?? null,
    standardizerEpsilon: 1e-8,
  };
  await writeFolderAtomic(
    target,
    async (dir) => {
      await fsp.writeFile(join(dir, ONNX_MODEL_FILE), onnxModel.bytes);
      await fsp.writeFile(join(dir, EXPORT_JSON_FILE), JSON.stringify(description, null, 2) + '\n');
      await fsp.writeFile(join(dir, EXPORT_README_FILE), exportReadme(description));
    },
    {
      ifExists: options.force === true ? 'replace' : () => new Error(`export folder ${target} already exists (use --force to replace it)`),
    },
  );
  return {
    dir: target,
    checkpointDir: source.dir,
    modelName: manifest.modelName,
    opset: ONNX_OPSET,
    inputKind: onnxModel.inputKind,
    framesFixedBy: onnxModel.framesFixedBy,
    note: source.note,
  };
}
