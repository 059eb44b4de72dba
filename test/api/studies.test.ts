/**
 * The studies requests on the demo dataset: list / open / create / get / run (as a job) /
 * memberEvaluation / exportCsv, with argument validation and confinement to the studies listed.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents, EventName, RequestArgs, RequestName, RequestResult } from '../../main/api/contract';
import { createEngine, dispatch, type Engine } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';
import { createStudy, runStudyMember } from '../../main/pipeline/study';
import { resolveTrainingConfig } from '../../main/training/config';

const DEMO = resolve('resources/demo-emodb');
const TINY_TRAINING = resolveTrainingConfig({ preset: 'quick', model: 'seed-cnn', epochs: 1, batchSize: 32 });
const TINY_FEATURES = { nMfcc: 16, frames: 16 };

/** A member process that only waits (so the job can be cancelled while it runs) and writes nothing. */
const SLOW_FAKE_MEMBER = 'setTimeout(() => undefined, 20000); process.on("SIGINT", () => process.exit(130));';

describe('studies requests', () => {
  let work: string;
  let engine: Engine;
  const events: { event: EventName; payload: unknown }[] = [];
  const call = <N extends RequestName>(name: N, args: RequestArgs<N>) => dispatch(engine.handlers, name, args) as Promise<RequestResult<N>>;
  const waitFor = <E extends EventName>(event: E, match: (p: ApiEvents[E]) => boolean, timeoutMs = 60_000) =>
    new Promise<ApiEvents[E]>((done, fail) => {
      const started = Date.now();
      const poll = () => {
        const found = events.find((e) => e.event === event && match(e.payload as ApiEvents[E]));
        if (found) return done(found.payload as ApiEvents[E]);
        if (Date.now() - started > timeoutMs) return fail(new Error(`no ${event} within ${timeoutMs} ms`));
        setTimeout(poll, 50);
      };
      poll();
    });

  let tinyDir: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ser-studies-api-'));
    const workspace = new Workspace({
      runsDir: join(work, 'runs'),
      cacheDir: join(work, 'cache'),
      uploadsDir: join(work, 'up'),
      demoDatasetPath: DEMO,
      backendPreference: 'wasm',
    });
    engine = createEngine({
      appVersion: 'test',
      door: 'serve',
      workspace,
      emit: (event, payload) => events.push({ event, payload }),
      memberLauncher: { command: process.execPath, args: ['-e', SLOW_FAKE_MEMBER], cwd: process.cwd() },
    });
    // A finished two-fold study with a tiny model, made elsewhere (as the CLI would).
    tinyDir = join(work, 'elsewhere', 'tiny');
    await createStudy(tinyDir, {
      datasetRoot: DEMO,
      protocol: { kind: 'kfold', k: 2 },
      training: TINY_TRAINING,
      features: TINY_FEATURES,
      seeds: [1],
      grid: [{ field: 'learningRate', values: [0.001, 0.003] }],
    });
  }, 60_000);

  afterAll(async () => {
    await engine.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('creates a study in the runs folder from the Train form settings and lists it', async () => {
    expect(await call('studies.list', {})).toEqual([]);
    const entry = await call('studies.create', {
      name: 'lr-grid',
      root: DEMO,
      config: { preset: 'quick', model: 'seed-cnn', epochs: 2 },
      features: { nMfcc: 20 },
      protocol: 'loso',
      seeds: [1, 2],
      grid: [
        { field: 'learningRate', values: ['0.001', '0.01'] },
        { field: 'features.frames', values: ['100', '160'] },
      ],
    });
    expect(entry).toMatchObject({ name: 'lr-grid', protocol: 'loso', folds: 10, seeds: [1, 2], cells: 4, members: 80 });
    const study = JSON.parse(readFileSync(join(work, 'runs', 'lr-grid', 'study.json'), 'utf8'));
    expect(study.grid).toEqual([
      { field: 'learningRate', values: [0.001, 0.01] },
      { field: 'features.frames', values: [100, 160] },
    ]);
    expect(study.features).toMatchObject({ nMfcc: 20, frames: 100 });
    expect(study.training.epochs).toBe(2);
    expect((await call('studies.list', {})).map((s) => s.name)).toEqual(['lr-grid']);
    expect(events.some((e) => e.event === 'runs.changed')).toBe(true);
  });

  it('rejects a bad study with one sentence naming the field, and writes nothing', async () => {
    const base = { name: 'bad', root: DEMO, config: {}, protocol: 'loso', seeds: [1], grid: [] as { field: string; values: string[] }[] };
    await expect(call('studies.create', { ...base, protocol: 'kfold:1' })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: 'studies.create: protocol kfold:K needs K ≥ 2, got 1',
    });
    await expect(call('studies.create', { ...base, grid: [{ field: 'epochz', values: ['1'] }] })).rejects.toMatchObject({
      message:
        "studies.create: grid field 'epochz' is not a training or feature setting (examples: model, learningRate, augment.mixupAlpha, features.frames)",
    });
    await expect(call('studies.create', { ...base, features: { nMfcc: 0 } })).rejects.toMatchObject({
      message: expect.stringMatching(/^studies.create \(features\): .*nMfcc/),
    });
    await expect(call('studies.create', { ...base, grid: [{ field: 'epochs', values: ['two'] }] })).rejects.toMatchObject({
      message: 'studies.create: epochs must be an integer, got the string "two"',
    });
    const four = ['epochs', 'learningRate', 'batchSize', 'weightDecay'].map((field) => ({ field, values: ['1'] }));
    await expect(call('studies.create', { ...base, grid: four })).rejects.toMatchObject({
      message: "studies.create: 'grid' has more than 3 entries",
    });
    await expect(call('studies.create', { ...base, seeds: [1, 1] })).rejects.toMatchObject({
      message: "studies.create: 'seeds' lists a seed twice",
    });
    await expect(call('studies.create', { ...base, config: { seed: 3 } })).rejects.toMatchObject({
      message: /may not set 'seed' or 'split'/,
    });
    await expect(call('studies.create', { ...base, name: '../escape' })).rejects.toMatchObject({ code: 'invalid-arguments' });
    await expect(call('studies.create', { ...base, root: tmpdir() })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(call('studies.create', { ...base, name: 'lr-grid' })).rejects.toMatchObject({
      message: /lr-grid already exists: choose another study name/,
    });
    expect(existsSync(join(work, 'runs', 'bad'))).toBe(false);
  });

  it('reads only studies it lists; studies.open adds one made elsewhere', async () => {
    await expect(call('studies.get', { dir: tinyDir })).rejects.toMatchObject({ code: 'forbidden' });
    mkdirSync(join(work, 'plain'));
    await expect(call('studies.open', { dir: join(work, 'plain') })).rejects.toMatchObject({
      message: `${join(work, 'plain')} is not a study folder: it has no study.json`,
    });
    const entry = await call('studies.open', { dir: tinyDir });
    expect(entry).toMatchObject({ dir: tinyDir, name: 'tiny', protocol: 'kfold:2', cells: 2, members: 4 });
    expect((await call('studies.list', {})).map((s) => s.name)).toEqual(['lr-grid', 'tiny']);
  });

  it('runs a study as a job with progress events, and cancels it', async () => {
    await expect(call('studies.run', { dir: tinyDir, parallel: 0 })).rejects.toMatchObject({
      message: "studies.run: 'parallel' must be a whole number from 1 to 64 (got 0)",
    });
    const job = await call('studies.run', { dir: tinyDir, parallel: 2 });
    expect(job).toMatchObject({ kind: 'study', state: 'running', root: tinyDir });
    await expect(call('training.start', { root: DEMO, config: {} })).rejects.toMatchObject({ code: 'busy' });
    const plan = await waitFor('studies.event', (p) => p.jobId === job.jobId && p.event.type === 'plan');
    expect(plan.event).toMatchObject({ type: 'plan', total: 4, toRun: 4, parallel: 2 });
    await waitFor('studies.event', (p) => p.jobId === job.jobId && p.event.type === 'member-start');
    await call('jobs.cancel', { jobId: job.jobId });
    const finished = await waitFor('job.finished', (p) => p.job.jobId === job.jobId);
    expect(finished.job.state).toBe('cancelled');
    expect(finished.study).toMatchObject({ cancelled: true, succeeded: 0 });
  }, 90_000);

  it('reports a finished study: status, pooled results, member evaluations, CSV', async () => {
    for (let index = 0; index < 4; index++) {
      const outcome = await runStudyMember(tinyDir, index, { threads: 1, backend: 'wasm' });
      expect(outcome.status).toBe('done');
    }
    const { status, report } = await call('studies.get', { dir: tinyDir });
    expect(status.counts.done).toBe(4);
    expect(status.members.map((m) => m.id)).toEqual(['c1-s1-f1', 'c1-s1-f2', 'c2-s1-f1', 'c2-s1-f2']);
    expect(report.complete).toBe(true);
    expect(report.cells).toHaveLength(2);
    const pooled = report.cells[0]!.pooled!;
    expect(pooled.n).toBe(135);
    expect(pooled.confusion.flat().reduce((a, b) => a + b, 0)).toBe(135);
    expect(pooled.ci.uar[0]).toBeLessThanOrEqual(pooled.uar);
    expect(report.comparisons).toHaveLength(1);
    expect(report.comparisons[0]!.verdict).toEqual(expect.any(String));

    // The drill-down: each fold's clips, readable afterwards by clip.view.
    const evaluations = await Promise.all(
      ['c1-s1-f1', 'c1-s1-f2'].map((memberId) => call('studies.memberEvaluation', { dir: tinyDir, memberId })),
    );
    expect(evaluations.reduce((n, e) => n + e.predictions.length, 0)).toBe(135);
    await expect(call('clip.view', { path: evaluations[0]!.predictions[0]!.path })).resolves.toMatchObject({
      path: evaluations[0]!.predictions[0]!.path,
    });
    await expect(call('studies.memberEvaluation', { dir: tinyDir, memberId: '../x' })).rejects.toMatchObject({ code: 'invalid-arguments' });
    await expect(call('studies.memberEvaluation', { dir: tinyDir, memberId: 'c9-s1-f1' })).rejects.toMatchObject({ code: 'not-found' });

    // Inside a listed study only its members' run folders are readable, as in a runs folder.
    expect(engine.workspace.confine(join(tinyDir, 'runs', 'c1-s1-f1', 'run.json'), 'test')).toBe(
      join(tinyDir, 'runs', 'c1-s1-f1', 'run.json'),
    );
    expect(() => engine.workspace.confine(join(tinyDir, 'study.json'), 'test')).toThrow(/outside what this session opened/);
    expect(() => engine.workspace.confine(join(tinyDir, 'runs'), 'test')).toThrow(/outside what this session opened/);

    // A member's epochs, for the overlaid curves.
    const run = await call('studies.member', { dir: tinyDir, memberId: 'c2-s1-f2' });
    expect(run.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(run.summary.hyper).toMatchObject({ learningRate: 0.003, seed: 1 });
    await expect(call('studies.member', { dir: tinyDir, memberId: 'c3-s1-f1' })).rejects.toMatchObject({ code: 'not-found' });

    const { csv, fileName } = await call('studies.exportCsv', { dir: tinyDir });
    expect(fileName).toBe('tiny-best.csv');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toMatch(/^cell,learningRate,members_done,members_total,n,accuracy,/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^learningRate=0\.001,0\.001,2,2,135,/);

    // Compared with another study on the same folds (here a copy): its cells join the report.
    const baselineDir = join(work, 'elsewhere', 'baseline');
    cpSync(tinyDir, baselineDir, { recursive: true });
    const file = join(baselineDir, 'study.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), name: 'baseline' }));
    await expect(call('studies.get', { dir: tinyDir, with: [baselineDir] })).rejects.toMatchObject({ code: 'forbidden' });
    await call('studies.open', { dir: baselineDir });
    const joined = (await call('studies.get', { dir: tinyDir, with: [baselineDir] })).report;
    expect(joined.cells.map((c) => [c.label, c.studyDir])).toEqual([
      ['tiny: learningRate=0.001', tinyDir],
      ['tiny: learningRate=0.003', tinyDir],
      ['baseline: learningRate=0.001', baselineDir],
      ['baseline: learningRate=0.003', baselineDir],
    ]);
    expect(joined.comparisons).toHaveLength(6);
    expect(
      joined.comparisons.find((c) => c.a === 'tiny: learningRate=0.001' && c.b === 'baseline: learningRate=0.001')!.uarDifference,
    ).toBe(0);
    // The app's own study has other folds (leave-one-speaker-out): no pairing, and the reason.
    const lrGrid = (await call('studies.list', {})).find((s) => s.name === 'lr-grid')!.dir;
    await expect(call('studies.get', { dir: tinyDir, with: [lrGrid] })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringContaining('their folds differ'),
    });
  }, 240_000);
});

describe('studies.run with the app’s own launcher', () => {
  it('trains the members through the engine’s member entry (here: its source under tsx) and reports them done', async () => {
    const work = mkdtempSync(join(tmpdir(), 'ser-studies-run-'));
    try {
      const dir = join(work, 'runs', 'two-folds');
      await createStudy(dir, {
        datasetRoot: DEMO,
        protocol: { kind: 'kfold', k: 2 },
        training: TINY_TRAINING,
        features: TINY_FEATURES,
        seeds: [1],
      });
      const events: { event: EventName; payload: unknown }[] = [];
      const workspace = new Workspace({
        runsDir: join(work, 'runs'),
        cacheDir: join(work, 'cache'),
        uploadsDir: join(work, 'up'),
        demoDatasetPath: DEMO,
        backendPreference: 'wasm',
      });
      const engine = createEngine({
        appVersion: 'test',
        door: 'serve',
        workspace,
        emit: (event, payload) => events.push({ event, payload }),
      });
      await dispatch(engine.handlers, 'studies.run', { dir, parallel: 2 });
      await engine.jobs.settle();
      const finished = events.find((e) => e.event === 'job.finished')?.payload as ApiEvents['job.finished'];
      expect(finished.study).toMatchObject({ ran: 2, succeeded: 2, failed: [], cancelled: false });
      expect(events.filter((e) => e.event === 'studies.event').map((e) => (e.payload as ApiEvents['studies.event']).event.type)).toContain(
        'member-epoch',
      );
      const { status } = (await dispatch(engine.handlers, 'studies.get', { dir })) as RequestResult<'studies.get'>;
      expect(status.counts.done).toBe(2);
      // The runs folder can point at the study's members: they list as runs with their settings.
      await dispatch(engine.handlers, 'runs.setFolder', { dir: join(dir, 'runs') });
      const runs = (await dispatch(engine.handlers, 'runs.list', {})) as RequestResult<'runs.list'>;
      expect(runs.map((r) => [r.id, r.hyper?.seed, r.hyper?.epochs, r.hyper?.batchSize])).toEqual(
        expect.arrayContaining([
          ['c1-s1-f1', 1, 1, 32],
          ['c1-s1-f2', 1, 1, 32],
        ]),
      );
      expect((await dispatch(engine.handlers, 'studies.list', {})) as RequestResult<'studies.list'>).toMatchObject([
        { dir, name: 'two-folds' },
      ]);
      // …or at the study folder itself.
      await dispatch(engine.handlers, 'runs.setFolder', { dir });
      expect((await dispatch(engine.handlers, 'studies.list', {})) as RequestResult<'studies.list'>).toMatchObject([
        { dir, name: 'two-folds' },
      ]);
      await engine.close();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});
