/**
 * The handler table end to end on the bundled demo dataset: every request the UI makes, with the
 * events it listens to, against real files on disk — plus argument validation and path confinement.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents, EventName, JobInfo, RequestArgs, RequestName, RequestResult } from '../../main/api/contract';
import { ApiError, createEngine, dispatch, type Engine } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';
import { DEFAULT_FEATURE_CONFIG, describeFeatureRows, featureRowCount } from '../../main/features/config';
import { naturalFrames } from '../../main/features/frames';

const DEMO = resolve('resources/demo-emodb');

describe('engine handler table', () => {
  let dir: string;
  let engine: Engine;
  const events: { event: EventName; payload: unknown }[] = [];
  const call = <N extends RequestName>(name: N, args: RequestArgs<N>) => dispatch(engine.handlers, name, args) as Promise<RequestResult<N>>;

  function waitFor<E extends EventName>(event: E, match: (payload: ApiEvents[E]) => boolean, timeoutMs = 200_000): Promise<ApiEvents[E]> {
    const started = Date.now();
    return new Promise((resolvePromise, reject) => {
      const poll = () => {
        const found = events.find((e) => e.event === event && match(e.payload as ApiEvents[E]));
        if (found) return resolvePromise(found.payload as ApiEvents[E]);
        if (Date.now() - started > timeoutMs) return reject(new Error(`no ${event} event within ${timeoutMs} ms`));
        setTimeout(poll, 50);
      };
      poll();
    });
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ser-engine-'));
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'uploads'),
      demoDatasetPath: DEMO,
      backendPreference: 'wasm',
    });
    engine = createEngine({
      appVersion: '0.0.0-test',
      door: 'serve',
      workspace,
      emit: (event, payload) => events.push({ event, payload }),
    });
  });

  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('describes itself and the backend in use', async () => {
    const info = await call('app.info', {});
    expect(info).toMatchObject({ name: 'SER Workbench', door: 'serve', nativeDialogs: false, demoDatasetPath: DEMO });
    const backend = await call('app.backend', {});
    expect(backend.name).toBe('wasm');
  });

  it('rejects malformed arguments and unknown requests with a clear error', async () => {
    await expect(dispatch(engine.handlers, 'nope', {})).rejects.toMatchObject({ code: 'unknown-request' });
    await expect(dispatch(engine.handlers, 'dataset.open', 'x')).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: 'dataset.open: arguments must be an object',
    });
    await expect(dispatch(engine.handlers, 'dataset.open', { root: 42 })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringContaining("'root'"),
    });
    await expect(dispatch(engine.handlers, 'dataset.open', { root: DEMO, scheme: 'klingon' })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringContaining("'scheme'"),
    });
    await expect(dispatch(engine.handlers, 'runs.get', { runId: '../etc' })).rejects.toMatchObject({ code: 'invalid-arguments' });
    await expect(dispatch(engine.handlers, 'evaluation.get', { runId: 'x', checkpoint: 'middle' })).rejects.toMatchObject({
      code: 'invalid-arguments',
    });
    await expect(dispatch(engine.handlers, 'dialog.pickFolder', {})).rejects.toMatchObject({ code: 'unsupported' });
    await expect(dispatch(engine.handlers, 'dataset.open', { root: join(dir, 'missing') })).rejects.toMatchObject({ code: 'not-found' });
    const bad = await call('training.validate', { config: { learningRate: -1 } });
    expect(bad).toEqual({ ok: false, error: expect.stringContaining('learningRate') });
    const badFeatures = await call('training.validate', { config: {}, features: { nMfcc: 200, nMels: 128 } });
    expect(badFeatures).toEqual({ ok: false, error: expect.stringContaining('nMfcc') });
    await expect(
      dispatch(engine.handlers, 'training.start', { root: DEMO, config: {}, features: { frames: 'long' } }),
    ).rejects.toMatchObject({ code: 'invalid-arguments', message: expect.stringMatching(/^training.start \(features\): .*frames/) });
    await expect(dispatch(engine.handlers, 'training.start', { root: DEMO, config: { epochs: 0 } })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringContaining('epochs'),
    });
  });

  it('confines file access to the folders the user opened', async () => {
    const outside = join(dir, 'outside.wav');
    writeFileSync(outside, readFileSync(join(DEMO, readdirWav(DEMO))));
    await expect(call('clip.view', { path: outside })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(call('clip.view', { path: join(DEMO, '..', 'package.json') })).rejects.toMatchObject({ code: 'forbidden' });
    // A link inside an opened folder that points outside it is outside.
    const link = join(dir, 'uploads', 'link.wav');
    await engine.workspace.ensureFolders();
    symlinkSync(outside, link);
    await expect(call('clip.view', { path: link })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(call('features.extract', { root: dir })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('opens the demo dataset with its distribution, durations and clips', async () => {
    const overview = await call('dataset.open', { root: DEMO });
    expect(overview.scheme).toBe('emodb');
    expect(overview.clipCount).toBe(135);
    expect(overview.clips).toHaveLength(135);
    expect(overview.speakers).toHaveLength(10);
    expect(Object.values(overview.perClass).reduce((a, b) => a + (b ?? 0), 0)).toBe(135);
    expect(overview.durationHistogram.counts.reduce((a, b) => a + b, 0)).toBe(135);
    expect(overview.clips.every((clip) => clip.durationS !== null && clip.durationS > 0.5)).toBe(true);
  });

  it('names a dataset opened through a link by one key: its real path, in every answer about it', async () => {
    const real = join(dir, 'twelve');
    mkdirSync(real);
    for (const name of readdirSync(DEMO)
      .filter((f) => f.endsWith('.wav'))
      .sort()
      .slice(0, 12))
      copyFileSync(join(DEMO, name), join(real, name));
    const link = join(dir, 'twelve-link');
    symlinkSync(real, link);
    const overview = await call('dataset.open', { root: link });
    expect(overview).toMatchObject({ root: realpathSync(real), openedAs: link, clipCount: 12 });
    expect((await call('features.status', { root: link })).root).toBe(overview.root);
    const job = await call('features.extract', { root: link });
    expect(job.root).toBe(overview.root);
    const finished = await waitFor('job.finished', (payload) => payload.job.jobId === job.jobId);
    expect(finished.job.root).toBe(overview.root);
    expect(await call('features.status', { root: overview.root })).toMatchObject({ root: overview.root, cached: 12, total: 12 });
  });

  it('shows a clip: playable WAV, spectrogram and MFCC matrix', async () => {
    const view = await call('clip.view', { path: join(DEMO, readdirWav(DEMO)) });
    const wav = Buffer.from(view.wavBase64, 'base64');
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(view.features.rows).toBe(featureRowCount(DEFAULT_FEATURE_CONFIG));
    expect(view.featuresTitle).toBe(describeFeatureRows(DEFAULT_FEATURE_CONFIG));
    // Auto frames (the default): the viewer shows the whole clip, no padding.
    expect(view.features.cols).toBe(naturalFrames(view.durationS, DEFAULT_FEATURE_CONFIG));
    expect(view.melDb.rows).toBe(128);
    expect(view.melDb.values).toHaveLength(view.melDb.rows * view.melDb.cols);
    expect(view.melDb.max).toBeGreaterThan(view.melDb.min);
    expect(view.durationS).toBeCloseTo((wav.length - 44) / 2 / 22050, 2);
  });

  it('takes feature settings: another config has a cache of its own, a bad one is refused naming the field', async () => {
    const plain = await call('features.status', { root: DEMO });
    const logmel = await call('features.status', { root: DEMO, features: { representation: 'logmel', deltas: 1 } });
    expect(logmel.configHash).not.toBe(plain.configHash);
    expect(logmel).toMatchObject({ cached: 0, total: 135 });
    // Auto frames: the demo's clips are at most 2.0 s, so the 100-frame minimum, and the status says why.
    expect(plain).toMatchObject({
      frames: 100,
      framesNote: expect.stringMatching(/^frames auto: 100 \(2\.32 s, the minimum; the longest clip is/),
    });
    expect(await call('features.status', { root: DEMO, features: { frames: 64 } })).toMatchObject({ frames: 64, framesNote: null });
    await expect(call('features.status', { root: DEMO, features: { fmax: 20000 } })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringContaining('fmax must be at most half the sample rate (11025 Hz)'),
    });
    await expect(call('features.extract', { root: DEMO, features: { deltas: 5 } })).rejects.toMatchObject({ code: 'invalid-arguments' });
  });

  it('extracts features as a job with progress events, then reports the cache as complete', async () => {
    const before = await call('features.status', { root: DEMO });
    expect(before).toMatchObject({ cached: 0, total: 135 });
    const job = await call('features.extract', { root: DEMO });
    expect(job).toMatchObject({ kind: 'features', state: 'running' });
    const finished = await waitFor('job.finished', (p) => p.job.jobId === job.jobId);
    expect(finished.job.state).toBe('done');
    expect(finished.result).toMatchObject({ clips: 135, computed: 135, fromCache: 0, cancelled: false });
    expect(events.some((e) => e.event === 'features.progress' && (e.payload as ApiEvents['features.progress']).jobId === job.jobId)).toBe(
      true,
    );
    expect(await call('features.status', { root: DEMO })).toMatchObject({ cached: 135, total: 135, failed: 0 });
  });

  let runId = '';

  it('trains in a worker thread, streaming backend, batch and epoch events', async () => {
    const options = await call('training.options', {});
    expect(options.models.map((m) => m.name)).toEqual(['seed-cnn', 'crnn', 'res-cnn', 'svm-linear', 'svm-rbf', 'logreg', 'knn', 'mlp']);
    expect(options.models.filter((m) => m.input === 'vector').map((m) => m.name)).toEqual([
      'svm-linear',
      'svm-rbf',
      'logreg',
      'knn',
      'mlp',
    ]);
    expect(options.models.find((m) => m.name === 'seed-cnn')?.parameters).toBe(980_167);
    // Through a link: the run records the folder as it was given, not its real path.
    const demoLink = join(dir, 'demo-link');
    symlinkSync(DEMO, demoLink);
    const job: JobInfo = await call('training.start', {
      root: demoLink,
      config: { preset: 'quick', model: 'res-cnn', epochs: 2, seed: 7, normalization: 'speaker' },
      features: { nMfcc: 20, frames: 48 },
      name: 'engine test',
    });
    await expect(call('training.start', { root: DEMO, config: { preset: 'quick' } })).rejects.toMatchObject({ code: 'busy' });
    const finished = await waitFor('job.finished', (p) => p.job.jobId === job.jobId);
    expect(finished.job.state).toBe('done');
    expect(finished.outcome?.status).toBe('done');
    expect(finished.outcome?.epochsRun).toBe(2);
    runId = finished.outcome!.runId;
    expect((await call('runs.get', { runId })).record.dataset.root).toBe(demoLink);
    const mine = events
      .filter((e) => e.event === 'training.event' && (e.payload as ApiEvents['training.event']).jobId === job.jobId)
      .map((e) => (e.payload as ApiEvents['training.event']).event);
    expect(mine.some((e) => e.type === 'backend' && e.backend.name === 'wasm')).toBe(true);
    expect(mine.filter((e) => e.type === 'epoch')).toHaveLength(2);
    expect(mine.some((e) => e.type === 'batch' && e.progress.samplesPerSecond > 0)).toBe(true);
    expect(mine.some((e) => e.type === 'run' && e.runId === runId)).toBe(true);
    expect(events.some((e) => e.event === 'runs.changed')).toBe(true);
  }, 240_000);

  it('lists, opens, renames and exports the run', async () => {
    const runs = await call('runs.list', {});
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: runId, name: 'engine test', status: 'done', model: 'res-cnn', epochsRun: 2, live: false });
    expect(runs[0]!.checkpoints.final.complete).toBe(true);
    const detail = await call('runs.get', { runId });
    expect(detail.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    // The Train form's input features reached the engine and the run records them.
    expect(detail.record.config.features).toMatchObject({ nMfcc: 20, frames: 48, nMels: 128 });
    expect(detail.evaluations).toContain('final');
    const renamed = await call('runs.rename', { runId, name: 'renamed run' });
    expect(renamed.name).toBe('renamed run');
    const exported = await call('runs.export', { runId, checkpoint: 'final' });
    expect(exported.files.map((f) => f.slice(exported.dir.length + 1)).sort()).toEqual([
      'final-confusion.csv',
      'final-confusion.png',
      'final-metrics.json',
      'final-per-class.csv',
      'final-predictions.csv',
    ]);
    const metrics = JSON.parse(readFileSync(join(exported.dir, 'final-metrics.json'), 'utf8'));
    expect(metrics.labels).toHaveLength(7);
    expect(readFileSync(join(exported.dir, 'final-per-class.csv'), 'utf8').split('\n')[0]).toBe(
      'label,precision,recall,f1,support,predicted',
    );
    expect(readFileSync(join(exported.dir, 'final-confusion.png')).readUInt32BE(0)).toBe(0x89504e47);
  });

  it('evaluates and compares checkpoints on the held-out speakers', async () => {
    const report = await call('evaluation.get', { runId, checkpoint: 'final' });
    expect(report.predictions.length).toBeGreaterThan(0);
    expect(report.metrics.confusion).toHaveLength(7);
    expect(report.split.leaksSpeakers).toBe(false);
    // Clips of the evaluation can be opened (the run's dataset is readable).
    // (The run was trained through a link: the clip is named by its real path.)
    await expect(call('clip.view', { path: report.predictions[0]!.path })).resolves.toMatchObject({
      path: realpathSync(report.predictions[0]!.path),
    });
    const comparison = await call('evaluation.compare', { a: { runId, checkpoint: 'best' }, b: { runId, checkpoint: 'final' } });
    expect(comparison.mcnemar.pValue).toBeGreaterThan(0);
    expect(
      comparison.contingency.bothCorrect + comparison.contingency.aOnly + comparison.contingency.bOnly + comparison.contingency.bothWrong,
    ).toBe(report.predictions.length);
  });

  it('predicts uploaded and picked files, reporting a corrupt one per file', async () => {
    const good = readFileSync(join(DEMO, readdirWav(DEMO)));
    const batch = await call('predict.files', {
      runId,
      checkpoint: 'best',
      files: [
        { name: 'upload.wav', dataBase64: good.toString('base64') },
        { name: 'broken.wav', dataBase64: Buffer.from('RIFF....WAVEjunk').toString('base64') },
        { path: join(DEMO, readdirWav(DEMO)) },
        { path: '/etc/passwd' },
      ],
    });
    expect(batch.labels).toHaveLength(7);
    const [upload, broken, picked, forbidden] = batch.results;
    expect(upload).toMatchObject({ ok: true, name: 'upload.wav' });
    expect(upload!.probabilities!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(existsSync(upload!.path)).toBe(true);
    expect(broken).toMatchObject({ ok: false, error: { code: expect.any(String), message: expect.stringContaining('broken.wav') } });
    expect(broken!.error!.message).not.toContain(basename(broken!.path));
    expect(picked).toMatchObject({ ok: true, emotion: upload!.emotion });
    expect(forbidden).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // The run normalises per speaker: a file of unknown speaker is normalised on its own, and says so.
    expect(upload!.warning).toMatch(/trained with per-speaker normalisation but this file's speaker is unknown/);
  });

  it('normalises the files given with one speaker with their joint statistics', async () => {
    const [a, b] = readdirSync(DEMO)
      .filter((name) => name.startsWith('03') && name.endsWith('.wav'))
      .map((name) => join(DEMO, name));
    const together = await call('predict.files', {
      runId,
      checkpoint: 'best',
      files: [
        { path: a!, speaker: '03' },
        { path: b!, speaker: '03' },
      ],
    });
    expect(together.results.map((r) => [r.ok, r.warning])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
    const alone = await call('predict.files', { runId, checkpoint: 'best', files: [{ path: a! }] });
    // Two clips' joint statistics are not one clip's own.
    expect(together.results[0]!.probabilities).not.toEqual(alone.results[0]!.probabilities);
    await expect(call('predict.files', { runId, checkpoint: 'best', files: [{ path: a!, speaker: 3 as never }] })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: "predict.files (files[0]): 'speaker' must be a non-empty string",
    });
  });

  it('deletes a run', async () => {
    await call('runs.delete', { runId });
    expect(await call('runs.list', {})).toEqual([]);
    await expect(call('runs.get', { runId })).rejects.toBeInstanceOf(ApiError);
  });
});

/** The demo's first clip in name order (stable). */
function readdirWav(root: string): string {
  return readdirSync(root)
    .filter((name) => name.endsWith('.wav'))
    .sort()[0]!;
}
