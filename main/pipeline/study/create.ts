/** Creating a study: scan the dataset once, fix the folds, validate every grid cell, write study.json. */
import { promises as fsp } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { BackendName } from '../../compute/backend';
import { groupKFold, scanDataset, speakerSplit, type SchemeName } from '../../dataset';
import { resolveFeatureConfig, type FeatureConfig } from '../../features/config';
import { resolveFrames } from '../../features/frames';
import type { TrainingConfig } from '../../training/config';
import { STUDY_FILE } from '../../schema/files';
import { pathExists } from '../../util/fs';
import { datasetFingerprint } from '../../dataset';
import { STUDY_FORMAT_VERSION, validateStudy, writeStudy, type StudyFile, type StudyFold, type StudyProtocol } from './format';
import { studyRunsDir } from './paths';
import { checkStudySize } from '../../schema/studyLimits';
import { partitionCells } from './compatibility';
import { applyFeatureOverrides, applyOverrides, cellLabel, checkGridShape, expandGrid, gridValueCounts, type GridAxis } from './grid';

export interface CreateStudyOptions {
  datasetRoot: string;
  scheme?: SchemeName | 'auto';
  protocol: StudyProtocol;
  /** The base training config (resolved); its seed and split are replaced per member. */
  training: TrainingConfig;
  features?: Partial<FeatureConfig>;
  seeds: number[];
  grid?: GridAxis[];
  /** Share of clips taken from each fold's training speakers for validation (default 0.1). */
  valRatio?: number;
  /** Seed of the fold assignment and validation choice (default 1); the same for every member. */
  splitSeed?: number;
  name?: string;
  /** Feature cache; default `cache` inside the study folder (visible wherever the study is). */
  cacheDir?: string;
  backend?: BackendName | 'auto';
  /** Notes on what was decided (the length auto frames became). */
  onLog?: (line: string) => void;
}

function foldsFor(
  protocol: StudyProtocol,
  clips: Parameters<typeof groupKFold>[0],
  speakers: number,
  valRatio: number,
  seed: number,
): StudyFold[] {
  if (protocol.kind === 'fixed') {
    const split = speakerSplit(clips, { testSpeakers: protocol.testSpeakers, valSpeakers: protocol.valSpeakers, valRatio, seed });
    return [{ test: split.speakers.test, val: split.speakers.val }];
  }
  const k = protocol.kind === 'loso' ? speakers : protocol.k;
  return groupKFold(clips, k, { seed, valRatio }).map((split) => ({ test: split.speakers.test, val: split.speakers.val }));
}

/** Makes `dir` a study; refuses a folder that already holds one. Returns what was written. */
export async function createStudy(dir: string, options: CreateStudyOptions): Promise<StudyFile> {
  const studyDir = resolve(dir);
  if (await pathExists(join(studyDir, STUDY_FILE)))
    throw new Error(`${studyDir} already holds a study: run it with 'study run', or choose a new folder`);
  const valRatio = options.valRatio ?? 0.1;
  const splitSeed = options.splitSeed ?? 1;
  const requestedGrid = options.grid ?? [];
  const requestedFeatures = resolveFeatureConfig(options.features);
  // Counted before anything is enumerated: a huge grid is refused at once.
  checkGridShape(requestedGrid);
  checkStudySize({ gridValues: gridValueCounts(requestedGrid), seeds: options.seeds.length });
  // A model meets only the representations it reads, with a normalisation that keeps them; the cells left out are recorded, not failed.
  const { kept, excluded } = partitionCells(expandGrid(requestedGrid), {
    model: options.training.model,
    normalization: options.training.normalization,
    representation: requestedFeatures.representation,
    encoderPooling: requestedFeatures.encoderPooling,
  });
  if (kept.length === 0) {
    throw new Error(`no grid cell can be trained: ${excluded.map((c) => c.reason).join('; ')}`);
  }
  // Every cell must be a valid config before anything is written.
  for (const cell of kept) {
    applyOverrides(options.training, cell);
    applyFeatureOverrides(requestedFeatures, cell);
  }

  const scan = await scanDataset(options.datasetRoot, { scheme: options.scheme ?? 'auto' });
  if (scan.clips.length === 0) throw new Error(`no labelled clips found in ${options.datasetRoot}`);
  // Auto frames (0), in the base config or as a grid value, are fixed now: study.json records the
  // length every member uses.
  const isFramesAxis = (axis: GridAxis) => axis.field === 'features.frames';
  const needsAuto = requestedFeatures.frames === 0 || requestedGrid.some((axis) => isFramesAxis(axis) && axis.values.includes(0));
  const auto = needsAuto ? await resolveFrames({ ...requestedFeatures, frames: 0 }, scan.clips) : null;
  if (auto?.note) options.onLog?.(auto.note);
  const autoLength = auto?.config.frames ?? 0;
  const features = requestedFeatures.frames === 0 ? { ...requestedFeatures, frames: autoLength } : requestedFeatures;
  const grid = requestedGrid.map((axis) =>
    isFramesAxis(axis) ? { ...axis, values: [...new Set(axis.values.map((v) => (v === 0 ? autoLength : v)))] } : axis,
  );
  const folds = foldsFor(options.protocol, scan.clips, scan.speakers.length, valRatio, splitSeed);
  checkStudySize({ gridValues: gridValueCounts(grid), seeds: options.seeds.length, folds: folds.length });
  const study: StudyFile = {
    formatVersion: STUDY_FORMAT_VERSION,
    name: options.name ?? basename(studyDir),
    createdAt: new Date().toISOString(),
    dataset: {
      root: scan.root,
      scheme: options.scheme ?? 'auto',
      fingerprint: datasetFingerprint(scan),
      clips: scan.clips.length,
      speakers: scan.speakers.length,
    },
    features,
    training: options.training,
    protocol: options.protocol,
    validation: { valRatio, splitSeed },
    folds,
    seeds: options.seeds,
    grid,
    cacheDir: options.cacheDir ? resolve(options.cacheDir) : 'cache',
    backend: options.backend ?? 'auto',
    ...(excluded.length > 0 && { excluded: excluded.map((c) => ({ cell: cellLabel(c.overrides), reason: c.reason })) }),
  };
  validateStudy(study, join(studyDir, STUDY_FILE));
  await fsp.mkdir(studyRunsDir(studyDir), { recursive: true });
  await writeStudy(studyDir, study);
  return study;
}
