import { resolve } from 'node:path';
import { writeFusedRun } from '../../pipeline/fusedRun';
import { writeFusedCheckpoint } from '../../pipeline/inference';
import { CliError, parseChoice, parseCommandArgs } from '../args';

export const fuseUsage = [
  'fuse RUN_OR_CHECKPOINT RUN_OR_CHECKPOINT... --out DIR [--checkpoint best|final] [--run]',
  '      a fused checkpoint: predict averages its members’ class probabilities;',
  '      --run: RUNs only, DIR becomes a run folder (put it in the runs folder: the app lists it, with the members’ test predictions averaged as its evaluation)',
].join('\n');

/** Copies two or more checkpoints into one fused checkpoint folder (or run folder) that `predict` and the app accept. */
export async function fuseCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: 'string' },
    checkpoint: { type: 'string' },
    run: { type: 'boolean' },
  });
  if (!values.out) throw new CliError('missing --out DIR (the new fused checkpoint folder)');
  if (positionals.length < 2) throw new CliError('give at least two runs or checkpoints to fuse');
  const checkpoint = parseChoice(values.checkpoint, 'checkpoint', ['best', 'final'] as const);
  try {
    if (values.run) {
      const record = await writeFusedRun(positionals, values.out, { checkpoint });
      process.stdout.write(`fused run ${record.id}: ${record.name}\n${resolve(values.out)}\n`);
      return;
    }
    const manifest = await writeFusedCheckpoint(positionals, values.out, { checkpoint });
    process.stdout.write(
      `fused ${manifest.members.length} checkpoints (${manifest.members.map((m) => m.modelName).join(', ')}) predicting ${manifest.labels.join(', ')}: their class probabilities are averaged\n` +
        manifest.members.map((m) => `  ${m.dir} ← ${m.from}\n`).join('') +
        `${resolve(values.out)}\n`,
    );
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  }
}
