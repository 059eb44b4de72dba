/**
 * Crash safety of the on-disk state: a feature extraction killed with SIGKILL part-way resumes from
 * what it had flushed (nothing flushed is recomputed, nothing torn is served), and a cache or runs
 * folder that cannot be written is reported clearly without touching what is already there.
 *
 * (Killing a training run with SIGKILL, then `runs` listing it as `interrupted` and `evaluate
 * --checkpoint best` working on it, is covered in test/cli/train-commands.test.ts.)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanDataset } from '../../main/dataset';
import { CACHE_FILES, cacheDirFor } from '../../main/features/cache';
import { featureConfigHash, resolveFeatureConfig } from '../../main/features/config';
import { extractFeatures } from '../../main/features/extract';
import { runCli, SOURCE_CLI } from '../cli/run-cli';
import { makeGoodDataset } from './corpus';

const work = mkdtempSync(join(tmpdir(), 'ser-crash-'));
const datasets: string[] = [];
afterAll(() => {
  for (const dir of [work, ...datasets]) rmSync(dir, { recursive: true, force: true });
});

const CLASSES = ['anger', 'happiness', 'neutral', 'sadness'];
const SPEAKERS = ['spk01', 'spk02', 'spk03', 'spk04', 'spk05'];
const CONFIG = resolveFeatureConfig({ frames: 100 });

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Bit-for-bit equality, fast (toEqual walks a million floats one by one). */
function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function readIndex(dir: string): { entries: { id: string }[] } | null {
  try {
    return JSON.parse(readFileSync(join(dir, CACHE_FILES.index), 'utf8'));
  } catch {
    return null;
  }
}

describe('kill -9 during feature extraction', () => {
  it('the next run succeeds, reuses every clip the killed run flushed, and the cache is consistent', async () => {
    // 300 half-second tones (4 classes × 5 speakers × 15): seconds of work on one worker.
    const dataset = makeGoodDataset(CLASSES, SPEAKERS, 15, 0.5);
    datasets.push(dataset);
    const cacheRoot = join(work, 'cache');
    const total = CLASSES.length * SPEAKERS.length * 15;
    const cacheDir = cacheDirFor(cacheRoot, realpathSync(dataset), featureConfigHash(CONFIG));

    const child = spawn(
      process.execPath,
      [...SOURCE_CLI, 'features', dataset, '--frames', '100', '--cache-dir', cacheRoot, '--workers', '1', '--json'],
      // Flush the cache every 150 ms (default 10 s) so some clips are on disk well before the end.
      { env: { ...process.env, SER_CACHE_FLUSH_MS: '150' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let exitCode: number | null = null;
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.resume();
    const exited = new Promise<void>((r) => child.once('exit', (code) => ((exitCode = code), r())));

    const deadline = Date.now() + 30_000;
    let seen = 0;
    while (Date.now() < deadline && exitCode === null) {
      seen = readIndex(cacheDir)?.entries.length ?? 0;
      if (seen > 0) break;
      await sleep(25);
    }
    child.kill('SIGKILL');
    await exited;
    expect(exitCode, `the extraction ended before it was killed (stderr: ${stderr}); give it more clips`).toBeNull();
    expect(seen, 'the killed run flushed some clips before the deadline').toBeGreaterThan(0);

    // What the killed run left: an index (written atomically: always whole) naming part of the clips.
    const flushed = readIndex(cacheDir);
    expect(flushed, 'index.json parses after the kill').not.toBeNull();
    const flushedCount = flushed!.entries.length;
    expect(flushedCount).toBeGreaterThan(0);
    expect(flushedCount).toBeLessThan(total);

    const resumed = await runCli(['features', dataset, '--frames', '100', '--cache-dir', cacheRoot, '--json'], {}, 60_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout);
    // Torn writes (the kill between the data file's rename and the index's) are detected by
    // checksum and recomputed; each is reported. Everything else the killed run flushed is reused.
    const torn = (report.cacheProblems as string[]).filter((p) => /checksum mismatch|cache data truncated/.test(p));
    expect(report.cacheProblems.length - torn.length, `unexpected cache problems: ${report.cacheProblems.join('; ')}`).toBe(0);
    expect(report.fromCache).toBe(flushedCount - torn.length);
    expect(report.fromCache).toBeGreaterThan(0);
    expect(report.computed).toBe(total - report.fromCache);
    expect(report.failed).toEqual([]);
    expect(report.shape[0]).toBe(total);

    // Consistent afterwards: a third run is served entirely from the cache, with no problem found...
    const again = await runCli(['features', dataset, '--frames', '100', '--cache-dir', cacheRoot, '--json'], {}, 60_000);
    expect(again.code, again.stderr).toBe(0);
    const warm = JSON.parse(again.stdout);
    expect(warm).toMatchObject({ fromCache: total, computed: 0, failed: [], cacheProblems: [] });
    expect(readIndex(cacheDir)!.entries).toHaveLength(total);

    // ...and what it serves is exactly what a clean extraction computes.
    const scan = await scanDataset(dataset);
    const fromResumedCache = await extractFeatures(scan, CONFIG, { cacheRoot, workers: 1 });
    expect(fromResumedCache.stats.computed).toBe(0);
    const clean = await extractFeatures(scan, CONFIG, { cacheRoot: join(work, 'clean-cache'), workers: 2 });
    expect(clean.stats.computed).toBe(total);
    expect(fromResumedCache.clips.map((c) => c.id)).toEqual(clean.clips.map((c) => c.id));
    expect(sameFloats(fromResumedCache.data, clean.data)).toBe(true);
  }, 90_000);
});

describe('unwritable cache and runs folders (a path under a regular file: ENOTDIR, whoever runs it)', () => {
  const dataset = makeGoodDataset(['anger', 'happiness', 'sadness'], ['spk01', 'spk02', 'spk03', 'spk04'], 2, 0.4);
  datasets.push(dataset);
  const blocker = join(work, 'not-a-folder');
  const blockerContent = 'a regular file that stands where a folder should be\n';
  writeFileSync(blocker, blockerContent);

  it('features with an unwritable cache warns, still computes every clip, and leaves the file alone', async () => {
    const result = await runCli(['features', dataset, '--frames', '100', '--cache-dir', join(blocker, 'cache'), '--json'], {}, 60_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/ser features: warning: feature cache not written .*ENOTDIR/);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ clips: 24, computed: 24, fromCache: 0, failed: [] });
    expect(report.shape).toEqual([24, 40, 100]);
    expect(report.cacheProblems.some((p: string) => /feature cache not written/.test(p))).toBe(true);
    expect(readFileSync(blocker, 'utf8')).toBe(blockerContent);
  }, 60_000);

  it('train with an unwritable runs folder fails with a one-line reason naming it, and leaves the file alone', async () => {
    const runsDir = join(blocker, 'runs');
    const result = await runCli(
      [
        'train',
        dataset,
        '--preset',
        'quick',
        '--epochs',
        '1',
        '--model',
        'res-cnn',
        '--n-mfcc',
        '20',
        '--frames',
        '48',
        '--runs-dir',
        runsDir,
        '--cache-dir',
        join(work, 'train-cache'),
      ],
      {},
      90_000,
    );
    expect(result.code).toBe(1);
    const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('ser '));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^ser train: error: .*ENOTDIR.*not-a-folder/);
    expect(readFileSync(blocker, 'utf8')).toBe(blockerContent);
    expect(existsSync(join(work, 'train-cache'))).toBe(true); // the features it computed were kept
    expect(readdirSync(work)).not.toContain('runs');
  }, 90_000);
});
