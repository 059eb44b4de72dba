import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CacheStatus, ExtractionProgress, ExtractionResult, JobInfo } from '../../main/api/contract';
import { setApi } from '../../renderer/src/api';
import { useFeaturesStore } from '../../renderer/src/stores/features';
import { fakeApi, flush } from './fake-api';

const ROOT = '/data/emodb';

function status(cached: number): CacheStatus {
  return { root: ROOT, configHash: 'abc123', cacheDir: '/cache', cached, total: 135, failed: 0, frames: 100, framesNote: null };
}

function job(jobId: string, state: JobInfo['state'] = 'running', extra: Partial<JobInfo> = {}): JobInfo {
  return { jobId, kind: 'features', state, root: ROOT, startedAt: '2026-01-01T00:00:00Z', ...extra };
}

function progress(done: number): ExtractionProgress {
  return { phase: 'extract', total: 135, done, fromCache: 0, computed: done, failed: 0, clipsPerSecond: 12, etaS: (135 - done) / 12 };
}

function result(cancelled = false): ExtractionResult {
  return { root: ROOT, clips: 135, fromCache: 0, computed: 135, failed: [], elapsedMs: 11000, cancelled };
}

describe('features store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('loads the cache status per dataset and reports failures per dataset', async () => {
    const fake = fakeApi({
      'features.status': (args) => {
        const root = (args as { root: string }).root;
        if (root !== ROOT) throw new Error('not a dataset');
        return status(40);
      },
    });
    setApi(fake.api);
    const store = useFeaturesStore();
    await store.refreshStatus(ROOT);
    await store.refreshStatus('/elsewhere');
    expect(store.statusFor(ROOT)?.cached).toBe(40);
    expect(store.statusFor('/elsewhere')).toBeNull();
    expect(store.statusErrorByRoot['/elsewhere']).toBe('not a dataset');
    expect(store.statusErrorByRoot[ROOT]).toBeUndefined();
  });

  it('subscribes once, tracks progress of its job, records the result and refreshes the status', async () => {
    let cached = 0;
    const fake = fakeApi({
      'jobs.list': () => [],
      'features.extract': () => job('j1'),
      'features.status': () => status(cached),
    });
    setApi(fake.api);
    const store = useFeaturesStore();
    store.attach();
    store.attach();
    expect(fake.listeners.get('features.progress')?.size).toBe(1);
    expect(fake.listeners.get('job.finished')?.size).toBe(1);

    await store.extract(ROOT, 'emodb');
    expect(fake.calls.find((c) => c.name === 'features.extract')?.args).toEqual({ root: ROOT, scheme: 'emodb' });
    expect(store.running).toMatchObject({ jobId: 'j1', root: ROOT, progress: null });

    fake.emit('features.progress', { jobId: 'other', root: ROOT, progress: progress(5) });
    expect(store.running?.progress).toBeNull();
    fake.emit('features.progress', { jobId: 'j1', root: ROOT, progress: progress(120) });
    expect(store.running?.progress?.done).toBe(120);

    cached = 135;
    fake.emit('job.finished', { job: job('j1', 'done'), result: result() });
    expect(store.running).toBeNull();
    expect(store.resultFor(ROOT)?.computed).toBe(135);
    await flush();
    expect(store.statusFor(ROOT)?.cached).toBe(135);
  });

  it('sends the Features form with status and extraction requests, and refuses an invalid form', async () => {
    const fake = fakeApi({ 'jobs.list': () => [], 'features.extract': () => job('j1'), 'features.status': () => status(0) });
    setApi(fake.api);
    const store = useFeaturesStore();
    store.form = { ...store.form, representation: 'logmel', deltas: '1' };
    await store.refreshStatus(ROOT);
    expect(fake.calls.find((c) => c.name === 'features.status')?.args).toEqual({
      root: ROOT,
      features: { representation: 'logmel', deltas: 1 },
    });
    await store.extract(ROOT);
    expect(fake.calls.find((c) => c.name === 'features.extract')?.args).toEqual({
      root: ROOT,
      features: { representation: 'logmel', deltas: 1 },
    });

    store.running = null;
    store.form = { ...store.form, deltas: 'two' };
    const calls = fake.calls.length;
    await store.extract(ROOT);
    await store.refreshStatus(ROOT);
    expect(fake.calls.length).toBe(calls);
    expect(store.error).toBe("Fix the feature settings first: Deltas must be a number (got 'two')");
    expect(store.statusErrorByRoot[ROOT]).toBe('fix the feature settings first');
    store.resetForm();
    expect(store.overrides).toEqual({});
  });

  it('adopts progress that arrives before features.extract answers, and an early end', async () => {
    let answer: (value: JobInfo) => void = () => {};
    const fake = fakeApi({
      'jobs.list': () => [],
      'features.extract': () => new Promise<JobInfo>((resolve) => (answer = resolve)),
      'features.status': () => status(135),
    });
    setApi(fake.api);
    const store = useFeaturesStore();
    const started = store.extract(ROOT);
    fake.emit('features.progress', { jobId: 'j2', root: ROOT, progress: progress(3) });
    expect(store.running).toMatchObject({ jobId: 'j2' });
    fake.emit('job.finished', { job: job('j2', 'done'), result: result() });
    expect(store.running).toBeNull();
    answer(job('j2'));
    await started;
    expect(store.running).toBeNull();
    expect(fake.calls.find((c) => c.name === 'features.extract')?.args).toEqual({ root: ROOT });
  });

  it('cancels the running job and shows a failed job as an error', async () => {
    let started = 2;
    const fake = fakeApi({
      'jobs.list': () => [],
      'features.extract': () => job(`j${++started}`),
      'features.status': () => status(10),
      'jobs.cancel': () => job('j3', 'running'),
    });
    setApi(fake.api);
    const store = useFeaturesStore();
    await store.extract(ROOT);
    await store.cancel();
    expect(fake.calls.find((c) => c.name === 'jobs.cancel')?.args).toEqual({ jobId: 'j3' });
    expect(store.running?.cancelling).toBe(true);
    fake.emit('job.finished', { job: job('j3', 'cancelled'), result: result(true) });
    expect(store.running).toBeNull();
    expect(store.resultFor(ROOT)?.cancelled).toBe(true);
    expect(store.error).toBeNull();

    await store.extract(ROOT);
    expect(store.running?.jobId).toBe('j4');
    fake.emit('job.finished', { job: job('j4', 'failed', { error: 'disk full' }) });
    expect(store.running).toBeNull();
    expect(store.error).toBe('Feature extraction failed: disk full');
  });

  it('reports a refused start and ignores training jobs ending', async () => {
    const fake = fakeApi({
      'jobs.list': () => [],
      'features.extract': () => {
        throw new Error('busy: another extraction runs');
      },
    });
    setApi(fake.api);
    const store = useFeaturesStore();
    await store.extract(ROOT);
    expect(store.running).toBeNull();
    // The engine's code ('busy: ') is not part of what the user reads.
    expect(store.error).toBe('Could not start feature extraction: another extraction runs');
    fake.emit('job.finished', { job: { ...job('t1', 'done'), kind: 'training' } });
    expect(store.resultByRoot).toEqual({});
  });

  it('adopts a features job that was already running when it attached', async () => {
    const fake = fakeApi({ 'jobs.list': () => [{ ...job('t9'), kind: 'training' }, job('j7')] });
    setApi(fake.api);
    const store = useFeaturesStore();
    store.attach();
    await flush();
    expect(store.running).toMatchObject({ jobId: 'j7', root: ROOT });
    fake.emit('features.progress', { jobId: 'j7', root: ROOT, progress: progress(50) });
    expect(store.running?.progress?.done).toBe(50);
  });
});
