/**
 * A training job, end to end: the shared preamble (prepareJob: backend → dataset scan → features
 * (cached) → split → train-only standardisation) → model → training loop → run folder (metrics,
 * best/final checkpoints) → evaluation of both checkpoints on the held-out test split. Every door
 * (CLI, app, serve mode) runs training through this one function and listens to its events.
 */
import * as tf from '@tensorflow/tfjs';
import type { EvaluationReport } from '../evaluation/report';
import { resolveFeatureConfig } from '../features/config';
import { preparePart, type PreparedPart } from '../features/prepare';
import type { ScanResult, Split } from '../dataset';
import { loadCheckpoint } from '../models/checkpoint';
import type { RunHandle } from '../runs/store';
import type { CheckpointManifest, RunStatus } from '../runs/types';
import { appVersions } from '../runs/version';
import { loadSnapshot, recomputeBatchNormStatistics } from '../training/averaging';
import { evaluateSet, trainLoop, type EpochMetrics, type ExampleShape } from '../training/loop';
import { createModel } from '../models';
import { predictProbabilities } from '../models/predict';
import { concatParts, SPEED_FACTORS, speedPerturbedSets } from './speedPerturb';
import type { BestCheckpoint, TrainingEvent } from '../training/progress';
import { isClassicalModel, trainingInputProblem } from '../schema/names';
import { runClassicalJob } from './classicalJob';
import {
  createJobRun,
  failureReason,
  prepareJob,
  writePartEvaluation,
  type JobLog,
  type TrainJobOptions,
  type TrainJobResult,
} from './prepareJob';

export type { TrainingEvent, TrainJobOptions, TrainJobResult };

export async function runTrainingJob(options: TrainJobOptions): Promise<TrainJobResult> {
  const { config } = options;
  const emit = options.onEvent ?? (() => undefined);
  const log: JobLog = (message, level = 'info') => emit({ type: 'log', level, message });
  const requested = resolveFeatureConfig(options.featureConfig);
  const inputProblem = trainingInputProblem(config, requested);
  if (inputProblem) throw new Error(inputProblem);
  if (isClassicalModel(config.model)) {
    const job = await prepareJob(options, emit, log, 'train+val');
    return await runClassicalJob(options, config.model, job, await createJobRun(options, job, emit, log), emit, log);
  }
  const networkModel = config.model;

  const job = await prepareJob(options, emit, log, 'train');
  const { backend, scan, featureConfig, features, split, labels, normalizer, val, test } = job;
  const shape: ExampleShape = { rows: features.rows, frames: features.frames, numClasses: labels.length };
  let train = job.train;
  if (config.augment.speedPerturb) {
    const perturbed = await speedPerturbedSets(scan, new Set(split.train), featureConfig, {
      cacheRoot: options.cacheRoot,
      signal: options.signal,
      onProgress: (progress) => emit({ type: 'features', progress }),
      onLog: (line) => log(line, 'warn'),
    });
    train = concatParts([train, ...perturbed.map((set) => preparePart(set, split.train, labels, normalizer))]);
    log(`speed perturbation: ${train.set.count} training examples (the training clips at speeds 1, ${SPEED_FACTORS.join(', ')})`);
  }

  const model = createModel(networkModel, { inputShape: [shape.rows, shape.frames, 1], numClasses: shape.numClasses, seed: config.seed });
  log(`model: ${config.model}, ${model.countParams().toLocaleString('en-US')} parameters`);

  const versions = appVersions();
  const run = await createJobRun(options, job, emit, log);

  const manifestFor = (epoch: number, metrics?: EpochMetrics | Record<string, unknown>): Omit<CheckpointManifest, 'createdAt'> => ({
    labels,
    featureConfig,
    featureConfigHash: features.configHash,
    normalization: {
      mode: normalizer.mode,
      maskPadding: true,
      ...(normalizer.mode === 'speaker' && normalizer.globalStats && { globalStats: normalizer.globalStats }),
    },
    ...(normalizer.mode === 'global' && { standardizer: normalizer.stats }),
    modelName: config.model,
    inputShape: [shape.rows, shape.frames, 1],
    epoch,
    metrics,
    backend: backend.name,
    versions,
    ...(features.encoder && { encoder: features.encoder }),
  });

  try {
    const result = await trainLoop(model, train.set, val.set, shape, config, {
      signal: options.signal,
      onBatch: (progress) => emit({ type: 'batch', progress }),
      onLog: (line) => log(line),
      onEpoch: async (metrics) => {
        await run.appendMetrics(metrics);
        if (metrics.improved) await run.saveCheckpoint('best', model, manifestFor(metrics.epoch, metrics));
        await run.heartbeat();
        emit({ type: 'epoch', metrics });
      },
    });
    const lastEpoch = result.history.at(-1);
    if (lastEpoch) await run.saveCheckpoint('final', model, manifestFor(lastEpoch.epoch, lastEpoch));
    const evaluations: TrainJobResult['evaluations'] = {};
    const evaluate = !result.cancelled && lastEpoch !== undefined;
    // The final checkpoint is evaluated first: averaging replaces the model's weights.
    if (evaluate) evaluations.final = await evaluatePart(run, 'final', model, test, labels, shape, scan, split);
    // With weight averaging, `best` becomes the averaged model (it replaces the single best epoch saved during training).
    let bestEpoch = result.bestEpoch;
    let bestCheckpoint: BestCheckpoint = { kind: 'epoch', epoch: result.bestEpoch, selectedBy: config.bestBy };
    if (result.averaged) {
      const { epochs } = result.averaged;
      loadSnapshot(model, result.averaged.weights);
      if (config.averageBatchNorm === 'recompute') recomputeBatchNormStatistics(model, train.set, shape, Math.max(config.batchSize, 64));
      const validation = await evaluateSet(model, val.set, shape, Math.max(config.batchSize, 64));
      bestEpoch = epochs.at(-1)!;
      bestCheckpoint = {
        kind: 'average',
        mode: config.weightAveraging === 'top' ? 'top' : 'last',
        epochs,
        batchNorm: config.averageBatchNorm,
        selectedBy: config.bestBy,
      };
      await run.saveCheckpoint(
        'best',
        model,
        manifestFor(bestEpoch, {
          averagedEpochs: epochs,
          averaging: config.weightAveraging,
          batchNorm: config.averageBatchNorm,
          valLoss: validation.loss,
          valAccuracy: validation.accuracy,
          valUar: validation.uar,
          valMacroF1: validation.macroF1,
        }),
      );
      log(
        `best checkpoint: weight average of epochs ${epochs.join(', ')} (${config.averageBatchNorm === 'recompute' ? 'batch-norm statistics recomputed on the training set' : 'batch-norm statistics averaged'}); validation UAR ${validation.uar.toFixed(3)}, loss ${validation.loss.toFixed(4)}`,
      );
    }

    if (evaluate && bestEpoch > 0) {
      const best = await loadCheckpoint(`${run.dir}/checkpoints/best`);
      try {
        evaluations.best = await evaluatePart(run, 'best', best.model, test, labels, shape, scan, split);
      } finally {
        best.model.dispose();
      }
    }
    const status: RunStatus = result.cancelled ? 'cancelled' : 'done';
    const summary = {
      epochsRun: result.epochsRun,
      bestEpoch,
      bestCheckpoint,
      stoppedEarly: result.stoppedEarly,
      test: Object.fromEntries(
        Object.entries(evaluations).map(([name, report]) => [
          name,
          { accuracy: report.metrics.accuracy, uar: report.metrics.uar, macroF1: report.metrics.macroF1 },
        ]),
      ),
    };
    await run.setStatus(status, { summary, bestEpoch: bestEpoch || undefined });
    log(result.cancelled ? 'training cancelled; the run keeps its checkpoints' : 'training finished');
    return { runId: run.id, runDir: run.dir, status, ...summary, evaluations };
  } catch (err) {
    await run.setStatus('failed', { error: failureReason(err) }).catch(() => undefined);
    throw err;
  } finally {
    await run.close();
    model.dispose();
  }
}

async function evaluatePart(
  run: RunHandle,
  checkpoint: 'best' | 'final',
  model: tf.LayersModel,
  part: PreparedPart,
  labels: string[],
  shape: ExampleShape,
  scan: ScanResult,
  split: Split,
): Promise<EvaluationReport> {
  const probabilities = await predictProbabilities(model, part.set, shape.rows, shape.frames);
  return await writePartEvaluation(run, checkpoint, probabilities, part, labels, scan, split);
}
