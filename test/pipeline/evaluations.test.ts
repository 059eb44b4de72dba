/** The evaluation functions the app and the CLI share: stored-or-computed, compare, export. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEvaluationReport } from '../../main/evaluation/report';
import { compareCheckpoints, evaluationOf, exportEvaluation } from '../../main/pipeline/evaluations';
import { runWithEvaluations, sampleReport } from './evaluation-fixtures';

const work = mkdtempSync(join(tmpdir(), 'ser-evaluations-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('evaluations of a run', () => {
  it('serves the stored report without computing one', async () => {
    const dir = await runWithEvaluations(work, 'stored', { best: sampleReport('best') });
    let computed = 0;
    const report = await evaluationOf(dir, 'best', { onComputed: () => computed++ });
    expect(report.predictions).toHaveLength(6);
    expect(computed).toBe(0);
  });

  it('compares two checkpoints and lists the clips they disagree on', async () => {
    const dir = await runWithEvaluations(work, 'pair', { best: sampleReport('best'), final: sampleReport('final', undefined, 1) });
    const comparison = await compareCheckpoints(
      { runDir: dir, checkpoint: 'best', name: 'best' },
      { runDir: dir, checkpoint: 'final', name: 'final' },
    );
    expect(comparison.disagreements.map((d) => d.clipId)).toEqual(['c3', 'c4', 'c5']);
    expect(comparison.disagreements[0]).toMatchObject({
      path: '/data/c3.wav',
      trueLabel: 'anger',
      aPredicted: 'anger',
      bPredicted: 'neutral',
    });
  });

  it('refuses to compare checkpoints that predict different classes, naming both', async () => {
    const a = await runWithEvaluations(work, 'three', { best: sampleReport('best') });
    const b = await runWithEvaluations(work, 'four', { best: sampleReport('best', ['anger', 'fear', 'neutral', 'sadness']) });
    await expect(
      compareCheckpoints({ runDir: a, checkpoint: 'best', name: 'run A' }, { runDir: b, checkpoint: 'best', name: 'run B' }),
    ).rejects.toThrow('"run A" and "run B" predict different classes (anger, neutral, sadness vs anger, fear, neutral, sadness)');
  });

  it('exports metrics, tables and the confusion PNG it draws into the run folder', async () => {
    const dir = await runWithEvaluations(work, 'export', { final: sampleReport('final') });
    const exported = await exportEvaluation(dir, 'final');
    expect(exported.dir).toBe(join(dir, 'exports'));
    expect(exported.files.map((f) => f.slice(exported.dir.length + 1))).toEqual([
      'final-metrics.json',
      'final-per-class.csv',
      'final-confusion.csv',
      'final-predictions.csv',
      'final-confusion.png',
    ]);
    expect(readFileSync(join(exported.dir, 'final-confusion.png')).readUInt32BE(0)).toBe(0x89504e47);
    expect(JSON.parse(readFileSync(join(exported.dir, 'final-metrics.json'), 'utf8')).n).toBe(6);
  });

  it('refuses to build a report from NaN or Inf outputs', () => {
    const probabilities = new Float32Array([0.5, 0.5, NaN, NaN, 0.2, Infinity]);
    const clips = [0, 1, 2].map((i) => ({ id: `c${i}`, path: `/c${i}.wav`, speaker: 's', label: 'a' }));
    const input = {
      checkpoint: 'best',
      labels: ['a', 'b'],
      clips,
      dataset: { root: '/', scheme: 'csv', part: 'test' },
      splitDescription: '',
      leaksSpeakers: false,
      seed: 1,
    };
    expect(() => buildEvaluationReport({ ...input, probabilities })).toThrow("checkpoint 'best' gives NaN or Inf outputs for 2 of 3 clips");
    expect(buildEvaluationReport({ ...input, probabilities: new Float32Array([0.5, 0.5, 0.1, 0.9, 0.2, 0.8]) }).metrics.n).toBe(3);
  });
});
