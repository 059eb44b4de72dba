/**
 * One study member as a process of its own: what the local executor and each Slurm array task
 * start (the entry `member-entry.ts`, bundled as `study-member.js`), and what `ser study member`
 * runs too. The entry's command line is the engine's, not the CLI's:
 *
 *   node study-member.js DIR INDEX [--threads N]
 *
 * It prints the job's log lines and one `epoch E/N …` line per epoch (the local executor follows
 * them), ends a failure with one `error: REASON` line on stderr and exit code 1, and stops after
 * the current batch on SIGINT (a cancelled member exits 1 and is rerun next time).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BackendName } from '../../compute/backend';
import { failRunOnCrash } from '../crash';
import { runStudyMember, type MemberOutcome } from './member';
import type { MemberLauncher } from './slurm';

/** The entry's arguments for one member: DIR INDEX --threads N. */
export function memberEntryArgs(studyDir: string, index: number | string, threads: number | string): string[] {
  return [studyDir, String(index), '--threads', String(threads)];
}

/** Reads DIR INDEX [--threads N]; a bad one is a one-line error naming what is wrong. */
export function parseMemberEntryArgs(argv: readonly string[]): { dir: string; index: number; threads?: number } {
  const [dir, indexText, ...rest] = argv;
  const usage = 'usage: study-member DIR INDEX [--threads N]';
  if (!dir || indexText === undefined) throw new Error(`a study folder and a member index are needed (${usage})`);
  if (!/^\d+$/.test(indexText)) throw new Error(`INDEX must be a member number written in decimal (0, 1, 2, …), got '${indexText}'`);
  if (rest.length === 0) return { dir, index: Number(indexText) };
  const [flag, threadsText] = rest;
  if (flag !== '--threads' || threadsText === undefined || rest.length > 2)
    throw new Error(`unexpected arguments '${rest.join(' ')}' (${usage})`);
  if (!/^[1-9]\d*$/.test(threadsText)) throw new Error(`--threads must be a whole number ≥ 1, got '${threadsText}'`);
  return { dir, index: Number(indexText), threads: Number(threadsText) };
}

/**
 * Runs member `index` of the study in `dir` in this process, printing its progress; Ctrl-C (SIGINT)
 * cancels after the current batch, a second one quits at once. Throws when it fails or is cancelled.
 */
export async function runMemberProcess(
  dir: string,
  index: number,
  options: { threads?: number; backend?: BackendName | 'auto' } = {},
): Promise<MemberOutcome> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling after this batch (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let epochs = 0;
  let runDir: string | null = null;
  const stopWatching = failRunOnCrash('study member', () => runDir);
  try {
    const outcome = await runStudyMember(dir, index, {
      threads: options.threads,
      backend: options.backend,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'run') runDir = event.runDir;
        if (event.type === 'log') process.stdout.write(`${event.level === 'warn' ? 'warning: ' : ''}${event.message}\n`);
        if (event.type === 'batch') epochs = event.progress.epochs;
        if (event.type === 'epoch') {
          const m = event.metrics;
          process.stdout.write(
            `epoch ${m.epoch}/${epochs} train loss ${m.trainLoss.toFixed(4)} | val UAR ${m.valUar.toFixed(3)} loss ${m.valLoss.toFixed(4)} | ${m.epochSeconds.toFixed(1)} s\n`,
          );
        }
      },
    });
    if (outcome.status === 'cancelled') throw new Error(`member ${index} (${outcome.member.id}) was cancelled; it is rerun next time`);
    process.stdout.write(`${outcome.status === 'skipped' ? 'already done' : 'done'}: ${outcome.member.id}\n${outcome.runDir}\n`);
    return outcome;
  } finally {
    process.off('SIGINT', onSigint);
    stopWatching();
  }
}

/**
 * How this installation starts a member process: node (or Electron as node) with the member entry,
 * bundled next to this code as study-member.js, or its source under tsx (with the WAT loader).
 */
export function studyMemberLauncher(cwd: string = process.cwd()): MemberLauncher {
  const callerFile = fileURLToPath(import.meta.url);
  const callerDir = dirname(callerFile);
  const fromSource = callerFile.endsWith('.ts');
  const script = fromSource
    ? join(callerDir, 'member-entry.ts')
    : [callerDir, dirname(callerDir)].map((dir) => join(dir, 'study-member.js')).find((path) => existsSync(path));
  if (!script) throw new Error(`the study member entry (study-member.js) was not found next to ${callerFile}, so members cannot start`);
  const watLoader = pathToFileURL(join(callerDir, '..', '..', '..', 'scripts', 'wat-register.mjs')).href;
  const args = [...(fromSource ? ['--import', 'tsx', '--import', watLoader] : []), script];
  // The Electron binary runs a script as plain Node only with ELECTRON_RUN_AS_NODE set.
  if (process.versions.electron) {
    if (process.platform === 'win32') throw new Error('running a study from the app is not supported on Windows yet: use `ser study run`');
    return { command: '/usr/bin/env', args: ['ELECTRON_RUN_AS_NODE=1', process.execPath, ...args], cwd };
  }
  return { command: process.execPath, args, cwd };
}
