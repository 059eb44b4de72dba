/**
 * A training job for a classical classifier of feature vectors, after the shared preamble
 * (prepareJob: scan, features, split, normalisation). The classifier learns from the non-test part
 * (training ∪ validation clips): its hyper-parameters are chosen by an inner cross-validation
 * grouped by speaker on that part alone, then it is refit on all of it. Test speakers never choose
 * a hyper-parameter and never enter a fit. The validation figures reported are the pooled
 * out-of-fold predictions of the chosen candidate in the inner CV (speakers held out), since the
 * refit model has seen the validation clips. The run folder is an ordinary one: run.json, one
 * metrics.jsonl line, checkpoints best and final (the same classifier: classifier.json beside a
 * manifest), evaluation-best/final.json.
 */
import { classifierProbabilities, trainClassifier, vectorsFrom } from '../models/classical';
import type { RunHandle } from '../runs/store';
import type { CheckpointManifest, EpochMetrics, RunStatus } from '../runs/types';
import type { ClassicalModelName } from '../schema/names';
import { probabilityMetrics } from '../training/loop';
import type { TrainingEvent } from '../training/progress';
import { preparePart } from '../features/prepare';
import { failureReason, writePartEvaluation, type PreparedJob, type TrainJobOptions, type TrainJobResult } from './prepareJob';

const formatHyperParameters = (h: Record<string, number>): string =>
  Object.entries(h)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');

export async function runClassicalJob(
  options: TrainJobOptions,
  model: ClassicalModelName,
  job: PreparedJob,
  run: RunHandle,
  emit: (event: TrainingEvent) => void,
  log: (message: string, level?: 'info' | 'warn') => void,
): Promise<TrainJobResult> {
  const { config } = options;
  const { features, labels, scan, split, normalizer } = job;
  try {
    if (features.frames !== 1) throw new Error(`${model} classifies feature vectors, but the features have ${features.frames} frames`);
    const started = performance.now();
    // The non-test clips standardised together (per speaker: each speaker's own clips among them).
    const nonTest = preparePart(features, [...split.train, ...split.val], labels, normalizer);
    const data = {
      vectors: vectorsFrom(nonTest.set.x, nonTest.set.count, features.rows),
      y: nonTest.set.y,
      numClasses: labels.length,
      classWeights: config.classWeights,
      seed: config.seed,
    };
    const numbers = (values: readonly string[]) => values.map(Number);
    let searched: { candidates: number; folds: number; done: number } = { candidates: 0, folds: 0, done: 0 };
    log(
      `model: ${model}, ${features.rows}-value vectors; hyper-parameters by a ${config.classifier.innerFolds}-fold speaker-grouped inner CV on the ${nonTest.set.count} training and validation clips (test clips unseen)`,
    );
    const trained = trainClassifier(model, data, {
      innerFolds: config.classifier.innerFolds,
      cValues: numbers(config.classifier.cGrid),
      gammaScales: numbers(config.classifier.gammaGrid),
      kValues: numbers(config.classifier.kGrid),
      hiddenUnits: config.classifier.hiddenUnits,
      speakers: nonTest.clips.map((clip) => clip.speaker),
      onSearchStart: (candidates, folds) => {
        searched = { candidates, folds, done: 0 };
        emit({ type: 'classifier', progress: { stage: 'inner-cv', ...searched } });
      },
      onCandidate: (score) => {
        log(`inner CV: ${formatHyperParameters(score.hyperParameters)}: UAR ${score.uar.toFixed(3)}`);
        searched = { ...searched, done: searched.done + 1 };
        emit({ type: 'classifier', progress: { stage: 'inner-cv', ...searched, last: score } });
      },
      onRefit: (hyperParameters) => emit({ type: 'classifier', progress: { stage: 'refit', clips: nonTest.set.count, hyperParameters } }),
    });
    const { file } = trained;
    const innerUar = file.innerCv.candidates.find(
      (c) => formatHyperParameters(c.hyperParameters) === formatHyperParameters(file.hyperParameters),
    )!.uar;
    log(`inner CV folds (speakers): ${file.innerCv.folds.map((fold) => fold.join(' ')).join(' | ')}`);
    log(
      `chosen: ${formatHyperParameters(file.hyperParameters)} (inner-CV UAR ${innerUar.toFixed(3)}); refit on all ${nonTest.set.count} clips`,
    );

    const fitted = probabilityMetrics(classifierProbabilities(file, data.vectors), data.y, labels.length);
    const heldOut = probabilityMetrics(trained.outOfFold, data.y, labels.length);
    const seconds = (performance.now() - started) / 1000;
    const metrics: EpochMetrics = {
      epoch: 1,
      trainLoss: fitted.loss,
      trainAccuracy: fitted.accuracy,
      valLoss: heldOut.loss,
      valAccuracy: heldOut.accuracy,
      valUar: heldOut.uar,
      valMacroF1: heldOut.macroF1,
      learningRate: 0,
      nextLearningRate: 0,
      lrReduced: false,
      improved: true,
      epochSeconds: seconds,
      samplesPerSecond: nonTest.set.count / Math.max(seconds, 1e-9),
      skippedSteps: 0,
      classifier: { hyperParameters: file.hyperParameters, innerCvUar: innerUar },
    };
    await run.appendMetrics(metrics);
    emit({ type: 'epoch', metrics });
    log(
      `fit: training accuracy ${fitted.accuracy.toFixed(3)}; validation (inner-CV out-of-fold, speakers held out): UAR ${heldOut.uar.toFixed(3)}, accuracy ${heldOut.accuracy.toFixed(3)}`,
    );

    const manifest: Omit<CheckpointManifest, 'createdAt'> = {
      labels,
      featureConfig: job.featureConfig,
      featureConfigHash: features.configHash,
      normalization: {
        mode: normalizer.mode,
        maskPadding: true,
        ...(normalizer.mode === 'speaker' && normalizer.globalStats && { globalStats: normalizer.globalStats }),
      },
      ...(normalizer.mode === 'global' && { standardizer: normalizer.stats }),
      modelName: model,
      inputShape: [features.rows, 1, 1],
      epoch: 1,
      metrics,
      backend: 'cpu',
      versions: run.record.versions,
      ...(features.encoder && { encoder: features.encoder }),
    };
    await run.saveCheckpoint('best', file, manifest);
    await run.saveCheckpoint('final', file, manifest);

    emit({ type: 'classifier', progress: { stage: 'test', clips: job.test.set.count } });
    const probabilities = Float32Array.from(classifierProbabilities(file, vectorsFrom(job.test.set.x, job.test.set.count, features.rows)));
    const evaluations: TrainJobResult['evaluations'] = {};
    for (const name of ['final', 'best'] as const)
      evaluations[name] = await writePartEvaluation(run, name, probabilities, job.test, labels, scan, split);
    const status: RunStatus = 'done';
    const summary = {
      epochsRun: 1,
      bestEpoch: 1,
      bestCheckpoint: { kind: 'epoch' as const, epoch: 1, selectedBy: 'inner-cv UAR' },
      stoppedEarly: false,
      classifier: { hyperParameters: file.hyperParameters, innerCvUar: innerUar },
      test: Object.fromEntries(
        Object.entries(evaluations).map(([name, report]) => [
          name,
          { accuracy: report.metrics.accuracy, uar: report.metrics.uar, macroF1: report.metrics.macroF1 },
        ]),
      ),
    };
    await run.setStatus(status, { summary, bestEpoch: 1 });
    log(`test: UAR ${evaluations.best!.metrics.uar.toFixed(3)}, accuracy ${evaluations.best!.metrics.accuracy.toFixed(3)}`);
    log('training finished');
    return { runId: run.id, runDir: run.dir, status, ...summary, evaluations };
  } catch (err) {
    await run.setStatus('failed', { error: failureReason(err) }).catch(() => undefined);
    throw err;
  } finally {
    await run.close();
  }
}
