import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, readdir, readFile, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../main/models/checkpoint';
import { inspectCheckpoint, writeCheckpoint } from '../../main/runs/checkpoints';
import { createRun, deleteRun, failAbandonedRun, listEvaluations, listRuns, openRun, renameRun, repairRun, resolveRunDir, type RunHandle } from '../../main/runs/store';
import { readEvaluation, writeEvaluation } from '../../main/evaluation/file';
import type { RunLock, RunRecord } from '../../main/runs/types';
import { evaluationReport, manifest, predict, runInit, smallModel, tempDir } from './helpers';

const noTimer = { heartbeatIntervalMs: 0 };

async function readRunJson(dir: string): Promise<RunRecord> {
  return JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));
}

async function writeLock(dir: string, lock: Partial<RunLock>): Promise<void> {
  const now = new Date().toISOString();
  await writeFile(join(dir, 'lock'), JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: now, heartbeatAt: now, ...lock }));
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describe('run store', () => {
  let runsDir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir: runsDir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('marks a run whose trainer died in this process failed with the reason, and leaves an ended run alone', async () => {
    const run = await createRun(runsDir, runInit(), noTimer);
    // The trainer is gone (a dead training worker): its handle is never closed.
    await failAbandonedRun(run.dir, 'the training stopped: RuntimeError: memory access out of bounds');
    const opened = await openRun(run.dir);
    expect(opened.record).toMatchObject({ status: 'failed', error: 'the training stopped: RuntimeError: memory access out of bounds' });
    expect(opened.record.finishedAt).toBeDefined();
    expect(await readdir(run.dir)).not.toContain('lock');

    const done = await createRun(runsDir, runInit('other'), noTimer);
    await done.setStatus('done');
    await done.close();
    await failAbandonedRun(done.dir, 'late');
    expect((await readRunJson(done.dir)).status).toBe('done');
  });

  it('creates a run, appends metrics, saves checkpoints and finishes', async () => {
    const run = await createRun(runsDir, runInit(), noTimer);
    expect(run.id).toMatch(/^\d{8}-\d{6}-seed-cnn-emodb-[0-9a-f]{4}$/);
    expect((await readRunJson(run.dir)).status).toBe('running');
    expect(JSON.parse(await readFile(join(run.dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() });

    const model = smallModel();
    for (let epoch = 1; epoch <= 3; epoch++) await run.appendMetrics({ epoch, loss: 1 / epoch, uar: 0.3 * epoch });
    await run.saveCheckpoint('best', smallModel(7), manifest(1));
    await run.saveCheckpoint('best', model, manifest(2)); // replaces the first
    await run.saveCheckpoint('final', model, manifest(3));
    await run.setStatus('done', { summary: { epochsRun: 3, bestEpoch: 2, stoppedEarly: false, test: { best: { accuracy: 0.9, uar: 0.9, macroF1: 0.9 } } } });
    await run.close();

    const opened = await openRun(run.dir);
    expect(opened.record).toMatchObject({ id: run.id, name: 'seed-cnn emodb', status: 'done', bestEpoch: 2, summary: { test: { best: { uar: 0.9 } } } });
    expect(opened.record.finishedAt).toBeDefined();
    expect(opened.metrics.map((m) => m.epoch)).toEqual([1, 2, 3]);
    expect(opened.skippedMetricLines).toBe(0);
    expect(opened.checkpoints.best).toMatchObject({ complete: true });
    expect(opened.checkpoints.final.manifest?.epoch).toBe(3);
    expect(opened.live).toBe(false);
    expect(await readdir(run.dir)).not.toContain('lock');
    expect(await readdir(join(run.dir, 'checkpoints'))).toEqual(['best', 'final']);

    const best = await loadCheckpoint(join(run.dir, 'checkpoints', 'best'));
    expect(best.manifest).toMatchObject({ epoch: 2, labels: ['anger', 'happiness', 'sadness'], featureConfigHash: 'f00d' });
    expect(typeof best.manifest.createdAt).toBe('string');
    expect(predict(best.model)).toEqual(predict(model));
    await expect(run.appendMetrics({ epoch: 4 })).rejects.toThrow(/closed/);
  });

  it('lists runs newest first and records a run closed while running as interrupted', async () => {
    const first = await createRun(runsDir, runInit('first'), noTimer);
    await first.setStatus('failed', { error: 'out of memory' });
    await first.close();
    await new Promise((r) => setTimeout(r, 5));
    const second = await createRun(runsDir, runInit('second'), noTimer);
    await second.close();
    const runs = (await listRuns(runsDir)).map((r) => r.record!);
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ['second', 'interrupted'],
      ['first', 'failed'],
    ]);
    expect(runs[1]!.error).toBe('out of memory');
    expect(await listRuns(join(runsDir, 'missing'))).toEqual([]);
  });

  it('reports a run whose lock pid is dead as interrupted; its best checkpoint still loads', async () => {
    const run = await createRun(runsDir, runInit(), noTimer);
    await run.appendMetrics({ epoch: 1, loss: 1 });
    await run.saveCheckpoint('best', smallModel(), manifest(1));
    await writeLock(run.dir, { pid: deadPid() }); // the trainer crashed

    const listed = (await listRuns(runsDir))[0]!.record;
    expect(listed).toMatchObject({ status: 'interrupted', interruption: { lastGoodCheckpoint: 'best' } });
    expect(listed!.interruption!.reason).toMatch(/no longer running/);
    expect((await readRunJson(run.dir)).status).toBe('running'); // listing does not write

    const opened = await openRun(run.dir);
    expect(opened.record.status).toBe('interrupted');
    expect((await readRunJson(run.dir)).status).toBe('interrupted');
    expect(await readdir(run.dir)).not.toContain('lock');
    const { model, manifest: m } = await loadCheckpoint(opened.checkpoints.best.dir);
    expect(m.epoch).toBe(1);
    expect(predict(model)[0]).toHaveLength(3);
  });

  it('judges locks from another host by their heartbeat', async () => {
    const run = await createRun(runsDir, runInit(), noTimer);
    await writeLock(run.dir, { pid: 1, hostname: 'gpu-box', heartbeatAt: new Date().toISOString() });
    expect((await listRuns(runsDir))[0]!.record!.status).toBe('running');
    expect((await openRun(run.dir)).live).toBe(true);
    await writeLock(run.dir, { pid: 1, hostname: 'gpu-box', heartbeatAt: new Date(Date.now() - 3_600_000).toISOString() });
    const stale = (await listRuns(runsDir))[0]!.record;
    expect(stale).toMatchObject({ status: 'interrupted', interruption: { lastGoodCheckpoint: null } });
    expect(stale!.interruption!.reason).toMatch(/no heartbeat from pid 1 on gpu-box/);
    expect((await listRuns(runsDir, { staleAfterMs: 2 * 3_600_000 }))[0]!.record!.status).toBe('running');
  });

  it('keeps a live run (this process) as running and refreshes its heartbeat', async () => {
    const run = await createRun(runsDir, runInit(), noTimer);
    const before = JSON.parse(await readFile(join(run.dir, 'lock'), 'utf8')) as RunLock;
    await new Promise((r) => setTimeout(r, 5));
    await run.heartbeat();
    const after = JSON.parse(await readFile(join(run.dir, 'lock'), 'utf8')) as RunLock;
    expect(after.heartbeatAt > before.heartbeatAt).toBe(true);
    expect(after.startedAt).toBe(before.startedAt);
    expect(await repairRun(run.dir)).toMatchObject({ status: 'running' });
    expect((await openRun(run.dir)).live).toBe(true);
    await run.close();
  });

  it('ignores a torn last metrics line and keeps appending on a fresh line', async () => {
    const run = await createRun(runsDir, runInit(), noTimer);
    await run.appendMetrics({ epoch: 1, loss: 0.9 });
    await run.appendMetrics({ epoch: 2, loss: 0.8 });
    await appendFile(join(run.dir, 'metrics.jsonl'), '{"epoch":3,"lo');
    let opened = await openRun(run.dir);
    expect(opened.metrics.map((m) => m.epoch)).toEqual([1, 2]);
    expect(opened.skippedMetricLines).toBe(1);

    await run.appendMetrics({ epoch: 3, loss: 0.7 });
    opened = await openRun(run.dir);
    expect(opened.metrics.map((m) => m.epoch)).toEqual([1, 2, 3]);
    expect(opened.skippedMetricLines).toBe(1);
    await run.close();
  });
});

describe('interrupted checkpoint saves', () => {
  let runsDir: string;
  let cleanup: () => Promise<void>;
  let run: RunHandle;
  let checkpoints: string;
  let model: tf.Sequential;
  beforeEach(async () => {
    ({ dir: runsDir, cleanup } = await tempDir());
    run = await createRun(runsDir, runInit(), noTimer);
    checkpoints = join(run.dir, 'checkpoints');
    model = smallModel();
    await run.saveCheckpoint('best', model, manifest(4));
  });
  afterEach(() => cleanup());

  it('detects a leftover temp folder as incomplete; the previous checkpoint stays usable and the leftover is cleaned', async () => {
    const leftover = join(checkpoints, '.best.tmp-deadbeef');
    await mkdir(leftover);
    await writeFile(join(leftover, 'model.json'), '{"modelTopology":');
    expect(await inspectCheckpoint(leftover)).toMatchObject({ complete: false, problem: expect.stringMatching(/manifest\.json is missing/) });

    await writeLock(run.dir, { pid: deadPid() });
    const opened = await openRun(run.dir);
    expect(opened.checkpoints.best.complete).toBe(true);
    expect(await readdir(checkpoints)).toEqual(['best']);
    expect(predict((await loadCheckpoint(opened.checkpoints.best.dir)).model)).toEqual(predict(model));
  });

  it('reports a checkpoint with missing or truncated weights and refuses to load it', async () => {
    const best = join(checkpoints, 'best');
    await truncate(join(best, 'weights.bin'), 10);
    expect(await inspectCheckpoint(best)).toMatchObject({ complete: false, problem: expect.stringMatching(/10 bytes but model\.json describes 172/) });
    await rm(join(best, 'weights.bin'));
    const opened = await openRun(run.dir);
    expect(opened.checkpoints.best).toMatchObject({ exists: true, complete: false, problem: 'weight file weights.bin is missing' });
    expect(opened.checkpoints.final).toMatchObject({ exists: false, complete: false });
    await expect(loadCheckpoint(best)).rejects.toThrow(/cannot be used: weight file weights.bin is missing/);
    await expect(loadCheckpoint(join(checkpoints, 'final'))).rejects.toThrow(/no checkpoint at/);
  });

  it('keeps the previous checkpoint when a save fails midway', async () => {
    const failing = {
      save: async () => {
        throw new Error('disk full');
      },
    } as unknown as tf.LayersModel;
    await expect(run.saveCheckpoint('best', failing, manifest(5))).rejects.toThrow(/disk full/);
    await expect(run.saveCheckpoint('best', model, manifest(5, { labels: [] }))).rejects.toThrow(/labels must be a non-empty list/);
    expect(await readdir(checkpoints)).toEqual(['best']);
    const loaded = await loadCheckpoint(join(checkpoints, 'best'));
    expect(loaded.manifest.epoch).toBe(4);
    expect(run.record.bestEpoch).toBe(4);
  });

  it('finishes a swap cut between its two renames', async () => {
    // Crash after the old checkpoint was moved aside but before the new one took its place.
    await rename(join(checkpoints, 'best'), join(checkpoints, '.best.old-0001'));
    await mkdir(join(checkpoints, '.best.tmp-0002'));
    await writeLock(run.dir, { pid: deadPid() });
    const repaired = await repairRun(run.dir);
    expect(repaired).toMatchObject({ status: 'interrupted', interruption: { lastGoodCheckpoint: 'best' } });
    expect(await readdir(checkpoints)).toEqual(['best']);
    expect((await loadCheckpoint(join(checkpoints, 'best'))).manifest.epoch).toBe(4);
  });

  it('refuses a checkpoint whose manifest does not match the model', async () => {
    const dir = await writeCheckpoint(checkpoints, 'final', model, { ...manifest(1, { labels: ['anger', 'sadness'] }), createdAt: 'now' });
    await expect(loadCheckpoint(dir)).rejects.toThrow(/outputs 3 classes but the manifest lists 2 labels/);
    await writeFile(join(dir, 'manifest.json'), '{ not json');
    expect((await inspectCheckpoint(dir)).problem).toMatch(/manifest\.json is corrupt/);
  });
});

describe('rename, delete, evaluations and path safety', () => {
  let runsDir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir: runsDir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('renames a run, even while it trains', async () => {
    const run = await createRun(runsDir, runInit(), noTimer);
    expect((await renameRun(run.dir, '  baseline  ')).name).toBe('baseline');
    await run.setStatus('done');
    await run.close();
    expect((await readRunJson(run.dir)).name).toBe('baseline');
    expect(run.id).toContain('seed-cnn-emodb'); // the folder keeps its id
    await expect(renameRun(run.dir, ' ')).rejects.toThrow(/empty/);
  });

  it('deletes finished runs only, and only inside runsDir', async () => {
    const run = await createRun(runsDir, runInit(), noTimer);
    await expect(deleteRun(runsDir, run.id)).rejects.toThrow(/still training/);
    await run.setStatus('cancelled');
    await run.close();
    await deleteRun(runsDir, run.id);
    expect(await listRuns(runsDir)).toEqual([]);

    await mkdir(join(runsDir, 'not-a-run'));
    await expect(deleteRun(runsDir, 'not-a-run')).rejects.toThrow(/no run\.json/);
    const outside = await tempDir();
    await writeFile(join(outside.dir, 'run.json'), '{}');
    await symlink(outside.dir, join(runsDir, 'linked'));
    await expect(deleteRun(runsDir, 'linked')).rejects.toThrow(/No run folder/);
    expect(await readdir(outside.dir)).toEqual(['run.json']);
    await outside.cleanup();
  });

  it('never follows a run id with separators or ..', async () => {
    for (const id of ['..', '../x', 'a/b', 'a\\b', '.hidden', '', 'x/../../etc']) {
      expect(() => resolveRunDir(runsDir, id)).toThrow(/Invalid run id/);
      await expect(deleteRun(runsDir, id)).rejects.toThrow(/Invalid run id/);
    }
    expect(resolveRunDir(runsDir, '20261124-153012-a-b')).toBe(join(runsDir, '20261124-153012-a-b'));
  });

  it('writes and reads evaluations', async () => {
    const run = await createRun(runsDir, runInit(), noTimer);
    const evaluation = evaluationReport('best');
    expect(await writeEvaluation(run.dir, 'best', evaluation)).toBe(join(run.dir, 'evaluation-best.json'));
    await writeEvaluation(run.dir, 'final-crema', evaluationReport('final'));
    expect(await readEvaluation(run.dir, 'best')).toEqual({ ...evaluation, formatVersion: 2 });
    expect(JSON.parse(await readFile(join(run.dir, 'evaluation-best.json'), 'utf8')).formatVersion).toBe(2);
    expect(await readEvaluation(run.dir, 'final')).toBeNull();
    expect(await listEvaluations(run.dir)).toEqual(['best', 'final-crema']);
    await expect(writeEvaluation(run.dir, '../escape', evaluation)).rejects.toThrow(/Invalid evaluation name/);
    await expect(writeEvaluation(run.dir, 'final', { ...evaluation, labels: 'anger' } as never)).rejects.toThrow(/labels must be a list of strings/);
    await writeFile(join(run.dir, 'evaluation-final.json'), '{"n":');
    await expect(readEvaluation(run.dir, 'final')).rejects.toThrow(/evaluation-final\.json: evaluation file is not valid JSON/);
    await run.close();
  });
});
