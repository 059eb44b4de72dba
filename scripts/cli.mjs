#!/usr/bin/env node
/**
 * `npm run cli -- …`: runs the built CLI (out/main/cli.js), building it first only when it is
 * missing or older than any source it is built from. Transpiling the sources at every start
 * (tsx) cost seconds per command; a fresh build costs nothing after the first run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'out/main/cli.js');
/** What the main bundle is built from. A folder's own mtime counts too, so a deleted file also rebuilds. */
const SOURCES = ['main', 'electron.vite.config.ts', 'package.json'];

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function isStale() {
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((source) => existsSync(join(root, source)) && newestMtime(join(root, source)) > builtAt);
}

if (isStale()) {
  process.stderr.write('ser: building out/ (missing or older than the sources)…\n');
  const require = createRequire(join(root, 'package.json'));
  const electronVite = join(dirname(require.resolve('electron-vite/package.json')), 'bin/electron-vite.js');
  // The build's log goes to stderr so that `--json` output on stdout stays clean.
  const build = spawnSync(process.execPath, [electronVite, 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    process.stderr.write(`ser: the build failed (exit ${build.status ?? build.signal}); see the messages above.\n`);
    process.exit(1);
  }
}

await import(pathToFileURL(built).href);
