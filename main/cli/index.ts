#!/usr/bin/env node
/**
 * `ser` — the headless door to the engine: the same pipeline as the desktop app, with terminal
 * progress bars. Each command lives in ./commands; this file only dispatches and reports errors.
 * A command's module is imported only when that command runs (or its --help is asked for), so
 * `ser --help` and the light commands never load TensorFlow, the wasm backend, koffi or Meyda.
 */
import { CliError, EXIT, PartialFailure } from './args';

interface CommandModule {
  usage: string;
  run(argv: string[]): Promise<void>;
}

interface Command {
  summary: string;
  load(): Promise<CommandModule>;
}

const COMMANDS: Record<string, Command> = {
  scan: {
    summary: 'detect the label scheme and summarise a dataset folder',
    load: () => import('./commands/scan').then((m) => ({ usage: m.scanUsage, run: m.scanCommand })),
  },
  features: {
    summary: 'extract (and cache) features; optionally export .npy',
    load: () => import('./commands/features').then((m) => ({ usage: m.featuresUsage, run: m.featuresCommand })),
  },
  split: {
    summary: 'show a reproducible speaker-independent (or random / k-fold) split',
    load: () => import('./commands/split').then((m) => ({ usage: m.splitUsage, run: m.splitCommand })),
  },
  train: {
    summary: 'train a model; prints the run folder on its last line',
    load: () => import('./commands/train').then((m) => ({ usage: m.trainUsage, run: m.trainCommand })),
  },
  evaluate: {
    summary: "evaluate a run's checkpoint on its test split or another dataset",
    load: () => import('./commands/evaluate').then((m) => ({ usage: m.evaluateUsage, run: m.evaluateCommand })),
  },
  compare: {
    summary: "compare best vs final, or two runs, with McNemar's exact test",
    load: () => import('./commands/compare').then((m) => ({ usage: m.compareUsage, run: m.compareCommand })),
  },
  predict: {
    summary: 'predict the emotion of audio files with a trained checkpoint',
    load: () => import('./commands/predict').then((m) => ({ usage: m.predictUsage, run: m.predictCommand })),
  },
  listen: {
    summary: 'classify a live WAV stream (standard input) or a file window by window, one JSON line each',
    load: () => import('./commands/listen').then((m) => ({ usage: m.listenUsage, run: m.listenCommand })),
  },
  fuse: {
    summary: 'fuse checkpoints into one that averages their class probabilities',
    load: () => import('./commands/fuse').then((m) => ({ usage: m.fuseUsage, run: m.fuseCommand })),
  },
  export: {
    summary: "export a run's checkpoint as an ONNX model with its feature settings",
    load: () => import('./commands/export').then((m) => ({ usage: m.exportUsage, run: m.exportCommand })),
  },
  runs: {
    summary: 'list the runs in the runs folder',
    load: () => import('./commands/runs').then((m) => ({ usage: m.runsUsage, run: m.runsCommand })),
  },
  backends: {
    summary: 'list the compute backends: which start here, why not, and the GPU adapter',
    load: () => import('./commands/backends').then((m) => ({ usage: m.backendsUsage, run: m.backendsCommand })),
  },
  study: {
    summary: 'cross-validation folds × seeds × a grid as one experiment, run locally or on Slurm',
    load: () => import('./commands/study').then((m) => ({ usage: m.studyUsage, run: m.studyCommand })),
  },
};

const EXIT_CODES = [
  'exit codes:',
  `  ${EXIT.ok}  everything asked for was done`,
  `  ${EXIT.failed}  the command failed (the last line on stderr says why)`,
  `  ${EXIT.partlyFailed}  partly failed: some of the files or members failed; the rest were done and printed`,
].join('\n');

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `SER Workbench command line\n\nusage: ser COMMAND [options]    (ser COMMAND --help lists its options)\n\ncommands:\n${lines.join('\n')}\n\n${EXIT_CODES}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`ser: unknown command '${name}'\n${usage()}`);
    return 1;
  }
  try {
    const loaded = await command.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`usage: ser ${loaded.usage}\n`);
      return 0;
    }
    await loaded.run(rest);
    return EXIT.ok;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ser ${name}: error: ${message.split('\n')[0]}\n`);
    if (process.env.SER_DEBUG && err instanceof Error && !(err instanceof CliError)) process.stderr.write(`${err.stack}\n`);
    return err instanceof PartialFailure ? EXIT.partlyFailed : EXIT.failed;
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
