import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Clip } from '../../main/dataset';
import type { ClipPrediction } from '../../main/evaluation/types';
import type { FeatureSet } from '../../main/features/extract';
import { evaluateCheckpoint } from '../../main/pipeline/evaluateCheckpoint';
import { fitNormalizer, preparePart } from '../../main/features/prepare';
import { runCli } from '../cli/run-cli';

const DEMO = 'resources/demo-emodb';
const work = mkdtempSync(join(tmpdir(), 'ser-normalization-'));
const runsDir = join(work, 'runs');
const cacheRoot = join(work, 'cache');
const env = { SER_CACHE_DIR: cacheRoot };

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A feature set of one-row, three-frame clips: [id, speaker, values, valid frames]. */
function featureSet(clips: [string, string, number[], number][]): FeatureSet {
  return {
    rows: 1,
    frames: 3,
    clips: clips.map(([id, speaker]) => ({ id, speaker, label: 'anger' }) as Clip),
    data: Float32Array.from(clips.flatMap(([, , values]) => values)),
    validFrames: Int32Array.from(clips.map(([, , , valid]) => valid)),
  } as unknown as FeatureSet;
}

const values = (part: { set: { x: Float32Array } }): number[] => Array.from(part.set.x);

describe('the training job normalises each split part on its own', () => {
  const clips: [string, string, number[], number][] = [
    ['a-train', 'A', [1, 3, 0], 2],
    ['b-train', 'B', [2, 0, 0], 1],
    ['a-test', 'A', [10, 20, 30], 3],
    ['b-test', 'B', [5, 6, 10], 3],
  ];

  it("global: statistics from the training clips' valid frames only", () => {
    // Training values 1, 3, 2: mean 2, population std sqrt(2/3).
    const normalizer = fitNormalizer('global', featureSet(clips), ['a-train', 'b-train']);
    expect(normalizer).toMatchObject({ mode: 'global', maskPadding: true });
    if (normalizer.mode !== 'global') throw new Error('unreachable');
    expect(normalizer.stats.mean[0]).toBeCloseTo(2, 12);
    expect(normalizer.stats.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 12);
  });

  it("speaker: a test speaker's statistics come from its own test clips, never from training clips or another speaker", () => {
    const test = preparePart(featureSet(clips), ['a-test', 'b-test'], ['anger'], { mode: 'speaker' });
    // A's test clip alone: mean 20, std sqrt(200/3); B's: mean 7, std sqrt(14/3).
    const sd = Math.sqrt(200 / 3);
    const sdB = Math.sqrt(14 / 3);
    [-10 / sd, 0, 10 / sd, -2 / sdB, -1 / sdB, 3 / sdB].forEach((v, i) => expect(test.set.x[i]).toBeCloseTo(v, 5));
    expect(test.ownStatistics).toEqual([]);
    const changed = clips.map(([id, speaker, v, valid]): [string, string, number[], number] =>
      id === 'a-test' ? [id, speaker, v, valid] : [id, speaker, v.map((x) => x * x), valid],
    );
    const again = preparePart(featureSet(changed), ['a-test', 'b-test'], ['anger'], { mode: 'speaker' });
    expect(values(again).slice(0, 3)).toEqual(values(test).slice(0, 3));
    expect(values(again).slice(3)).not.toEqual(values(test).slice(3));
  });

  it('speaker: with a pool (another corpus), each speaker takes the statistics of all its clips there', () => {
    const part = preparePart(featureSet(clips), ['a-test'], ['anger'], { mode: 'speaker' }, ['a-train', 'a-test', 'b-test']);
    // A over 1, 3, 10, 20, 30 (the padding of a-train not counted): mean 12.8.
    const mean = 12.8;
    const sd = Math.sqrt([1, 3, 10, 20, 30].reduce((sum, x) => sum + (x - mean) ** 2, 0) / 5);
    [10, 20, 30].forEach((x, i) => expect(part.set.x[i]).toBeCloseTo((x - mean) / sd, 5));
  });

  it('speaker: a clip without a speaker id is standardised alone and reported', () => {
    const part = preparePart(featureSet([['x', '', [2, 4, 0], 2]]), ['x'], ['anger'], { mode: 'speaker' });
    expect(values(part)).toEqual([-1, 1, 0].map((v) => Math.fround(v / (1 + 1e-8))));
    expect(part.ownStatistics.map((c) => c.id)).toEqual(['x']);
  });
});

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
