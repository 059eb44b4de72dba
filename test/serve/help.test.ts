/** `serve --help` prints the usage (it used to answer "Unknown option '--help'"); a wrong option points to it. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

function runServe(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', pathToFileURL(resolve('scripts/wat-register.mjs')).href, resolve('main/serve/index.ts'), ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('serve command line', () => {
  it('--help prints the options and exits 0 without starting a server', async () => {
    const result = await runServe(['--help']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run serve/);
    for (const option of ['--port', '--host', '--runs-dir', '--cache-dir', '--token']) expect(result.stdout).toContain(option);
    expect(result.stdout).not.toContain('open http');
  }, 120_000);

  it('an unknown option fails naming it and pointing to --help', async () => {
    const result = await runServe(['--prot', '80']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Unknown option '--prot'");
    expect(result.stderr).toContain('(see --help)');
  }, 120_000);
});
