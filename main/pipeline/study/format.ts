/**
 * `study.json`: the typed, versioned description of a study. One writer (atomic) and one reader
 * that validates every field and says which one is wrong (util/versionedJson, like run.json).
 */
import { STUDY_FILE } from '../../schema/files';
import { join } from 'node:path';
import { BACKEND_NAMES, type BackendName } from '../../compute/backend';
import { SCHEME_CHOICES, type SchemeChoice } from '../../schema/datasetSchemes';
import { resolveFeatureConfig, withStoredDefaults, type FeatureConfig } from '../../features/config';
import { resolveTrainingConfig, type TrainingConfig } from '../../training/config';
import { decodeVersioned, readVersionedJson, writeVersionedJson, type JsonObject, type VersionedFormat } from '../../util/versionedJson';
import { checkStudySize } from '../../schema/studyLimits';
import { checkGridAxis, checkGridShape, gridValueCounts, type GridAxis } from './grid';

export const STUDY_FORMAT_VERSION = 2;

export type StudyProtocol =
  { kind: 'loso' } | { kind: 'kfold'; k: number } | { kind: 'fixed'; testSpeakers: string[]; valSpeakers?: string[] };

/** One fold's speakers; training uses every other speaker. */
export interface StudyFold {
  test: string[];
  val: string[];
}

export interface StudyFile {
  formatVersion: typeof STUDY_FORMAT_VERSION;
  name: string;
  createdAt: string;
  dataset: { root: string; scheme: SchemeChoice; fingerprint: string; clips: number; speakers: number };
  features: FeatureConfig;
  /** The base training config every grid cell starts from (its seed and split are set per member). */
  training: TrainingConfig;
  protocol: StudyProtocol;
  /** How each fold's validation speakers were chosen from its training speakers. */
  validation: { valRatio: number; splitSeed: number };
  /** Fixed at init so every member, on any machine, trains on the same speakers. */
  folds: StudyFold[];
  seeds: number[];
  grid: GridAxis[];
  /** Feature cache shared by all members; relative paths are inside the study folder. */
  cacheDir: string;
  backend: BackendName | 'auto';
  /** The grid's cells left out at init because the model cannot read the representation or its normalisation would erase it (a record; studyCells decides). */
  excluded?: { cell: string; reason: string }[];
}

export function protocolLabel(protocol: StudyProtocol): string {
  if (protocol.kind === 'kfold') return `kfold:${protocol.k}`;
  if (protocol.kind === 'fixed') return `fixed (test ${protocol.testSpeakers.join(' ')})`;
  return 'loso';
}

/** `loso` | `kfold:K` | `fixed` (the latter needs test speakers). */
export function parseProtocol(text: string, speakers: { test?: string[]; val?: string[] } = {}): StudyProtocol {
  if (text === 'loso') return { kind: 'loso' };
  const kfold = /^kfold:(\d+)$/.exec(text);
  if (kfold) {
    const k = Number(kfold[1]);
    if (k < 2) throw new Error(`protocol kfold:K needs K ≥ 2, got ${k}`);
    return { kind: 'kfold', k };
  }
  if (text === 'fixed') {
    if (!speakers.test || speakers.test.length === 0) throw new Error('protocol fixed needs the test speakers (--test-speakers a,b)');
    return { kind: 'fixed', testSpeakers: speakers.test, ...(speakers.val ? { valSpeakers: speakers.val } : {}) };
  }
  throw new Error(`protocol must be loso, kfold:K or fixed, got '${text}'`);
}

export async function writeStudy(dir: string, study: StudyFile): Promise<void> {
  await writeVersionedJson(join(dir, STUDY_FILE), STUDY_FORMAT, study);
}

class Fields {
  fail(field: string, what: string): never {
    throw new Error(`'${field}' ${what}`);
  }
  object(value: unknown, field: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(field, 'must be an object');
    return value as Record<string, unknown>;
  }
  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value === '') this.fail(field, 'must be a non-empty string');
    return value;
  }
  int(value: unknown, field: string, min: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) this.fail(field, `must be a whole number ≥ ${min}`);
    return value;
  }
  strings(value: unknown, field: string, nonEmpty: boolean): string[] {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '') || (nonEmpty && value.length === 0)) {
      this.fail(field, `must be a ${nonEmpty ? 'non-empty ' : ''}list of speaker names`);
    }
    return value as string[];
  }
  choice<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
    if (!(choices as readonly unknown[]).includes(value)) this.fail(field, `must be one of ${choices.join(', ')}`);
    return value as T;
  }
}

/** Checks a parsed study.json; throws one sentence naming the file and the field. */
export function validateStudy(value: unknown, path = STUDY_FILE): StudyFile {
  return decodeVersioned(value, STUDY_FORMAT, path);
}

function checkStudy(o: JsonObject): StudyFile {
  const f: Fields = new Fields();
  f.string(o.name, 'name');
  f.string(o.createdAt, 'createdAt');
  const dataset = f.object(o.dataset, 'dataset');
  f.string(dataset.root, 'dataset.root');
  f.choice(dataset.scheme, 'dataset.scheme', SCHEME_CHOICES);
  f.string(dataset.fingerprint, 'dataset.fingerprint');
  f.int(dataset.clips, 'dataset.clips', 1);
  f.int(dataset.speakers, 'dataset.speakers', 1);
  try {
    resolveFeatureConfig(f.object(o.features, 'features') as Partial<FeatureConfig>);
  } catch (err) {
    f.fail('features', `is invalid: ${(err as Error).message}`);
  }
  try {
    resolveTrainingConfig(f.object(o.training, 'training') as unknown as TrainingConfig);
  } catch (err) {
    f.fail('training', `is invalid: ${(err as Error).message}`);
  }
  const protocol = f.object(o.protocol, 'protocol');
  const kind = f.choice(protocol.kind, 'protocol.kind', ['loso', 'kfold', 'fixed'] as const);
  if (kind === 'kfold') f.int(protocol.k, 'protocol.k', 2);
  if (kind === 'fixed') {
    f.strings(protocol.testSpeakers, 'protocol.testSpeakers', true);
    if (protocol.valSpeakers !== undefined) f.strings(protocol.valSpeakers, 'protocol.valSpeakers', false);
  }
  const validation = f.object(o.validation, 'validation');
  if (typeof validation.valRatio !== 'number' || !(validation.valRatio >= 0 && validation.valRatio < 1))
    f.fail('validation.valRatio', 'must be a number in [0, 1)');
  f.int(validation.splitSeed, 'validation.splitSeed', 0);
  if (!Array.isArray(o.folds) || o.folds.length === 0) f.fail('folds', 'must be a non-empty list');
  o.folds.forEach((fold: unknown, i: number) => {
    const fo = f.object(fold, `folds[${i}]`);
    f.strings(fo.test, `folds[${i}].test`, true);
    f.strings(fo.val, `folds[${i}].val`, false);
  });
  if (kind === 'kfold' && o.folds.length !== protocol.k)
    f.fail('folds', `has ${o.folds.length} folds but the protocol is kfold:${String(protocol.k)}`);
  if (kind === 'fixed' && o.folds.length !== 1) f.fail('folds', 'must hold exactly one fold for the fixed protocol');
  if (!Array.isArray(o.seeds) || o.seeds.length === 0) f.fail('seeds', 'must be a non-empty list of whole numbers');
  o.seeds.forEach((s: unknown, i: number) => f.int(s, `seeds[${i}]`, 0));
  if (new Set(o.seeds).size !== o.seeds.length) f.fail('seeds', 'lists a seed twice');
  if (!Array.isArray(o.grid)) f.fail('grid', 'must be a list of { field, values }');
  o.grid.forEach((axis: unknown, i: number) => {
    const a = f.object(axis, `grid[${i}]`);
    f.string(a.field, `grid[${i}].field`);
    if (!Array.isArray(a.values) || a.values.length === 0) f.fail(`grid[${i}].values`, 'must be a non-empty list');
    try {
      checkGridAxis(a as unknown as GridAxis);
    } catch (err) {
      f.fail(`grid[${i}]`, `is invalid: ${(err as Error).message}`);
    }
  });
  try {
    checkGridShape(o.grid as GridAxis[]);
  } catch (err) {
    f.fail('grid', `is invalid: ${(err as Error).message}`);
  }
  try {
    checkStudySize({ gridValues: gridValueCounts(o.grid as GridAxis[]), seeds: o.seeds.length, folds: o.folds.length });
  } catch (err) {
    f.fail('grid', `is too large: ${(err as Error).message}`);
  }
  f.string(o.cacheDir, 'cacheDir');
  f.choice(o.backend, 'backend', ['auto', ...BACKEND_NAMES] as const);
  if (o.excluded !== undefined) {
    if (!Array.isArray(o.excluded)) f.fail('excluded', 'must be a list of { cell, reason }');
    o.excluded.forEach((entry: unknown, i: number) => {
      const e = f.object(entry, `excluded[${i}]`);
      f.string(e.cell, `excluded[${i}].cell`);
      f.string(e.reason, `excluded[${i}].reason`);
    });
  }
  return o as unknown as StudyFile;
}

/**
 * Version 2: the default normalisation became `speaker`. Version-1 studies written before the field
 * existed trained with training-set statistics, and their members must go on doing so; the same
 * holds for the feature fields added since (withStoredDefaults).
 */
const normalizationRecorded = (value: JsonObject): JsonObject => {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const { training, features } = value;
  return {
    ...value,
    ...(isObject(training) && { training: { normalization: 'global', ...training } }),
    // Feature fields added since (representation, deltas, band) at the values it was made with.
    ...(isObject(features) && { features: withStoredDefaults(features) }),
  };
};

const STUDY_FORMAT: VersionedFormat<StudyFile> = {
  name: STUDY_FILE,
  current: STUDY_FORMAT_VERSION,
  migrate: { 1: normalizationRecorded },
  validate: checkStudy,
};

/** Reads and validates `<dir>/study.json`. */
export async function readStudy(dir: string): Promise<StudyFile> {
  let study: StudyFile | null;
  try {
    study = await readVersionedJson(join(dir, STUDY_FILE), STUDY_FORMAT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw new Error(`${dir} is not a study folder: it is a file`, { cause: err });
    throw err;
  }
  if (!study) throw new Error(`${dir} is not a study folder: it has no ${STUDY_FILE}`);
  return study;
}
