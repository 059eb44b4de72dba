import { createReadStream } from 'node:fs';
import { basename, resolve } from 'node:path';
import { WavStreamReader } from '../../audio';
import { initBackend } from '../../compute/backend';
import { ListenSession, loadListenPredictor, resolveListenSettings } from '../../pipeline/listen';
import { LISTEN_FIELDS, type ListenWindow } from '../../schema/listenFields';
import {
  CliError,
  fieldOptions,
  fieldOverrides,
  fieldUsage,
  parseBackendOption,
  parseChoice,
  parseCommandArgs,
  requirePositional,
} from '../args';

export const listenUsage = [
  'listen RUN_OR_CHECKPOINT [-|FILE] [--checkpoint best|final] [--encoder-dir DIR] [options] [--backend B]',
  '  reads a WAV stream from standard input (e.g. `sox -d -t wav - | ser listen RUN`) or a file as if it were live,',
  '  and prints one JSON line per window: its times, level, and (above the gate) the class probabilities.',
  "  --encoder-dir: where the checkpoint's encoder folder is now (its model file must have the recorded sha256)",
  '  options:',
  ...fieldUsage(LISTEN_FIELDS),
].join('\n');

/** One window as a JSON line: probabilities keyed by label. */
function windowLine(window: ListenWindow, labels: readonly string[]): string {
  const { probabilities, ...rest } = window;
  const keyed = probabilities && Object.fromEntries(labels.map((label, i) => [label, probabilities[i]!]));
  return JSON.stringify({ ...rest, ...(keyed && { probabilities: keyed }) });
}

export async function listenCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    checkpoint: { type: 'string' },
    'encoder-dir': { type: 'string' },
    backend: { type: 'string' },
    ...fieldOptions(LISTEN_FIELDS),
  });
  const source = requirePositional(positionals, 0, 'run or checkpoint folder (listen RUN [-|FILE])');
  if (positionals.length > 2) throw new CliError(`listen reads one stream; got ${positionals.length - 1} inputs`);
  const input = positionals[1] ?? '-';
  const overrides = fieldOverrides(LISTEN_FIELDS, values);
  await initBackend(parseBackendOption(values.backend) ?? 'auto');
  const predictor = await loadListenPredictor(
    source,
    parseChoice(values.checkpoint, 'checkpoint', ['best', 'final'] as const),
    values['encoder-dir'],
  );
  try {
    const settings = resolveListenSettings(overrides, {
      featureConfig: predictor.featureConfig,
      normalization: predictor.manifest.normalization.mode,
    });
    const name = input === '-' ? 'stdin' : basename(input);
    const stream: AsyncIterable<Uint8Array> =
      input === '-' ? process.stdin : createReadStream(resolve(input), { highWaterMark: 16 * 1024 });
    const reader = new WavStreamReader(name);
    let session: ListenSession | null = null;
    for await (const bytes of stream) {
      const samples = reader.push(bytes);
      if (!session && reader.format) {
        session = new ListenSession(predictor, settings, reader.format.sampleRate);
        if (predictor.source.note) process.stderr.write(`note: ${predictor.source.note}\n`);
        process.stderr.write(
          `listening to ${name} (${reader.format.sampleRate} Hz, ${reader.format.channels} channel(s), ${reader.format.encoding}) with ` +
            `${predictor.manifest.modelName}: window ${settings.windowS.toFixed(2)} s, hop ${settings.hopS.toFixed(2)} s, ` +
            `gate ${settings.gateDb} dB, normalisation ${settings.normalization}\n`,
        );
      }
      if (session && samples.length > 0) {
        for (const window of await session.push(samples)) process.stdout.write(`${windowLine(window, predictor.labels)}\n`);
      }
    }
    reader.end();
    for (const window of await session!.finish()) process.stdout.write(`${windowLine(window, predictor.labels)}\n`);
  } finally {
    predictor.dispose();
  }
}
