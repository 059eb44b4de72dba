import { resolve } from 'node:path';
import { resolveFeatureConfig } from '../../features/config';
import { resolveTrainingConfig } from '../../training/config';
import { runTrainingJob } from '../../pipeline/job';
import type { AnyFieldTable } from '../../schema/fields';
import { FEATURE_FIELDS } from '../../schema/featureFields';
import { runNameProblem } from '../../schema/runLimits';
import { TRAINING_FIELDS } from '../../schema/trainingFields';
import { BACKEND_NAMES } from '../../schema/backend';
import { trainingInputProblem } from '../../schema/names';
import {
  CliError,
  fieldOptions,
  fieldOverrides,
  fieldUsage,
  parseBackendOption,
  parseCommandArgs,
  parseSchemeOption,
  requirePositional,
  type OptionSpec,
} from '../args';
import { failRunOnCrash } from '../../pipeline/crash';
import { createProgressBar, formatDuration } from '../progress';
import { defaultRunsDir } from '../runs-dir';

/** The feature config's `preset` (librosa|meyda) would collide with the training preset's flag. */
const FEATURE_SKIP = ['preset'];

/** The flags that set the training and feature configs: shared by `train` and `study init`. */
export const TRAINING_FLAG_OPTIONS = {
  ...fieldOptions(TRAINING_FIELDS),
  ...fieldOptions(FEATURE_FIELDS, FEATURE_SKIP),
  'no-augment': { type: 'boolean' },
} as const satisfies OptionSpec;

const RUN_OPTIONS = {
  backend: { type: 'string' },
  'runs-dir': { type: 'string' },
  'cache-dir': { type: 'string' },
  name: { type: 'string' },
  scheme: { type: 'string' },
} as const satisfies OptionSpec;

/** `train` usage for a training field table (TRAINING_FIELDS; tests pass a modified copy). */
export function trainUsageFor(trainingFields: AnyFieldTable): string {
  return [
    'train DIR [options]',
    '  training (the preset sets the defaults; shown per preset where they differ):',
    ...fieldUsage(trainingFields),
    '  features:',
    ...fieldUsage(FEATURE_FIELDS, FEATURE_SKIP),
    '  run:',
    '    --no-augment                       no augmentation (every probability and mixup 0)',
    `    ${`--backend ${['auto', ...BACKEND_NAMES].join('|')}`.padEnd(34)} compute backend (default auto: the first that starts)`,
    '    --runs-dir D                       where the run folder goes (default $SER_RUNS_DIR or ./runs)',
    '    --cache-dir D                      feature cache folder',
    '    --name NAME                        run name (default: model on dataset)',
    '    --scheme S                         label scheme (default auto)',
  ].join('\n');
}

export const trainUsage = trainUsageFor(TRAINING_FIELDS);

/** Training and feature configs from the flags, validated by the field tables; a bad value is a CliError. */
export function trainingFlagsToConfig(values: Record<string, string | boolean | string[] | undefined>) {
  const overrides = fieldOverrides(TRAINING_FIELDS, values);
  const split = (overrides.split ?? {}) as { kind?: string; testSpeakers?: string[]; valSpeakers?: string[] };
  if (split.kind === 'random' && (split.testSpeakers || split.valSpeakers))
    throw new CliError('--test-speakers/--val-speakers need --split speaker');
  if (values['no-augment'] === true) {
    if (overrides.augment) throw new CliError('--no-augment cannot be combined with --aug-*, --mixup or --speed-perturb');
    overrides.augment = { noise: 0, timeShift: 0, freqMask: 0, timeMask: 0, mixupAlpha: 0, speedPerturb: false };
  }
  let resolved;
  try {
    resolved = {
      config: resolveTrainingConfig(overrides),
      featureConfig: resolveFeatureConfig(fieldOverrides(FEATURE_FIELDS, values, FEATURE_SKIP)),
    };
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const problem = trainingInputProblem(resolved.config, resolved.featureConfig);
  if (problem) throw new CliError(problem);
  return resolved;
}

export async function trainCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, { ...TRAINING_FLAG_OPTIONS, ...RUN_OPTIONS });
  const root = requirePositional(positionals, 0, 'dataset folder (train DIR)');
  const { config, featureConfig } = trainingFlagsToConfig(values);
  const backend = parseBackendOption(values.backend);
  const scheme = parseSchemeOption(values.scheme);
  const name = typeof values.name === 'string' ? values.name : undefined;
  const nameProblem = name === undefined ? null : runNameProblem(name);
  if (nameProblem) throw new CliError(`--name: ${nameProblem}`);

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling after this batch (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let runDir: string | null = null;
  const stopWatching = failRunOnCrash('train', () => runDir);
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
      name,
      signal: controller.signal,
      onEvent: (event) => {
        switch (event.type) {
          case 'run':
            runDir = event.runDir;
            break;
          case 'log':
            out(event.level === 'warn' ? `warning: ${event.message}` : event.message);
            break;
          case 'features':
            if (event.progress.phase === 'done') featureBar.finish();
            else featureBar.update(event.progress.done, event.progress.total, `clips ETA ${formatDuration(event.progress.etaS)}`);
            break;
          case 'batch': {
            const p = event.progress;
            bar.update(
              p.batch,
              p.batches,
              `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)} ${p.samplesPerSecond.toFixed(1)} samples/s ETA ${formatDuration(p.etaS)}`,
            );
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
    stopWatching();
  }
}
