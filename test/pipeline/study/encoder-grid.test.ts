/**
 * A study grid takes the encoder like any feature value: its layer and pooling as grid axes, mean +
 * std cells for the classical models and frame cells for the networks, the others left out with
 * their reason; members extract once into the study's cache and record the encoder.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memberFeatureConfig, partitionCells, studyCells } from '../../../main/pipeline/study';
import { modelRepresentationProblem } from '../../../main/schema/names';
import { runCli } from '../../cli/run-cli';
import { TINY } from '../../features/encoder/helpers';

describe('a study grid over the encoder', () => {
  it('pairs mean + std pooling with the classical models and frames with the networks', () => {
    const cells = [
      { 'features.encoderPooling': 'mean-std', model: 'logreg' },
      { 'features.encoderPooling': 'mean-std', model: 'crnn' },
      { 'features.encoderPooling': 'frames', model: 'logreg' },
      { 'features.encoderPooling': 'frames', model: 'crnn' },
    ];
    const { kept, excluded } = partitionCells(cells, {
      model: 'logreg',
      representation: 'encoder',
      encoderPooling: 'mean-std',
      normalization: 'speaker',
    });
    expect(kept).toEqual([cells[0], cells[3]]);
    expect(excluded.map((e) => e.reason)).toEqual([
      modelRepresentationProblem('crnn', 'encoder', 'mean-std'),
      modelRepresentationProblem('logreg', 'encoder', 'frames'),
    ]);
  });

  it('study init and run over encoder layers: every member done, recording the layer it used', async () => {
    const work = mkdtempSync(join(tmpdir(), 'ser-encoder-study-'));
    try {
      const dir = join(work, 's');
      const init = await runCli([
        'study',
        'init',
        dir,
        '--data',
        'resources/demo-emodb',
        '--protocol',
        'kfold:2',
        '--model',
        'logreg',
        '--representation',
        'encoder',
        '--encoder-dir',
        TINY,
        '--grid',
        'features.encoderLayer=1,2',
        '--grid',
        'features.representation=encoder,mfcc',
      ]);
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain('4 members = 2 grid cells × 1 seed × 2 folds');
      const study = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8'));
      expect(studyCells(study).map((c) => memberFeatureConfig(study, c))).toMatchObject([
        { representation: 'encoder', encoderLayer: 1, encoderDir: TINY, frames: 1 },
        { representation: 'encoder', encoderLayer: 2, encoderDir: TINY, frames: 1 },
      ]);
      const run = await runCli(['study', 'run', dir, '--parallel', '2']);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toContain('all 4 members done');
      for (const [id, layer] of [
        ['c1-s1-f1', 1],
        ['c2-s1-f2', 2],
      ] as const) {
        const record = JSON.parse(readFileSync(join(dir, 'runs', id, 'run.json'), 'utf8'));
        expect(record.status).toBe('done');
        expect(record.encoder).toMatchObject({ layer, file: 'onnx/model.onnx', hiddenSize: 32 });
      }
      const report = await runCli(['study', 'report', dir]);
      expect(report.code, report.stderr).toBe(0);
      expect(report.stdout).toContain('features.encoderLayer=1');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
