import { resolve } from 'node:path';
import { EmotionPredictor, isPredictionFailure } from '../../pipeline/inference';
import { initBackend } from '../../compute/backend';
import { CliError, parseBackendOption, parseChoice, parseCommandArgs, printJson, requirePositional } from '../args';

export const predictUsage = 'predict RUN_OR_CHECKPOINT FILE... [--checkpoint best|final] [--backend B] [--json]';

export async function predictCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    checkpoint: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  const source = requirePositional(positionals, 0, 'run or checkpoint folder (predict RUN FILE...)');
  requirePositional(positionals, 1, 'audio file(s) to predict (predict RUN FILE...)');
  const files = positionals.slice(1).map((f) => resolve(f));
  await initBackend(parseBackendOption(values.backend) ?? 'auto');
  const predictor = await EmotionPredictor.load(source, {
    checkpoint: parseChoice(values.checkpoint, 'checkpoint', ['best', 'final'] as const),
  });
  try {
    const results = await predictor.predictMany(files);
    if (values.json) {
      printJson({ checkpoint: predictor.source, labels: predictor.labels, results });
    } else {
      if (predictor.source.note) process.stdout.write(`note: ${predictor.source.note}\n`);
      for (const result of results) {
        if (isPredictionFailure(result)) {
          process.stdout.write(`${result.path}\n  error (${result.error.code}): ${result.error.message}\n`);
          continue;
        }
        const ranked = result.ranked.map((r) => `${r.label} ${(100 * r.probability).toFixed(1)}%`).join(', ');
        process.stdout.write(
          `${result.path}\n  ${result.emotion} (${(100 * result.confidence).toFixed(1)} %)   ${ranked}   [${result.timingsMs.total.toFixed(1)} ms]\n`,
        );
      }
    }
    // The per-file results are printed first; the command still fails when nothing was predicted.
    if (results.every(isPredictionFailure)) {
      throw new CliError(
        results.length === 1 ? 'the file could not be predicted' : `none of the ${results.length} files could be predicted`,
      );
    }
  } finally {
    predictor.dispose();
  }
}
