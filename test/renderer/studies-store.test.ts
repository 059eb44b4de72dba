/** The studies store and its table helpers against a fake engine. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  ClipPrediction,
  EvaluationReport,
  StudyCellReport,
  StudyDetail,
  StudyMemberStatus,
  StudyReportView,
} from '../../main/api/contract';
import { setApi } from '../../renderer/src/api';
import {
  emptyStudyForm,
  findComparison,
  memberGrid,
  memberTitle,
  nextSort,
  resultRows,
  foldLabels,
  runnerText,
  slurmSummary,
  studyCreateArgs,
  studySettings,
} from '../../renderer/src/lib/studies';
import { POLL_MS, useStudiesStore } from '../../renderer/src/stores/studies';
import { fakeApi, flush } from './fake-api';

const DIR = '/studies/lr';
const LABELS = ['anger', 'fear'];

function member(cell: number, fold: number, state: StudyMemberStatus['state'], seed = 1): StudyMemberStatus {
  return {
    index: cell * 2 + fold,
    id: `c${cell + 1}-s${seed}-f${fold + 1}`,
    cell,
    cellLabel: `learningRate=${cell ? 0.01 : 0.001}`,
    seed,
    fold,
    state,
    epochs: 4,
    ...(state === 'done' ? { epoch: 4 } : {}),
  };
}

function cell(index: number, uar: number | null): StudyCellReport {
  const base = {
    index,
    key: `c${index + 1}`,
    label: `learningRate=${index ? 0.01 : 0.001}`,
    studyDir: '/studies/lr',
    overrides: { learningRate: index ? 0.01 : 0.001 },
    members: { total: 2, done: uar === null ? 0 : 2 },
  };
  if (uar === null) return base;
  const h = { accuracy: uar, uar, macroF1: uar };
  return {
    ...base,
    pooled: {
      ...h,
      n: 4,
      labels: LABELS,
      confusion: [
        [1, 1],
        [0, 2],
      ],
      ci: { level: 0.95, iterations: 10, groupBy: 'speaker', accuracy: [0.1, 0.9], uar: [0.1, 0.9], macroF1: [0.1, 0.9] },
    } as never,
    folds: [
      { fold: 0, seed: 1, n: 2, ...h },
      { fold: 1, seed: 1, n: 2, ...h },
    ],
    mean: h,
    sd: { accuracy: 0, uar: 0, macroF1: 0 },
  };
}

function detail(members: StudyMemberStatus[], cells: StudyCellReport[]): StudyDetail {
  const counts = { pending: 0, queued: 0, running: 0, done: 0, failed: 0, interrupted: 0 };
  for (const m of members) counts[m.state]++;
  const report: StudyReportView = {
    study: {
      dir: DIR,
      name: 'lr',
      protocol: 'kfold:2',
      folds: 2,
      seeds: [1],
      grid: [{ field: 'learningRate', values: [0.001, 0.01] }],
      checkpoint: 'best',
    },
    complete: counts.done === members.length,
    cells,
    excluded: [],
    fusions: [],
    table: { baseline: null, rows: [] },
    comparisons: [
      {
        a: cells[0]!.label,
        b: cells[1]!.label,
        folds: [],
        uarDifference: 0.1,
        signFlip: null,
        mcnemar: null,
        significant: false,
        alpha: 0.05,
        verdict: 'no clear difference',
      },
    ],
  };
  return {
    status: {
      dir: DIR,
      name: 'lr',
      protocol: 'kfold:2',
      folds: 2,
      foldTests: [['03'], ['08']],
      seeds: [1],
      cells: 2,
      counts,
      members,
      problems: [],
      runner: null,
    },
    report,
  };
}

function clip(id: string, trueLabel: string, predictedLabel: string, confidence: number): ClipPrediction {
  return {
    clipId: id,
    path: `/data/${id}.wav`,
    speaker: id.slice(0, 2),
    trueLabel,
    predictedLabel,
    confidence,
    probabilities: [confidence, 1 - confidence],
  };
}

function evaluation(predictions: ClipPrediction[]): EvaluationReport {
  return { labels: LABELS, predictions } as unknown as EvaluationReport;
}

const ENTRY = { dir: DIR, name: 'lr', protocol: 'kfold:2', folds: 2, seeds: [1], cells: 2, members: 4, createdAt: '2026-01-01T00:00:00Z' };

describe('studies lib', () => {
  it('lays members out as cell × seed rows and fold columns', () => {
    const d = detail(
      [member(0, 1, 'running'), member(0, 0, 'done'), member(1, 0, 'pending'), member(1, 1, 'failed')],
      [cell(0, 0.5), cell(1, null)],
    );
    const rows = memberGrid(d.status);
    expect(rows.map((r) => r.key)).toEqual(['0/1', '1/1']);
    expect(rows[0]!.members.map((m) => m?.state)).toEqual(['done', 'running']);
  });

  it('names the Slurm job and task of members submitted to Slurm', () => {
    const local = [member(0, 0, 'done'), member(0, 1, 'running')];
    expect(slurmSummary(local)).toBeNull();
    const submitted = local.map((m) => ({ ...m, slurm: { jobId: '41', state: m.state === 'done' ? 'COMPLETED' : 'RUNNING' } }));
    expect(slurmSummary(submitted)).toBe('Slurm job 41 (2 tasks)');
    expect(memberTitle(submitted[1]!)).toContain(`Slurm 41_${submitted[1]!.index} RUNNING`);
  });

  it('sorts results by a metric (cells without results last) and by grid value', () => {
    const report = detail([], [cell(0, 0.5), cell(1, 0.7)]).report;
    report.cells.push({ ...cell(1, null), index: 2, label: 'x', overrides: { learningRate: 0.1 } });
    const sort = nextSort({ key: 'cell', descending: false }, 'uar');
    expect(sort).toEqual({ key: 'uar', descending: true });
    expect(resultRows(report, sort).map((r) => r.cell.index)).toEqual([1, 0, 2]);
    expect(resultRows(report, nextSort(sort, 'uar')).map((r) => r.cell.index)).toEqual([0, 1, 2]);
    expect(resultRows(report, { key: 'grid:learningRate', descending: true }).map((r) => r.values[0])).toEqual([0.1, 0.01, 0.001]);
    expect(findComparison(report, 1, 0)?.verdict).toBe('no clear difference');
  });

  it('turns the New-study form into studies.create arguments, dropping seed and split', () => {
    const form = {
      ...emptyStudyForm(),
      name: 'lr-grid',
      protocol: 'kfold' as const,
      k: '4',
      seeds: '1, 2',
      grid: [{ field: 'learningRate', values: '0.001, 0.01' }],
    };
    expect(studyCreateArgs(form, { model: 'crnn', seed: 7, split: { kind: 'random' } }, '/data', 'emodb')).toEqual({
      name: 'lr-grid',
      root: '/data',
      scheme: 'emodb',
      config: { model: 'crnn' },
      protocol: 'kfold:4',
      seeds: [1, 2],
      grid: [{ field: 'learningRate', values: ['0.001', '0.01'] }],
    });
    expect(() => studyCreateArgs({ ...form, name: 'a/b' }, {}, '/data')).toThrow(/^Name: /);
    expect(() => studyCreateArgs({ ...form, seeds: '1,x' }, {}, '/data')).toThrow('Seeds: give whole numbers ≥ 0, e.g. 1,2,3');
    expect(() => studyCreateArgs({ ...form, k: '1' }, {}, '/data')).toThrow('Folds: K must be a whole number ≥ 2');
    expect(() => studyCreateArgs({ ...form, grid: [{ field: 'epochs', values: ' , ' }] }, {}, '/data')).toThrow(
      'Grid field 1 (epochs): give at least one value, separated by commas',
    );
  });
});

describe('studies store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('compares with another study: its cells join, the pair is set up, a refusal is shown', async () => {
    const OTHER = '/studies/baseline';
    const own = detail([member(0, 0, 'done'), member(1, 0, 'done')], [cell(0, 0.5), cell(1, 0.6)]);
    const joined: StudyDetail = {
      ...own,
      report: { ...own.report, cells: [...own.report.cells, { ...cell(0, 0.4), index: 2, label: 'baseline: base', studyDir: OTHER }] },
    };
    const fake = fakeApi({
      'studies.list': () => [ENTRY, { ...ENTRY, dir: OTHER, name: 'baseline' }],
      'studies.get': (args) => {
        if (!args.with) return own;
        if (args.with[0] === OTHER) return joined;
        throw Object.assign(new Error('cannot compare: their folds differ'), { code: 'invalid-arguments' });
      },
      'studies.memberEvaluation': () => evaluation([]),
    });
    setApi(fake.api);
    const store = useStudiesStore();
    await store.refreshList();
    await store.setWith(OTHER);
    expect(fake.calls.at(-1)!.args).toEqual({ dir: DIR, checkpoint: 'best', with: [OTHER] });
    expect(store.detail?.report.cells).toHaveLength(3);
    expect(store.compare).toEqual([0, 2]);
    // The other study's clips are not this study's members.
    store.showMatrixOf(2);
    await store.selectMatrixCell('anger', 'anger');
    expect(store.clipsError).toMatch(/belong to the study in \/studies\/baseline/);

    await store.setWith('/studies/elsewhere');
    expect(store.withError).toBe('cannot compare: their folds differ');
    expect(store.withDir).toBe('');
    expect(store.detail?.report.cells).toHaveLength(2);
  });

  it('lists studies, opens the first, and follows a study job live', async () => {
    let current = detail(
      [member(0, 0, 'pending'), member(0, 1, 'pending'), member(1, 0, 'pending'), member(1, 1, 'pending')],
      [cell(0, null), cell(1, null)],
    );
    const fake = fakeApi({
      'studies.list': () => [ENTRY],
      'studies.get': () => current,
      'studies.run': ({ dir, parallel }) => ({
        jobId: 'j1',
        kind: 'study',
        state: 'running',
        root: dir,
        startedAt: 'now',
        ...(parallel === 2 ? {} : { error: 'wrong parallel' }),
      }),
      'jobs.cancel': () => ({ jobId: 'j1', kind: 'study', state: 'running', root: DIR, startedAt: 'now' }),
    });
    setApi(fake.api);
    const store = useStudiesStore();
    store.attach();
    await store.refreshList();
    expect(store.selectedDir).toBe(DIR);
    expect(store.detail?.status.counts.pending).toBe(4);

    await store.run(2);
    expect(store.running).toBe(true);
    expect(store.job?.error).toBeUndefined();
    fake.emit('studies.event', {
      jobId: 'j1',
      dir: DIR,
      event: { type: 'member-epoch', member: member(0, 0, 'pending'), epoch: 2, epochs: 4 },
    });
    expect(store.detail?.status.members[0]).toMatchObject({ state: 'running', epoch: 2, epochs: 4 });

    current = detail(
      [member(0, 0, 'done'), member(0, 1, 'done'), member(1, 0, 'done'), member(1, 1, 'done')],
      [cell(0, 0.5), cell(1, 0.7)],
    );
    fake.emit('job.finished', {
      job: { jobId: 'j1', kind: 'study', state: 'done', root: DIR, startedAt: 'now' },
      study: { ran: 4, succeeded: 4, failed: [], cancelled: false, seconds: 9 },
    });
    await flush();
    expect(store.running).toBe(false);
    expect(store.lastRun?.succeeded).toBe(4);
    expect(store.detail?.report.cells[1]!.pooled?.uar).toBe(0.7);
    store.detach();
  });

  it('drills into a pooled matrix cell: clips from every finished fold, with that fold’s probabilities', async () => {
    const d = detail(
      [member(0, 0, 'done'), member(0, 1, 'done'), member(1, 0, 'done'), member(1, 1, 'running')],
      [cell(0, 0.5), cell(1, 0.7)],
    );
    const fake = fakeApi({
      'studies.list': () => [ENTRY],
      'studies.get': () => d,
      'studies.memberEvaluation': ({ memberId }) =>
        memberId === 'c1-s1-f1'
          ? evaluation([clip('03a', 'anger', 'fear', 0.6), clip('03b', 'anger', 'anger', 0.9)])
          : evaluation([clip('08a', 'anger', 'fear', 0.8), clip('08b', 'fear', 'fear', 0.7)]),
    });
    setApi(fake.api);
    const store = useStudiesStore();
    await store.refreshList();
    await store.selectMatrixCell('anger', 'fear');
    expect(fake.calls.filter((c) => c.name === 'studies.memberEvaluation').map((c) => (c.args as { memberId: string }).memberId)).toEqual([
      'c1-s1-f1',
      'c1-s1-f2',
    ]);
    expect(store.selectedClips.map((c) => [c.clipId, c.fold, c.memberId])).toEqual([
      ['08a', 1, 'c1-s1-f2'],
      ['03a', 0, 'c1-s1-f1'],
    ]);
    store.selectClip(1);
    expect(store.selectedClip).toMatchObject({ path: '/data/03a.wav', labels: LABELS, probabilities: [0.6, 0.4] });
    // Another cell of the same matrix reuses the clips; another grid cell loads its own members.
    await store.selectMatrixCell('fear', 'fear');
    expect(fake.count('studies.memberEvaluation')).toBe(2);
    store.showMatrixOf(1);
    expect(store.selection).toBeNull();
    await store.selectMatrixCell('anger', 'fear');
    expect(fake.count('studies.memberEvaluation')).toBe(3);
    // The final checkpoint: the report and the clips are read again for it.
    await store.setCheckpoint('final');
    expect(fake.calls.filter((c) => c.name === 'studies.get').at(-1)?.args).toEqual({ dir: DIR, checkpoint: 'final' });
    await store.selectMatrixCell('anger', 'fear');
    expect(fake.calls.filter((c) => c.name === 'studies.memberEvaluation').at(-1)?.args).toEqual({
      dir: DIR,
      memberId: 'c2-s1-f1',
      checkpoint: 'final',
    });
  });

  it('overlays chosen members’ curves, and drops them with another study', async () => {
    const d = detail(
      [member(0, 0, 'done'), member(0, 1, 'done'), member(1, 0, 'done'), member(1, 1, 'pending')],
      [cell(0, 0.5), cell(1, 0.7)],
    );
    const epochs = [
      { epoch: 1, valUar: 0.3 },
      { epoch: 2, valUar: 0.4 },
    ];
    const fake = fakeApi({
      'studies.list': () => [ENTRY, { ...ENTRY, dir: '/studies/other', name: 'other' }],
      'studies.get': () => d,
      'studies.member': ({ memberId }) => {
        if (memberId === 'c2-s1-f2') throw new Error('studies.member: member c2-s1-f2 has not started');
        return { epochs } as never;
      },
    });
    setApi(fake.api);
    const store = useStudiesStore();
    await store.refreshList();
    await store.toggleCurve('c1-s1-f1');
    await store.toggleCurve('c2-s1-f2');
    expect(store.curveMembers).toEqual(['c1-s1-f1']);
    expect(store.curves.get('c1-s1-f1')).toEqual(epochs);
    expect(store.curvesError).toBe('member c2-s1-f2 has not started');
    await store.toggleCurve('c1-s1-f1');
    expect(store.curveMembers).toEqual([]);
    await store.toggleCurve('c1-s1-f2');
    await store.select('/studies/other');
    expect(store.curveMembers).toEqual([]);
    expect(store.curves.size).toBe(0);
  });

  it('creates a study from the Train form settings, and says why it cannot', async () => {
    const fake = fakeApi({
      'studies.create': () => ENTRY,
      'studies.list': () => [ENTRY],
      'studies.get': () => detail([], [cell(0, null), cell(1, null)]),
    });
    setApi(fake.api);
    const store = useStudiesStore();
    const form = { ...emptyStudyForm(), name: 'lr' };
    expect(await store.create(form, '/data')).toBe(false);
    expect(store.createError).toBe('The Train form has not loaded its settings yet');
    store.baseSettings = { model: 'crnn', epochs: 3, seed: 5 };
    expect(await store.create(form, null)).toBe(false);
    expect(store.createError).toMatch(/^Open a dataset first/);
    expect(await store.create(form, '/data', 'emodb')).toBe(true);
    expect(fake.calls.find((c) => c.name === 'studies.create')?.args).toMatchObject({
      name: 'lr',
      root: '/data',
      scheme: 'emodb',
      config: { model: 'crnn', epochs: 3 },
      protocol: 'loso',
      seeds: [1, 2, 3],
    });
    expect(store.selectedDir).toBe(DIR);
  });

  it('counts a member running from the first event, keeps a run’s result with its study, and names another executor', async () => {
    const OTHER = '/studies/other';
    let current = detail([member(0, 0, 'pending'), member(0, 1, 'pending')], [cell(0, null), cell(1, null)]);
    const fake = fakeApi({
      'studies.list': () => [ENTRY, { ...ENTRY, dir: OTHER, name: 'other' }],
      'studies.get': () => current,
      'studies.run': ({ dir }) => ({ jobId: 'j2', kind: 'study', state: 'running', root: dir, startedAt: 'now' }),
    });
    setApi(fake.api);
    const store = useStudiesStore();
    store.attach();
    await store.refreshList();
    await store.run(1);
    fake.emit('studies.event', { jobId: 'j2', dir: DIR, event: { type: 'member-start', member: member(0, 0, 'pending') } });
    expect(store.detail?.status.counts).toMatchObject({ running: 1, pending: 1 });
    fake.emit('job.finished', {
      job: { jobId: 'j2', kind: 'study', state: 'cancelled', root: DIR, startedAt: 'now' },
      study: { ran: 1, succeeded: 0, failed: [], stopped: 1, cancelled: true, seconds: 2 } as never,
    });
    await flush();
    expect(store.lastRun?.cancelled).toBe(true);
    await store.select(OTHER);
    expect(store.lastRun).toBeNull();
    await store.select(DIR);
    expect(store.lastRun?.cancelled).toBe(true);

    // `ser study run` elsewhere holds the study: named, and this app does not count as running it.
    current = { ...current, status: { ...current.status, runner: { pid: 42, hostname: 'node7', startedAt: '2026-12-07T01:02:03.456Z' } } };
    await store.refresh();
    expect(store.runnerElsewhere).toMatchObject({ pid: 42 });
    expect(store.busyElsewhere).toBe(true);
    expect(runnerText(store.runnerElsewhere!)).toBe('pid 42 on node7 since 2026-12-07 01:02:03 UTC');

    // Refresh lists a study made meanwhile.
    fake.calls.length = 0;
    await store.refreshAll();
    expect(fake.calls.map((c) => c.name)).toEqual(['studies.list', 'studies.get']);
    store.detach();
  });

  it('names each fold by its test speakers, and lists the settings a new study will use from the field tables', () => {
    expect(foldLabels([['03'], ['08', '09']])).toEqual(['fold 1 (03)', 'fold 2 (08, 09)']);
    const groups = studySettings(
      { model: 'crnn', epochs: 3, seed: 5, lrSchedule: 'cosine', warmupEpochs: 2, lrFactor: 0.5, learningRate: 0.001 },
      { representation: 'logmel', nMfcc: 40 },
    );
    const flat = groups.flatMap((g) => g.items.map((i) => `${g.title}/${i.label}=${i.value}`));
    expect(flat).toContain('Features/Representation=logmel');
    expect(flat).toContain('Run/Model=crnn');
    expect(flat).toContain('Optimisation/Learning rate=0.001');
    // The study sets the seed; a plateau factor does not apply to a cosine schedule; nMfcc not to log-mel.
    expect(flat.some((f) => /Seed|Plateau|factor|MFCC coefficients/i.test(f))).toBe(false);
  });

  it('polls the cheap status, reads the report again only when a member finished, and keeps a member it started running', async () => {
    vi.useFakeTimers();
    const store = useStudiesStore();
    try {
      const cells = [cell(0, null), cell(1, null)];
      let full = detail([member(0, 0, 'pending'), member(0, 1, 'pending')], cells);
      let status = full.status;
      const fake = fakeApi({
        'studies.list': () => [ENTRY],
        'studies.get': () => full,
        'studies.status': () => status,
        'studies.run': ({ dir }) => ({ jobId: 'j3', kind: 'study', state: 'running', root: dir, startedAt: 'now' }),
      });
      setApi(fake.api);
      store.attach();
      await store.refreshList();
      // `ser study run` elsewhere starts member 0: shown without a touch, from the status alone.
      status = detail([member(0, 0, 'running'), member(0, 1, 'pending')], cells).status;
      await vi.advanceTimersByTimeAsync(POLL_MS);
      expect(store.detail?.status.counts).toMatchObject({ running: 1, pending: 1 });
      expect(fake.count('studies.get')).toBe(1);
      // It finishes: the report is read again.
      full = detail([member(0, 0, 'done'), member(0, 1, 'pending')], cells);
      status = full.status;
      await vi.advanceTimersByTimeAsync(POLL_MS);
      expect(fake.count('studies.get')).toBe(2);
      expect(store.detail?.status.counts).toMatchObject({ done: 1, pending: 1 });
      // This app starts member 1; its run folder does not exist yet, so the folders still say pending.
      await store.run(1);
      fake.emit('studies.event', { jobId: 'j3', dir: DIR, event: { type: 'member-start', member: member(0, 1, 'pending') } });
      await vi.advanceTimersByTimeAsync(POLL_MS);
      expect(store.detail?.status.members[1]!.state).toBe('running');
      expect(store.detail?.status.counts).toMatchObject({ done: 1, running: 1, pending: 0 });
    } finally {
      store.detach();
      vi.useRealTimers();
    }
  });
});
