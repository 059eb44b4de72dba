import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, SOURCE_CLI } from './run-cli';

const DEMO = 'resources/demo-emodb';
const work = mkdtempSync(join(tmpdir(), 'ser-cli-train-'));
const runsDir = join(work, 'runs');
const env = { SER_CACHE_DIR: join(work, 'cache') };
// A small input (20 MFCC × 48 frames) and one epoch keep the model tiny and the test fast.
const TINY = ['--model', 'res-cnn', '--n-mfcc', '20', '--frames', '48', '--batch', '32'];

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('CLI: train → evaluate → compare → predict on the demo set', () => {
  let runDir = '';

  it('train prints the run folder on its last line and writes a complete run', async () => {
    const result = await runCli(
      [
        'train',
        DEMO,
        '--preset',
        'quick',
        '--epochs',
        '2',
        ...TINY,
        '--test-speakers',
        '03,08',
        '--val-speakers',
        '09',
        '--seed',
        '1',
        '--runs-dir',
        runsDir,
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    runDir = lines.at(-1)!;
    expect(runDir.startsWith(runsDir)).toBe(true);
    expect(result.stdout).toMatch(/backend: (wasm|cpu|tensorflow)/);
    expect(result.stdout).toMatch(/epoch +1 +train loss/);
    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    expect(record.status).toBe('done');
    expect(record.split.speakers.test).toEqual(['03', '08']);
    expect(record.split.leaksSpeakers).toBe(false);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    for (const checkpoint of ['best', 'final']) {
      expect(existsSync(join(runDir, 'checkpoints', checkpoint, 'model.json'))).toBe(true);
      const manifest = JSON.parse(readFileSync(join(runDir, 'checkpoints', checkpoint, 'manifest.json'), 'utf8'));
      expect(manifest.labels).toHaveLength(7);
      // The default normalisation: each speaker's own statistics, computed at prediction time.
      expect(manifest.normalization).toEqual({ mode: 'speaker', maskPadding: true });
      expect(manifest.standardizer).toBeUndefined();
      const evaluation = JSON.parse(readFileSync(join(runDir, `evaluation-${checkpoint}.json`), 'utf8'));
      expect(evaluation.predictions).toHaveLength(25); // the demo set has 25 clips of speakers 03 and 08
      expect(evaluation.predictions[0].probabilities).toHaveLength(7);
    }
  });

  it('evaluate --json gives accuracy, UAR, macro-F1, per-class stats and the confusion matrix; --export writes the report files', async () => {
    const result = await runCli(['evaluate', runDir, '--checkpoint', 'final', '--json', '--export'], env);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    for (const key of ['accuracy', 'uar', 'macroF1', 'perClass', 'confusion', 'labels']) expect(report).toHaveProperty(key);
    expect(report.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(25);
    expect(report.uar).toBeGreaterThanOrEqual(report.confidenceIntervals.uar[0] - 1e-9);
    expect(report.uar).toBeLessThanOrEqual(report.confidenceIntervals.uar[1] + 1e-9);
    // The files Runs → Export writes in the app, the engine-drawn PNG included.
    expect(report.exported.map((file: string) => basename(file)).sort()).toEqual([
      'final-confusion.csv',
      'final-confusion.png',
      'final-metrics.json',
      'final-per-class.csv',
      'final-predictions.csv',
    ]);
    expect(readFileSync(report.exported.find((file: string) => file.endsWith('.png'))).readUInt32BE(0)).toBe(0x89504e47);
  });

  it('compare runs McNemar on best vs final', async () => {
    const result = await runCli(['compare', runDir, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const comparison = JSON.parse(result.stdout);
    expect(comparison.aName).toBe('best');
    expect(comparison.bName).toBe('final');
    expect(comparison.mcnemar.pValue).toBeGreaterThan(0);
    expect(comparison.mcnemar.pValue).toBeLessThanOrEqual(1);
    const c = comparison.contingency;
    expect(c.bothCorrect + c.aOnly + c.bOnly + c.bothWrong).toBe(25);
  });

  it('predict gives an emotion and all probabilities per file, and a per-file error for a bad one', async () => {
    const result = await runCli(['predict', runDir, join(DEMO, '03a01Wa.wav'), 'README.md', '--json'], env);
    // One file of two could not be predicted: exit 2 (partly failed), with every result printed.
    expect(result.code, result.stderr).toBe(2);
    const { results } = JSON.parse(result.stdout);
    expect(results[0].emotion).toMatch(/anger|disgust|fear|happiness|neutral|sadness|boredom/);
    const total = Object.values(results[0].probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 5);
    expect(results[1].error.code).toBe('not-audio');
  });

  it('runs lists the run with its status and test metrics', async () => {
    const result = await runCli(['runs', '--runs-dir', runsDir, '--json'], env);
    const runs = JSON.parse(result.stdout);
    expect(runs).toHaveLength(1);
    expect(runs[0].status).toBe('done');
    expect(runs[0].summary.test.best.uar).toBeGreaterThanOrEqual(0);
  });

  it('a training process killed with SIGKILL leaves a run reported as interrupted whose checkpoint still evaluates', async () => {
    const killedRuns = join(work, 'killed');
    const child = spawn(
      process.execPath,
      [...SOURCE_CLI, 'train', DEMO, '--preset', 'full', '--epochs', '40', '--patience', '40', ...TINY, '--runs-dir', killedRuns],
      { env: { ...process.env, ...env }, stdio: 'ignore' },
    );
    const deadline = Date.now() + 180_000;
    let bestDir = '';
    while (Date.now() < deadline && !bestDir) {
      await new Promise((r) => setTimeout(r, 250));
      const ids = existsSync(killedRuns) ? readdirSync(killedRuns) : [];
      const candidate = ids.length ? join(killedRuns, ids[0]!, 'checkpoints', 'best', 'manifest.json') : '';
      if (candidate && existsSync(candidate)) bestDir = join(killedRuns, ids[0]!);
    }
    expect(bestDir, 'training wrote a best checkpoint before the deadline').not.toBe('');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const listed = JSON.parse((await runCli(['runs', '--runs-dir', killedRuns, '--json'], env)).stdout);
    expect(listed[0].status).toBe('interrupted');
    const evaluation = await runCli(['evaluate', bestDir, '--checkpoint', 'best', '--json'], env);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    expect(JSON.parse(evaluation.stdout).n).toBeGreaterThan(0);
  }, 300_000);
});
