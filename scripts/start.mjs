#!/usr/bin/env node
/**
 * `npm start`: the desktop app through `electron-vite preview` (build, then open the window), but
 * only once the Electron runtime is known to be there. Electron 45 downloads its runtime on first
 * use; where that download cannot happen, electron-vite would build for a minute and then fail with
 * "Electron uninstall" and a stack trace. This says what is missing and the way forward instead.
 * Arguments are passed on to `electron-vite preview` (e.g. `npm start -- --skipBuild`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** The Electron binary electron-vite will run (its own rule: $ELECTRON_EXEC_PATH, else electron's path.txt), or why there is none. */
function electronBinary() {
  if (process.env.ELECTRON_EXEC_PATH) return process.env.ELECTRON_EXEC_PATH;
  let electronDir;
  try {
    electronDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return join(root, 'node_modules/electron');
  }
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return join(electronDir, 'dist');
  return join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
}

const binary = electronBinary();
if (!existsSync(binary)) {
  const shown = relative(root, binary).startsWith('..') ? binary : relative(root, binary);
  process.stderr.write(
    `npm start: the Electron runtime is not installed (${shown} is missing), so the desktop app cannot open. ` +
      'Electron downloads it on first use, which needs network access and Node.js 22.12 or newer: where that works, ' +
      'run `npx install-electron` and then `npm start` again. Or run the same app in a browser: ' +
      '`npm run serve`, then open the http://127.0.0.1:5317/?token=… address it prints.\n',
  );
  process.exit(1);
}

const electronVite = join(dirname(require.resolve('electron-vite/package.json')), 'bin/electron-vite.js');
const result = spawnSync(process.execPath, [electronVite, 'preview', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
