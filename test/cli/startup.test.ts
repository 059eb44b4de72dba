import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BUILT_CLI = join(ROOT, 'out/main/cli.js');
const NOT_BUILT = 'out/main/cli.js is not built: run `npm run build` first';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], env: Record<string, string | undefined> = {}, cwd = ROOT): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ser-startup-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('npm start (scripts/start.mjs)', () => {
  const ELECTRON_MISSING = /the Electron runtime is not installed \(.+ is missing\).*`npm run serve`, then open/s;

  it('where the Electron binary is missing, says what is missing and points to npm run serve, exit 1', async () => {
    const missing = join(scratch, 'no-such-electron');
    const result = await runNode(['scripts/start.mjs'], { ELECTRON_EXEC_PATH: missing });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(ELECTRON_MISSING);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("finds Electron's own runtime the way electron-vite does (here it has not been downloaded)", async (ctx) => {
    const electronDir = join(ROOT, 'node_modules/electron');
    const pathFile = join(electronDir, 'path.txt');
    if (existsSync(pathFile) && existsSync(join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()))) {
      console.log('skipped: the Electron runtime is installed here, so npm start would open the app');
      ctx.skip();
    }
    const result = await runNode(['scripts/start.mjs'], { ELECTRON_EXEC_PATH: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(ELECTRON_MISSING);
  });

  it('where the binary exists, runs electron-vite preview with it and passes its exit code on', async () => {
    expect(existsSync(join(ROOT, 'out/main/index.js')), 'out/main/index.js is not built: run `npm run build` first').toBe(true);
    const fake = join(scratch, 'fake-electron.sh');
    const argsFile = join(scratch, 'electron-args.txt');
    writeFileSync(fake, `#!/bin/sh\necho "$@" > '${argsFile}'\nexit 3\n`);
    chmodSync(fake, 0o755);
    const result = await runNode(['scripts/start.mjs', '--skipBuild'], { ELECTRON_EXEC_PATH: fake });
    expect(result.code).toBe(3);
    expect(readFileSync(argsFile, 'utf8').trim()).toBe('.');
  });
});

describe('npm run cli (scripts/cli.mjs) builds only when out/ is missing or stale', () => {
  /** A throwaway project: the real scripts/cli.mjs, a main/ source and an electron-vite whose "build" counts itself. */
  function fakeProject(buildExitCode = 0): string {
    const root = mkdtempSync(join(scratch, 'project-'));
    mkdirSync(join(root, 'scripts'));
    copyFileSync(join(ROOT, 'scripts/cli.mjs'), join(root, 'scripts/cli.mjs'));
    mkdirSync(join(root, 'main'));
    writeFileSync(join(root, 'main/a.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'main/b.ts'), 'export const b = 2;\n');
    writeFileSync(join(root, 'package.json'), '{ "name": "fake", "type": "module" }\n');
    const bin = join(root, 'node_modules/electron-vite/bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(root, 'node_modules/electron-vite/package.json'), '{ "name": "electron-vite", "version": "0.0.0" }\n');
    writeFileSync(
      join(bin, 'electron-vite.js'),
      `const fs = require('node:fs');
if (${buildExitCode}) process.exit(${buildExitCode});
const n = fs.existsSync('builds.txt') ? Number(fs.readFileSync('builds.txt', 'utf8')) + 1 : 1;
fs.writeFileSync('builds.txt', String(n));
fs.mkdirSync('out/main', { recursive: true });
fs.writeFileSync('out/main/cli.js', 'process.stdout.write("build " + ' + n + ' + " args " + process.argv.slice(2).join(" ") + "\\\\n");\\n');
`,
    );
    writeFileSync(join(root, 'node_modules/electron-vite/bin/package.json'), '{ "type": "commonjs" }\n');
    return root;
  }

  const ageBuild = (root: string) => {
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'out/main/cli.js'), past, past);
  };

  it('builds when out/ is missing, then runs the built CLI with the arguments', async () => {
    const root = fakeProject();
    const first = await runNode(['scripts/cli.mjs', 'scan', 'x'], {}, root);
    expect(first.stdout).toBe('build 1 args scan x\n');
    expect(first.stderr).toContain('building out/');
    const second = await runNode(['scripts/cli.mjs', '--help'], {}, root);
    expect(second).toEqual({ code: 0, stdout: 'build 1 args --help\n', stderr: '' });
  });

  it('rebuilds when a source is newer than the build, or one was deleted', async () => {
    const root = fakeProject();
    await runNode(['scripts/cli.mjs'], {}, root);
    ageBuild(root);
    writeFileSync(join(root, 'main/a.ts'), 'export const a = 3;\n');
    expect((await runNode(['scripts/cli.mjs'], {}, root)).stdout).toBe('build 2 args \n');
    ageBuild(root);
    rmSync(join(root, 'main/b.ts'));
    expect((await runNode(['scripts/cli.mjs'], {}, root)).stdout).toBe('build 3 args \n');
    expect((await runNode(['scripts/cli.mjs'], {}, root)).stdout).toBe('build 3 args \n');
  });

  it('a failed build exits 1 and does not run the stale CLI', async () => {
    const root = fakeProject(2);
    mkdirSync(join(root, 'out/main'), { recursive: true });
    writeFileSync(join(root, 'out/main/cli.js'), 'process.stdout.write("stale\\n");\n');
    ageBuild(root);
    const result = await runNode(['scripts/cli.mjs'], {}, root);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('the build failed (exit 2)');
  });
});

describe('the CLI loads heavy modules only in the commands that need them', () => {
  /**
   * Runs the built CLI under a module hook that logs every ESM specifier resolved and, at exit,
   * every CommonJS module loaded (createRequire shares one cache), so the test sees what was loaded.
   */
  async function loadedModules(args: string[]): Promise<string[]> {
    const log = join(scratch, `modules-${args.join('-').replace(/\W/g, '_')}.txt`);
    const hooks = join(scratch, 'hooks.mjs');
    const register = join(scratch, 'register.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  appendFileSync(process.env.SER_TEST_MODULE_LOG, specifier + '\\n');
  return next(specifier, context);
}
`,
    );
    writeFileSync(
      register,
      `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(process.env.SER_TEST_MODULE_LOG, Object.keys(cache).join('\\n') + '\\n'));
`,
    );
    writeFileSync(log, '');
    const result = await runNode(['--import', register, ...args], { SER_TEST_MODULE_LOG: log });
    expect(result.code, result.stderr).toBe(0);
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  }
  const HEAVY = /@tensorflow[\\/]|[\\/]koffi[\\/]|^koffi$|[\\/]meyda[\\/]|^meyda$/;

  it('`ser --help` and `ser scan --help` load no TensorFlow, wasm backend, koffi or Meyda', async () => {
    expect(existsSync(BUILT_CLI), NOT_BUILT).toBe(true);
    for (const args of [
      [BUILT_CLI, '--help'],
      [BUILT_CLI, 'scan', '--help'],
      ['scripts/cli.mjs', '--help'],
    ]) {
      const modules = await loadedModules(args);
      expect(
        modules.some((m) => m.includes('cli.js')),
        `the hook saw ${args.join(' ')} load`,
      ).toBe(true);
      expect(
        modules.filter((m) => HEAVY.test(m)),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it('`ser train --help` does load TensorFlow (the check above sees heavy modules when they load)', async () => {
    expect(existsSync(BUILT_CLI), NOT_BUILT).toBe(true);
    const modules = await loadedModules([BUILT_CLI, 'train', '--help']);
    expect(modules.some((m) => HEAVY.test(m))).toBe(true);
  });
});

describe('the declared Node version', () => {
  it('package.json, the release workflow and the README agree', () => {
    const declared = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    const [major, minor] = /^>=(\d+)\.(\d+)$/.exec(declared)!.slice(1).map(Number) as [number, number];
    const workflow = readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8');
    const versions = [...workflow.matchAll(/node-version:\s*'?([\d.]+)'?/g)].map((m) => m[1]!);
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) {
      // A bare major (`22`) means the newest release of that line.
      const [wMajor, wMinor] = version.split('.').map(Number) as [number, number?];
      const ok = wMajor > major || (wMajor === major && (wMinor === undefined || wMinor >= minor));
      expect(ok, `release.yml node-version ${version} vs engines ${declared}`).toBe(true);
    }
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`Node.js ${major}.${minor}`);
  });
});
