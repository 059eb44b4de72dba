/**
 * The evaluation files of a run folder, `evaluation-<name>.json`: one writer and one reader that
 * validates and migrates (version 1 is what release 0.1.0 wrote, without a `formatVersion`).
 */
import { join } from 'node:path';
import { check, readVersionedJson, writeVersionedJson, type JsonObject, type VersionedFormat } from '../util/versionedJson';
import type { EvaluationReport } from './report';

const stampOnly = (value: JsonObject): JsonObject => value;

function validateEvaluation(e: JsonObject): EvaluationReport {
  check.string(e.checkpoint, 'checkpoint');
  check.string(e.createdAt, 'createdAt');
  const dataset = check.object(e.dataset, 'dataset');
  check.string(dataset.root, 'dataset.root');
  check.string(dataset.scheme, 'dataset.scheme');
  check.string(dataset.part, 'dataset.part');
  const splitInfo = check.object(e.split, 'split');
  check.string(splitInfo.description, 'split.description');
  check.boolean(splitInfo.leaksSpeakers, 'split.leaksSpeakers');
  const labels = check.strings(e.labels, 'labels');
  const metrics = check.object(e.metrics, 'metrics');
  for (const key of ['accuracy', 'uar', 'macroF1'] as const) check.finite(metrics[key], `metrics.${key}`);
  check.object(e.confidenceIntervals, 'confidenceIntervals');
  if (!Array.isArray(e.predictions)) throw new Error('predictions must be a list');
  e.predictions.forEach((p: unknown, i) => {
    const field = `predictions[${i}]`;
    const prediction = check.object(p, field);
    check.string(prediction.clipId, `${field}.clipId`);
    check.string(prediction.trueLabel, `${field}.trueLabel`);
    check.string(prediction.predictedLabel, `${field}.predictedLabel`);
    if (!Array.isArray(prediction.probabilities) || prediction.probabilities.length !== labels.length) {
      throw new Error(`${field}.probabilities must hold one number per label (${labels.length})`);
    }
  });
  return e as unknown as EvaluationReport;
}

export const EVALUATION_FORMAT: VersionedFormat<EvaluationReport> = {
  name: 'evaluation file',
  current: 2,
  migrate: { 1: stampOnly },
  validate: validateEvaluation,
};

function evaluationPath(runDir: string, checkpoint: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(checkpoint)) throw new Error(`Invalid evaluation name "${checkpoint}"`);
  return join(runDir, `evaluation-${checkpoint}.json`);
}

/** Writes `evaluation-<checkpoint>.json` (e.g. 'best', 'final', 'best-crema'). */
export async function writeEvaluation(runDir: string, checkpoint: string, evaluation: EvaluationReport): Promise<string> {
  const path = evaluationPath(runDir, checkpoint);
  await writeVersionedJson(path, EVALUATION_FORMAT, evaluation);
  return path;
}

/** Reads `evaluation-<checkpoint>.json` (any format version, migrated), or null if the run has none. */
export async function readEvaluation(runDir: string, checkpoint: string): Promise<EvaluationReport | null> {
  return readVersionedJson(evaluationPath(runDir, checkpoint), EVALUATION_FORMAT);
}
