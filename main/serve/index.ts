/**
 * `npm run serve`: the workbench in a browser. Prints the URL (with its token) to open, e.g.
 * through `ssh -L` from a GPU server. Options: --port N, --host H (default 127.0.0.1),
 * --runs-dir D, --cache-dir D, --token T (default random).
 */
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Workspace } from '../api/workspace';
import { defaultCacheRoot } from '../features/cache';
import { APP_VERSION } from '../runs/version';
import { startServer } from './server';

const here = dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: npm run serve -- [options]   (built: node out/main/serve.js [options])

Serves the workbench to a browser on this machine; prints the URL (with its token) to open.

options:
  --port N         port to listen on (default 5317; 0 picks a free one)
  --host H         address to bind (default 127.0.0.1; anything else is reachable from the network)
  --runs-dir D     runs folder (default $SER_RUNS_DIR or ./runs)
  --cache-dir D    feature cache folder (default $SER_CACHE_DIR or the user cache)
  --token T        access token (default $SER_SERVE_TOKEN or a random one)
  -h, --help       print this text
`;

/** The built renderer: next to the bundle (out/main → out/renderer), or out/renderer from the sources. */
function rendererDir(): string {
  const candidates = [join(here, '../renderer'), join(here, '../../out/renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        help: { type: 'boolean', short: 'h' },
        port: { type: 'string' },
        host: { type: 'string' },
        'runs-dir': { type: 'string' },
        'cache-dir': { type: 'string' },
        token: { type: 'string' },
      },
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)} (see --help)`, { cause: err });
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = values.port === undefined ? 5317 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer in 0..65535 (got ${values.port})`);
  const host = values.host ?? '127.0.0.1';
  const runsDir = resolve(values['runs-dir'] ?? process.env.SER_RUNS_DIR ?? 'runs');
  const workspace = new Workspace({
    runsDir,
    cacheDir: resolve(values['cache-dir'] ?? defaultCacheRoot()),
    uploadsDir: join(runsDir, '.uploads'),
    demoDatasetPath: join(here, '../../resources/demo-emodb'),
  });
  const server = await startServer({
    rendererDir: rendererDir(),
    workspace,
    appVersion: APP_VERSION,
    host,
    port,
    token: values.token ?? process.env.SER_SERVE_TOKEN,
  });
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    process.stderr.write(`warning: listening on ${host}: anyone who can reach this address and knows the token can use the engine\n`);
  }
  process.stdout.write(`SER Workbench (serve mode) — runs in ${runsDir}\nopen ${server.openUrl}\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`serve: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
