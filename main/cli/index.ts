#!/usr/bin/env node
/**
 * `ser` — the headless door to the engine: the same pipeline as the desktop app, with terminal
 * progress bars. Each command lives in ./commands; this file only dispatches and reports errors.
 */
import { CliError } from './args';
import { compareCommand, compareUsage } from './commands/compare';
import { evaluateCommand, evaluateUsage } from './commands/evaluate';
import { featuresCommand, featuresUsage } from './commands/features';
import { predictCommand, predictUsage } from './commands/predict';
import { runsCommand, runsUsage } from './commands/runs';
import { scanCommand, scanUsage } from './commands/scan';
import { splitCommand, splitUsage } from './commands/split';
import { studyCommand, studyUsage } from './commands/study';
import { trainCommand, trainUsage } from './commands/train';

interface Command {
  usage: string;
  summary: string;
  run(argv: string[]): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  scan: { usage: scanUsage, summary: 'detect the label scheme and summarise a dataset folder', run: scanCommand },
  features: { usage: featuresUsage, summary: 'extract (and cache) features; optionally export .npy', run: featuresCommand },
  split: { usage: splitUsage, summary: 'show a reproducible speaker-independent (or random / k-fold) split', run: splitCommand },
  train: { usage: trainUsage, summary: 'train a model; prints the run folder on its last line', run: trainCommand },
  evaluate: { usage: evaluateUsage, summary: "evaluate a run's checkpoint on its test split or another dataset", run: evaluateCommand },
  compare: { usage: compareUsage, summary: 'compare best vs final, or two runs, with McNemar\'s exact test', run: compareCommand },
  predict: { usage: predictUsage, summary: 'predict the emotion of audio files with a trained checkpoint', run: predictCommand },
  runs: { usage: runsUsage, summary: 'list the runs in the runs folder', run: runsCommand },
  study: { usage: studyUsage, summary: 'cross-validation folds × seeds × a grid as one experiment, run locally or on Slurm', run: studyCommand },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([, c]) => `  ser ${c.usage}\n      ${c.summary}`);
  return `SER Workbench command line\n\nusage:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ser: unknown command '${name}'\n${usage()}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: ser ${command.usage}\n`);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ser ${name}: error: ${message.split('\n')[0]}\n`);
    if (process.env.SER_DEBUG && err instanceof Error && !(err instanceof CliError)) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

/** Exits once stdout is flushed: the wasm backend's thread pool would otherwise keep the process alive. */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(exitAfterFlush, (err) => {
  process.stderr.write(`ser: fatal: ${(err as Error).message}\n`);
  exitAfterFlush(1);
});
