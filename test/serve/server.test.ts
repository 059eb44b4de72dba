/**
 * Serve-mode security: the WebSocket bridge needs the token (compared in constant time), checks
 * Host and Origin, limits message size, and the static server stays inside the renderer folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Workspace } from '../../main/api/workspace';
import { startServer, tokenMatches, type RunningServer } from '../../main/serve/server';

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<HttpReply> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** Opens a socket; resolves with the HTTP status of a refused upgrade, or the open socket. */
function connect(url: string, headers: Record<string, string> = {}, maxPayload?: number): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((done) => {
    const socket = new WebSocket(url, { headers, maxPayload });
    socket.on('open', () => done({ status: 101, socket }));
    socket.on('unexpected-response', (_req, res) => done({ status: res.statusCode ?? 0 }));
    socket.on('error', () => done({ status: 0 }));
  });
}

function ask(socket: WebSocket, message: string): Promise<Record<string, unknown>> {
  return new Promise((done) => {
    const onMessage = (data: WebSocket.RawData) => {
      const parsed = JSON.parse(data.toString()) as Record<string, unknown>;
      if ('id' in parsed) {
        socket.off('message', onMessage);
        done(parsed);
      }
    };
    socket.on('message', onMessage);
    socket.send(message);
  });
}

describe('serve mode', () => {
  let dir: string;
  let server: RunningServer;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ser-serve-'));
    const rendererDir = join(dir, 'renderer');
    mkdirSync(join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>SER Workbench</title>');
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'uploads'),
      demoDatasetPath: resolve('resources/demo-emodb'),
    });
    server = await startServer({ rendererDir, workspace, appVersion: '0.0.0-test', maxMessageBytes: 64 * 1024 });
    base = `ws://127.0.0.1:${server.port}/api`;
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds to loopback and prints a URL with a long random token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    expect(server.openUrl).toContain(`?token=${server.token}`);
  });

  it('compares tokens exactly', () => {
    expect(tokenMatches(server.token, server.token)).toBe(true);
    expect(tokenMatches(server.token.slice(0, -1), server.token)).toBe(false);
    expect(tokenMatches(`${server.token}x`, server.token)).toBe(false);
    expect(tokenMatches(undefined, server.token)).toBe(false);
    expect(tokenMatches('', server.token)).toBe(false);
  });

  it('refuses the socket without the token, with a wrong one, from another origin or host', async () => {
    expect((await connect(base)).status).toBe(401);
    expect((await connect(`${base}?token=wrong`)).status).toBe(401);
    expect((await connect(`${base}?token=${server.token.toUpperCase()}`)).status).toBe(401);
    expect((await connect(`${base}?token=${server.token}`, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await connect(`${base}?token=${server.token}`, { Host: `evil.example:${server.port}` })).status).toBe(421);
    expect((await connect(`ws://127.0.0.1:${server.port}/other?token=${server.token}`)).status).toBe(404);
  });

  it('answers requests over the socket with the token, and rejects malformed ones clearly', async () => {
    const { status, socket } = await connect(`${base}?token=${server.token}`, { Origin: `http://127.0.0.1:${server.port}` });
    expect(status).toBe(101);
    const info = await ask(socket!, JSON.stringify({ id: 1, name: 'app.info', args: {} }));
    expect(info).toMatchObject({ id: 1, ok: true, value: { name: 'SER Workbench', door: 'serve' } });
    expect(await ask(socket!, 'not json')).toMatchObject({ id: -1, ok: false, error: { code: 'invalid-arguments' } });
    expect(await ask(socket!, JSON.stringify({ id: 2, name: 'dataset.open', args: { root: 7 } }))).toMatchObject({
      id: 2,
      ok: false,
      error: { code: 'invalid-arguments', message: "dataset.open: 'root' must be a non-empty string" },
    });
    expect(await ask(socket!, JSON.stringify({ id: 3, name: 'fs.readFile', args: {} }))).toMatchObject({
      id: 3,
      ok: false,
      error: { code: 'unknown-request' },
    });
    expect(await ask(socket!, JSON.stringify({ id: 4, name: 'clip.view', args: { path: join(dir, 'secret.txt') } }))).toMatchObject({
      id: 4,
      ok: false,
      error: { code: 'forbidden' },
    });
    socket!.close();
  });

  it('refuses a training config with a wrong type, a non-finite value or an unknown key over the socket, naming the field', async () => {
    const { socket } = await connect(`${base}?token=${server.token}`, { Origin: `http://127.0.0.1:${server.port}` });
    const root = resolve('resources/demo-emodb');
    const cases: [unknown, RegExp][] = [
      [{ learningRate: '0.001' }, /learningRate must be a number .*, got the string "0\.001"/],
      [{ balancedSampler: 'false' }, /balancedSampler must be true or false, got the string "false"/],
      [{ split: { testSpeakers: '03' } }, /split\.testSpeakers must be a list of strings/],
      [{ weightDecay: null }, /weightDecay must be a number .*, got null/],
      [{ extra: 'x'.repeat(20_000) }, /unknown field "extra"/],
    ];
    let id = 10;
    for (const [config, message] of cases) {
      const validated = await ask(socket!, JSON.stringify({ id: ++id, name: 'training.validate', args: { config } }));
      expect(validated).toMatchObject({ ok: true, value: { ok: false, error: expect.stringMatching(message) } });
      const started = await ask(socket!, JSON.stringify({ id: ++id, name: 'training.start', args: { root, config } }));
      expect(started).toMatchObject({ ok: false, error: { code: 'invalid-arguments', message: expect.stringMatching(message) } });
    }
    // JSON cannot carry NaN; a number too large for a double arrives as Infinity.
    const infinite = await ask(socket!, `{"id": 99, "name": "training.validate", "args": {"config": {"learningRate": 1e999}}}`);
    expect(infinite).toMatchObject({
      value: { ok: false, error: expect.stringMatching(/learningRate must be a number .*, got Infinity/) },
    });
    socket!.close();
  });

  it('closes a socket that sends more than the size limit', async () => {
    const { socket } = await connect(`${base}?token=${server.token}`);
    const closed = new Promise<number>((done) => socket!.on('close', (code) => done(code)));
    socket!.send(JSON.stringify({ id: 1, name: 'app.info', args: { pad: 'x'.repeat(100 * 1024) } }));
    expect(await closed).toBe(1009);
  });

  it('serves the renderer with a strict CSP and nothing outside its folder', async () => {
    const index = await get(server.port, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('SER Workbench');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect((await get(server.port, '/assets/app.js')).headers['content-type']).toContain('javascript');
    expect((await get(server.port, '/../secret.txt')).status).toBe(404);
    expect((await get(server.port, '/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get(server.port, '/assets/%2e%2e/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get(server.port, '/', { Host: 'evil.example' })).status).toBe(421);
  });
});
