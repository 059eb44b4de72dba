/**
 * The bad-input corpus (./corpus.ts) through the engine's public doors: loadAudio / probeAudioFile,
 * scanDataset, extractFeatures (twice: cold, then from the cache), EmotionPredictor, speakerSplit
 * and the CLI. For every case: a specific error (AudioError code or the scan/split message), the
 * rest of the batch goes on, nothing crashes, and the on-disk feature cache stays valid.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caught } from './caught';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioError, loadAudio, probeAudioFile, readAudioFile } from '../../main/audio';
import { DatasetError, scanDataset, speakerSplit, type ScanResult } from '../../main/dataset';
import { CACHE_FILES, loadCache } from '../../main/features/cache';
import { featureRowCount, resolveFeatureConfig } from '../../main/features/config';
import { clipMatrix, extractFeatures, type FeatureSet } from '../../main/features/extract';
import { EmotionPredictor, isPredictionFailure, type PredictionResult } from '../../main/pipeline/inference';
import { runCli } from '../cli/run-cli';
import { writeTinyCheckpoint } from '../pipeline/inference/helpers';
import { EIGHT_HOURS_S, isRoot, makeAudioCorpus, makeGoodDataset, makeManifestDataset, type AudioCorpus, type CorpusCase } from './corpus';

const CONFIG = resolveFeatureConfig({});
const cleanup: string[] = [];

// ---------------------------------------------------------------------------------------------
// Tally: every case counts once; the closing line is quoted in the release notes.

const tally = { tried: 0, passed: 0, skipped: [] as string[] };

function caseIt(name: string, fn: () => Promise<void> | void, timeoutMs?: number): void {
  it(
    name,
    async () => {
      tally.tried++;
      await fn();
      tally.passed++;
    },
    timeoutMs,
  );
}

afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  console.log(`bad-input corpus: ${tally.tried} cases tried, ${tally.passed} passed`);
  for (const skipped of tally.skipped) console.log(`bad-input corpus: skipped ${skipped}`);
});

const audioErrorOf = (action: Promise<unknown> | (() => unknown)) => caught(AudioError, action);

const datasetErrorOf = (action: Promise<unknown> | (() => unknown)) => caught(DatasetError, action);

function allFinite(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------

describe('bad-input corpus: audio files, file-system oddities, extraction and cache', () => {
  // Made at collection time: one test per case, whatever cases the corpus holds.
  const corpus: AudioCorpus = makeAudioCorpus();
  cleanup.push(corpus.root);
  let cacheRoot: string;
  let scan: ScanResult;
  let cold: FeatureSet;
  let warm: FeatureSet;
  let predictions: Map<string, PredictionResult>;
  const vanishing = 'anger/spk03/vanishing.wav';
  const logs: string[] = [];

  beforeAll(async () => {
    cacheRoot = mkdtempSync(join(tmpdir(), 'ser-bad-input-cache-'));
    cleanup.push(cacheRoot);
    for (const missing of corpus.notMade) tally.skipped.push(`${missing.name}: ${missing.reason}`);

    // A good clip that disappears between the scan and the extraction.
    writeFileSync(join(corpus.root, vanishing), readFileSync(join(corpus.root, corpus.good[0]!)));
    scan = await scanDataset(corpus.root);
    rmSync(join(corpus.root, vanishing));
    cold = await extractFeatures(scan, CONFIG, { cacheRoot, workers: 2, onLog: (line) => logs.push(line) });
    // The second run is a fresh scan of the same folder, as a user would make it.
    warm = await extractFeatures(await scanDataset(corpus.root), CONFIG, { cacheRoot, workers: 2 });

    const checkpoints = mkdtempSync(join(tmpdir(), 'ser-bad-input-ckpt-'));
    cleanup.push(checkpoints);
    const checkpoint = await writeTinyCheckpoint(checkpoints, 'best');
    const predictor = await EmotionPredictor.load(checkpoint);
    try {
      const paths = corpus.cases.filter((c) => typeof c.path === 'string' && c.expect.kind !== 'scan-skipped').map((c) => c.path as string);
      paths.push(...corpus.good.map((rel) => join(corpus.root, rel)));
      const results = await predictor.predictMany(paths);
      predictions = new Map(results.map((r) => [r.path, r]));
    } finally {
      predictor.dispose();
    }
  }, 120_000);

  it('the scan lists every file, cold extraction computes all readable clips, the warm one computes nothing', () => {
    expect(scan.scheme).toBe('folder-per-class');
    const decodable = corpus.cases.filter((c) => c.expect.kind === 'decodes').length;
    expect(cold.clips).toHaveLength(corpus.good.length + decodable);
    expect(cold.stats.computed).toBe(corpus.good.length + decodable);
    expect(warm.stats.computed).toBe(0);
    expect(warm.stats.fromCache).toBe(warm.stats.total);
    expect(warm.clips.map((c) => c.id)).toEqual(cold.clips.map((c) => c.id));
    expect(warm.data).toEqual(cold.data);
    expect(allFinite(cold.data)).toBe(true);
    for (const rel of corpus.good)
      expect(
        cold.clips.some((c) => c.id === rel),
        rel,
      ).toBe(true);
  });

  it('the cache on disk is valid after both runs: every entry checks out, failures are remembered', async () => {
    expect(cold.cacheProblems).toEqual([]);
    expect(warm.cacheProblems).toEqual([]);
    const rows = featureRowCount(CONFIG);
    const loaded = await loadCache(warm.cacheDir, { configHash: warm.configHash, rows, frames: warm.frames });
    expect(loaded.problems).toEqual([]);
    expect([...loaded.clips.keys()].sort()).toEqual(warm.clips.map((c) => c.id).sort());
    const rejected = corpus.cases.filter((c) => c.expect.kind === 'rejected').map((c) => c.relPath);
    for (const rel of rejected) expect(loaded.failures.has(rel), rel).toBe(true);
    const index = JSON.parse(readFileSync(join(warm.cacheDir, CACHE_FILES.index), 'utf8'));
    expect(index.slots).toBe(warm.clips.length);
    expect(readFileSync(join(warm.cacheDir, CACHE_FILES.data)).byteLength).toBe(warm.clips.length * rows * warm.frames * 4);
  });

  caseIt('a clip removed between scan and extraction is reported as unreadable; the batch goes on', () => {
    const failure = cold.failed.find((f) => f.relPath === vanishing);
    expect(failure?.reason).toMatch(/vanishing\.wav: unreadable: cannot read file \(ENOENT\)/);
    expect(logs.some((line) => line.includes(vanishing))).toBe(true);
    expect(warm.failed.some((f) => f.relPath === vanishing)).toBe(false); // the rescan no longer lists it
  });

  caseIt('a folder or a missing path given as a clip is unreadable', async () => {
    expect((await audioErrorOf(loadAudio(corpus.root))).code).toBe('unreadable');
    expect((await audioErrorOf(loadAudio(join(corpus.root, 'no-such.wav')))).message).toMatch(/unreadable: cannot read file \(ENOENT\)/);
    expect((await audioErrorOf(probeAudioFile(join(corpus.root, 'anger')))).code).toBe('unreadable');
  });

  for (const c of corpus.cases) caseIt(c.name, () => checkCase(c));
  // Cases the corpus could not make here (chmod 000 under root) are skipped, saying why.
  for (const missing of corpus.notMade) it.skip(`${missing.name} (not made: ${missing.reason})`, () => undefined);

  async function checkCase(c: CorpusCase): Promise<void> {
    const { expect: expected, relPath } = c;
    const inScan = scan.clips.some((clip) => clip.id === relPath);
    if (expected.kind === 'scan-skipped') {
      expect(inScan).toBe(false);
      const skipped = scan.skipped.find((s) => s.relPath === relPath);
      expect(skipped, `${relPath} listed in scan.skipped`).toBeDefined();
      expect(skipped!.reason).toMatch(expected.reason);
      expect(cold.clips.some((clip) => clip.id.startsWith(`${relPath}/`) || clip.id === relPath)).toBe(false);
      return;
    }
    const path = c.path as string;
    expect(inScan, `${relPath} is a clip of the scan`).toBe(true);
    const prediction = predictions.get(path);
    expect(prediction, 'the predictor answered for it').toBeDefined();

    if (expected.kind === 'rejected') {
      const err = await audioErrorOf(loadAudio(path, { targetSampleRate: CONFIG.sampleRate }));
      expect(err.code).toBe(expected.code);
      expect(err.message).toMatch(expected.reason);
      if (expected.probeToo) {
        const probed = await audioErrorOf(probeAudioFile(path));
        expect(probed.code).toBe(expected.code);
      }
      for (const [run, set] of [
        ['cold', cold],
        ['warm', warm],
      ] as const) {
        const failure = set.failed.find((f) => f.relPath === relPath);
        expect(failure, `${run} extraction reports ${relPath}`).toBeDefined();
        expect(failure!.reason).toContain(`: ${expected.code}: `);
        expect(failure!.reason).toMatch(expected.reason);
        expect(set.clips.some((clip) => clip.id === relPath)).toBe(false);
      }
      expect(isPredictionFailure(prediction!) && prediction.error.code).toBe(expected.code);
      return;
    }

    const loaded = await loadAudio(path, { targetSampleRate: CONFIG.sampleRate });
    if (expected.durationS !== undefined) expect(loaded.durationS).toBeCloseTo(expected.durationS, 6);
    if (expected.channels !== undefined) expect(loaded.originalChannels).toBe(expected.channels);
    if (expected.sampleRate !== undefined) expect(loaded.originalSampleRate).toBe(expected.sampleRate);
    expect(loaded.sampleRate).toBe(CONFIG.sampleRate);
    expect(allFinite(loaded.samples)).toBe(true);
    const probe = await probeAudioFile(path);
    expect(probe.durationS).toBeCloseTo(loaded.durationS, 6);
    const i = cold.clips.findIndex((clip) => clip.id === relPath);
    expect(i, `${relPath} has features`).toBeGreaterThanOrEqual(0);
    const matrix = clipMatrix(cold, i);
    expect(allFinite(matrix)).toBe(true);
    expect(cold.validFrames[i]).toBeGreaterThan(0);
    expect(
      clipMatrix(
        warm,
        warm.clips.findIndex((clip) => clip.id === relPath),
      ),
    ).toEqual(matrix);
    expect(isPredictionFailure(prediction!)).toBe(false);
    if (!isPredictionFailure(prediction!)) {
      const total = Object.values(prediction!.probabilities).reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(1, 5);
    }
  }

  caseIt('the 8-hour WAV is refused from its header: fast, and without reading it into memory', async () => {
    const c = corpus.cases.find((k) => k.name === '8-hour WAV (sparse)')!;
    const path = c.path as string;
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const probe = await probeAudioFile(path);
    expect(probe.durationS).toBe(EIGHT_HOURS_S);
    expect((await audioErrorOf(readAudioFile(path))).code).toBe('too-long');
    expect((await audioErrorOf(loadAudio(path))).code).toBe('too-long');
    const elapsedMs = performance.now() - started;
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    expect(elapsedMs).toBeLessThan(2000); // reading 0.9 GB would take far longer, and show below
    expect(grownMiB).toBeLessThan(64);
    expect(statSync(path).size).toBeGreaterThan(800 * 2 ** 20); // 879 MiB, sparse
  });

  caseIt('a prediction batch goes on around the bad files: every good clip is predicted', () => {
    for (const rel of corpus.good) {
      const result = predictions.get(join(corpus.root, rel));
      expect(result && !isPredictionFailure(result), rel).toBe(true);
    }
  });

  caseIt('CLI scan on the corpus exits 0 and lists skipped and unreadable files with reasons', async () => {
    const result = await runCli(['scan', corpus.root, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const skipped = new Map<string, string>(report.skipped.map((s: { relPath: string; reason: string }) => [s.relPath, s.reason]));
    expect(skipped.get('sadness/spk02/loop')).toMatch(/symbolic link loop/);
    expect(skipped.get('sadness/spk02/dangling.wav')).toMatch(/broken symbolic link/);
    const unreadable = new Map<string, string>(
      report.summary.unreadable.map((s: { relPath: string; reason: string }) => [s.relPath, s.reason]),
    );
    expect(unreadable.get('anger/spk01/truncated.wav')).toMatch(/truncated: data chunk declares/);
    expect(unreadable.get('sadness/spk01/mp3-in-wav.wav')).toMatch(/unsupported-encoding/);
    expect(unreadable.has('neutral/spk02/eight-hours.wav')).toBe(false); // probed from its header: 8 h is a fact, not an error
    expect(report.summary.clipCount).toBeGreaterThanOrEqual(corpus.good.length);
  });

  caseIt('CLI features on the corpus exits 0, serves the cache, and lists every bad file with its reason', async () => {
    const result = await runCli(['features', corpus.root, '--cache-dir', cacheRoot, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.computed).toBe(0);
    expect(report.shape).toEqual([warm.clips.length, featureRowCount(CONFIG), warm.frames]);
    const failed = new Map<string, string>(report.failed.map((f: { relPath: string; reason: string }) => [f.relPath, f.reason]));
    for (const c of corpus.cases.filter((k) => k.expect.kind === 'rejected')) {
      expect(failed.get(c.relPath), c.relPath).toContain(`: ${(c.expect as { code: string }).code}: `);
    }
    expect(failed.size).toBe(corpus.cases.filter((k) => k.expect.kind === 'rejected').length);
  });
});

// ---------------------------------------------------------------------------------------------

describe('bad-input corpus: CSV manifests', () => {
  const ROWS = [
    'clips/c0.wav,angry,s1',
    'clips/c1.wav,happy,s1',
    'clips/c2.wav,grumpy,s2', // unknown label
    'clips/c3.wav,sad,s2',
    'clips/c0.wav,sad,s3', // duplicate path
    'clips/missing.wav,neutral,s3', // no such file
    'clips/c4.wav,,s3', // empty label
    'clips/notes.txt,neutral,s3', // not audio
    ',neutral,s3', // empty path
  ];
  let root: string;
  let scan: ScanResult;

  beforeAll(async () => {
    ({ root } = makeManifestDataset(ROWS));
    cleanup.push(root);
    scan = await scanDataset(root);
  });

  const skippedReason = (relPath: string): string | undefined => scan.skipped.find((s) => s.relPath === relPath)?.reason;

  caseIt('a manifest with a good row next to bad ones keeps the good rows', () => {
    expect(scan.scheme).toBe('csv');
    expect(scan.clips.map((c) => [c.id, c.label, c.speaker])).toEqual([
      ['clips/c0.wav', 'anger', 's1'],
      ['clips/c1.wav', 'happiness', 's1'],
      ['clips/c3.wav', 'sadness', 's2'],
    ]);
  });

  caseIt('unknown label', () => expect(skippedReason('clips/c2.wav')).toBe("row 4: unknown label 'grumpy'"));
  caseIt('duplicate path', () => {
    expect(skippedReason('clips/c0.wav')).toBe('row 6: duplicate of row 2');
    expect(scan.clips.filter((c) => c.id === 'clips/c0.wav')).toHaveLength(1);
  });
  caseIt('row naming a missing file', () => expect(skippedReason('clips/missing.wav')).toMatch(/^row 7: file not found/));
  caseIt('empty label', () => expect(skippedReason('clips/c4.wav')).toBe('row 8: empty label'));
  caseIt('row naming a non-audio file', () => expect(skippedReason('clips/notes.txt')).toMatch(/row 9: not an audio file/));
  caseIt('empty path', () => expect(scan.skipped.some((s) => s.reason === 'row 10: empty path')).toBe(true));
  caseIt('files on disk not in the manifest are reported', () =>
    expect(skippedReason('clips/c5.wav')).toMatch(/not listed in the manifest manifest\.csv/),
  );

  caseIt('extraction on a manifest scan with bad rows goes on for the good ones', async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), 'ser-bad-manifest-cache-'));
    cleanup.push(cacheRoot);
    const set = await extractFeatures(scan, CONFIG, { cacheRoot, workers: 1 });
    expect(set.clips).toHaveLength(3);
    expect(set.failed).toEqual([]);
    expect(allFinite(set.data)).toBe(true);
  });

  caseIt('manifest without a label column is refused with the column named', async () => {
    const { root: other, manifest } = makeManifestDataset(['clips/c0.wav,s1'], 'path,speaker');
    cleanup.push(other);
    const err = await datasetErrorOf(scanDataset(other, { manifest }));
    expect(err.message).toMatch(/has no 'label' column \(header: path, speaker\)/);
  });

  caseIt('manifest without a path column is refused with the column named', async () => {
    const { root: other, manifest } = makeManifestDataset(['angry,s1'], 'emotion,speaker');
    cleanup.push(other);
    expect((await datasetErrorOf(scanDataset(other, { manifest }))).message).toMatch(/has no 'path' column/);
  });

  caseIt('manifest whose every row is bad is refused with examples', async () => {
    const { root: other } = makeManifestDataset(['clips/c0.wav,grumpy,s1', 'clips/nope.wav,angry,s1']);
    cleanup.push(other);
    expect((await datasetErrorOf(scanDataset(other))).message).toMatch(
      /lists no usable audio files \(for example .*unknown label 'grumpy'/,
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('bad-input corpus: datasets a split cannot be made from', () => {
  caseIt('a dataset with one class scans, and the speaker split refuses it with the reason', async () => {
    const root = makeGoodDataset(['anger'], ['spk01', 'spk02', 'spk03', 'spk04']);
    cleanup.push(root);
    const scan = await scanDataset(root);
    expect(scan.labels).toEqual(['anger']);
    const err = await datasetErrorOf(() => speakerSplit(scan.clips, { seed: 1 }));
    expect(err.message).toBe('cannot split: every clip has the same label (anger)');
  });

  caseIt('a dataset with one speaker: the speaker split refuses it with the reason', async () => {
    const root = makeGoodDataset(['anger', 'sadness', 'neutral'], ['spk01'], 2);
    cleanup.push(root);
    const scan = await scanDataset(root);
    expect(scan.speakers).toEqual(['spk01']);
    const err = await datasetErrorOf(() => speakerSplit(scan.clips, { seed: 1 }));
    expect(err.message).toMatch(/cannot split by speaker: only 1 speaker; train, validation and test each need their own/);
  });

  caseIt('a dataset whose clips have no speaker: the speaker split says so and points to a random split', async () => {
    const root = makeGoodDataset(['anger', 'sadness'], ['.'], 2);
    cleanup.push(root);
    const scan = await scanDataset(root);
    const err = await datasetErrorOf(() => speakerSplit(scan.clips, { seed: 1 }));
    expect(err.message).toMatch(/4 of 4 clips have no speaker id.*random split/);
  });

  caseIt('a folder with no audio, and a file given as the dataset folder, are refused', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ser-no-audio-'));
    cleanup.push(root);
    writeFileSync(join(root, 'readme.txt'), 'nothing here');
    mkdirSync(join(root, 'anger'));
    expect((await datasetErrorOf(scanDataset(root))).message).toMatch(
      /no audio files \(\.wav \.flac \.mp3 \.ogg\) in .* \(1 other files were found\)/,
    );
    expect((await datasetErrorOf(scanDataset(join(root, 'readme.txt')))).message).toMatch(/must be a folder/);
    expect((await datasetErrorOf(scanDataset(join(root, 'nope')))).message).toMatch(/dataset folder not found/);
    expect(existsSync(join(root, 'readme.txt'))).toBe(true);
  });

  if (isRoot()) {
    tally.skipped.push('chmod 000 on a dataset subfolder: running as root, which reads any folder whatever its mode');
    it.skip('chmod 000 on a dataset subfolder (running as root, which reads any folder)', () => undefined);
  } else {
    caseIt('a dataset subfolder without read permission is reported, the rest scans', async () => {
      const { chmodSync } = await import('node:fs');
      const root = makeGoodDataset(['anger', 'sadness'], ['spk01', 'spk02']);
      cleanup.push(root);
      chmodSync(join(root, 'sadness', 'spk02'), 0o000);
      try {
        const scan = await scanDataset(root);
        expect(scan.skipped.find((s) => s.relPath === 'sadness/spk02')?.reason).toMatch(/folder could not be read: EACCES/);
        expect(scan.clips).toHaveLength(3);
      } finally {
        chmodSync(join(root, 'sadness', 'spk02'), 0o755);
      }
    });
  }
});
