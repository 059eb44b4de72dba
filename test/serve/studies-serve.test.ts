/**
 * Studies against a running serve-mode server: a huge grid is refused at once while the server
 * keeps answering others; a study folder from elsewhere makes only clips under its dataset root
 * readable; a study held by another executor is refused with the holder named; the page can ask
 * whether its token is right.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Workspace } from '../../main/api/workspace';
import { writeEvaluation } from '../../main/evaluation/file';
import { buildEvaluationReport } from '../../main/evaluation/report';
import { createStudy, studyMembers, STUDY_LOCK_FILE } from '../../main/pipeline/study';
import { MAX_STUDY_MEMBERS } from '../../main/schema/studyLimits';
import { startServer, type RunningServer } from '../../main/serve/server';
import { resolveTrainingConfig } from '../../main/training/config';

const DEMO = resolve('resources/demo-emodb');

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((done, fail) => {
    const socket = new WebSocket(url);
    socket.on('open', () => done(socket));
    socket.on('error', fail);
  });
}

let nextId = 1;
/** Sends one request; resolves with the reply and the milliseconds it took. */
function ask(socket: WebSocket, name: string, args: unknown): Promise<{ reply: Record<string, unknown>; ms: number }> {
  const id = nextId++;
  const started = performance.now();
  return new Promise((done) => {
    const onMessage = (data: WebSocket.RawData) => {
      const parsed = JSON.parse(data.toString()) as Record<string, unknown>;
      if (parsed.id === id) {
        socket.off('message', onMessage);
        done({ reply: parsed, ms: performance.now() - started });
      }
    };
    socket.on('message', onMessage);
    socket.send(JSON.stringify({ id, name, args }));
  });
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('studies in serve mode (a running server)', { timeout: 60_000 }, () => {
  let dir: string;
  let server: RunningServer;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ser-serve-studies-'));
    const rendererDir = join(dir, 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>SER Workbench</title>');
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'uploads'),
      demoDatasetPath: DEMO,
    });
    server = await startServer({ rendererDir, workspace, appVersion: '0.0.0-test' });
    url = `ws://127.0.0.1:${server.port}/api?token=${server.token}`;
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a 1000 × 1000 grid in under 1 s while another socket is answered within 250 ms', async () => {
    const [creator, other] = await Promise.all([openSocket(url), openSocket(url)]);
    const values = (n: number, scale: number) => Array.from({ length: n }, (_, i) => String((i + 1) * scale));
    const args = {
      name: 'huge',
      root: DEMO,
      config: {},
      protocol: 'loso',
      seeds: [1],
      grid: [
        { field: 'learningRate', values: values(1000, 1e-6) },
        { field: 'weightDecay', values: values(1000, 1e-6) },
      ],
    };
    expect(JSON.stringify(args).length).toBeGreaterThan(16_000);
    const created = ask(creator, 'studies.create', args);
    const answered = ask(other, 'app.info', {});
    const [{ reply, ms }, info] = await Promise.all([created, answered]);
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'invalid-arguments', message: expect.stringContaining(`a study holds at most ${MAX_STUDY_MEMBERS} members`) },
    });
    expect((reply.error as { message: string }).message).toContain('1,000,000');
    expect(ms).toBeLessThan(1000);
    expect(info.reply).toMatchObject({ ok: true });
    expect(info.ms).toBeLessThan(250);
    // Nothing was written, and the list still answers at once.
    expect(readdirSync(join(dir, 'runs')).filter((name) => name === 'huge')).toEqual([]);
    const listed = await ask(other, 'studies.list', {});
    expect(listed.reply).toMatchObject({ ok: true, value: [] });
    expect(listed.ms).toBeLessThan(250);
    creator.close();
    other.close();
  });

  it('lets a study opened from elsewhere make only the clips under its dataset root readable', async () => {
    // A small dataset (two speakers) and, outside it, an audio file the user never opened.
    const data = join(dir, 'data');
    mkdirSync(data);
    const demo = readdirSync(DEMO);
    const clips = ['03', '08'].flatMap((speaker) => demo.filter((name) => name.startsWith(`${speaker}a0`)).slice(0, 3));
    for (const name of clips) copyFileSync(join(DEMO, name), join(data, name));
    const secret = join(dir, 'private', 'secret.wav');
    mkdirSync(join(dir, 'private'));
    copyFileSync(join(DEMO, clips[0]!), secret);

    const studyDir = join(dir, 'elsewhere', 'crafted');
    const study = await createStudy(studyDir, {
      datasetRoot: data,
      protocol: { kind: 'kfold', k: 2 },
      valRatio: 0,
      training: resolveTrainingConfig({ preset: 'quick', model: 'seed-cnn', epochs: 1 }),
      features: { nMfcc: 16, frames: 16 },
      seeds: [1],
    });
    // Its member's evaluation lists one clip of the dataset and the file outside it.
    const member = studyMembers(study)[0]!;
    const memberDir = join(studyDir, 'runs', member.id);
    mkdirSync(memberDir, { recursive: true });
    const listed = [
      { id: 'inside', path: join(data, clips[0]!), speaker: '03', label: 'anger' },
      { id: 'outside', path: secret, speaker: '03', label: 'anger' },
    ];
    const report = buildEvaluationReport({
      checkpoint: 'best',
      labels: ['anger', 'neutral'],
      clips: listed,
      probabilities: new Float32Array([0.9, 0.1, 0.2, 0.8]),
      dataset: { root: data, scheme: 'emodb', part: 'test' },
      splitDescription: 'test split',
      leaksSpeakers: false,
      seed: 1,
    });
    await writeEvaluation(memberDir, 'best', report);

    const socket = await openSocket(url);
    expect((await ask(socket, 'studies.open', { dir: studyDir })).reply).toMatchObject({ ok: true });
    const evaluation = await ask(socket, 'studies.memberEvaluation', { dir: studyDir, memberId: member.id });
    expect(evaluation.reply).toMatchObject({ ok: true });
    expect((await ask(socket, 'clip.view', { path: secret })).reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await ask(socket, 'clip.view', { path: join(data, clips[0]!) })).reply).toMatchObject({ ok: true });
    socket.close();
  });

  it('refuses to run a study another executor holds, naming it, and reports the holder in its status', async () => {
    const socket = await openSocket(url);
    const created = await ask(socket, 'studies.create', {
      name: 'held',
      root: DEMO,
      config: { preset: 'quick', model: 'seed-cnn', epochs: 1 },
      protocol: 'kfold:2',
      seeds: [1],
      grid: [],
    });
    expect(created.reply).toMatchObject({ ok: true });
    const studyDir = (created.reply.value as { dir: string }).dir;
    // Parallelism has one limit too.
    expect((await ask(socket, 'studies.run', { dir: studyDir, parallel: 1e9 })).reply).toMatchObject({
      ok: false,
      error: { code: 'invalid-arguments', message: `studies.run: 'parallel' must be a whole number from 1 to 64 (got 1000000000)` },
    });
    // `ser study run` in another process of this host holds it (this test process stands in for it: alive).
    const startedAt = new Date().toISOString();
    writeFileSync(
      join(studyDir, STUDY_LOCK_FILE),
      JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt, heartbeatAt: startedAt }),
    );
    const run = await ask(socket, 'studies.run', { dir: studyDir, parallel: 1 });
    expect(run.reply).toMatchObject({
      ok: false,
      error: {
        code: 'busy',
        message: expect.stringContaining(`is already being run by pid ${process.pid} on ${hostname()} since`),
      },
    });
    const got = await ask(socket, 'studies.get', { dir: studyDir });
    expect(got.reply).toMatchObject({ ok: true, value: { status: { runner: { pid: process.pid, hostname: hostname(), startedAt } } } });
    expect((await ask(socket, 'studies.status', { dir: studyDir })).reply).toMatchObject({
      ok: true,
      value: { counts: { pending: 2 }, foldTests: [expect.any(Array), expect.any(Array)], runner: { pid: process.pid } },
    });
    // A lock whose process is gone is stale: no holder.
    writeFileSync(
      join(studyDir, STUDY_LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 12345, hostname: hostname(), startedAt, heartbeatAt: startedAt }),
    );
    expect((await ask(socket, 'studies.get', { dir: studyDir })).reply).toMatchObject({ value: { status: { runner: null } } });
    socket.close();
  });

  it('answers the page whether its token is right (a browser cannot read a refused socket)', async () => {
    expect(await httpStatus(server.port, `/api/token-check?token=${server.token}`)).toBe(204);
    expect(await httpStatus(server.port, '/api/token-check?token=wrong')).toBe(401);
    expect(await httpStatus(server.port, '/api/token-check')).toBe(401);
  });
});
