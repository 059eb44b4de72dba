/**
 * Late fusion and the comparison table: fused probabilities are exactly the mean of the members',
 * clips must match, seed ensembles and cell fusions become derived cells with pooled metrics and
 * paired tests, and the table exports as CSV and LaTeX. Members are fabricated run folders with
 * evaluation files (no training), on a real two-fold study of the demo dataset.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestArgs, RequestName, RequestResult } from '../../../main/api/contract';
import { createEngine, dispatch } from '../../../main/api/handlers';
import { Workspace } from '../../../main/api/workspace';
import { initBackend } from '../../../main/compute/backend';
import { averagePredictions, ENSEMBLE_SEED, ensembleSeeds, fuseSources, pairableMembers } from '../../../main/evaluation/fusion';
import type { MemberPredictions } from '../../../main/evaluation/pooled';
import type { ClipPrediction } from '../../../main/evaluation/types';
import {
  createStudy,
  parseFusion,
  readStudy,
  studyReport,
  studyReportCsv,
  studyReportLatex,
  type StudyFile,
} from '../../../main/pipeline/study';
import { resolveTrainingConfig } from '../../../main/training/config';
import { createRng } from '../../../main/util/random';
import { runCli } from '../../cli/run-cli';
import { fabricateMembers } from './fake-members';

const LABELS = ['anger', 'neutral', 'sadness'];

/** Predictions of `n` clips with random probabilities (rows sum to 1). */
function randomPredictions(prefix: string, n: number, seed: number, speakerOf = (i: number) => `s${i % 3}`): ClipPrediction[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const raw = LABELS.map(() => rng.next() + 0.01);
    const total = raw.reduce((a, b) => a + b, 0);
    const probabilities = raw.map((v) => v / total);
    const best = probabilities.indexOf(Math.max(...probabilities));
    return {
      clipId: `${prefix}${i}`,
      path: `/data/${prefix}${i}.wav`,
      speaker: speakerOf(i),
      trueLabel: LABELS[i % LABELS.length]!,
      predictedLabel: LABELS[best]!,
      confidence: probabilities[best]!,
      probabilities,
    };
  });
}

describe('averagePredictions / ensembleSeeds / fuseSources', () => {
  it('fused probabilities are exactly the mean of the members’, and the prediction their argmax', () => {
    const a = randomPredictions('k', 12, 1);
    const b = randomPredictions('k', 12, 2);
    const c = randomPredictions('k', 12, 3).reverse(); // order does not matter: clips are matched by id
    const fused = averagePredictions(
      [
        { name: 'A', predictions: a },
        { name: 'B', predictions: b },
        { name: 'C', predictions: c },
      ],
      LABELS,
    );
    expect(fused.map((p) => p.clipId)).toEqual(a.map((p) => p.clipId));
    fused.forEach((p, i) => {
      const other = c.find((q) => q.clipId === p.clipId)!;
      const mean = LABELS.map((_, k) => (a[i]!.probabilities[k]! + b[i]!.probabilities[k]! + other.probabilities[k]!) / 3);
      expect(p.probabilities).toEqual(mean);
      expect(p.predictedLabel).toBe(LABELS[mean.indexOf(Math.max(...mean))]);
      expect(p.confidence).toBe(Math.max(...mean));
      expect(p.trueLabel).toBe(a[i]!.trueLabel);
    });
  });

  it('refuses members whose clips or true labels differ, with the reason', () => {
    const a = randomPredictions('k', 6, 1);
    expect(() =>
      averagePredictions(
        [
          { name: 'A', predictions: a },
          { name: 'B', predictions: a.slice(1) },
        ],
        LABELS,
      ),
    ).toThrow('A predicts 6 clips and B 5: fusion needs the same clips');
    const renamed = a.map((p, i) => (i === 2 ? { ...p, clipId: 'other' } : p));
    expect(() =>
      averagePredictions(
        [
          { name: 'A', predictions: a },
          { name: 'B', predictions: renamed },
        ],
        LABELS,
      ),
    ).toThrow('A predicts clip k2 and B does not: fusion needs the same clips');
    const relabelled = a.map((p, i) => (i === 0 ? { ...p, trueLabel: 'sadness' } : p));
    expect(() =>
      averagePredictions(
        [
          { name: 'A', predictions: a },
          { name: 'B', predictions: relabelled },
        ],
        LABELS,
      ),
    ).toThrow("clip k0 is 'anger' for A and 'sadness' for B");
  });

  it('a seed ensemble has one member per fold; cells fuse seed by seed, and refuse when they share no seed', () => {
    const cell = (offset: number, seeds: number[]): MemberPredictions[] =>
      seeds.flatMap((seed) =>
        [0, 1].map((fold) => ({ fold, seed, predictions: randomPredictions(`f${fold}-`, 5, offset + seed * 10 + fold) })),
      );
    const one = cell(0, [1, 2]);
    const ensemble = ensembleSeeds({ name: 'c1', members: one }, LABELS);
    expect(ensemble.map((m) => [m.fold, m.seed])).toEqual([
      [0, ENSEMBLE_SEED],
      [1, ENSEMBLE_SEED],
    ]);
    expect(ensemble[1]!.predictions[3]!.probabilities).toEqual(
      LABELS.map((_, k) => (one[1]!.predictions[3]!.probabilities[k]! + one[3]!.predictions[3]!.probabilities[k]!) / 2),
    );

    const other = cell(100, [1, 2]);
    const fused = fuseSources(
      [
        { name: 'c1', members: one },
        { name: 'c2', members: other },
      ],
      LABELS,
    );
    expect(fused.map((m) => [m.seed, m.fold])).toEqual([
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
    ]);
    expect(fused[2]!.predictions[0]!.probabilities).toEqual(
      LABELS.map((_, k) => (one[2]!.predictions[0]!.probabilities[k]! + other[2]!.predictions[0]!.probabilities[k]!) / 2),
    );
    expect(() =>
      fuseSources(
        [
          { name: 'c1', members: one },
          { name: 'c3', members: cell(200, [7]) },
        ],
        LABELS,
      ),
    ).toThrow('c1 and c3 share no finished fold and seed (c1: seed 1, seed 2; c3: seed 7): fuse their seed ensembles instead');

    // McNemar pairing: the ensemble is compared with each seed of the cell.
    expect(pairableMembers(ensemble, one).map((m) => `${m.seed}/${m.fold}`)).toEqual(['1/0', '1/1', '2/0', '2/1']);
    expect(pairableMembers(one, ensemble)).toEqual(one);
  });

  it('parseFusion reads c1+c3 and refuses anything else', () => {
    expect(parseFusion('c1+c3')).toEqual(['c1', 'c3']);
    expect(parseFusion(' c2 + c10 + c1 ')).toEqual(['c2', 'c10', 'c1']);
    expect(() => parseFusion('c1')).toThrow("a fusion names two or more cells by their numbers, like c1+c3 (got 'c1')");
    expect(() => parseFusion('c1+crnn')).toThrow('like c1+c3');
    expect(() => parseFusion('c1+c1')).toThrow("fusion 'c1+c1' names a cell twice");
  });
});

describe('study report with fusions and the comparison table', () => {
  const DEMO = resolve('resources/demo-emodb');
  let work: string;
  let dir: string;
  let study: StudyFile;
  /** The fabricated predictions of each member id. */
  let predictionsOf = new Map<string, ClipPrediction[]>();

  beforeAll(async () => {
    // The handlers register more backends; the members' tiny checkpoints are written on the cpu one.
    await initBackend('cpu');
    work = mkdtempSync(join(tmpdir(), 'ser-fusion-'));
    dir = join(work, 'study');
    study = await createStudy(dir, {
      datasetRoot: DEMO,
      protocol: { kind: 'kfold', k: 2 },
      training: resolveTrainingConfig({ preset: 'quick', model: 'seed-cnn' }),
      seeds: [1, 2],
      grid: [{ field: 'model', values: ['seed-cnn', 'crnn'] }],
    });
    study = await readStudy(dir);
    predictionsOf = await fabricateMembers(dir, study, undefined, true);
  }, 60_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('adds a fused cell whose pooled predictions are the mean of its members’, tested against each member', async () => {
    const report = await studyReport(dir, { fuse: [['c1', 'c2']], iterations: 200 });
    expect(report.cells.map((c) => c.key)).toEqual(['c1', 'c2']);
    expect(report.fusions).toHaveLength(1);
    const fused = report.fusions[0]!;
    expect(fused).toMatchObject({ key: 'f1', label: 'c1 + c2', cells: ['c1', 'c2'], seedsAveraged: false, members: { done: 4, total: 4 } });
    expect(fused.pooled!.n).toBe(2 * 2 * 30);

    // Recompute the pooled confusion matrix from the members' files by hand.
    const confusion = LABELS.map(() => LABELS.map(() => 0));
    for (const seed of [1, 2]) {
      for (const fold of [1, 2]) {
        const a = predictionsOf.get(`c1-s${seed}-f${fold}`)!;
        const b = predictionsOf.get(`c2-s${seed}-f${fold}`)!;
        a.forEach((p, i) => {
          const mean = p.probabilities.map((v, k) => (v + b[i]!.probabilities[k]!) / 2);
          confusion[LABELS.indexOf(p.trueLabel)]![mean.indexOf(Math.max(...mean))]!++;
        });
      }
    }
    expect(fused.pooled!.confusion).toEqual(confusion);
    expect(fused.folds!.map((f) => [f.seed, f.fold])).toEqual([
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
    ]);

    // c1 vs c2, then the fusion against each of its cells.
    expect(report.comparisons.map((c) => `${c.a} | ${c.b}`)).toEqual([
      'model=seed-cnn | model=crnn',
      'model=seed-cnn | c1 + c2',
      'model=crnn | c1 + c2',
    ]);
    for (const c of report.comparisons.slice(1)) {
      expect(c.folds).toHaveLength(2);
      expect(c.mcnemar!.n).toBe(120);
    }

    // The table: cells then fusions, tested against c1 by default.
    expect(report.table.baseline).toBe('c1');
    expect(report.table.rows.map((r) => [r.key, r.kind, r.label])).toEqual([
      ['c1', 'cell', 'model=seed-cnn'],
      ['c2', 'cell', 'model=crnn'],
      ['f1', 'fusion', 'c1 + c2'],
    ]);
    const [base, second, fusion] = report.table.rows;
    expect(base!.vsBaseline).toBeUndefined();
    expect(second!.vsBaseline!.uarDifference).toBeCloseTo(report.comparisons[0]!.uarDifference, 12);
    expect(fusion!.vsBaseline!.signFlipP).toBe(report.comparisons[1]!.signFlip!.pValue);
    expect(fusion!.uar).toBe(fused.pooled!.uar);
    expect(fusion!.uarCi).toEqual(fused.pooled!.ci.uar);
    expect(fusion!.foldUarMean).toBe(fused.mean!.uar);
  });

  it('--ensemble-seeds adds each cell’s seed ensemble and fuses the ensembles; --baseline picks the row', async () => {
    const report = await studyReport(dir, { fuse: [['c1', 'c2']], ensembleSeeds: true, baseline: 'c2', iterations: 200 });
    expect(report.fusions.map((f) => [f.key, f.label, f.members.done])).toEqual([
      ['f1', 'seeds of c1', 2],
      ['f2', 'seeds of c2', 2],
      ['f3', 'c1 + c2 (seeds averaged)', 2],
    ]);
    const f3 = report.fusions[2]!;
    expect(f3.folds!.every((f) => f.seed === ENSEMBLE_SEED)).toBe(true);
    // Each fold's clips: the mean over the cells of each cell's mean over its seeds.
    const confusion = LABELS.map(() => LABELS.map(() => 0));
    for (const fold of [1, 2]) {
      const [a1, a2, b1, b2] = ['c1-s1', 'c1-s2', 'c2-s1', 'c2-s2'].map((m) => predictionsOf.get(`${m}-f${fold}`)!);
      a1!.forEach((p, i) => {
        const cellMean = (x: ClipPrediction[], y: ClipPrediction[]) =>
          LABELS.map((_, k) => (x[i]!.probabilities[k]! + y[i]!.probabilities[k]!) / 2);
        const [ca, cb] = [cellMean(a1!, a2!), cellMean(b1!, b2!)];
        const mean = LABELS.map((_, k) => (ca[k]! + cb[k]!) / 2);
        confusion[LABELS.indexOf(p.trueLabel)]![mean.indexOf(Math.max(...mean))]!++;
      });
    }
    expect(f3.pooled!.confusion).toEqual(confusion);
    expect(f3.pooled!.n).toBe(60);
    expect(report.table.baseline).toBe('c2');
    expect(report.table.rows.find((r) => r.key === 'c2')!.vsBaseline).toBeUndefined();
    // The seed ensemble is paired with each seed of its cell for McNemar: 2 seeds × 60 clips.
    const seedsOfC1 = report.comparisons.find((c) => c.b === 'seeds of c1')!;
    expect(seedsOfC1.a).toBe('model=seed-cnn');
    expect(seedsOfC1.mcnemar!.n).toBe(120);

    const csv = studyReportCsv(report).trim().split('\n');
    expect(csv[0]).toMatch(
      /^cell,model,members_done,members_total,n,accuracy,.*,id,fused_cells,seeds_averaged,baseline,uar_difference_vs_baseline,sign_flip_p,mcnemar_p$/,
    );
    expect(csv).toHaveLength(1 + 5);
    expect(csv[5]).toMatch(/^c1 \+ c2 \(seeds averaged\),,2,2,60,/);
    expect(csv[5]).toContain(',f3,c1+c2,true,model=crnn,');

    const latex = studyReportLatex(report);
    expect(latex).toContain('\\begin{tabular}{llrrrrrrr}');
    expect(latex).toContain('c2 & model=crnn (baseline) &');
    expect(latex.split('\n').filter((l) => /^(c|f)\d+ & /.test(l))).toHaveLength(5);
    expect(latex).toContain(`${(f3.pooled!.uar * 100).toFixed(1)} [`);
  });

  it('refuses unknown cells, a baseline that is not a row, and members whose clips differ', async () => {
    await expect(studyReport(dir, { fuse: [['c1', 'c5']] })).rejects.toThrow("there is no cell c5: the report's cells are c1..c2");
    await expect(studyReport(dir, { baseline: 'f1' })).rejects.toThrow('there is no row f1 to use as the baseline: choose one of c1, c2');

    // One member of c2 predicted a different set of clips.
    const other = join(work, 'mismatch');
    const made = await createStudy(other, {
      datasetRoot: DEMO,
      protocol: { kind: 'kfold', k: 2 },
      training: resolveTrainingConfig({ preset: 'quick', model: 'seed-cnn' }),
      seeds: [1],
      grid: [{ field: 'model', values: ['seed-cnn', 'crnn'] }],
    });
    await fabricateMembers(other, made, (id) => (id === 'c2-s1-f2' ? 29 : 30));
    await expect(studyReport(other, { fuse: [['c1', 'c2']] })).rejects.toThrow(
      'cannot fuse c1+c2: c1 (model=seed-cnn) (fold 2, seed 1) predicts 30 clips and c2 (model=crnn) (fold 2, seed 1) 29: fusion needs the same clips',
    );
  });

  it('the Studies view’s requests: studies.get with fusions, studies.exportTable as CSV and LaTeX, bad options refused', async () => {
    const workspace = new Workspace({
      runsDir: work,
      cacheDir: join(work, 'cache'),
      uploadsDir: join(work, 'up'),
      demoDatasetPath: DEMO,
      backendPreference: 'wasm',
    });
    const engine = createEngine({ appVersion: 'test', door: 'serve', workspace, emit: () => undefined });
    const call = <N extends RequestName>(name: N, args: RequestArgs<N>) =>
      dispatch(engine.handlers, name, args) as Promise<RequestResult<N>>;
    try {
      await call('studies.list', {});
      const { report } = await call('studies.get', { dir, fuse: ['c1+c2'], ensembleSeeds: true, baseline: 'f3' });
      expect(report.table.baseline).toBe('f3');
      expect(report.table.rows.map((r) => r.key)).toEqual(['c1', 'c2', 'f1', 'f2', 'f3']);
      expect(report.excluded).toEqual([]);
      const csv = await call('studies.exportTable', { dir, fuse: ['c1+c2'], format: 'csv' });
      expect(csv.fileName).toBe('study-best-table.csv');
      expect(csv.text.trim().split('\n')).toHaveLength(4);
      const latex = await call('studies.exportTable', { dir, fuse: ['c1+c2'], format: 'latex' });
      expect(latex.fileName).toBe('study-best-table.tex');
      expect(latex.text).toMatch(/^\\begin\{table\}/);

      // One fold of the fusion as a run in the runs folder, which the runs list and the predictor take.
      const saved = await call('studies.saveFusedRun', { dir, fuse: 'c1+c2', fold: 2, seed: 2 });
      expect(saved.runId).toBe('study-fused-c1-c2-fold2-seed2');
      const runs = await call('runs.list', {});
      const fusedRun = runs.find((r) => r.id === saved.runId)!;
      expect(fusedRun.checkpoints.best.complete).toBe(true);
      const evaluation = await call('evaluation.get', { runId: saved.runId, checkpoint: 'best' });
      const [a, b] = [predictionsOf.get('c1-s2-f2')!, predictionsOf.get('c2-s2-f2')!];
      expect(evaluation.predictions.map((p) => p.probabilities)).toEqual(
        a.map((p, i) => p.probabilities.map((v, k) => (v + b[i]!.probabilities[k]!) / 2)),
      );
      const ensemble = await call('studies.saveFusedRun', { dir, fuse: 'c1', fold: 1, seedsAveraged: true });
      expect(ensemble.runId).toBe('study-fused-c1-fold1-seeds');
      await expect(call('studies.saveFusedRun', { dir, fuse: 'c1', fold: 1 })).rejects.toMatchObject({
        code: 'invalid-arguments',
        message: expect.stringContaining('a fused run needs at least two members'),
      });
      await expect(call('studies.saveFusedRun', { dir, fuse: 'c1+c2', fold: 3 })).rejects.toMatchObject({
        code: 'invalid-arguments',
        message: expect.stringContaining('fold must be 1..2, got 3'),
      });

      await expect(call('studies.get', { dir, fuse: ['c1+c9'] })).rejects.toMatchObject({
        code: 'invalid-arguments',
        message: "studies.get: there is no cell c9: the report's cells are c1..c2",
      });
      await expect(call('studies.get', { dir, fuse: ['c1'] })).rejects.toMatchObject({ code: 'invalid-arguments' });
      await expect(call('studies.get', { dir, baseline: 'x; rm' })).rejects.toMatchObject({ code: 'invalid-arguments' });
      await expect(
        call('studies.exportTable', { dir, format: 'pdf' } as unknown as RequestArgs<'studies.exportTable'>),
      ).rejects.toMatchObject({ code: 'invalid-arguments' });
    } finally {
      await engine.close();
    }
  });

  it('study report --fuse … --ensemble-seeds --baseline --csv --latex prints the table and writes both files', async () => {
    const csv = join(work, 'table.csv');
    const tex = join(work, 'table.tex');
    const r = await runCli([
      'study',
      'report',
      dir,
      '--fuse',
      'c1+c2',
      '--ensemble-seeds',
      '--baseline',
      'c2',
      '--csv',
      csv,
      '--latex',
      tex,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'f3 fusion c1 + c2 (seeds averaged): class probabilities averaged over each cell’s seeds, then over the cells, fold by fold',
    );
    expect(r.stdout).toMatch(/comparison table \(%, pooled over folds, 95 % speaker bootstrap; against c2\):/);
    expect(r.stdout).toMatch(/\n {2}c2 {3}model=crnn +\d+\.\d \[/);
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(6);
    expect(readFileSync(tex, 'utf8')).toContain('\\bottomrule');

    const bad = await runCli(['study', 'report', dir, '--fuse', 'c1+c7']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("ser study: error: there is no cell c7: the report's cells are c1..c2");
  }, 120_000);
});
