import { basename, resolve } from 'node:path';
import {
  FusedPredictor,
  isPredictionFailure,
  loadPredictor,
  SPEAKER_NAME_SCHEMES,
  speakersFromNames,
  type PredictionFailure,
} from '../../pipeline/inference';
import { initBackend } from '../../compute/backend';
import { CliError, PartialFailure, parseBackendOption, parseChoice, parseCommandArgs, printJson, requirePositional } from '../args';

export const predictUsage =
  'predict RUN_OR_CHECKPOINT_OR_FUSED FILE... [--checkpoint best|final] [--speaker ID | --speakers-from auto|SCHEME] [--encoder-dir DIR] [--backend B] [--json]\n' +
  "  --encoder-dir: where the checkpoint's encoder folder is now (its model file must have the recorded sha256)\n" +
  '  exits 0 when every file was predicted, 2 when some could not be (each says why), 1 when none could';

/**
 * The speaker of each file for a per-speaker model: `--speaker ID` (all files are one speaker) or
 * `--speakers-from` (read from the file names); undefined when neither is given.
 */
function speakersOf(files: readonly string[], speaker: string | undefined, from: string | undefined): string[] | undefined {
  if (speaker !== undefined && from !== undefined) throw new CliError('give --speaker or --speakers-from, not both');
  if (speaker !== undefined) {
    if (speaker.trim() === '') throw new CliError('--speaker needs a speaker id');
    return files.map(() => speaker);
  }
  const scheme = parseChoice(from, 'speakers-from', ['auto', ...SPEAKER_NAME_SCHEMES] as const);
  return scheme === undefined ? undefined : speakersFromNames(files, scheme);
}

/** `error (code): reason`, without the file name and code the message repeats (the path is on the line above). */
function failureText(failure: PredictionFailure): string {
  const { code, message } = failure.error;
  let reason = message.startsWith(`${basename(failure.path)}: `) ? message.slice(basename(failure.path).length + 2) : message;
  if (reason.startsWith(`${code}: `)) reason = reason.slice(code.length + 2);
  return `error (${code}): ${reason}`;
}

export async function predictCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    checkpoint: { type: 'string' },
    speaker: { type: 'string' },
    'speakers-from': { type: 'string' },
    'encoder-dir': { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  const source = requirePositional(positionals, 0, 'run or checkpoint folder (predict RUN FILE...)');
  requirePositional(positionals, 1, 'audio file(s) to predict (predict RUN FILE...)');
  const files = positionals.slice(1).map((f) => resolve(f));
  const speakers = speakersOf(files, values.speaker, values['speakers-from']);
  // Files are predicted one at a time: one compute thread. XNNPACK's thread pool hands each of a
  // clip's small ops to the other threads at a cost above the op's own (measured on 2 busy cores:
  // the crnn's model time 10-16 ms with 2 threads, 4.4 ms with 1).
  await initBackend(parseBackendOption(values.backend) ?? 'auto', { threads: 1 });
  const predictor = await loadPredictor(source, {
    checkpoint: parseChoice(values.checkpoint, 'checkpoint', ['best', 'final'] as const),
    encoderDir: values['encoder-dir'],
  });
  try {
    const results = await predictor.predictMany(files, { speakers });
    // A fused checkpoint's members each normalise their own way.
    const modes = predictor instanceof FusedPredictor ? predictor.normalizations : [predictor.manifest.normalization.mode];
    const mode = [...new Set(modes)].join('+');
    const note =
      speakers !== undefined && !modes.includes('speaker')
        ? `the checkpoint normalises ${mode === 'global' ? 'with training statistics' : mode === 'clip' ? 'per clip' : `(${mode})`}, so speaker ids do not change its predictions`
        : undefined;
    if (values.json) {
      printJson({ checkpoint: predictor.source, labels: predictor.labels, normalization: mode, ...(note && { note }), results });
    } else {
      if (predictor.source.note) process.stdout.write(`note: ${predictor.source.note}\n`);
      if (note) process.stdout.write(`note: ${note}\n`);
      for (const result of results) {
        if (isPredictionFailure(result)) {
          process.stdout.write(`${result.path}\n  ${failureText(result)}\n`);
          continue;
        }
        const ranked = result.ranked.map((r) => `${r.label} ${(100 * r.probability).toFixed(1)}%`).join(', ');
        process.stdout.write(
          `${result.path}\n  ${result.emotion} (${(100 * result.confidence).toFixed(1)} %)   ${ranked}   [${result.timingsMs.total.toFixed(1)} ms]\n`,
        );
        if (result.warning) process.stdout.write(`  warning: ${result.warning}\n`);
      }
    }
    // The per-file results are printed first; then the exit code says whether every file was predicted.
    const failed = results.filter(isPredictionFailure).length;
    if (failed === results.length) {
      throw new CliError(
        results.length === 1 ? 'the file could not be predicted' : `none of the ${results.length} files could be predicted`,
      );
    }
    if (failed > 0) throw new PartialFailure(`${failed} of ${results.length} files could not be predicted (see above)`);
  } finally {
    predictor.dispose();
  }
}
