/**
 * A study grid over feature sets × models pairs only compatible cells: classical models read
 * feature vectors, the CNNs read matrices; the others are left out with their reason.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createStudy,
  excludedCells,
  type CellOverrides,
  memberFeatureConfig,
  partitionCells,
  studyCells,
  studyMembers,
} from '../../../main/pipeline/study';
import { modelRepresentationProblem, normalizationProblem } from '../../../main/schema/names';
import { DEFAULT_FEATURE_CONFIG } from '../../../main/features/config';
import { resolveTrainingConfig } from '../../../main/training/config';
import { runCli } from '../../cli/run-cli';

/** Once the functionals and the classical models are in the field tables, a real grid can mix them. */
describe('grid compatibility', () => {
  it('a model meets only the representations it reads', () => {
    expect(modelRepresentationProblem('crnn', 'mfcc')).toBeNull();
    expect(modelRepresentationProblem('svm-rbf', 'egemaps-like')).toBeNull();
    expect(modelRepresentationProblem('svm-rbf', 'mfcc')).toMatch(
      /^model 'svm-rbf' classifies feature vectors, but representation 'mfcc' gives matrices/,
    );
    expect(modelRepresentationProblem('crnn', 'compare-like')).toMatch(
      /^model 'crnn' takes feature matrices, but representation 'compare-like' gives vectors/,
    );
  });

  it('splits feature sets × models into the cells trained and those left out (base values fill the rest)', () => {
    const cells: CellOverrides[] = [
      { 'features.representation': 'mfcc', model: 'crnn' },
      { 'features.representation': 'mfcc', model: 'svm-rbf' },
      { 'features.representation': 'egemaps-like', model: 'crnn' },
      { 'features.representation': 'egemaps-like', model: 'svm-rbf' },
      { model: 'logreg' },
      { 'features.representation': 'logmel' },
    ];
    const { kept, excluded } = partitionCells(cells, { model: 'seed-cnn', representation: 'mfcc', normalization: 'speaker' });
    expect(kept).toEqual([cells[0], cells[3], cells[5]]);
    expect(excluded.map((e) => [e.overrides, e.reason])).toEqual([
      [cells[1], modelRepresentationProblem('svm-rbf', 'mfcc')],
      [cells[2], modelRepresentationProblem('crnn', 'egemaps-like')],
      [cells[4], modelRepresentationProblem('logreg', 'mfcc')],
    ]);

    // The study's cells, members and report use the kept cells only, numbered without gaps.
    const study = {
      grid: [
        { field: 'features.representation', values: ['mfcc', 'egemaps-like'] },
        { field: 'model', values: ['crnn', 'svm-rbf'] },
      ],
      training: resolveTrainingConfig({ model: 'crnn' }),
      features: { ...DEFAULT_FEATURE_CONFIG },
    };
    expect(studyCells(study).map((c) => [c.index, c.label])).toEqual([
      [0, 'features.representation=mfcc, model=crnn'],
      [1, 'features.representation=egemaps-like, model=svm-rbf'],
    ]);
    expect(excludedCells(study).map((c) => c.label)).toEqual([
      'features.representation=mfcc, model=svm-rbf',
      'features.representation=egemaps-like, model=crnn',
    ]);
    const members = studyMembers({ ...study, seeds: [1], folds: [{ test: ['a'], val: [] }] } as unknown as Parameters<
      typeof studyMembers
    >[0]);
    expect(members.map((m) => m.id)).toEqual(['c1-s1-f1', 'c2-s1-f1']);
  });

  it('leaves out the cells that standardise feature vectors per clip (they would become zeros), saying why', () => {
    const cells: CellOverrides[] = [
      { normalization: 'clip', 'features.representation': 'egemaps-like' },
      { normalization: 'speaker', 'features.representation': 'egemaps-like' },
      { normalization: 'clip', 'features.representation': 'encoder', 'features.encoderPooling': 'mean-std' },
      { normalization: 'clip', 'features.representation': 'compare-like', model: 'crnn' },
    ];
    const { kept, excluded } = partitionCells(cells, { model: 'logreg', representation: 'mfcc', normalization: 'global' });
    expect(kept).toEqual([cells[1]]);
    expect(excluded.map((e) => [e.overrides, e.reason])).toEqual([
      [cells[0], normalizationProblem('clip', 'egemaps-like')],
      [cells[2], normalizationProblem('clip', 'encoder', 'mean-std')],
      [cells[3], modelRepresentationProblem('crnn', 'compare-like')],
    ]);
    // The base config's normalisation counts too.
    expect(partitionCells([{}], { model: 'svm-rbf', representation: 'compare-like', normalization: 'clip' }).excluded).toEqual([
      { overrides: {}, reason: normalizationProblem('clip', 'compare-like') },
    ]);
  });

  it('study init refuses a grid in which no model reads its representation, saying why', async () => {
    const work = mkdtempSync(join(tmpdir(), 'ser-compat-'));
    try {
      await expect(
        createStudy(join(work, 's'), {
          datasetRoot: resolve('resources/demo-emodb'),
          protocol: { kind: 'loso' },
          training: resolveTrainingConfig({ model: 'crnn' }),
          seeds: [1],
          grid: [{ field: 'model', values: ['svm-rbf', 'knn'] }],
        }),
      ).rejects.toThrow(
        `no grid cell can be trained: ${modelRepresentationProblem('svm-rbf', 'mfcc')}; ${modelRepresentationProblem('knn', 'mfcc')}`,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('study init over representations × models trains the compatible cells and prints and records the others', async () => {
    const work = mkdtempSync(join(tmpdir(), 'ser-compat-cli-'));
    try {
      const dir = join(work, 's');
      const r = await runCli([
        'study',
        'init',
        dir,
        '--data',
        'resources/demo-emodb',
        '--protocol',
        'kfold:2',
        '--grid',
        'features.representation=mfcc,egemaps-like',
        '--grid',
        'model=crnn,svm-rbf',
        // The matrices' frame count; the functionals' cells have one frame per clip.
        '--frames',
        '16',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('4 members = 2 grid cells × 1 seed × 2 folds');
      expect(r.stdout).toContain(`left out: features.representation=mfcc, model=svm-rbf: ${modelRepresentationProblem('svm-rbf', 'mfcc')}`);
      const study = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8'));
      const cells = studyCells(study);
      expect(cells.map((c) => memberFeatureConfig(study, c).frames)).toEqual([16, 1]);
      expect(study.excluded.map((e: { cell: string }) => e.cell)).toEqual([
        'features.representation=mfcc, model=svm-rbf',
        'features.representation=egemaps-like, model=crnn',
      ]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
