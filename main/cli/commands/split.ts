import { groupKFold, randomStratifiedSplit, scanDataset, speakerSplit, type Split } from '../../dataset';
import {
  CliError,
  parseChoice,
  parseSchemeOption,
  parseCommandArgs,
  parseListOption,
  parseNumberOption,
  printJson,
  requirePositional,
} from '../args';

export const splitUsage =
  'split DIR [--by speaker|random|kfold] [--test-speakers a,b] [--val-speakers c] [--test-ratio 0.2] [--val-ratio 0.1] [--folds 5] [--seed N] [--scheme S] [--json]';

export async function splitCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    by: { type: 'string' },
    'test-speakers': { type: 'string' },
    'val-speakers': { type: 'string' },
    'test-ratio': { type: 'string' },
    'val-ratio': { type: 'string' },
    folds: { type: 'string' },
    seed: { type: 'string' },
    scheme: { type: 'string' },
    json: { type: 'boolean' },
  });
  const root = requirePositional(positionals, 0, 'dataset folder (split DIR)');
  const by = parseChoice(values.by, 'by', ['speaker', 'random', 'kfold'] as const) ?? 'speaker';
  const seed = parseNumberOption(values.seed, 'seed', { integer: true, min: 0 }) ?? 42;
  const testRatio = parseNumberOption(values['test-ratio'], 'test-ratio', { min: 0, max: 0.9 });
  const valRatio = parseNumberOption(values['val-ratio'], 'val-ratio', { min: 0, max: 0.9 });
  const scan = await scanDataset(root, { scheme: parseSchemeOption(values.scheme) ?? 'auto' });

  let splits: Split[];
  if (by === 'speaker') {
    splits = [
      speakerSplit(scan.clips, {
        testSpeakers: parseListOption(values['test-speakers']),
        valSpeakers: parseListOption(values['val-speakers']),
        testRatio,
        valRatio,
        seed,
      }),
    ];
  } else if (by === 'random') {
    if (values['test-speakers'] || values['val-speakers']) throw new CliError('--test-speakers/--val-speakers need --by speaker');
    splits = [randomStratifiedSplit(scan.clips, { testRatio, valRatio, seed })];
  } else {
    const folds = parseNumberOption(values.folds, 'folds', { integer: true, min: 2 }) ?? 5;
    splits = groupKFold(scan.clips, folds, { seed, valRatio });
  }

  if (values.json) {
    printJson(by === 'kfold' ? splits : splits[0]);
    return;
  }
  const labelOf = new Map(scan.clips.map((c) => [c.id, c.label]));
  for (const split of splits) {
    process.stdout.write(`${split.description}\n`);
    for (const part of ['train', 'val', 'test'] as const) {
      const ids = split[part];
      const counts = new Map<string, number>();
      for (const id of ids) counts.set(labelOf.get(id)!, (counts.get(labelOf.get(id)!) ?? 0) + 1);
      const perClass = scan.labels.map((l) => `${l} ${counts.get(l) ?? 0}`).join(', ');
      process.stdout.write(
        `  ${part.padEnd(5)} ${String(ids.length).padStart(5)} clips  speakers: ${split.speakers[part].join(' ') || '-'}\n        ${perClass}\n`,
      );
    }
    if (split.leaksSpeakers) process.stdout.write('  WARNING: this split puts the same speakers in train and test (speaker leakage).\n');
  }
}
