/**
 * `ser export RUN --format onnx`: a run's checkpoint as a self-contained folder — model.onnx,
 * export.json (labels, feature configuration, normalisation statistics, the model's inputs) and a
 * README on computing the features and running the model in Python and Node. The folder is
 * written under a temp name and renamed into place, so it is either complete or absent.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadCheckpoint } from '../../models/checkpoint';
import type { CheckpointName } from '../../runs/types';
import { pathExists } from '../../util/fs';
import { resolveCheckpoint } from '../inference/resolve';
import { ONNX_OPSET, toOnnx, type OnnxExport } from './onnxGraph';
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
  /** The layer that fixes the number of frames, or null when frames are a dynamic dimension. */
  framesFixedBy: string | null;
  /** Set when the default best checkpoint could not be used and final was exported instead. */
  note: string | null;
}

/** The default export folder of a run's checkpoint. */
export function defaultExportDir(runDir: string, checkpoint: string): string {
  return join(runDir, 'exports', `onnx-${checkpoint}`);
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

  const { model, manifest } = await loadCheckpoint(source.dir);
  let onnxModel: OnnxExport;
  try {
    onnxModel = await toOnnx(model);
  } catch (err) {
    throw new Error(`Checkpoint ${source.dir} (${manifest.modelName}) cannot be exported: ${(err as Error).message}`, { cause: err });
  } finally {
    model.dispose();
  }

  const description: ExportDescription = {
    format: 'onnx',
    opset: ONNX_OPSET,
    model: manifest.modelName,
    checkpoint: checkpointName,
    epoch: manifest.epoch,
    labels: manifest.labels,
    inputShape: manifest.inputShape,
    inputs: onnxModel.inputs,
    output: onnxModel.output,
    framesFixedBy: onnxModel.framesFixedBy,
    featureConfig: manifest.featureConfig,
    normalization: manifest.normalization,
    standardizer: manifest.standardizer ?? null,
    standardizerEpsilon: 1e-8,
  };
  await writeFolderAtomically(target, options.force === true, async (dir) => {
    await fsp.writeFile(join(dir, ONNX_MODEL_FILE), onnxModel.bytes);
    await fsp.writeFile(join(dir, EXPORT_JSON_FILE), JSON.stringify(description, null, 2) + '\n');
    await fsp.writeFile(join(dir, EXPORT_README_FILE), exportReadme(description));
  });
  return {
    dir: target,
    checkpointDir: source.dir,
    modelName: manifest.modelName,
    opset: ONNX_OPSET,
    framesFixedBy: onnxModel.framesFixedBy,
    note: source.note,
  };
}

/**
 * Fills a temp folder next to `target` and renames it into place; with `replace`, an existing
 * target is moved aside first and removed only once the new folder is in.
 */
async function writeFolderAtomically(target: string, replace: boolean, fill: (dir: string) => Promise<void>): Promise<void> {
  const suffix = randomBytes(4).toString('hex');
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${suffix}`);
  const old = join(dirname(target), `.${basename(target)}.old-${suffix}`);
  await fsp.mkdir(tmp, { recursive: true });
  let movedOld = false;
  try {
    await fill(tmp);
    if (await pathExists(target)) {
      if (!replace) throw new Error(`export folder ${target} already exists (use --force to replace it)`);
      await fsp.rename(target, old);
      movedOld = true;
    }
    await fsp.rename(tmp, target);
  } catch (err) {
    if (movedOld && !(await pathExists(target))) await fsp.rename(old, target).catch(() => undefined);
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (movedOld) await fsp.rm(old, { recursive: true, force: true });
}
