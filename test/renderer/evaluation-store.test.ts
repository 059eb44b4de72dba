/** The evaluation and comparison stores against a fake engine. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointRef, ClipPrediction, Comparison, EvaluationReport, RunSummary } from '../../main/api/contract';
import { setApi } from '../../renderer/src/api';
import {
  defaultComparison,
  newestCompleteRef,
  refKey,
  runOptionLabel,
  useComparisonStore,
  useEvaluationStore,
} from '../../renderer/src/stores/evaluation';
import { fakeApi, flush, runSummary } from './fake-api';

function run(id: string, createdAt: string, changes: Partial<RunSummary> = {}): RunSummary {
  return runSummary(id, createdAt, { model: 'cnn', test: {}, ...changes });
}

const LABELS = ['anger', 'fear'];

function clip(id: string, trueLabel: string, predictedLabel: string, confidence: number): ClipPrediction {
  const p = predictedLabel === 'anger' ? [confidence, 1 - confidence] : [1 - confidence, confidence];
  return { clipId: id, path: `/data/${id}.wav`, speaker: id.slice(0, 2), trueLabel, predictedLabel, confidence, probabilities: p };
}

function report(checkpoint: string, predictions: ClipPrediction[]): EvaluationReport {
  return {
    checkpoint,
    createdAt: '2026-01-01T00:00:00Z',
    dataset: { root: '/data', scheme: 'emodb', part: 'test' },
    split: { description: 'speaker-independent', leaksSpeakers: false },
    labels: LABELS,
    metrics: {
      n: predictions.length,
      labels: LABELS,
      accuracy: 0.5,
      uar: 0.5,
      macroF1: 0.5,
      weightedF1: 0.5,
      perClass: [],
      confusion: [
        [1, 2],
        [1, 0],
      ],
      confusionNormalized: [
        [1 / 3, 2 / 3],
        [1, 0],
      ],
      neverPredicted: [],
    },
    confidenceIntervals: { accuracy: [0.4, 0.6], uar: [0.4, 0.6], macroF1: [0.4, 0.6], iterations: 1000, level: 0.95, groupBy: 'clip' },
    predictions,
  };
}

const BEST = report('best', [
  clip('a1', 'anger', 'anger', 0.9),
  clip('a2', 'anger', 'fear', 0.6),
  clip('a3', 'anger', 'fear', 0.85),
  clip('f1', 'fear', 'anger', 0.7),
]);
const FINAL = report('final', [
  clip('a1', 'anger', 'anger', 0.8),
  clip('a2', 'anger', 'anger', 0.55),
  clip('a3', 'anger', 'fear', 0.9),
  clip('f1', 'fear', 'fear', 0.65),
]);

function reportFor(ref: CheckpointRef): EvaluationReport {
  if (ref.runId !== 'r1') throw Object.assign(new Error(`no run ${ref.runId}`), { code: 'not-found' });
  return ref.checkpoint === 'best' ? BEST : FINAL;
}

beforeEach(() => setActivePinia(createPinia()));

describe('pure helpers', () => {
  const runs = [
    run('old', '2026-01-01T00:00:00Z'),
    run('new', '2026-03-01T00:00:00Z', { checkpoints: { best: { complete: false }, final: { complete: true, epoch: 3 } } }),
    run('empty', '2026-04-01T00:00:00Z', { status: 'failed', checkpoints: { best: { complete: false }, final: { complete: false } } }),
  ];

  it('defaults to the newest run with a complete checkpoint, preferring best', () => {
    expect(newestCompleteRef(runs)).toEqual({ runId: 'new', checkpoint: 'final' });
    expect(newestCompleteRef([runs[0]!])).toEqual({ runId: 'old', checkpoint: 'best' });
    expect(newestCompleteRef([runs[0]!], 'final')).toEqual({ runId: 'old', checkpoint: 'final' });
    expect(newestCompleteRef([runs[2]!])).toBeNull();
  });

  it('compares best vs final of the given run, else of the newest run that has both', () => {
    expect(defaultComparison(runs, 'new')).toEqual({ a: { runId: 'new', checkpoint: 'best' }, b: { runId: 'new', checkpoint: 'final' } });
    expect(defaultComparison(runs)).toEqual({ a: { runId: 'old', checkpoint: 'best' }, b: { runId: 'old', checkpoint: 'final' } });
    expect(defaultComparison([runs[2]!])).toBeNull();
  });

  it('labels runs with name, status and test UAR', () => {
    expect(runOptionLabel(run('x', '2026-01-01T00:00:00Z', { test: { best: { accuracy: 0.7, uar: 0.612, macroF1: 0.6 } } }))).toBe(
      'run x · done · test UAR 61.2 %',
    );
    expect(runOptionLabel(run('y', '2026-01-01T00:00:00Z', { status: 'running', live: true }))).toBe(
      'run y · running (training) · not evaluated',
    );
  });
});

describe('useEvaluationStore', () => {
  it('lists runs newest first and refreshes them on runs.changed', async () => {
    let list = [run('a', '2026-01-01T00:00:00Z'), run('b', '2026-02-01T00:00:00Z')];
    const fake = fakeApi({ 'runs.list': () => list });
    setApi(fake.api);
    const store = useEvaluationStore();
    await store.ensureRuns();
    await store.ensureRuns();
    expect(store.runs.map((r) => r.id)).toEqual(['b', 'a']);
    expect(fake.count('runs.list')).toBe(1);

    list = [...list, run('c', '2026-03-01T00:00:00Z')];
    fake.emit('runs.changed', { runId: 'c' });
    await flush();
    expect(store.runs.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(fake.count('runs.list')).toBe(2);
  });

  it('refreshes the run list after evaluating a checkpoint the list says is not evaluated', async () => {
    let list = [run('r1', '2026-01-01T00:00:00Z')];
    const fake = fakeApi({
      'runs.list': () => list,
      'evaluation.get': (ref) => {
        list = [run('r1', '2026-01-01T00:00:00Z', { test: { [ref.checkpoint]: { accuracy: 0.5, uar: 0.5, macroF1: 0.5 } } })];
        return reportFor(ref);
      },
    });
    setApi(fake.api);
    const store = useEvaluationStore();
    await store.ensureRuns();
    expect(runOptionLabel(store.runs[0]!)).toContain('not evaluated');
    await store.load({ runId: 'r1', checkpoint: 'best' });
    await flush();
    expect(fake.count('runs.list')).toBe(2);
    expect(runOptionLabel(store.runs[0]!)).toContain('test UAR 50.0 %');
    // Known metrics: showing the cached report again asks for nothing.
    await store.load({ runId: 'r1', checkpoint: 'best' });
    await flush();
    expect(fake.count('runs.list')).toBe(2);
  });

  it('shows a run-list failure', async () => {
    setApi(fakeApi({ 'runs.list': () => Promise.reject(new Error('runs folder missing')) }).api);
    const store = useEvaluationStore();
    await store.ensureRuns();
    expect(store.runsError).toBe('runs folder missing');
    expect(store.runsLoaded).toBe(true);
  });

  it('loads a report once per checkpoint, showing loading meanwhile, and caches it', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fake = fakeApi({
      'evaluation.get': async (ref) => {
        await gate;
        return reportFor(ref);
      },
    });
    setApi(fake.api);
    const store = useEvaluationStore();

    const loading = store.load({ runId: 'r1', checkpoint: 'best' });
    expect(store.loading).toBe(true);
    expect(store.report).toBeNull();
    // A second ask for the same checkpoint shares the request.
    const again = store.fetchReport({ runId: 'r1', checkpoint: 'best' });
    release();
    await loading;
    expect(await again).toBe(store.report);
    expect(store.loading).toBe(false);
    expect(store.report?.checkpoint).toBe('best');
    expect(fake.calls.filter((c) => c.name === 'evaluation.get')).toEqual([
      { name: 'evaluation.get', args: { runId: 'r1', checkpoint: 'best' } },
    ]);

    await store.load({ runId: 'r1', checkpoint: 'final' });
    expect(store.report?.checkpoint).toBe('final');
    await store.load({ runId: 'r1', checkpoint: 'best' });
    expect(store.report?.checkpoint).toBe('best');
    expect(fake.count('evaluation.get')).toBe(2);
    expect(Object.keys(store.reports).sort()).toEqual([refKey({ runId: 'r1', checkpoint: 'best' }), 'r1#final']);
  });

  it('shows a failure for its checkpoint only, and asks again on retry', async () => {
    let fail = true;
    const fake = fakeApi({
      'evaluation.get': (ref) => {
        if (fail) throw new Error("run r1 has no complete 'best' checkpoint to evaluate");
        return reportFor(ref);
      },
    });
    setApi(fake.api);
    const store = useEvaluationStore();
    await store.load({ runId: 'r1', checkpoint: 'best' });
    expect(store.error).toContain("no complete 'best' checkpoint");
    expect(store.report).toBeNull();

    fail = false;
    await store.load({ runId: 'r1', checkpoint: 'final' });
    expect(store.error).toBeNull();
    await store.load({ runId: 'r1', checkpoint: 'best' });
    expect(store.error).toBeNull();
    expect(store.report?.checkpoint).toBe('best');
    expect(fake.count('evaluation.get')).toBe(3);
  });

  it('a slow earlier report does not replace the checkpoint shown now', async () => {
    let releaseBest: () => void = () => undefined;
    const bestGate = new Promise<void>((resolve) => (releaseBest = resolve));
    setApi(
      fakeApi({
        'evaluation.get': async (ref) => {
          if (ref.checkpoint === 'best') await bestGate;
          return reportFor(ref);
        },
      }).api,
    );
    const store = useEvaluationStore();
    const slow = store.load({ runId: 'r1', checkpoint: 'best' });
    await store.load({ runId: 'r1', checkpoint: 'final' });
    releaseBest();
    await slow;
    expect(store.report?.checkpoint).toBe('final');
  });

  it('selects a cell: its clips most confident first, the first one shown with its probabilities', async () => {
    setApi(fakeApi({ 'evaluation.get': reportFor }).api);
    const store = useEvaluationStore();
    await store.load({ runId: 'r1', checkpoint: 'best' });

    store.selectCell('anger', 'fear');
    expect(store.clips.map((c) => c.clipId)).toEqual(['a3', 'a2']);
    expect(store.selectedIndex).toBe(0);
    expect(store.selectedPrediction).toEqual({
      labels: LABELS,
      probabilities: [1 - 0.85, 0.85],
      predictedLabel: 'fear',
      trueLabel: 'anger',
    });

    store.selectClip(5);
    expect(store.selectedClip?.clipId).toBe('a2');
    store.selectClip(-1);
    expect(store.selectedClip?.clipId).toBe('a3');

    store.selectCell('fear', 'fear');
    expect(store.clips).toEqual([]);
    expect(store.selectedIndex).toBeNull();
    expect(store.selectedClip).toBeNull();

    store.selectMisclassified();
    expect(store.misclassifiedCount).toBe(3);
    expect(store.clips.map((c) => c.clipId)).toEqual(['a3', 'f1', 'a2']);

    // Another checkpoint starts with no selection.
    await store.load({ runId: 'r1', checkpoint: 'final' });
    expect(store.selection).toBeNull();
    expect(store.clips).toEqual([]);
  });

  it('exports the report (the engine draws the PNG) and keeps the written files', async () => {
    const fake = fakeApi({
      'evaluation.get': reportFor,
      'runs.export': (args) => ({
        dir: `/runs/${args.runId}/exports`,
        files: [`/runs/${args.runId}/exports/${args.checkpoint}-metrics.json`],
      }),
    });
    setApi(fake.api);
    const store = useEvaluationStore();
    await store.load({ runId: 'r1', checkpoint: 'final' });
    await store.exportReport();
    expect(fake.calls.at(-1)).toEqual({ name: 'runs.export', args: { runId: 'r1', checkpoint: 'final' } });
    expect(store.exportResult?.files).toEqual(['/runs/r1/exports/final-metrics.json']);
    expect(store.exportError).toBeNull();
  });

  it('drops cached reports of runs that disappeared', async () => {
    let list = [run('r1', '2026-01-01T00:00:00Z')];
    const fake = fakeApi({ 'runs.list': () => list, 'evaluation.get': reportFor });
    setApi(fake.api);
    const store = useEvaluationStore();
    await store.ensureRuns();
    await store.fetchReport({ runId: 'r1', checkpoint: 'best' });
    expect(Object.keys(store.reports)).toEqual(['r1#best']);
    list = [];
    fake.emit('runs.changed', { runId: 'r1' });
    await flush();
    expect(store.reports).toEqual({});
  });
});

describe('useComparisonStore', () => {
  const comparison: Comparison = {
    aName: 'r1/best',
    bName: 'r1/final',
    a: BEST.metrics,
    b: FINAL.metrics,
    deltas: { accuracy: 0.25, uar: 0.25, macroF1: 0.3 },
    perClassDeltas: [],
    confusionDifference: [
      [1, -1],
      [-1, 1],
    ],
    disagreements: [
      {
        clipId: 'a2',
        path: '/data/a2.wav',
        trueLabel: 'anger',
        aPredicted: 'fear',
        bPredicted: 'anger',
        aConfidence: 0.6,
        bConfidence: 0.55,
        aCorrect: false,
        bCorrect: true,
      },
      {
        clipId: 'f1',
        path: '/data/f1.wav',
        trueLabel: 'fear',
        aPredicted: 'anger',
        bPredicted: 'fear',
        aConfidence: 0.7,
        bConfidence: 0.65,
        aCorrect: false,
        bCorrect: true,
      },
    ],
    contingency: { bothCorrect: 1, aOnly: 0, bOnly: 2, bothWrong: 1 },
    mcnemar: { b: 0, c: 2, pValue: 0.5, midPValue: 0.25, statistic: 0.5, chiSquarePValue: 0.48 },
  };

  it('compares two checkpoints and shows A’s and B’s probabilities for the selected disagreement', async () => {
    const fake = fakeApi({ 'evaluation.compare': () => comparison, 'evaluation.get': reportFor });
    setApi(fake.api);
    const store = useComparisonStore();
    store.setPair({ a: { runId: 'r1', checkpoint: 'best' }, b: { runId: 'r1', checkpoint: 'final' } });
    await store.compare();
    await flush();

    expect(fake.calls[0]).toEqual({
      name: 'evaluation.compare',
      args: { a: { runId: 'r1', checkpoint: 'best' }, b: { runId: 'r1', checkpoint: 'final' } },
    });
    expect(store.error).toBeNull();
    expect(store.compared).toEqual({ a: { runId: 'r1', checkpoint: 'best' }, b: { runId: 'r1', checkpoint: 'final' } });
    expect(store.selectedDisagreement?.clipId).toBe('a2');
    expect(store.selectedPredictions.b).toEqual({
      labels: LABELS,
      probabilities: [0.55, 1 - 0.55],
      predictedLabel: 'anger',
      trueLabel: 'anger',
    });
    // A's probabilities too: the clip panel names both.
    expect(store.selectedPredictions.a).toEqual({
      labels: LABELS,
      probabilities: [1 - 0.6, 0.6],
      predictedLabel: 'fear',
      trueLabel: 'anger',
    });

    store.selectDisagreement(9);
    expect(store.selectedDisagreement?.clipId).toBe('f1');
    expect(store.selectedPredictions.b?.predictedLabel).toBe('fear');
    expect(store.selectedPredictions.a?.predictedLabel).toBe('anger');
  });

  it('shows why a comparison failed and drops the old result', async () => {
    let fail = false;
    setApi(
      fakeApi({
        'evaluation.compare': () => {
          if (fail) throw new Error('the two checkpoints predict different classes');
          return comparison;
        },
        'evaluation.get': reportFor,
      }).api,
    );
    const store = useComparisonStore();
    store.setPair({ a: { runId: 'r1', checkpoint: 'best' }, b: { runId: 'r1', checkpoint: 'final' } });
    await store.compare();
    expect(store.comparison).not.toBeNull();
    fail = true;
    await store.compare();
    expect(store.error).toBe('the two checkpoints predict different classes');
    expect(store.comparison).toBeNull();
    expect(store.comparing).toBe(false);
  });

  it('names the runs, not their folder ids, when the engine refuses a pair', async () => {
    const list = [
      run('20260101-aaaa', '2026-01-01T00:00:00Z', { name: 'crnn speaker' }),
      run('20260102-bbbb', '2026-01-02T00:00:00Z', { name: 'cnn random' }),
    ];
    setApi(
      fakeApi({
        'runs.list': () => list,
        'evaluation.compare': () => {
          throw new Error(
            '"20260101-aaaa/best" and "20260102-bbbb/final" were evaluated on different clips (4 clips differ); compare them on the same test set',
          );
        },
      }).api,
    );
    await useEvaluationStore().ensureRuns();
    const store = useComparisonStore();
    store.setPair({ a: { runId: '20260101-aaaa', checkpoint: 'best' }, b: { runId: '20260102-bbbb', checkpoint: 'final' } });
    await store.compare();
    expect(store.error).toBe(
      '"crnn speaker · best" and "cnn random · final" were evaluated on different clips (4 clips differ); compare them on the same test set',
    );
  });

  it('asks for two checkpoints first', async () => {
    const fake = fakeApi({});
    setApi(fake.api);
    const store = useComparisonStore();
    store.setPair({ a: { runId: 'r1', checkpoint: 'best' }, b: null });
    await store.compare();
    expect(store.error).toBe('Choose two checkpoints to compare.');
    expect(fake.calls).toEqual([]);
  });
});
