import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateCheckpoint } from '../../main/pipeline/evaluateCheckpoint';
import type { ClipPrediction } from '../../main/evaluation/types';
import { runCli } from '../cli/run-cli';

const DEMO = 'resources/demo-emodb';
const work = mkdtempSync(join(tmpdir(), 'ser-normalization-'));
const runsDir = join(work, 'runs');
const cacheRoot = join(work, 'cache');
const env = { SER_CACHE_DIR: cacheRoot };

afterAll(() => rmSync(work, { recursive: true, force: true }));

function storedPredictions(runDir: string): ClipPrediction[] {
  return JSON.parse(readFileSync(join(runDir, 'evaluation-final.json'), 'utf8')).predictions;
}

function expectSameProbabilities(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((p, i) => expect(actual[i]).toBeCloseTo(p, 4));
}

describe('speaker normalisation end to end on the demo set', () => {
  let runDir = '';

  it('train --normalization speaker trains and records the mode in the run and its checkpoints', async () => {
    // 100 frames: the demo's 2-s clips have 87, so every clip is padded.
    const args = ['train', DEMO, '--normalization', 'speaker', '--preset', 'quick', '--epochs', '1', '--model', 'seed-cnn'];
    const tiny = ['--n-mfcc', '16', '--frames', '100', '--batch', '32', '--test-speakers', '03,08', '--val-speakers', '09'];
    const result = await runCli([...args, ...tiny, '--seed', '1', '--runs-dir', runsDir], env);
    expect(result.code, result.stderr).toBe(0);
    runDir = result.stdout.trim().split('\n').at(-1)!;
    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    expect(record.status).toBe('done');
    expect(record.config.training.normalization).toBe('speaker');
    for (const checkpoint of ['best', 'final']) {
      const manifest = JSON.parse(readFileSync(join(runDir, 'checkpoints', checkpoint, 'manifest.json'), 'utf8'));
      expect(manifest.normalization).toEqual({ mode: 'speaker', maskPadding: true });
      expect(manifest.standardizer).toBeUndefined();
    }
    expect(storedPredictions(runDir)).toHaveLength(25);
  }, 300_000);

  it("evaluating the checkpoint standardises with the test speakers' own statistics, as training's evaluation did", async () => {
    const { report } = await evaluateCheckpoint(runDir, { checkpoint: 'final', cacheRoot });
    const stored = new Map(storedPredictions(runDir).map((p) => [p.clipId, p.probabilities]));
    expect(report.predictions).toHaveLength(stored.size);
    for (const p of report.predictions) expectSameProbabilities(p.probabilities, stored.get(p.clipId)!);
  }, 120_000);

  it('predict: the files of one speaker share their statistics; a file of unknown speaker is standardised alone and says so', async () => {
    const speaker03 = storedPredictions(runDir).filter((p) => p.speaker === '03');
    const unnamed = join(work, 'recording.wav');
    copyFileSync(speaker03[0]!.path, unnamed);
    const files = [...speaker03.map((p) => p.path), unnamed];
    const result = await runCli(['predict', runDir, ...files, '--checkpoint', 'final', '--speakers-from', 'emodb', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const { labels, normalization, results } = JSON.parse(result.stdout);
    expect(normalization).toBe('speaker');
    speaker03.forEach((expected, i) => {
      expect(results[i].warning).toBeUndefined();
      expectSameProbabilities(
        labels.map((label: string) => results[i].probabilities[label]),
        expected.probabilities,
      );
    });
    const alone = results.at(-1);
    expect(alone.warning).toMatch(/speaker is unknown: it was normalised with its own statistics/);
    // Its own statistics differ from its speaker's: the same audio scores differently.
    expect(alone.probabilities).not.toEqual(results[0].probabilities);

    const named = await runCli(['predict', runDir, ...files, '--checkpoint', 'final', '--speaker', '03', '--json'], env);
    expect(named.code, named.stderr).toBe(0);
    const together = JSON.parse(named.stdout).results;
    // The copy now counts as speaker 03: no warning, and it scores as its original.
    expect(together.at(-1).warning).toBeUndefined();
    expectSameProbabilities(
      labels.map((label: string) => together.at(-1).probabilities[label]),
      labels.map((label: string) => together[0].probabilities[label]),
    );
  }, 120_000);
});
