import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppInfo, RunDetail, RunStatus, RunSummary, TrainingConfig } from '../../main/api/contract';
import type { FeatureConfig } from '../../main/schema/featureFields';
import { setApi } from '../../renderer/src/api';
import {
  bestCheckpointText,
  configGroups,
  exportCheckpoint,
  interruptionText,
  overlaySeries,
  runNameError,
  runRow,
  sortRuns,
  splitFacts,
  splitShort,
} from '../../renderer/src/lib/runsTable';
import { useAppStore } from '../../renderer/src/stores/app';
import { useRunsStore } from '../../renderer/src/stores/runs';
import { fakeApi, flush, runSummary } from './fake-api';

function detailOf(run: RunSummary, changes: Partial<RunDetail> = {}): RunDetail {
  return {
    summary: run,
    dir: `/runs/${run.id}`,
    epochs: [],
    evaluations: [],
    record: {
      id: run.id,
      name: run.name,
      status: run.status as RunStatus, // a corrupt run has no detail
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      config: {
        training: {
          model: 'crnn',
          preset: 'quick',
          epochs: 5,
          batchSize: 64,
          optimizer: 'adamw',
          learningRate: 0.001,
          weightDecay: 0.0001,
          loss: 'cross-entropy',
          classWeights: 'balanced',
          balancedSampler: false,
          bestBy: 'val_uar',
          seed: 42,
          augment: { noise: 0.3, timeShift: 0.3, freqMask: 0.2, timeMask: 0.2, mixupAlpha: 0 },
        } as TrainingConfig,
        features: {
          preset: 'librosa',
          representation: 'mfcc',
          deltas: 0,
          fmin: 0,
          fmax: 0,
          sampleRate: 22050,
          nMfcc: 40,
          nFft: 2048,
          hopLength: 512,
          nMels: 128,
          frames: 100,
          extras: [],
          encoderDir: '',
          encoderDtype: 'auto',
          encoderLayer: -1,
          encoderPooling: 'mean-std',
          encoderWindowS: 20,
        } satisfies FeatureConfig,
      },
      dataset: { root: '/data/emodb', scheme: 'emodb', fingerprint: 'abc', clips: 535, labels: ['anger', 'boredom'] },
      split: {
        kind: 'speaker',
        leaksSpeakers: false,
        seed: 42,
        train: ['a', 'b'],
        val: ['c'],
        test: ['d'],
        speakers: { train: ['10', '11'], val: ['09'], test: ['03', '08'] },
        description: 'speaker split: test 03, 08; val 09',
      },
      seed: 42,
      backend: {
        name: 'wasm',
        tfBackend: 'wasm',
        version: '@tensorflow/tfjs-backend-wasm 4.22.0',
        skipped: [{ name: 'tensorflow-gpu', reason: 'not installed' }],
      },
      versions: { app: '0.1.0', tfjs: '4.22.0', node: '20' },
    },
    ...changes,
  };
}

const OLD = runSummary('a', '2026-01-01T10:00:00Z');
const NEW = runSummary('b', '2026-01-03T10:00:00Z', {
  status: 'interrupted',
  test: {},
  checkpoints: { best: { complete: true, epoch: 2 }, final: { complete: false } },
});
const MID = runSummary('c', '2026-01-02T10:00:00Z', { status: 'failed', error: 'out of memory' });

describe('runs store', () => {
  let list: RunSummary[];
  let fake: ReturnType<typeof fakeApi>;

  beforeEach(() => {
    setActivePinia(createPinia());
    list = [OLD, NEW, MID];
    fake = fakeApi({
      'runs.list': () => list,
      'runs.get': ({ runId }) => detailOf(list.find((r) => r.id === runId)!),
      'runs.rename': ({ runId, name }) => ({ ...list.find((r) => r.id === runId)!, name }),
      'runs.delete': ({ runId }) => {
        list = list.filter((r) => r.id !== runId);
        return { ok: true };
      },
      'runs.export': ({ runId, checkpoint }) => ({
        dir: `/runs/${runId}/exports`,
        files: [`/runs/${runId}/exports/${checkpoint}-metrics.json`, `/runs/${runId}/exports/${checkpoint}-per-class.csv`],
      }),
      'runs.setFolder': ({ dir }) => ({ runsDir: dir }),
      'shell.reveal': () => ({ ok: true }),
    });
    setApi(fake.api);
  });

  it('lists runs newest first', async () => {
    const store = useRunsStore();
    await store.init();
    expect(store.loaded).toBe(true);
    expect(store.sorted.map((r) => r.id)).toEqual(['b', 'c', 'a']);
    store.sortBy('createdAt');
    expect(store.sorted.map((r) => r.id)).toEqual(['a', 'c', 'b']);
  });

  it('refreshes on runs.changed and on a finished training job', async () => {
    const store = useRunsStore();
    await store.init();
    list = [...list, runSummary('d', '2026-01-04T10:00:00Z', { status: 'running', live: true })];
    fake.emit('runs.changed', { runId: 'd' });
    await flush();
    expect(store.sorted[0]!.id).toBe('d');
    list = list.map((r) => (r.id === 'd' ? { ...r, status: 'done', live: false } : r));
    fake.emit('job.finished', { job: { jobId: 'j', kind: 'training', state: 'done', root: '/data', startedAt: '' } });
    await flush();
    expect(store.runs.find((r) => r.id === 'd')?.status).toBe('done');
    expect(fake.calls.filter((c) => c.name === 'runs.list')).toHaveLength(3);
  });

  it("reads each listed run's split once for the table, and a failed read shows none", async () => {
    list = [OLD, NEW, MID, runSummary('gone', '2026-01-05T10:00:00Z')];
    fake = fakeApi({
      'runs.list': () => list,
      'runs.get': ({ runId }) => {
        if (runId === 'gone') throw new Error('run gone: run.json is not valid JSON');
        return detailOf(list.find((r) => r.id === runId)!);
      },
    });
    setApi(fake.api);
    const store = useRunsStore();
    await store.init();
    for (let i = 0; i < 10; i++) await flush();
    expect(store.splits).toEqual({
      a: 'speaker: test 03,08 / val 09',
      b: 'speaker: test 03,08 / val 09',
      c: 'speaker: test 03,08 / val 09',
      gone: '–',
    });
    const reads = fake.count('runs.get');
    await store.refresh();
    await flush();
    expect(fake.count('runs.get')).toBe(reads);
  });

  it('renames inline: validates, saves, cancels', async () => {
    const store = useRunsStore();
    await store.init();
    store.startRename('a');
    expect(store.renameText).toBe('run a');
    store.renameText = '   ';
    await store.saveRename();
    expect(store.renameError).toBe('A run needs a name');
    expect(fake.calls.some((c) => c.name === 'runs.rename')).toBe(false);
    store.renameText = '  baseline crnn ';
    await store.saveRename();
    expect(fake.calls.find((c) => c.name === 'runs.rename')?.args).toEqual({ runId: 'a', name: 'baseline crnn' });
    expect(store.runs.find((r) => r.id === 'a')?.name).toBe('baseline crnn');
    expect(store.renamingId).toBeNull();
    store.startRename('b');
    store.cancelRename();
    expect(store.renamingId).toBeNull();
  });

  it('reads the epochs of each run ticked for the overlay once, and drops a run that leaves the list', async () => {
    const store = useRunsStore();
    await store.init();
    await flush();
    const splitReads = fake.count('runs.get'); // the table's split column reads each run too
    store.overlaid = ['a', 'c'];
    await flush();
    await flush();
    expect([...store.overlayEpochs.keys()].sort()).toEqual(['a', 'c']);
    store.overlaid = ['a', 'c', 'b'];
    await flush();
    await flush();
    expect(fake.count('runs.get') - splitReads).toBe(3);
    list = list.filter((r) => r.id !== 'c');
    await store.refresh();
    await flush();
    expect(store.overlaid).toEqual(['a', 'b']);
    expect(store.overlayError).toBeNull();
  });

  it('deletes only after confirmation, and forgets the selection', async () => {
    const store = useRunsStore();
    await store.init();
    await store.select('c');
    expect(store.detail?.summary.id).toBe('c');
    store.askDelete('c');
    expect(store.deletingId).toBe('c');
    store.cancelDelete();
    expect(fake.calls.some((c) => c.name === 'runs.delete')).toBe(false);
    store.askDelete('c');
    await store.confirmDelete();
    expect(fake.calls.find((c) => c.name === 'runs.delete')?.args).toEqual({ runId: 'c' });
    expect(store.runs.map((r) => r.id)).not.toContain('c');
    expect(store.selectedId).toBeNull();
    expect(store.detail).toBeNull();
    expect(store.deletingId).toBeNull();
  });

  it('shows a failed delete as an error and keeps the run', async () => {
    fake = fakeApi({ 'runs.list': () => list, 'runs.delete': () => Promise.reject(new Error('the run is being trained')) });
    setApi(fake.api);
    const store = useRunsStore();
    await store.init();
    store.askDelete('a');
    await store.confirmDelete();
    expect(store.deleteError).toBe('the run is being trained');
    expect(store.runs.map((r) => r.id)).toContain('a');
  });

  it('exports the best checkpoint without a PNG and lists the files', async () => {
    const store = useRunsStore();
    await store.init();
    await store.exportReport('a');
    expect(fake.calls.find((c) => c.name === 'runs.export')?.args).toEqual({ runId: 'a', checkpoint: 'best' });
    expect(store.exported?.report.files).toEqual(['/runs/a/exports/best-metrics.json', '/runs/a/exports/best-per-class.csv']);
  });

  it('reveals natively on the desktop, shows the path in serve mode', async () => {
    const app = useAppStore();
    const info = { runsDir: '/runs', nativeDialogs: false } as AppInfo;
    app.info = info;
    const store = useRunsStore();
    await store.init();
    await store.reveal('a');
    expect(store.revealed).toEqual({ runId: 'a', dir: '/runs/a' });
    expect(fake.calls.some((c) => c.name === 'shell.reveal')).toBe(false);
    app.info = { ...info, nativeDialogs: true };
    await store.reveal('a');
    expect(fake.calls.find((c) => c.name === 'shell.reveal')?.args).toEqual({ path: '/runs/a' });
    expect(store.revealed).toBeNull();
  });

  it('switches the runs folder and lists it', async () => {
    const app = useAppStore();
    app.info = { runsDir: '/runs', nativeDialogs: false } as AppInfo;
    const store = useRunsStore();
    await store.init();
    expect(store.runsDir).toBe('/runs');
    await store.setFolder('  /mnt/gpu-runs ');
    expect(fake.calls.find((c) => c.name === 'runs.setFolder')?.args).toEqual({ dir: '/mnt/gpu-runs' });
    expect(store.runsDir).toBe('/mnt/gpu-runs');
    expect(app.info?.runsDir).toBe('/mnt/gpu-runs');
    expect(fake.calls.filter((c) => c.name === 'runs.list')).toHaveLength(2);
  });

  it('the selected run detail follows epochs of the job training it', async () => {
    const store = useRunsStore();
    await store.init();
    await store.select('b');
    fake.emit('training.event', { jobId: 'j', event: { type: 'run', runId: 'b', runDir: '/runs/b' } });
    const m = {
      epoch: 1,
      trainLoss: 1,
      trainAccuracy: 0.5,
      valLoss: 1,
      valAccuracy: 0.5,
      valUar: 0.5,
      valMacroF1: 0.5,
      learningRate: 1e-3,
      nextLearningRate: 1e-3,
      lrReduced: false,
      improved: true,
      epochSeconds: 1,
      samplesPerSecond: 1,
      skippedSteps: 0,
    };
    fake.emit('training.event', { jobId: 'j', event: { type: 'epoch', metrics: m } });
    expect(store.detail?.epochs.map((e) => e.epoch)).toEqual([1]);
  });
});

describe('runs table helpers', () => {
  it('writes a split in short', () => {
    expect(splitShort(detailOf(OLD).record.split)).toBe('speaker: test 03,08 / val 09');
    expect(splitShort({ kind: 'kfold', fold: { index: 1, count: 5 }, speakers: { train: ['a'], val: [], test: ['03'] } })).toBe(
      'fold 2 of 5: test 03 / val –',
    );
    expect(splitShort({ kind: 'random', seed: 7, speakers: { train: [], val: [], test: [] } })).toBe('random (seed 7)');
    expect(splitShort(undefined)).toBe('–');
    expect(runRow(OLD, 'random (seed 7)').split).toBe('random (seed 7)');
    expect(runRow(OLD).split).toBe('…');
  });

  it('formats a row', () => {
    const row = runRow(MID);
    expect(row.status).toBe('failed');
    expect(row.statusDetail).toBe('out of memory');
    expect(row.dataset).toBe('emodb');
    expect(row.bestUar).toBe('60.0 %');
    expect(row.finalUar).toBe('–');
    expect(row.bestEpoch).toBe('4');
    expect([row.epochs, row.learningRate, row.batchSize, row.seed]).toEqual(['5', '–', '–', '–']);
  });

  it('shows the hyper-parameters run.json records', () => {
    const row = runRow({ ...MID, hyper: { learningRate: 0.0003, batchSize: 32, epochs: 20, seed: 2, optimizer: 'adamw' } });
    expect([row.epochs, row.learningRate, row.batchSize, row.seed]).toEqual(['5/20', '0.0003', '32', '2']);
  });

  it('shows a dash for the network-only columns of a classical run', () => {
    const hyper = { learningRate: 0.0003, batchSize: 32, epochs: 20, seed: 2, optimizer: 'adamw' } as const;
    const row = runRow({ ...MID, model: 'svm-rbf', bestEpoch: 1, hyper });
    expect([row.epochs, row.learningRate, row.batchSize, row.bestEpoch, row.seed]).toEqual(['–', '–', '–', '–', '2']);
    expect(runRow({ ...MID, model: 'crnn', hyper }).epochs).toBe('5/20');
  });

  it('overlays one validation-UAR line per run, in percent, skipping non-finite epochs', () => {
    const epoch = (n: number, valUar: number) => ({ epoch: n, valUar }) as never;
    const series = overlaySeries([
      { name: 'a', epochs: [epoch(1, 0.25), epoch(2, Number.NaN), epoch(3, 0.5)] },
      { name: 'b', epochs: [epoch(1, 0.4)] },
    ]);
    expect(series.map((s) => [s.label, s.data])).toEqual([
      [
        'a',
        [
          { x: 1, y: 25 },
          { x: 3, y: 50 },
        ],
      ],
      ['b', [{ x: 1, y: 40 }]],
    ]);
    expect(series[0]!.color).not.toBe(series[1]!.color);
  });

  it('sorts by metric with unevaluated runs last and ties newest first', () => {
    // a and c share a best UAR of 60 %: c is newer.
    expect(sortRuns([NEW, OLD, MID], 'bestUar').map((r) => r.id)).toEqual(['c', 'a', 'b']);
    expect(sortRuns([NEW, OLD, { ...MID, test: { best: { accuracy: 0.7, uar: 0.7, macroF1: 0.7 } } }], 'bestUar').map((r) => r.id)).toEqual(
      ['c', 'a', 'b'],
    );
    expect(sortRuns([NEW, OLD, { ...MID, test: { best: { accuracy: 0.5, uar: 0.5, macroF1: 0.5 } } }], 'bestUar').map((r) => r.id)).toEqual(
      ['a', 'c', 'b'],
    );
    expect(sortRuns([NEW, OLD, MID], 'name', false).map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('picks the checkpoint to export and checks names', () => {
    expect(exportCheckpoint(OLD)).toBe('best');
    expect(exportCheckpoint({ ...OLD, checkpoints: { best: { complete: false }, final: { complete: true } } })).toBe('final');
    expect(exportCheckpoint({ ...OLD, checkpoints: { best: { complete: false }, final: { complete: false } } })).toBeNull();
    expect(runNameError('')).toBe('A run needs a name');
    expect(runNameError('ok')).toBeNull();
  });

  it('lists every stored setting from the field tables: normalisation, schedule, features', () => {
    const detail = detailOf(NEW, {});
    const training = detail.record.config.training as unknown as Record<string, unknown>;
    Object.assign(training, { normalization: 'speaker', lrSchedule: 'cosine', warmupEpochs: 2, lrPatience: 3, lrFactor: 0.5 });
    const groups = configGroups(detail);
    const all = new Map(groups.flatMap((g) => g.facts.map((f) => [f.label, f.value])));
    expect(all.get('Feature normalisation')).toBe('speaker');
    expect(all.get('LR schedule')).toBe('cosine');
    expect(all.get('Warm-up epochs')).toBe('2');
    // The plateau schedule's fields do not apply under cosine.
    expect(all.has('LR patience')).toBe(false);
    expect(all.get('Balanced sampler')).toBe('no');
    for (const label of ['Sample rate (Hz)', 'FFT size', 'Hop length', 'Mel bands', 'Frames', 'Deltas', 'Representation'])
      expect(all.has(label), label).toBe(true);
    // The split is described by splitFacts, not repeated here.
    expect(groups.some((g) => g.title === 'Split')).toBe(false);
  });

  it('summarises the stored record and an interruption', () => {
    const detail = detailOf(NEW, {});
    const groups = configGroups(detail);
    const fact = (group: string, label: string) => groups.find((g) => g.title === group)?.facts.find((f) => f.label === label)?.value;
    expect(groups.map((g) => g.title)).toEqual(['Run', 'Optimisation', 'Augmentation', 'Features']);
    expect(fact('Optimisation', 'Optimizer')).toBe('adamw');
    expect(fact('Optimisation', 'Learning rate')).toBe('0.001');
    expect(fact('Augmentation', 'Noise probability')).toBe('0.3');
    expect(fact('Features', 'MFCC coefficients')).toBe('40');
    expect(fact('Features', 'Extra descriptors')).toBe('none');
    const split = splitFacts(detail)!;
    expect(split.description).toBe('speaker split: test 03, 08; val 09');
    expect(split.counts).toBe('train 2 · val 1 · test 1 clips');
    expect(split.speakers.find((f) => f.label === 'test speakers')?.value).toBe('03, 08');
    expect(interruptionText(detail)).toBeNull();
    detail.record.interruption = {
      detectedAt: '2026-01-03T11:00:00Z',
      reason: 'no live process holds the lock',
      lastGoodCheckpoint: 'best',
    };
    expect(interruptionText(detail)).toMatch(/^no live process holds the lock \(detected .*; last complete checkpoint: best\)$/);
  });

  it('says what the best checkpoint holds: one epoch, or a weight average of epochs', () => {
    expect(bestCheckpointText(7, { kind: 'epoch', epoch: 7, selectedBy: 'val_uar' })).toBe('best epoch 7');
    expect(
      bestCheckpointText(40, {
        kind: 'average',
        mode: 'last',
        epochs: [31, 32, 33, 34, 35, 36, 37, 38, 39, 40],
        batchNorm: 'average',
        selectedBy: 'val_uar',
      }),
    ).toBe('best = average of epochs 31–40');
    expect(
      bestCheckpointText(20, { kind: 'average', mode: 'top', epochs: [20, 12, 15], batchNorm: 'recompute', selectedBy: 'val_uar' }),
    ).toBe('best = average of epochs 12, 15, 20');
    // Runs recorded before the description existed only have the epoch.
    expect(bestCheckpointText(4, undefined)).toBe('best epoch 4');
    expect(bestCheckpointText(undefined, undefined)).toBeNull();
  });
});
