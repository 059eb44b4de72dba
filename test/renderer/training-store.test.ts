import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchProgress, EpochMetrics, JobInfo, RunDetail, TrainingOutcome } from '../../main/api/contract';
import { PRESETS } from '../../main/training/config';
import { defaultsFromTable } from '../../main/schema/fields';
import { FEATURE_FIELDS, type FeatureConfig } from '../../main/schema/featureFields';

const resolveFeatureDefaults = () => defaultsFromTable(FEATURE_FIELDS, 'default') as unknown as FeatureConfig;
import { setApi } from '../../renderer/src/api';
import {
  batchFraction,
  batchLine,
  classifierFraction,
  classifierLine,
  LOG_LIMIT,
  useTrainingStore,
} from '../../renderer/src/stores/training';
import { fakeApi, type Handlers } from './fake-api';

const JOB: JobInfo = { jobId: 'job-1', kind: 'training', state: 'running', root: '/data/emodb', startedAt: '2026-01-01T10:00:00Z' };

const OPTIONS = {
  presets: PRESETS,
  models: [{ name: 'crnn' as const, title: 'CRNN', parameters: 120_000, input: 'matrix' as const }],
  optimizers: ['adamw' as const, 'adam' as const, 'sgd' as const],
  backends: ['auto' as const, 'wasm' as const],
};

function batch(epoch: number, b: number): BatchProgress {
  return { epoch, epochs: 5, batch: b, batches: 10, loss: 1.5, accuracy: 0.42, samplesPerSecond: 123.4, etaS: 42, learningRate: 1e-3 };
}

function metrics(epoch: number): EpochMetrics {
  return {
    epoch,
    trainLoss: 1.2,
    trainAccuracy: 0.5,
    valLoss: 1.3,
    valAccuracy: 0.45,
    valUar: 0.44,
    valMacroF1: 0.4,
    learningRate: 1e-3,
    nextLearningRate: 1e-3,
    lrReduced: false,
    improved: true,
    epochSeconds: 10,
    samplesPerSecond: 100,
    skippedSteps: 0,
  };
}

const OUTCOME: TrainingOutcome = {
  runId: 'run-1',
  status: 'done',
  epochsRun: 5,
  bestEpoch: 4,
  bestCheckpoint: { kind: 'epoch', epoch: 4, selectedBy: 'val_uar' },
  stoppedEarly: false,
  test: { best: { accuracy: 0.6, uar: 0.58, macroF1: 0.57 }, final: { accuracy: 0.55, uar: 0.53, macroF1: 0.52 } },
};

function standardHandlers(overrides: Handlers = {}): Handlers {
  return {
    'training.options': () => OPTIONS,
    'jobs.list': () => [],
    'training.start': () => ({ ...JOB }),
    'jobs.cancel': () => ({ ...JOB }),
    ...overrides,
  };
}

describe('training store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads the options on init and subscribes once', async () => {
    const fake = fakeApi(standardHandlers());
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();
    await store.init();
    expect(store.options?.models[0]!.parameters).toBe(120_000);
    expect(fake.listeners.get('training.event')?.size).toBe(1);
    expect(fake.listeners.get('job.finished')?.size).toBe(1);
    expect(store.status).toBe('idle');
  });

  it('starts a job with the given arguments and follows its events', async () => {
    vi.useFakeTimers();
    const fake = fakeApi(standardHandlers());
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();

    const args = {
      root: '/data/emodb',
      config: { epochs: 5, learningRate: 0.005, split: { kind: 'speaker' as const, testSpeakers: ['03'] } },
      name: 'my run',
    };
    await store.start(args);
    expect(fake.calls.find((c) => c.name === 'training.start')?.args).toEqual(args);
    expect(store.status).toBe('running');
    expect(store.statusText).toBe('running');
    expect(store.running).toBe(true);
    expect(store.datasetRoot).toBe('/data/emodb');

    fake.emit('training.event', { jobId: 'job-1', event: { type: 'log', level: 'info', message: 'backend: wasm' } });
    fake.emit('training.event', {
      jobId: 'job-1',
      event: {
        type: 'backend',
        backend: {
          name: 'wasm',
          tfBackend: 'wasm',
          skipped: [{ name: 'tensorflow-gpu', reason: 'no CUDA' }],
          version: '4.22.0',
          threads: 2,
        },
      },
    });
    fake.emit('training.event', { jobId: 'job-1', event: { type: 'run', runId: 'run-1', runDir: '/runs/run-1' } });
    fake.emit('training.event', { jobId: 'job-1', event: { type: 'batch', progress: batch(1, 1) } });
    // An event of another job is not ours.
    fake.emit('training.event', { jobId: 'job-other', event: { type: 'log', level: 'warn', message: 'not mine' } });

    expect(store.log.map((l) => l.message)).toEqual(['backend: wasm']);
    expect(store.backend?.name).toBe('wasm');
    expect(store.runId).toBe('run-1');
    expect(store.runDir).toBe('/runs/run-1');
    expect(store.job?.runId).toBe('run-1');
    expect(store.batch?.batch).toBe(1);

    // Batches arriving faster than the UI interval are shown at most every 100 ms, latest first.
    fake.emit('training.event', { jobId: 'job-1', event: { type: 'batch', progress: batch(1, 2) } });
    fake.emit('training.event', { jobId: 'job-1', event: { type: 'batch', progress: batch(1, 3) } });
    expect(store.batch?.batch).toBe(1);
    vi.advanceTimersByTime(100);
    expect(store.batch?.batch).toBe(3);

    fake.emit('training.event', { jobId: 'job-1', event: { type: 'batch', progress: batch(1, 4) } });
    fake.emit('training.event', { jobId: 'job-1', event: { type: 'epoch', metrics: metrics(1) } });
    // The epoch flushes the pending batch at once.
    expect(store.batch?.batch).toBe(4);
    expect(store.epochs.map((m) => m.epoch)).toEqual([1]);
    fake.emit('training.event', { jobId: 'job-1', event: { type: 'epoch', metrics: metrics(2) } });
    expect(store.epochs.map((m) => m.epoch)).toEqual([1, 2]);
  });

  it('sets the outcome when the job finishes, and keeps what it had', async () => {
    const fake = fakeApi(standardHandlers());
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();
    await store.start({ root: '/data/emodb', config: {} });
    fake.emit('training.event', { jobId: 'job-1', event: { type: 'epoch', metrics: metrics(1) } });
    fake.emit('job.finished', { job: { ...JOB, state: 'done', runId: 'run-1' }, outcome: OUTCOME });
    expect(store.status).toBe('done');
    expect(store.statusText).toBe('done');
    expect(store.running).toBe(false);
    expect(store.outcome?.test.best?.uar).toBe(0.58);
    expect(store.runId).toBe('run-1');
    expect(store.epochs).toHaveLength(1);
    // Later events of the ended job change nothing.
    fake.emit('training.event', { jobId: 'job-1', event: { type: 'epoch', metrics: metrics(2) } });
    expect(store.epochs).toHaveLength(1);
  });

  it('reports a failed job with its reason', async () => {
    const fake = fakeApi(standardHandlers());
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();
    await store.start({ root: '/data/emodb', config: {} });
    fake.emit('job.finished', { job: { ...JOB, state: 'failed', error: 'the split has no validation clips' } });
    expect(store.status).toBe('failed');
    expect(store.statusText).toBe('failed: the split has no validation clips');
    expect(store.log.at(-1)?.level).toBe('error');
  });

  it('keeps events that arrive before training.start answers', async () => {
    let answer: (job: JobInfo) => void = () => undefined;
    const fake = fakeApi(standardHandlers({ 'training.start': () => new Promise<JobInfo>((resolve) => (answer = resolve)) }));
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();
    const started = store.start({ root: '/data/emodb', config: {} });
    expect(store.status).toBe('starting');
    fake.emit('training.event', { jobId: 'job-1', event: { type: 'log', level: 'info', message: 'early line' } });
    answer({ ...JOB });
    await started;
    expect(store.log.map((l) => l.message)).toEqual(['early line']);
  });

  it('shows a rejected start as an error and goes back to idle', async () => {
    const fake = fakeApi(standardHandlers({ 'training.start': () => Promise.reject(new Error('a training job is already running')) }));
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();
    await store.start({ root: '/data/emodb', config: {} });
    expect(store.status).toBe('idle');
    expect(store.actionError).toBe('a training job is already running');
  });

  it('cancel calls jobs.cancel and the job ends cancelled', async () => {
    const fake = fakeApi(standardHandlers());
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();
    await store.start({ root: '/data/emodb', config: {} });
    await store.cancel();
    expect(fake.calls.filter((c) => c.name === 'jobs.cancel').map((c) => c.args)).toEqual([{ jobId: 'job-1' }]);
    expect(store.cancelling).toBe(true);
    expect(store.status).toBe('running');
    fake.emit('job.finished', { job: { ...JOB, state: 'cancelled', runId: 'run-1' } });
    expect(store.status).toBe('cancelled');
    expect(store.statusText).toBe('cancelled');
    expect(store.cancelling).toBe(false);
    expect(store.runId).toBe('run-1');
  });

  it('re-attaches to a running training job with the epochs so far', async () => {
    const detail = { dir: '/runs/run-7', epochs: [metrics(1), metrics(2)] } as unknown as RunDetail;
    const fake = fakeApi(
      standardHandlers({
        'jobs.list': () => [
          { jobId: 'f-1', kind: 'features', state: 'running', root: '/x', startedAt: '' },
          { ...JOB, jobId: 'job-7', runId: 'run-7' },
        ],
        'runs.get': () => detail,
      }),
    );
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();
    expect(store.status).toBe('running');
    expect(store.job?.jobId).toBe('job-7');
    expect(store.runId).toBe('run-7');
    expect(store.runDir).toBe('/runs/run-7');
    expect(fake.calls.find((c) => c.name === 'runs.get')?.args).toEqual({ runId: 'run-7' });
    expect(store.epochs.map((m) => m.epoch)).toEqual([1, 2]);
    fake.emit('training.event', { jobId: 'job-7', event: { type: 'epoch', metrics: metrics(3) } });
    expect(store.epochs.map((m) => m.epoch)).toEqual([1, 2, 3]);
  });

  it('keeps the last LOG_LIMIT log lines', async () => {
    const fake = fakeApi(standardHandlers());
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();
    await store.start({ root: '/data/emodb', config: {} });
    for (let i = 0; i < LOG_LIMIT + 25; i++)
      fake.emit('training.event', { jobId: 'job-1', event: { type: 'log', level: 'info', message: `line ${i}` } });
    expect(store.log).toHaveLength(LOG_LIMIT);
    expect(store.log[0]!.message).toBe('line 25');
  });

  it('asks the engine to validate, latest answer wins', async () => {
    const fake = fakeApi(
      standardHandlers({
        'training.validate': ({ config }) =>
          config.epochs === 0
            ? { ok: false, error: 'invalid training config: epochs must be an integer in 1..1000 (got 0)' }
            : { ok: true, config: PRESETS.full, features: resolveFeatureDefaults() },
      }),
    );
    setApi(fake.api);
    const store = useTrainingStore();
    await store.validateOnServer({ epochs: 0 });
    expect(store.serverError).toMatch(/epochs must be an integer/);
    await store.validateOnServer({ epochs: 3 });
    expect(store.serverError).toBeNull();
  });
});

describe('training progress text', () => {
  it('writes the batch line with samples/s and ETA', () => {
    expect(batchLine(batch(2, 7))).toBe('epoch 2/5 · batch 7/10 · loss 1.500 · acc 42.0 % · 123 samples/s · ETA 42 s');
    expect(batchLine({ ...batch(1, 1), samplesPerSecond: 9.87, etaS: 0 })).toBe(
      'epoch 1/5 · batch 1/10 · loss 1.500 · acc 42.0 % · 9.9 samples/s',
    );
    // A run that has ended (cancelled, failed) shows no stale ETA.
    expect(batchLine(batch(2, 7), false)).toBe('epoch 2/5 · batch 7/10 · loss 1.500 · acc 42.0 % · 123 samples/s');
    expect(batchFraction(batch(2, 5))).toBeCloseTo(15 / 50);
  });

  it('follows a classical run by its inner cross-validation, refit and test (it has no batches)', async () => {
    const fake = fakeApi(standardHandlers());
    setApi(fake.api);
    const store = useTrainingStore();
    await store.init();
    await store.start({ root: '/data/emodb', config: { model: 'svm-rbf' } });
    expect(store.classical).toBe(true);
    expect(store.classifier).toBeNull();
    const send = (progress: import('../../main/api/contract').ClassifierProgress) =>
      fake.emit('training.event', { jobId: 'job-1', event: { type: 'classifier', progress } });
    send({ stage: 'inner-cv', done: 0, candidates: 4, folds: 3 });
    expect(classifierLine(store.classifier!)).toBe('inner CV 0/4 candidates on 3 speaker folds…');
    expect(classifierFraction(store.classifier!)).toBe(0);
    send({ stage: 'inner-cv', done: 1, candidates: 4, folds: 3, last: { hyperParameters: { C: 0.1, gammaScale: 1 }, uar: 0.52 } });
    expect(classifierLine(store.classifier!)).toBe('inner CV 1/4 candidates on 3 speaker folds · last C=0.1, gammaScale=1: UAR 52.0 %');
    expect(classifierFraction(store.classifier!)).toBe(0.25);
    send({ stage: 'refit', clips: 110, hyperParameters: { C: 1, gammaScale: 1 } });
    expect(classifierLine(store.classifier!)).toBe(
      'inner CV 1/4 candidates on 3 speaker folds · chosen C=1, gammaScale=1 · refitting on all 110 training and validation clips…',
    );
    send({ stage: 'test', clips: 25 });
    expect(classifierLine(store.classifier!)).toMatch(/· evaluating on the 25 test clips…$/);
    expect(classifierFraction(store.classifier!)).toBe(1);
    expect(classifierLine(store.classifier!, false)).toBe('inner CV 1/4 candidates on 3 speaker folds · chosen C=1, gammaScale=1');
    expect(store.classifier!.scores).toEqual([{ hyperParameters: { C: 0.1, gammaScale: 1 }, uar: 0.52 }]);
    expect(store.batch).toBeNull();
  });
});
