/**
 * Serve mode: the built renderer over HTTP on loopback, and the one handler table over a
 * WebSocket that requires the session's random token. The same UI then runs in any browser
 * (e.g. through an SSH tunnel to a GPU server); end-to-end tests drive it this way.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, relative, isAbsolute } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { SERVE_SOCKET_PATH, SERVE_TOKEN_PARAM, type ApiErrorPayload, type SocketMessage } from '../api/contract';
import { SERVE_TOKEN_CHECK_PATH } from '../schema/channels';
import { ApiError, createEngine, dispatch, type Engine } from '../api/handlers';
import type { Emit } from '../api/jobs';
import type { Workspace } from '../api/workspace';

export interface ServeOptions {
  rendererDir: string;
  workspace: Workspace;
  appVersion: string;
  /** Default 127.0.0.1. Anything else exposes the engine to the network: the caller warns. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** Largest WebSocket message (uploads for prediction travel as base64). */
  maxMessageBytes?: number;
}

export interface RunningServer {
  url: string;
  /** The URL with the token: what the user opens. */
  openUrl: string;
  port: number;
  token: string;
  engine: Engine;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export const DEFAULT_MAX_MESSAGE_BYTES = 80 * 1024 * 1024;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time token check (hashing first makes the lengths equal). */
export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  return typeof given === 'string' && timingSafeEqual(digest(given), digest(expected));
}

export function contentSecurityPolicy(host: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    `connect-src 'self' blob: ws://${host}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return !rel.startsWith('..') && !isAbsolute(rel);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('hex');
  const indexFile = join(options.rendererDir, 'index.html');
  if (!existsSync(indexFile)) throw new Error(`the built renderer is missing (${indexFile}): run \`npm run build\` first`);

  const sockets = new Set<WebSocket>();
  const emit: Emit = (event, payload) => {
    const text = JSON.stringify({ event, payload } satisfies SocketMessage);
    for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(text);
  };
  const engine = createEngine({ appVersion: options.appVersion, door: 'serve', workspace: options.workspace, emit });
  await options.workspace.ensureFolders();

  let port = 0;
  /** Host headers we answer to: the loopback names with our port (refuses DNS-rebinding hosts). */
  const allowedHosts = () => new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  const server: Server = createServer((req, res) => serveStatic(req, res));
  function serveStatic(req: IncomingMessage, res: ServerResponse): void {
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('unknown host');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (url.pathname === SERVE_TOKEN_CHECK_PATH) {
      // Lets the page tell a wrong token from a stopped server; answers nothing else.
      const right = tokenMatches(url.searchParams.get(SERVE_TOKEN_PARAM), token);
      res
        .writeHead(right ? 204 : 401, { 'cache-control': 'no-store', 'content-type': 'text/plain' })
        .end(right ? undefined : 'wrong token');
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    const file = normalize(join(options.rendererDir, pathname === '/' ? 'index.html' : pathname));
    if (pathname.includes('\0') || !isInside(file, options.rendererDir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': contentSecurityPolicy(req.headers.host!),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      // The page URL carries the token: never send it anywhere.
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`);
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== SERVE_SOCKET_PATH) return refuse(404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(421, 'Misdirected Request');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts().has(origin.replace(/^http:\/\//, ''))) return refuse(403, 'Forbidden origin');
    if (!tokenMatches(url.searchParams.get(SERVE_TOKEN_PARAM), token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => sockets.delete(ws));
    ws.on('message', async (data, isBinary) => {
      let request: { id?: unknown; name?: unknown; args?: unknown };
      try {
        if (isBinary) throw new Error('binary messages are not part of the protocol');
        request = JSON.parse(data.toString()) as typeof request;
        if (typeof request !== 'object' || request === null || typeof request.id !== 'number')
          throw new Error('a request needs a numeric id');
      } catch (err) {
        const error: ApiErrorPayload = { code: 'invalid-arguments', message: `malformed request: ${(err as Error).message}` };
        ws.send(JSON.stringify({ id: -1, ok: false, error } satisfies SocketMessage));
        return;
      }
      const id = request.id as number;
      let reply: SocketMessage;
      try {
        reply = { id, ok: true, value: await dispatch(engine.handlers, request.name, request.args) };
      } catch (err) {
        const error = err instanceof ApiError ? err : new ApiError('failed', String(err));
        reply = { id, ok: false, error: { code: error.code, message: error.message } };
      }
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
    });
  }

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  return {
    url,
    openUrl: `${url}?${SERVE_TOKEN_PARAM}=${token}`,
    port,
    token,
    engine,
    async close() {
      for (const socket of sockets) socket.terminate();
      wss.close();
      await engine.close();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}
