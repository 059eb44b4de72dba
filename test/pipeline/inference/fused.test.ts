/**
 * Fused checkpoints: members copied into one folder with a versioned manifest, labels identical
 * or refused; predicting with it gives exactly the mean of the members' class probabilities, each
 * member with its own features and normalisation; `ser fuse` and `ser predict` reach it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EmotionPredictor,
  FusedPredictor,
  isPredictionFailure,
  loadPredictor,
  writeFusedCheckpoint,
  type Prediction,
} from '../../../main/pipeline/inference';
import type { RequestArgs, RequestName, RequestResult } from '../../../main/api/contract';
import { createEngine, dispatch } from '../../../main/api/handlers';
import { Workspace } from '../../../main/api/workspace';
import { initBackend } from '../../../main/compute/backend';
import { readEvaluation, writeEvaluation } from '../../../main/evaluation/file';
import { writeFusedRun } from '../../../main/pipeline/fusedRun';
import { createRun, listRuns, openRun } from '../../../main/runs/store';
import { runCli } from '../../cli/run-cli';
import { runInit } from '../../runs/helpers';
import { sampleReport } from '../evaluation-fixtures';
import { demoFile, LABELS, tempDir, writeTinyCheckpoint } from './helpers';

const FILES = ['03a01Wa.wav', '08a01Lc.wav'].map(demoFile);

let root: { dir: string; cleanup: () => Promise<void> };
let a: string;
let b: string;

beforeAll(async () => {
  // The handlers register more backends; these tiny models run on the cpu one.
  await initBackend('cpu');
  root = await tempDir();
  a = await writeTinyCheckpoint(join(root.dir, 'a'), 'best', { offset: 0 });
  // Another model, standardised per clip: each member applies its own normalisation.
  b = await writeTinyCheckpoint(join(root.dir, 'b'), 'best', {
    offset: 5,
    manifest: { normalization: { mode: 'clip', maskPadding: true }, standardizer: undefined },
  });
});

afterAll(async () => root?.cleanup());

describe('fused checkpoints', () => {
  it('copies the members in with a versioned manifest, and predicts the exact mean of their probabilities', async () => {
    const out = join(root.dir, 'fused');
    const manifest = await writeFusedCheckpoint([a, b], out);
    expect(manifest.members.map((m) => [m.dir, m.from])).toEqual([
      ['members/01', a],
      ['members/02', b],
    ]);
    const stored = JSON.parse(readFileSync(join(out, 'fusion.json'), 'utf8'));
    expect(stored.formatVersion).toBe(1);
    expect(stored.labels).toEqual(LABELS);
    expect(existsSync(join(out, 'members', '02', 'manifest.json'))).toBe(true);

    const fused = await loadPredictor(out);
    const members = [await EmotionPredictor.load(a), await EmotionPredictor.load(b)];
    try {
      expect(fused).toBeInstanceOf(FusedPredictor);
      expect(fused.labels).toEqual(LABELS);
      const results = await fused.predictMany(FILES);
      for (const [i, file] of FILES.entries()) {
        const [pa, pb] = [await members[0]!.predict(file), await members[1]!.predict(file)];
        const got = results[i] as Prediction;
        expect(isPredictionFailure(got)).toBe(false);
        for (const label of LABELS) expect(got.probabilities[label]).toBe((pa.probabilities[label]! + pb.probabilities[label]!) / 2);
        expect(got.emotion).toBe(got.ranked[0]!.label);
        expect(got.confidence).toBe(Math.max(...Object.values(got.probabilities)));
        // The two members disagree somewhere, so the mean is not just one of them.
        expect(pa.probabilities).not.toEqual(pb.probabilities);
      }
      const single = await fused.predict(FILES[0]!);
      expect(single.probabilities).toEqual((results[0] as Prediction).probabilities);
    } finally {
      fused.dispose();
      for (const m of members) m.dispose();
    }
  });

  it('refuses different labels, an existing folder, a fused member and a checkpoint option', async () => {
    const other = await writeTinyCheckpoint(join(root.dir, 'c'), 'best', {
      numClasses: 3,
      manifest: { labels: ['anger', 'neutral', 'sadness'] },
    });
    await expect(writeFusedCheckpoint([a, other], join(root.dir, 'x'))).rejects.toThrow(
      `${other} predicts [anger, neutral, sadness] but ${a} predicts [${LABELS.join(', ')}]: fused members must predict the same labels in the same order`,
    );
    expect(existsSync(join(root.dir, 'x'))).toBe(false);
    await expect(writeFusedCheckpoint([a], join(root.dir, 'x'))).rejects.toThrow(
      'a fused checkpoint needs at least two runs or checkpoints',
    );
    const out = join(root.dir, 'fused2');
    await writeFusedCheckpoint([a, b], out);
    await expect(writeFusedCheckpoint([a, b], out)).rejects.toThrow(`${out} already exists`);
    await expect(writeFusedCheckpoint([out, a], join(root.dir, 'y'))).rejects.toThrow(
      'is itself a fused checkpoint: fuse the original checkpoints',
    );
    await expect(loadPredictor(out, { checkpoint: 'best' })).rejects.toThrow(
      'is a fused checkpoint; the checkpoint option ("best") applies to run folders only',
    );
  });

  it('ser fuse writes one that ser predict accepts', async () => {
    const out = join(root.dir, 'cli-fused');
    const fuse = await runCli(['fuse', a, b, '--out', out]);
    expect(fuse.code, fuse.stderr).toBe(0);
    expect(fuse.stdout).toContain('fused 2 checkpoints (tiny-conv, tiny-conv)');
    const predict = await runCli(['predict', out, FILES[0]!, '--json', '--backend', 'cpu']);
    expect(predict.code, predict.stderr).toBe(0);
    const r = JSON.parse(predict.stdout);
    expect(r.labels).toEqual(LABELS);
    expect(r.normalization).toBe('global+clip');
    expect(Object.values(r.results[0].probabilities as Record<string, number>).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
    const missing = await runCli(['fuse', a, b]);
    expect(missing.stderr.trim()).toBe('ser fuse: error: missing --out DIR (the new fused checkpoint folder)');
  }, 120_000);

  it('a fused run in the runs folder: listed with a complete best checkpoint, the averaged evaluation, predict.files', async () => {
    const runsDir = join(root.dir, 'runs');
    const members: string[] = [];
    for (const [i, name] of ['crnn mfcc', 'svm functionals'].entries()) {
      const run = await createRun(runsDir, runInit(name), { id: `member-${i + 1}`, heartbeatIntervalMs: 0 });
      await writeTinyCheckpoint(join(run.dir, 'checkpoints'), 'best', { offset: 3 * i });
      await writeEvaluation(run.dir, 'best', sampleReport('best', LABELS, i + 1));
      await run.setStatus('done');
      await run.close();
      members.push(run.dir);
    }
    const record = await writeFusedRun(members, join(runsDir, 'fused-run'));
    expect(record.name).toBe('fusion of crnn mfcc + svm functionals');
    expect((await listRuns(runsDir)).map((r) => `${r.id} ${r.record?.status}`)).toContain('fused-run done');
    const opened = await openRun(join(runsDir, 'fused-run'));
    expect(opened.checkpoints.best.complete).toBe(true);

    const fused = (await readEvaluation(opened.dir, 'best'))!;
    const [ea, eb] = await Promise.all(members.map((dir) => readEvaluation(dir, 'best')));
    fused.predictions.forEach((p, i) =>
      expect(p.probabilities).toEqual(
        p.probabilities.map((_, k) => (ea!.predictions[i]!.probabilities[k]! + eb!.predictions[i]!.probabilities[k]!) / 2),
      ),
    );
    expect(fused.metrics.n).toBe(6);

    const workspace = new Workspace({
      runsDir,
      cacheDir: join(root.dir, 'cache'),
      uploadsDir: join(root.dir, 'up'),
      demoDatasetPath: demoFile(''),
      backendPreference: 'cpu',
    });
    const engine = createEngine({ appVersion: 'test', door: 'serve', workspace, emit: () => undefined });
    const call = <N extends RequestName>(name: N, args: RequestArgs<N>) =>
      dispatch(engine.handlers, name, args) as Promise<RequestResult<N>>;
    try {
      const batch = await call('predict.files', { runId: 'fused-run', checkpoint: 'best', files: [{ path: FILES[0]! }] });
      expect(batch.labels).toEqual(LABELS);
      const [result] = batch.results;
      expect(result!.ok, JSON.stringify(result)).toBe(true);
      const direct = await loadPredictor(join(runsDir, 'fused-run'));
      try {
        expect(direct).toBeInstanceOf(FusedPredictor);
        const p = await direct.predict(FILES[0]!);
        expect((result as { probabilities: number[] }).probabilities).toEqual(LABELS.map((l) => p.probabilities[l]));
      } finally {
        direct.dispose();
      }
    } finally {
      await engine.close();
    }
    await expect(writeFusedRun(members, join(runsDir, 'fused-run'))).rejects.toThrow('already exists');
  });
});
