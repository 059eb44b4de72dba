/**
 * Versioned formats: the reusable reader/writer, and a run.json that cannot be used is listed
 * with the reason (store, the app's RunSummary list and the CLI table) instead of being hidden.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { listRunSummaries } from '../../main/api/runViews';
import { runsCommand } from '../../main/cli/commands/runs';
import { MANIFEST_FORMAT, RUN_FORMAT } from '../../main/runs/formats';
import { inspectCheckpoint } from '../../main/runs/checkpoints';
import { createRun, listRuns, openRun } from '../../main/runs/store';
import { FormatError, parseVersioned, readVersionedJson, writeVersionedJson, type VersionedFormat } from '../../main/util/versionedJson';
import { manifest, runInit, smallModel, tempDir } from './helpers';

interface Point {
  x: number;
  y: number;
}

// v1 {x}, v2 {x, y}, v3 {x, y} with x doubled: two steps, applied in order.
const POINT: VersionedFormat<Point> = {
  name: 'point',
  current: 3,
  migrate: { 1: (v) => ({ ...v, y: 0 }), 2: (v) => ({ ...v, x: (v.x as number) * 2 }) },
  validate: (v) => {
    if (typeof v.x !== 'number') throw new Error(`x must be a number, got ${JSON.stringify(v.x)}`);
    if (typeof v.y !== 'number') throw new Error(`y must be a number, got ${JSON.stringify(v.y)}`);
    return { x: v.x, y: v.y };
  },
};

describe('versioned JSON', () => {
  it('reads a file without a version as version 1 and migrates it step by step', () => {
    expect(parseVersioned('{"x": 1}', POINT, 'p.json')).toEqual({ x: 2, y: 0, formatVersion: 3 });
    expect(parseVersioned('{"x": 1, "y": 5, "formatVersion": 2}', POINT, 'p.json')).toEqual({ x: 2, y: 5, formatVersion: 3 });
    expect(parseVersioned('{"x": 1, "y": 5, "formatVersion": 3}', POINT, 'p.json')).toEqual({ x: 1, y: 5, formatVersion: 3 });
  });

  it('refuses bad JSON, a wrong shape, an unknown or invalid version, each with one clear reason', () => {
    const reason = (text: string) => {
      try {
        parseVersioned(text, POINT, '/r/p.json');
      } catch (err) {
        expect(err).toBeInstanceOf(FormatError);
        expect((err as FormatError).message).toBe(`/r/p.json: ${(err as FormatError).reason}`);
        return (err as FormatError).reason;
      }
      throw new Error('accepted');
    };
    expect(reason('{"x": ')).toMatch(/^point is not valid JSON \(/);
    expect(reason('null')).toBe('point is not a JSON object');
    expect(reason('[1]')).toBe('point is not a JSON object');
    expect(reason('{"x": "1", "y": 0, "formatVersion": 3}')).toBe('point is invalid: x must be a number, got "1"');
    expect(reason('{"x": 1, "y": 0, "formatVersion": 4}')).toBe('point has formatVersion 4, newer than this release reads (3); update the workbench');
    expect(reason('{"x": 1, "formatVersion": "2"}')).toBe('point has an invalid formatVersion "2"');
  });

  it('writes the current version atomically and refuses to write what it could not read back', async () => {
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 'p.json');
    await writeVersionedJson(path, POINT, { x: 4, y: 1 });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ x: 4, y: 1, formatVersion: 3 });
    expect(await readVersionedJson(path, POINT)).toEqual({ x: 4, y: 1, formatVersion: 3 });
    await expect(writeVersionedJson(path, POINT, { x: 4 } as Point)).rejects.toThrow(/y must be a number/);
    expect(JSON.parse(await readFile(path, 'utf8')).x).toBe(4);
    expect(await readVersionedJson(join(dir, 'missing.json'), POINT)).toBeNull();
    await cleanup();
  });
});

describe('a run whose run.json cannot be used', () => {
  let runsDir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir: runsDir, cleanup } = await tempDir()));
  afterEach(async () => {
    vi.restoreAllMocks();
    await cleanup();
  });

  async function runWithRecord(name: string, text: (json: Record<string, unknown>) => string): Promise<string> {
    const run = await createRun(runsDir, runInit(name), { heartbeatIntervalMs: 0 });
    await run.setStatus('done');
    await run.close();
    const path = join(run.dir, 'run.json');
    await writeFile(path, text(JSON.parse(await readFile(path, 'utf8'))));
    return run.id;
  }

  it('writes run.json with its format version', async () => {
    const id = await runWithRecord('good', (json) => JSON.stringify(json));
    expect(JSON.parse(await readFile(join(runsDir, id, 'run.json'), 'utf8')).formatVersion).toBe(RUN_FORMAT.current);
  });

  it('is listed with the reason: bad JSON, wrong shape, newer version', async () => {
    const good = await runWithRecord('good', (json) => JSON.stringify(json));
    const badJson = await runWithRecord('bad json', (json) => JSON.stringify(json).slice(0, 50));
    const badShape = await runWithRecord('bad shape', (json) => JSON.stringify({ ...json, split: { ...(json.split as object), test: 'all' } }));
    const newer = await runWithRecord('newer', (json) => JSON.stringify({ ...json, formatVersion: 99 }));

    const listed = await listRuns(runsDir);
    expect(listed).toHaveLength(4);
    const byId = new Map(listed.map((run) => [run.id, run]));
    expect(byId.get(good)!.record!.name).toBe('good');
    expect(byId.get(badJson)!.corrupt!.reason).toMatch(/^run\.json is not valid JSON/);
    expect(byId.get(badShape)!.corrupt!.reason).toBe('run.json is invalid: split.test must be a list of strings, got "all"');
    expect(byId.get(newer)!.corrupt!.reason).toBe('run.json has formatVersion 99, newer than this release reads (2); update the workbench');
    await expect(openRun(join(runsDir, badShape))).rejects.toThrow(/split\.test must be a list of strings/);

    const summaries = await listRunSummaries(runsDir);
    expect(summaries.map((s) => s.status).sort()).toEqual(['corrupt', 'corrupt', 'corrupt', 'done']);
    expect(summaries.find((s) => s.id === badShape)).toMatchObject({ status: 'corrupt', name: badShape, error: expect.stringMatching(/split\.test/) });

    let printed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed += String(chunk);
      return true;
    });
    await runsCommand(['--runs-dir', runsDir]);
    const line = printed.split('\n').find((l) => l.startsWith(newer));
    expect(line).toMatch(/corrupt\s+run\.json has formatVersion 99/);
  });
});

describe('checkpoint manifests', () => {
  // The app's modules imported above register the wasm backend; this test needs none of it.
  beforeAll(() => tf.setBackend('cpu'));

  it('are written with their format version; a newer or malformed one makes the checkpoint unusable, saying why', async () => {
    const { dir: runsDir, cleanup } = await tempDir();
    const run = await createRun(runsDir, runInit(), { heartbeatIntervalMs: 0 });
    const dir = await run.saveCheckpoint('best', smallModel(), manifest(1));
    await run.close();
    const path = join(dir, 'manifest.json');
    const stored = JSON.parse(await readFile(path, 'utf8'));
    expect(stored.formatVersion).toBe(4);
    expect(await inspectCheckpoint(dir)).toMatchObject({ complete: true, manifest: { epoch: 1, formatVersion: 4 } });

    await writeFile(path, JSON.stringify({ ...stored, formatVersion: 7 }));
    expect((await inspectCheckpoint(dir)).problem).toBe('manifest.json is corrupt: checkpoint manifest has formatVersion 7, newer than this release reads (4); update the workbench');
    const { formatVersion: _v, ...unversioned } = stored;
    await writeFile(path, JSON.stringify({ ...unversioned, standardizer: null }));
    expect((await inspectCheckpoint(dir)).problem).toBe('manifest.json is corrupt: checkpoint manifest is invalid: standardizer must be an object, got null');
    await cleanup();
  });

  it('record the normalisation: a format-2 manifest reads as global with the padding standardised; inconsistent ones are refused', () => {
    const { normalization: _n, ...v2 } = { ...manifest(1), createdAt: '2026-12-01T00:00:00.000Z', formatVersion: 2 };
    expect(parseVersioned(JSON.stringify(v2), MANIFEST_FORMAT, 'manifest.json')).toMatchObject({
      formatVersion: 4,
      normalization: { mode: 'global', maskPadding: false },
      standardizer: { mean: [0, 0, 0, 0] },
    });
    const current = { ...manifest(1), createdAt: '2026-12-01T00:00:00.000Z', formatVersion: 4 };
    const read = (value: object) => () => parseVersioned(JSON.stringify(value), MANIFEST_FORMAT, 'manifest.json');
    const { standardizer: _s, ...withoutStats } = current;
    const speaker = { ...withoutStats, normalization: { mode: 'speaker', maskPadding: true } };
    expect(read(speaker)()).toMatchObject({ normalization: { mode: 'speaker' } });
    expect(read({ ...speaker, standardizer: current.standardizer })).toThrow(/standardizer is only for global normalization, but normalization.mode is speaker/);
    expect(read({ ...speaker, normalization: { mode: 'clip', maskPadding: false } })).toThrow(/maskPadding must be true for clip/);
    expect(read({ ...current, normalization: { mode: 'speakers', maskPadding: true } })).toThrow(/normalization.mode/);
    expect(read(withoutStats)).toThrow(/standardizer must be an object, got nothing/);
    expect(read({ ...current, normalization: undefined })).toThrow(/normalization must be an object, got nothing/);
  });

  it("record a vector model's training statistics for speaker normalisation (format 4); a format-3 one reads without them", () => {
    const read = (value: object) => () => parseVersioned(JSON.stringify(value), MANIFEST_FORMAT, 'manifest.json');
    const { standardizer: _s, ...base } = { ...manifest(1), createdAt: '2026-12-01T00:00:00.000Z' };
    const globalStats = { mean: [1, 2, 3, 4], std: [1, 1, 2, 2] };
    const v3 = { ...base, formatVersion: 3, normalization: { mode: 'speaker', maskPadding: true } };
    expect(read(v3)()).toMatchObject({ formatVersion: 4, normalization: { mode: 'speaker', maskPadding: true } });
    expect(read(v3)().normalization.globalStats).toBeUndefined();
    const v4 = { ...base, formatVersion: 4, normalization: { mode: 'speaker', maskPadding: true, globalStats } };
    expect(read(v4)().normalization.globalStats).toEqual(globalStats);
    expect(read({ ...v4, normalization: { mode: 'clip', maskPadding: true, globalStats } })).toThrow(
      /normalization.globalStats is only for speaker normalization, but normalization.mode is clip/,
    );
    expect(read({ ...v4, normalization: { ...v4.normalization, globalStats: { mean: [1], std: [0] } } })).toThrow(
      /normalization.globalStats std of feature row 0 is 0/,
    );
    expect(read({ ...v4, normalization: { ...v4.normalization, globalStats: { mean: [1, 2], std: [1] } } })).toThrow(
      /normalization.globalStats mean and std differ in length/,
    );
  });
});
