import { resolve } from 'node:path';
import { resolveFeatureConfig } from '../../features/config';
import { resolveTrainingConfig, type LossName, type PresetName, type SelectionMetric } from '../../training/config';
import { runTrainingJob } from '../../pipeline/job';
import { MODEL_NAMES, type ModelName } from '../../models';
import type { OptimizerName } from '../../training/optimizers';
import {
  CliError,
  type OptionSpec,
  parseBackendOption,
  parseChoice,
  parseCommandArgs,
  parseListOption,
  parseNumberOption,
  parseSchemeOption,
  parseTrainingRecipeOptions,
  requirePositional,
  TRAINING_RECIPE_OPTIONS,
  TRAINING_RECIPE_USAGE,
} from '../args';
import { createProgressBar, formatDuration } from '../progress';

export const trainUsage =
  'train DIR [--model seed-cnn|crnn|res-cnn] [--preset quick|full] [--epochs N] [--batch 64] [--lr 0.005] [--weight-decay 1e-4] [--optimizer adamw|adam|sgd] [--class-weights balanced|none] [--loss cross-entropy|focal] [--balanced-sampler] [--no-augment] [--mixup 0.2] [--split speaker|random] [--test-speakers a,b] [--val-speakers c] [--seed N] [--backend auto|tensorflow-gpu|tensorflow|wasm|cpu] [--runs-dir D] [--cache-dir D] [--name NAME] [--n-mfcc 40] [--frames 100] [--best-by val_uar|val_accuracy|val_macro_f1|val_loss] [--patience N (0 = off)] ' +
  TRAINING_RECIPE_USAGE;

export function defaultRunsDir(): string {
  return resolve(process.env.SER_RUNS_DIR ?? 'runs');
}

/** The flags that set the training and feature config: shared by `train` and `study init`. */
export const TRAINING_FLAG_OPTIONS = {
  model: { type: 'string' },
  preset: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  'weight-decay': { type: 'string' },
  optimizer: { type: 'string' },
  'class-weights': { type: 'string' },
  loss: { type: 'string' },
  'balanced-sampler': { type: 'boolean' },
  'no-augment': { type: 'boolean' },
  mixup: { type: 'string' },
  'best-by': { type: 'string' },
  patience: { type: 'string' },
  split: { type: 'string' },
  'test-speakers': { type: 'string' },
  'val-speakers': { type: 'string' },
  'test-ratio': { type: 'string' },
  'val-ratio': { type: 'string' },
  seed: { type: 'string' },
  'n-mfcc': { type: 'string' },
  frames: { type: 'string' },
  ...TRAINING_RECIPE_OPTIONS,
} as const satisfies OptionSpec;

type FlagValues = { [K in keyof typeof TRAINING_FLAG_OPTIONS]?: (typeof TRAINING_FLAG_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** Training and feature configs from the flags, validated; a bad value is a CliError naming the flag. */
export function trainingFlagsToConfig(values: FlagValues) {
  const split = parseChoice(values.split, 'split', ['speaker', 'random'] as const);
  const testSpeakers = parseListOption(values['test-speakers']);
  const valSpeakers = parseListOption(values['val-speakers']);
  if (split === 'random' && (testSpeakers || valSpeakers)) throw new CliError('--test-speakers/--val-speakers need --split speaker');
  const noAugment = values['no-augment'] === true;
  try {
    const config = resolveTrainingConfig({
      preset: parseChoice(values.preset, 'preset', ['quick', 'full'] as const) as PresetName | undefined,
      model: parseChoice(values.model, 'model', MODEL_NAMES) as ModelName | undefined,
      epochs: parseNumberOption(values.epochs, 'epochs', { integer: true, min: 1 }),
      batchSize: parseNumberOption(values.batch, 'batch', { integer: true, min: 1 }),
      learningRate: parseNumberOption(values.lr, 'lr', { min: 0 }),
      weightDecay: parseNumberOption(values['weight-decay'], 'weight-decay', { min: 0 }),
      optimizer: parseChoice(values.optimizer, 'optimizer', ['adamw', 'adam', 'sgd'] as const) as OptimizerName | undefined,
      classWeights: parseChoice(values['class-weights'], 'class-weights', ['balanced', 'none'] as const),
      loss: parseChoice(values.loss, 'loss', ['cross-entropy', 'focal'] as const) as LossName | undefined,
      balancedSampler: values['balanced-sampler'],
      bestBy: parseChoice(values['best-by'], 'best-by', ['val_uar', 'val_accuracy', 'val_macro_f1', 'val_loss'] as const) as SelectionMetric | undefined,
      earlyStoppingPatience: parseNumberOption(values.patience, 'patience', { integer: true, min: 0 }),
      ...parseTrainingRecipeOptions(values),
      seed: parseNumberOption(values.seed, 'seed', { integer: true, min: 0 }),
      augment: noAugment
        ? { noise: 0, timeShift: 0, freqMask: 0, timeMask: 0, mixupAlpha: 0 }
        : { mixupAlpha: parseNumberOption(values.mixup, 'mixup', { min: 0 }) },
      split: {
        kind: split,
        testSpeakers,
        valSpeakers,
        testRatio: parseNumberOption(values['test-ratio'], 'test-ratio', { min: 0, max: 0.9 }),
        valRatio: parseNumberOption(values['val-ratio'], 'val-ratio', { min: 0, max: 0.9 }),
      },
    });
    const featureConfig = resolveFeatureConfig({
      nMfcc: parseNumberOption(values['n-mfcc'], 'n-mfcc', { integer: true }),
      frames: parseNumberOption(values.frames, 'frames', { integer: true }),
    });
    return { config, featureConfig };
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export async function trainCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    ...TRAINING_FLAG_OPTIONS,
    backend: { type: 'string' },
    'runs-dir': { type: 'string' },
    'cache-dir': { type: 'string' },
    name: { type: 'string' },
    scheme: { type: 'string' },
  });
  const root = requirePositional(positionals, 0, 'dataset folder (train DIR)');
  const { config, featureConfig } = trainingFlagsToConfig(values);
  const backend = parseBackendOption(values.backend);
  const scheme = parseSchemeOption(values.scheme);

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling after this batch (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const bar = createProgressBar('train');
  const featureBar = createProgressBar('features');
  const out = (line: string) => {
    bar.finish();
    process.stdout.write(line + '\n');
  };
  try {
    const result = await runTrainingJob({
      datasetRoot: root,
      scheme,
      config,
      featureConfig,
      runsDir: values['runs-dir'] ? resolve(values['runs-dir']) : defaultRunsDir(),
      cacheRoot: values['cache-dir'],
      backend,
      name: values.name,
      signal: controller.signal,
      onEvent: (event) => {
        switch (event.type) {
          case 'log':
            out(event.level === 'warn' ? `warning: ${event.message}` : event.message);
            break;
          case 'features':
            if (event.progress.phase === 'done') featureBar.finish();
            else featureBar.update(event.progress.done, event.progress.total, `clips ETA ${formatDuration(event.progress.etaS)}`);
            break;
          case 'batch': {
            const p = event.progress;
            bar.update(p.batch, p.batches, `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)} ${p.samplesPerSecond.toFixed(1)} samples/s ETA ${formatDuration(p.etaS)}`);
            break;
          }
          case 'epoch': {
            const m = event.metrics;
            out(
              `epoch ${String(m.epoch).padStart(3)}  train loss ${m.trainLoss.toFixed(4)} acc ${m.trainAccuracy.toFixed(3)}  |  val loss ${m.valLoss.toFixed(4)} acc ${m.valAccuracy.toFixed(3)} UAR ${m.valUar.toFixed(3)} F1 ${m.valMacroF1.toFixed(3)}  |  lr ${m.learningRate.toExponential(2)}  ${m.samplesPerSecond.toFixed(1)} samples/s  ${m.epochSeconds.toFixed(1)} s${m.improved ? '  *best' : ''}`,
            );
            break;
          }
          default:
            break;
        }
      },
    });
    for (const [name, report] of Object.entries(result.evaluations)) {
      const ci = report.confidenceIntervals;
      out(
        `test (${name}, epoch ${name === 'best' ? result.bestEpoch : result.epochsRun}): accuracy ${report.metrics.accuracy.toFixed(3)} [${ci.accuracy[0].toFixed(3)}, ${ci.accuracy[1].toFixed(3)}]  UAR ${report.metrics.uar.toFixed(3)} [${ci.uar[0].toFixed(3)}, ${ci.uar[1].toFixed(3)}]  macro-F1 ${report.metrics.macroF1.toFixed(3)}  (n=${report.metrics.n})`,
      );
    }
    out(`status: ${result.status}`);
    process.stdout.write(`${result.runDir}\n`);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
