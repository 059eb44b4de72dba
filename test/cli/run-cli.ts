import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Node's arguments that run the CLI from source: tsx, and the loader of its `*.wat?bytes` imports. */
export const SOURCE_CLI = [
  '--import',
  'tsx',
  '--import',
  pathToFileURL(resolve('scripts/wat-register.mjs')).href,
  resolve('main/cli/index.ts'),
];

/** Runs the CLI from source exactly as `npm run cli -- …` does, in a child process. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 240_000): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...SOURCE_CLI, ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
