/**
 * The api door hands the untrusted training config to the engine's validator: a wrong type, a
 * non-finite number, null or an unknown key is refused by 'training.validate' and 'training.start'
 * with a message naming the field, and nothing starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, dispatch, type Engine } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';
import { normalizationProblem } from '../../main/schema/names';

const DEMO = resolve('resources/demo-emodb');

const BAD: [unknown, RegExp][] = [
  [{ learningRate: '0.001' }, /learningRate must be a number in \(0, 10\], got the string "0\.001"/],
  [{ learningRate: true }, /learningRate must be a number .*, got true/],
  [{ balancedSampler: 'false' }, /balancedSampler must be true or false, got the string "false"/],
  [{ split: { testSpeakers: '03' } }, /split\.testSpeakers must be a list of strings, got the string "03"/],
  [{ weightDecay: null }, /weightDecay must be a number .*, got null/],
  [{ augment: { mixupAlpha: '0.2' } }, /augment\.mixupAlpha must be a number .*, got the string "0\.2"/],
  [{ shuffle: true }, /unknown field "shuffle"/],
  [{ split: { folds: 5 } }, /unknown field "split\.folds"/],
  [null, /the training config must be an object, got null/],
  [
    { model: 'svm-rbf' },
    /^model 'svm-rbf' classifies feature vectors, but representation 'mfcc' gives matrices: choose a vector representation/,
  ],
  [{ classifier: { cGrid: ['2'] } }, /classifier\.cGrid\[0\] must be 1e-5, .* or 1e4, got the string "2"/],
];

describe('api door: training config', () => {
  let dir: string;
  let engine: Engine;
  const events: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ser-config-door-'));
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'uploads'),
      demoDatasetPath: DEMO,
      backendPreference: 'cpu',
    });
    engine = createEngine({ appVersion: '0.0.0-test', door: 'serve', workspace, emit: (event) => events.push(event) });
  });

  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(BAD)('training.validate refuses %j naming the field', async (config, message) => {
    const result = (await dispatch(engine.handlers, 'training.validate', { config })) as { ok: boolean; error?: string };
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(message);
  });

  it.each(BAD)('training.start refuses %j naming the field, and starts nothing', async (config, message) => {
    await expect(dispatch(engine.handlers, 'training.start', { root: DEMO, config })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringMatching(message),
    });
    expect(await dispatch(engine.handlers, 'jobs.list', {})).toEqual([]);
    expect(events).not.toContain('training.event');
  });

  it('refuses per-clip normalisation of feature vectors at validate and at start, and starts nothing', async () => {
    const config = { model: 'logreg', normalization: 'clip' };
    const features = { representation: 'egemaps-like' };
    const reason = normalizationProblem('clip', 'egemaps-like')!;
    expect(await dispatch(engine.handlers, 'training.validate', { config, features })).toEqual({ ok: false, error: reason });
    expect(
      await dispatch(engine.handlers, 'training.validate', { config: { ...config, normalization: 'speaker' }, features }),
    ).toMatchObject({
      ok: true,
    });
    await expect(dispatch(engine.handlers, 'training.start', { root: DEMO, config, features })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: reason,
    });
    expect(await dispatch(engine.handlers, 'jobs.list', {})).toEqual([]);
  });

  it('accepts an exact config and returns it resolved', async () => {
    const result = await dispatch(engine.handlers, 'training.validate', {
      config: { preset: 'quick', learningRate: 0.01, split: { testSpeakers: ['03'] } },
    });
    expect(result).toMatchObject({
      ok: true,
      config: { preset: 'quick', learningRate: 0.01, epochs: 5, split: { kind: 'speaker', testSpeakers: ['03'] } },
    });
  });
});

describe('api: training.splitPreview', () => {
  let dir: string;
  let engine: Engine;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ser-split-preview-'));
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'uploads'),
      demoDatasetPath: DEMO,
      backendPreference: 'cpu',
    });
    engine = createEngine({ appVersion: '0.0.0-test', door: 'serve', workspace, emit: () => undefined });
  });

  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the part × class counts of the split the config makes, and warns about thin classes in each part', async () => {
    const preview = (await dispatch(engine.handlers, 'training.splitPreview', {
      root: DEMO,
      config: { split: { testSpeakers: ['03', '08'], valSpeakers: ['09'] } },
    })) as {
      labels: string[];
      parts: { part: string; total: number; counts: number[]; speakers: string[] }[];
      warnings: string[];
    };
    expect(preview.labels).toHaveLength(7);
    expect(preview.parts.map((p) => p.part)).toEqual(['train', 'val', 'test']);
    expect(preview.parts[2]).toMatchObject({ total: 25, speakers: ['03', '08'] });
    for (const part of preview.parts) expect(part.counts.reduce((a, b) => a + b, 0)).toBe(part.total);
    expect(preview.parts.reduce((sum, p) => sum + p.total, 0)).toBe(135);
    // 25 test clips over 7 classes: some class has fewer than 5; so has the one validation speaker.
    expect(preview.warnings.find((w) => w.startsWith('The test part'))).toMatch(/^The test part has fewer than 5 clips of \w+ \(\d\)/);
    expect(preview.warnings.find((w) => w.startsWith('The validation part'))).toMatch(/fewer than 5 clips of \w+ \(\d\)/);
  });

  it('refuses a bad config or an unknown speaker with the reason', async () => {
    await expect(dispatch(engine.handlers, 'training.splitPreview', { root: DEMO, config: { seed: '1' } })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringContaining('seed must be an integer'),
    });
    await expect(
      dispatch(engine.handlers, 'training.splitPreview', { root: DEMO, config: { split: { testSpeakers: ['99'] } } }),
    ).rejects.toMatchObject({ code: 'invalid-arguments', message: expect.stringContaining('99') });
  });
});
