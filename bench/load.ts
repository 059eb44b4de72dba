/**
 * Load benchmark: a CREMA-D-sized dataset (7 442 generated clips) end to end through the engine
 * as users run it — the built CLI for scan, feature extraction, one training epoch and evaluation,
 * each in a fresh process with its peak memory (VmHWM, Linux) — plus the app's `dataset.open`
 * request (scan + probe of every file) through the handler table.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEngine } from '../main/api/handlers';
import { Workspace } from '../main/api/workspace';
import { generateCremaSizedSet } from './features';
import { measurePeakRss, printTable, type BenchResult } from './report';

interface StepResult {
  seconds: number;
  peakRssMiB: number | null;
  stdout: string;
}

function peakOf(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Runs the built CLI, sampling the child's peak resident memory until it exits. */
function runStep(args: string[], env: Record<string, string>): Promise<StepResult> {
  return new Promise((done, fail) => {
    const started = Date.now();
    const child = spawn(process.execPath, [resolve('out/main/cli.js'), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    let peak: number | null = null;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setInterval(() => {
      const value = peakOf(child.pid!);
      if (value !== null) peak = Math.max(peak ?? 0, value);
    }, 100);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) fail(new Error(`cli ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else done({ seconds: (Date.now() - started) / 1000, peakRssMiB: peak, stdout });
    });
  });
}

export async function runLoadBenchmarks(options: { quick: boolean }): Promise<BenchResult[]> {
  if (!existsSync('out/main/cli.js')) throw new Error('out/main/cli.js missing: run `npm run build` (npm run bench does)');
  const clips = options.quick ? 1000 : 7442;
  const work = mkdtempSync(join(tmpdir(), 'ser-bench-load-'));
  const data = join(work, 'data');
  const env = { SER_CACHE_DIR: join(work, 'cache'), SER_RUNS_DIR: join(work, 'runs') };
  const results: BenchResult[] = [];
  const row = (step: string, result: { seconds: number; peakRssMiB: number | null }, detail: string) =>
    results.push({ benchmark: 'load', clips, step, seconds: Number(result.seconds.toFixed(1)), peakRssMiB: result.peakRssMiB, detail });
  try {
    const generated = Date.now();
    generateCremaSizedSet(data, clips);
    console.log(`generated ${clips} synthetic 2.5 s clips in ${((Date.now() - generated) / 1000).toFixed(1)} s`);

    const opened = await measurePeakRss(async () => {
      const started = Date.now();
      const workspace = new Workspace({
        runsDir: env.SER_RUNS_DIR,
        cacheDir: env.SER_CACHE_DIR,
        uploadsDir: join(work, 'uploads'),
        demoDatasetPath: data,
      });
      const engine = createEngine({ appVersion: 'bench', door: 'serve', workspace, emit: () => undefined });
      const overview = await engine.handlers['dataset.open']({ root: data });
      await engine.close();
      return { seconds: (Date.now() - started) / 1000, bytes: JSON.stringify(overview).length, count: overview.clipCount };
    });
    row(
      'app dataset.open (scan + probe)',
      { seconds: opened.value.seconds, peakRssMiB: opened.peakRssMiB },
      `${opened.value.count} clips, ${(opened.value.bytes / 2 ** 20).toFixed(1)} MiB JSON to the UI`,
    );

    const scan = await runStep(['scan', data, '--json'], env);
    row('scan', scan, 'CLI scan --json');
    const cold = await runStep(['features', data, '--json'], env);
    const coldReport = JSON.parse(cold.stdout) as { computed: number; failed: unknown[] };
    row('extract (cold)', cold, `${coldReport.computed} computed, ${coldReport.failed.length} failed`);
    const warm = await runStep(['features', data, '--json'], env);
    row('extract (warm)', warm, `${(JSON.parse(warm.stdout) as { fromCache: number }).fromCache} from cache`);
    const train = await runStep(['train', data, '--preset', 'quick', '--epochs', '1', '--model', 'res-cnn', '--seed', '1'], env);
    const runDir = train.stdout.trim().split('\n').at(-1)!;
    row('train 1 epoch (res-cnn, speaker split)', train, runDir.split('/').at(-1)!);
    const evaluation = await runStep(['evaluate', runDir, '--checkpoint', 'final', '--json'], env);
    const report = JSON.parse(evaluation.stdout) as { uar: number; predictions?: unknown[]; n?: number };
    row('evaluate final', evaluation, `test UAR ${(report.uar * 100).toFixed(1)} % (synthetic labels: chance level expected)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  printTable(results, ['step', 'clips', 'seconds', 'peakRssMiB', 'detail']);
  return results;
}
