/**
 * The formats of a run folder: `run.json`, `checkpoints/<name>/manifest.json` and
 * `evaluation-<name>.json`. Version 1 is what release 0.1.0 wrote (no `formatVersion`); version 2
 * is the same content with the version stamped, so migrating 1 → 2 only adds the stamp. Manifest
 * version 3 records how the inputs were normalised, version 4 the training clips' statistics of a
 * vector model normalised per speaker.
 */
import type { BackendInfo } from '../schema/backend';
import type { Split } from '../dataset/split';
import type { FeatureConfig } from '../schema/featureFields';
import type { EncoderProvenance } from '../schema/encoder';
import { RUN_FILE } from '../schema/files';
import { NORMALIZATION_MODES, type TrainingConfig } from '../schema/trainingFields';
import type { BestCheckpoint, CheckpointManifest, ClassifierSummary, RunOutcomeSummary, RunRecord, TestMetrics } from './types';
import { CHECKPOINT_NAMES } from './types';
import { check, type JsonObject, type VersionedFormat } from '../util/versionedJson';

const RUN_STATUSES = ['running', 'done', 'interrupted', 'failed', 'cancelled'] as const;
const SPLIT_KINDS = ['speaker', 'random', 'kfold'] as const;

const stampOnly = (value: JsonObject): JsonObject => value;

function optional<T>(value: unknown, read: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}

function versions(value: unknown, field: string): RunRecord['versions'] {
  const v = check.object(value, field);
  return { app: check.string(v.app, `${field}.app`), tfjs: check.string(v.tfjs, `${field}.tfjs`), node: check.string(v.node, `${field}.node`) };
}

function testMetrics(value: unknown, field: string): TestMetrics {
  const m = check.object(value, field);
  return { accuracy: check.finite(m.accuracy, `${field}.accuracy`), uar: check.finite(m.uar, `${field}.uar`), macroF1: check.finite(m.macroF1, `${field}.macroF1`) };
}

function split(value: unknown): Split {
  const s = check.object(value, 'split');
  check.oneOf(s.kind, 'split.kind', SPLIT_KINDS);
  check.boolean(s.leaksSpeakers, 'split.leaksSpeakers');
  check.integer(s.seed, 'split.seed');
  for (const part of ['train', 'val', 'test'] as const) check.strings(s[part], `split.${part}`);
  const speakers = check.object(s.speakers, 'split.speakers');
  for (const part of ['train', 'val', 'test'] as const) check.strings(speakers[part], `split.speakers.${part}`);
  check.string(s.description, 'split.description');
  return s as unknown as Split;
}

function bestCheckpoint(value: unknown): BestCheckpoint {
  const b = check.object(value, 'summary.bestCheckpoint');
  const kind = check.oneOf(b.kind, 'summary.bestCheckpoint.kind', ['epoch', 'average'] as const);
  check.string(b.selectedBy, 'summary.bestCheckpoint.selectedBy');
  if (kind === 'epoch') check.integer(b.epoch, 'summary.bestCheckpoint.epoch');
  else if (!Array.isArray(b.epochs) || !b.epochs.every((e) => Number.isInteger(e))) throw new Error('summary.bestCheckpoint.epochs must be a list of epochs');
  return b as unknown as BestCheckpoint;
}

function classifierSummary(value: unknown): ClassifierSummary {
  const c = check.object(value, 'summary.classifier');
  const h = check.object(c.hyperParameters, 'summary.classifier.hyperParameters');
  for (const [name, v] of Object.entries(h)) check.finite(v, `summary.classifier.hyperParameters.${name}`);
  return { hyperParameters: h as Record<string, number>, innerCvUar: check.finite(c.innerCvUar, 'summary.classifier.innerCvUar') };
}

function summary(value: unknown): RunOutcomeSummary {
  const s = check.object(value, 'summary');
  const test = check.object(s.test, 'summary.test');
  for (const key of Object.keys(test)) {
    check.oneOf(key, 'a key of summary.test', CHECKPOINT_NAMES);
    testMetrics(test[key], `summary.test.${key}`);
  }
  return {
    epochsRun: check.integer(s.epochsRun, 'summary.epochsRun'),
    bestEpoch: check.integer(s.bestEpoch, 'summary.bestEpoch'),
    ...(s.bestCheckpoint !== undefined && { bestCheckpoint: bestCheckpoint(s.bestCheckpoint) }),
    stoppedEarly: check.boolean(s.stoppedEarly, 'summary.stoppedEarly'),
    ...(s.classifier !== undefined && { classifier: classifierSummary(s.classifier) }),
    test: test as RunOutcomeSummary['test'],
  };
}

/** An encoder's provenance: the fields predict relies on are checked, the rest kept as written. */
function encoderProvenance(value: unknown, field: string): EncoderProvenance {
  const e = check.object(value, field);
  for (const key of ['name', 'file', 'sha256', 'dir'] as const) check.string(e[key], `${field}.${key}`);
  for (const key of ['layer', 'layers', 'hiddenSize'] as const) check.integer(e[key], `${field}.${key}`);
  check.boolean(e.doNormalize, `${field}.doNormalize`);
  return e as unknown as EncoderProvenance;
}

function validateRunRecord(r: JsonObject): RunRecord {
  const config = check.object(r.config, 'config');
  const training = check.object(config.training, 'config.training');
  check.string(training.model, 'config.training.model');
  check.object(config.features, 'config.features');
  const dataset = check.object(r.dataset, 'dataset');
  const backend = check.object(r.backend, 'backend');
  check.string(backend.name, 'backend.name');
  const interruption = optional(r.interruption, (v) => {
    const i = check.object(v, 'interruption');
    check.string(i.detectedAt, 'interruption.detectedAt');
    check.string(i.reason, 'interruption.reason');
    if (i.lastGoodCheckpoint !== null) check.oneOf(i.lastGoodCheckpoint, 'interruption.lastGoodCheckpoint', CHECKPOINT_NAMES);
    return i as unknown as RunRecord['interruption'];
  });
  const record: RunRecord = {
    id: check.string(r.id, 'id'),
    name: check.string(r.name, 'name'),
    status: check.oneOf(r.status, 'status', RUN_STATUSES),
    createdAt: check.string(r.createdAt, 'createdAt'),
    updatedAt: check.string(r.updatedAt, 'updatedAt'),
    config: config as unknown as { training: TrainingConfig; features: FeatureConfig },
    dataset: {
      root: check.string(dataset.root, 'dataset.root'),
      scheme: check.string(dataset.scheme, 'dataset.scheme'),
      fingerprint: check.string(dataset.fingerprint, 'dataset.fingerprint'),
      clips: check.integer(dataset.clips, 'dataset.clips'),
      labels: check.strings(dataset.labels, 'dataset.labels'),
    },
    split: split(r.split),
    seed: check.integer(r.seed, 'seed'),
    backend: backend as unknown as BackendInfo,
    versions: versions(r.versions, 'versions'),
  };
  const finishedAt = optional(r.finishedAt, (v) => check.string(v, 'finishedAt'));
  const error = optional(r.error, (v) => check.string(v, 'error'));
  const bestEpoch = optional(r.bestEpoch, (v) => check.integer(v, 'bestEpoch'));
  const stored = optional(r.summary, summary);
  const encoder = optional(r.encoder, (v) => encoderProvenance(v, 'encoder'));
  return {
    ...record,
    ...(finishedAt !== undefined && { finishedAt }),
    ...(error !== undefined && { error }),
    ...(bestEpoch !== undefined && { bestEpoch }),
    ...(stored !== undefined && { summary: stored }),
    ...(interruption !== undefined && { interruption }),
    ...(encoder !== undefined && { encoder }),
  };
}

export const RUN_FORMAT: VersionedFormat<RunRecord> = {
  name: RUN_FILE,
  current: 2,
  migrate: { 1: stampOnly },
  validate: validateRunRecord,
};

/** Per-row mean and std: finite, as many of each, every std positive. */
function statistics(value: unknown, field: string): void {
  const stats = check.object(value, field);
  const isFiniteArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!isFiniteArray(stats.mean) || !isFiniteArray(stats.std)) throw new Error(`${field} must hold finite mean and std arrays`);
  if (stats.mean.length !== stats.std.length) throw new Error(`${field} mean and std differ in length`);
  const flat = stats.std.findIndex((sd) => !(sd > 0));
  if (flat >= 0) {
    throw new Error(`${field} std of feature row ${flat} is ${stats.std[flat]}: inputs would be divided by zero, so every clip would get one class`);
  }
}

function validateManifest(m: JsonObject): CheckpointManifest {
  const labels = m.labels;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string' && l.length > 0)) {
    throw new Error('labels must be a non-empty list of names');
  }
  if (new Set(labels).size !== labels.length) throw new Error('labels contain duplicates');
  check.object(m.featureConfig, 'featureConfig');
  if (check.string(m.featureConfigHash, 'featureConfigHash') === '') throw new Error('featureConfigHash is empty');
  const normalization = check.object(m.normalization, 'normalization');
  const mode = check.oneOf(normalization.mode, 'normalization.mode', NORMALIZATION_MODES);
  const maskPadding = check.boolean(normalization.maskPadding, 'normalization.maskPadding');
  if (mode === 'global') {
    statistics(m.standardizer, 'standardizer');
  } else {
    if (m.standardizer !== undefined) throw new Error(`standardizer is only for global normalization, but normalization.mode is ${mode}`);
    if (!maskPadding) throw new Error(`normalization.maskPadding must be true for ${mode} normalization`);
  }
  if (normalization.globalStats !== undefined) {
    if (mode !== 'speaker') throw new Error(`normalization.globalStats is only for speaker normalization, but normalization.mode is ${mode}`);
    statistics(normalization.globalStats, 'normalization.globalStats');
  }
  if (check.string(m.modelName, 'modelName') === '') throw new Error('modelName is empty');
  if (!Array.isArray(m.inputShape) || m.inputShape.length === 0 || !m.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error('inputShape must be a list of positive integers');
  }
  check.integer(m.epoch, 'epoch');
  if (m.metrics !== undefined) check.object(m.metrics, 'metrics');
  check.string(m.backend, 'backend');
  versions(m.versions, 'versions');
  check.string(m.createdAt, 'createdAt');
  if (m.encoder !== undefined) encoderProvenance(m.encoder, 'encoder');
  return m as unknown as CheckpointManifest;
}

/** Version 3 records the normalisation; every earlier checkpoint was standardised globally, padding included. */
const normalizationRecorded = (value: JsonObject): JsonObject => ({ ...value, normalization: { mode: 'global', maskPadding: false } });

/**
 * Version 4 records the training clips' statistics of a vector model in speaker mode; an earlier
 * one has none to give (predict refuses its vector of unknown speaker alone).
 */
export const MANIFEST_FORMAT: VersionedFormat<CheckpointManifest> = {
  name: 'checkpoint manifest',
  current: 4,
  migrate: { 1: stampOnly, 2: normalizationRecorded, 3: stampOnly },
  validate: validateManifest,
};
