/** The comparison table's store against a fake engine: fusions and baseline as request options, refusals undone. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StudyDetail, StudyReportView, StudyTableRow } from '../../main/api/contract';
import { setApi } from '../../renderer/src/api';
import { useStudiesStore } from '../../renderer/src/stores/studies';
import { useStudyTableStore } from '../../renderer/src/stores/studyTable';
import { fakeApi, flush } from './fake-api';

const DIR = '/studies/grid';
const ENTRY = { dir: DIR, name: 'grid', protocol: 'loso', folds: 10, seeds: [1], cells: 2, members: 20, createdAt: '2026-01-01T00:00:00Z' };

const row = (key: string, kind: 'cell' | 'fusion', uar: number): StudyTableRow => ({
  key,
  kind,
  label: key,
  overrides: {},
  members: { done: 10, total: 10 },
  uar,
  uarCi: [uar - 0.05, uar + 0.05],
});

function detail(rows: StudyTableRow[], baseline: string): StudyDetail {
  const report = {
    study: { dir: DIR, name: 'grid', protocol: 'loso', folds: 10, seeds: [1], grid: [], checkpoint: 'best' },
    complete: true,
    cells: [],
    excluded: [],
    fusions: [],
    comparisons: [],
    table: { baseline, rows },
  } as StudyReportView;
  return {
    status: {
      dir: DIR,
      name: 'grid',
      protocol: 'loso',
      folds: 10,
      seeds: [1],
      cells: 2,
      counts: {} as never,
      members: [],
      problems: [],
      foldTests: [],
      runner: null,
    },
    report,
  };
}

describe('study table store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('asks for fusions and a baseline, undoes what the engine refuses and says why, exports with the same options', async () => {
    const plain = detail([row('c1', 'cell', 0.78), row('c2', 'cell', 0.8)], 'c1');
    const fused = detail([...plain.report.table.rows, row('f1', 'fusion', 0.85)], 'c1');
    const fake = fakeApi({
      'studies.list': () => [ENTRY],
      'studies.get': (args) => {
        if (args.fuse?.includes('c1+c9')) throw Object.assign(new Error('studies.get: there is no cell c9'), { code: 'invalid-arguments' });
        if (!args.fuse) return plain;
        return args.baseline === 'f1' ? { ...fused, report: { ...fused.report, table: { ...fused.report.table, baseline: 'f1' } } } : fused;
      },
      'studies.exportTable': (args) => ({ text: JSON.stringify(args), fileName: 'grid-best-table.tex' }),
    });
    setApi(fake.api);
    const studies = useStudiesStore();
    const table = useStudyTableStore();
    await studies.refreshList();
    await flush();
    // No options: the studies store's report, no extra request.
    expect(table.report?.table.rows.map((r) => r.key)).toEqual(['c1', 'c2']);
    expect(fake.count('studies.get')).toBe(1);

    await table.addFusion(['c1', 'c2']);
    expect(fake.calls.at(-1)!.args).toEqual({ dir: DIR, checkpoint: 'best', fuse: ['c1+c2'] });
    expect(table.report?.table.rows.map((r) => r.key)).toEqual(['c1', 'c2', 'f1']);

    await table.addFusion(['c1', 'c9']);
    expect(table.fusions).toEqual(['c1+c2']);
    expect(table.error).toBe('there is no cell c9');
    expect(table.report?.table.rows.map((r) => r.key)).toEqual(['c1', 'c2', 'f1']);

    await table.setBaseline('f1');
    expect(table.error).toBeNull();
    expect(table.report?.table.baseline).toBe('f1');
    const exported = await table.exportTable('latex');
    expect(JSON.parse(exported!.text)).toEqual({ dir: DIR, checkpoint: 'best', fuse: ['c1+c2'], baseline: 'f1', format: 'latex' });

    // Removing the fusion drops a baseline that named a fusion.
    await table.removeFusion('c1+c2');
    expect(table.baseline).toBe('');
    expect(table.report?.table.rows.map((r) => r.key)).toEqual(['c1', 'c2']);
  });
});
