import { resolve } from 'node:path';
import { writeFusedCheckpoint } from '../../pipeline/inference';
import { CliError, parseChoice, parseCommandArgs } from '../args';

export const fuseUsage = 'fuse RUN_OR_CHECKPOINT RUN_OR_CHECKPOINT... --out DIR [--checkpoint best|final]';

/** Copies two or more checkpoints into one fused checkpoint folder that `predict` accepts. */
export async function fuseCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, { out: { type: 'string' }, checkpoint: { type: 'string' } });
  if (!values.out) throw new CliError('missing --out DIR (the new fused checkpoint folder)');
  if (positionals.length < 2) throw new CliError('give at least two runs or checkpoints to fuse');
  let manifest;
  try {
    manifest = await writeFusedCheckpoint(positionals, values.out, {
      checkpoint: parseChoice(values.checkpoint, 'checkpoint', ['best', 'final'] as const),
    });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  }
  process.stdout.write(
    `fused ${manifest.members.length} checkpoints (${manifest.members.map((m) => m.modelName).join(', ')}) predicting ${manifest.labels.join(', ')}: their class probabilities are averaged\n` +
      manifest.members.map((m) => `  ${m.dir} ← ${m.from}\n`).join('') +
      `${resolve(values.out)}\n`,
  );
}
