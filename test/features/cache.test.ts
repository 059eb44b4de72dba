import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanDataset } from '../../main/dataset';
import { CACHE_FILES } from '../../main/features/cache';
import { DEFAULT_FEATURE_CONFIG, resolveFeatureConfig } from '../../main/features/config';
import { extractFeatures, type FeatureSet } from '../../main/features/extract';

const DEMO = resolve('resources/demo-emodb');
const CLIPS = ['03a01Wa.wav', '08a01Na.wav', '09a01Fa.wav', '10a01Wa.wav', '11a01Ld.wav', '12a01Lb.wav'];

let dataDir: string;
let cacheRoot: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ser-cache-data-'));
  cacheRoot = mkdtempSync(join(tmpdir(), 'ser-cache-root-'));
  for (const name of CLIPS) copyFileSync(join(DEMO, name), join(dataDir, name));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(cacheRoot, { recursive: true, force: true });
});

async function extract(config = DEFAULT_FEATURE_CONFIG): Promise<FeatureSet> {
  return extractFeatures(await scanDataset(dataDir, { scheme: 'emodb' }), config, { cacheRoot, workers: 2 });
}

function readIndex(set: FeatureSet): Record<string, unknown> & { entries: Record<string, unknown>[]; failures: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(set.cacheDir, CACHE_FILES.index), 'utf8'));
}

function writeIndex(set: FeatureSet, index: unknown): void {
  writeFileSync(join(set.cacheDir, CACHE_FILES.index), JSON.stringify(index));
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

function matrixOf(set: FeatureSet, id: string): Float32Array {
  const i = set.clips.findIndex((c) => c.id === id);
  const slot = set.rows * set.frames;
  return set.data.slice(i * slot, (i + 1) * slot);
}

describe('feature cache', () => {
  it('computes once, then serves every clip from the cache with identical values', async () => {
    const cold = await extract();
    expect(cold.stats).toMatchObject({ total: CLIPS.length, computed: CLIPS.length, fromCache: 0, failed: 0 });
    expect(cold.clips).toHaveLength(CLIPS.length);
    const warm = await extract();
    expect(warm.stats).toMatchObject({ computed: 0, fromCache: CLIPS.length });
    expect(warm.data).toEqual(cold.data);
    expect(Array.from(warm.validFrames)).toEqual(Array.from(cold.validFrames));
  });

  it('keys the cache by feature configuration', async () => {
    await extract();
    const other = await extract(resolveFeatureConfig({ nMfcc: 13 }));
    expect(other.stats.computed).toBe(CLIPS.length);
    expect(other.rows).toBe(13);
  });

  it('recomputes only a changed file, reuses a touched-but-identical one, and follows adds and removes', async () => {
    const cold = await extract();
    // Same bytes, new mtime: the content hash proves it unchanged.
    utimesSync(join(dataDir, CLIPS[0]!), new Date(), new Date(Date.now() + 5000));
    // Different bytes under the same name: must be recomputed.
    copyFileSync(join(DEMO, '13a01Fd.wav'), join(dataDir, CLIPS[1]!));
    // One removed, one added.
    rmSync(join(dataDir, CLIPS[2]!));
    copyFileSync(join(DEMO, '14a01Ea.wav'), join(dataDir, '14a01Ea.wav'));

    const next = await extract();
    expect(next.stats).toMatchObject({ total: CLIPS.length, computed: 2, fromCache: CLIPS.length - 2 });
    expect(next.clips.map((c) => c.id)).not.toContain(CLIPS[2]);
    expect(matrixOf(next, CLIPS[0]!)).toEqual(matrixOf(cold, CLIPS[0]!));
    expect(matrixOf(next, CLIPS[1]!)).not.toEqual(matrixOf(cold, CLIPS[1]!));
    const again = await extract();
    expect(again.stats.computed).toBe(0);
  });

  it('detects a corrupt data file by checksum and recomputes only the damaged entries', async () => {
    const cold = await extract();
    const dataFile = join(cold.cacheDir, CACHE_FILES.data);
    const bytes = readFileSync(dataFile);
    const slotBytes = cold.rows * cold.frames * 4;
    bytes.fill(0x7f, slotBytes * 2 + 100, slotBytes * 2 + 200); // inside the third slot
    writeFileSync(dataFile, bytes);

    const repaired = await extract();
    expect(repaired.cacheProblems.some((p) => p.includes('checksum'))).toBe(true);
    expect(repaired.stats.computed).toBe(1);
    expect(repaired.data).toEqual(cold.data);
    expect((await extract()).stats.computed).toBe(0);
  });

  it('rebuilds from scratch when the index is unreadable', async () => {
    const cold = await extract();
    writeFileSync(join(cold.cacheDir, CACHE_FILES.index), '{ not json');
    const rebuilt = await extract();
    expect(rebuilt.cacheProblems[0]).toMatch(/index unreadable/);
    expect(rebuilt.stats.computed).toBe(CLIPS.length);
    expect(rebuilt.data).toEqual(cold.data);
  });

  it('reports a corrupt clip with its reason, goes on with the rest, and remembers the failure', async () => {
    writeFileSync(join(dataDir, '15a01Wa.wav'), 'this is not audio at all');
    const first = await extract();
    expect(first.clips).toHaveLength(CLIPS.length);
    expect(first.failed).toEqual([{ relPath: '15a01Wa.wav', reason: expect.stringMatching(/15a01Wa\.wav.*not-audio|not a WAV|RIFF/i) }]);
    const second = await extract();
    expect(second.failed).toHaveLength(1);
    expect(second.stats.computed).toBe(0);
  });

  it('stops when cancelled and keeps what was done', async () => {
    const controller = new AbortController();
    controller.abort();
    const set = await extractFeatures(await scanDataset(dataDir, { scheme: 'emodb' }), DEFAULT_FEATURE_CONFIG, {
      cacheRoot,
      workers: 1,
      signal: controller.signal,
    });
    expect(set.cancelled).toBe(true);
    expect(set.clips.length).toBeLessThan(CLIPS.length);
  });
});

describe('feature cache index that cannot be trusted', () => {
  it('rebuilds when index.json is valid JSON but null, and says so', async () => {
    const cold = await extract();
    writeIndex(cold, null);
    const rebuilt = await extract();
    expect(rebuilt.cacheProblems).toEqual([
      expect.stringMatching(/cache index unreadable, rebuilding: feature cache index is not a JSON object/),
    ]);
    expect(rebuilt.stats.computed).toBe(CLIPS.length);
    expect(rebuilt.data).toEqual(cold.data);
    expect((await extract()).stats.computed).toBe(0);
  });

  it('recomputes only the entries that are null, crafted or mistyped; the rest is served', async () => {
    const cold = await extract();
    const index = readIndex(cold);
    const [a, b, c, d] = index.entries;
    (index.entries as unknown[]) = [
      null,
      { ...a, slot: -1, crc: 0 }, // an empty view with the checksum of nothing: used to serve zeros
      { ...b, slot: 999 },
      { ...c, crc: 'abc' },
      d,
      ...index.entries.slice(4),
    ];
    writeIndex(cold, index);
    const repaired = await extract();
    expect(repaired.cacheProblems).toEqual([
      expect.stringMatching(/entry 0: invalid cache entry \(entry must be an object, got null\)/),
      expect.stringMatching(/invalid cache entry \(slot must be an integer ≥ 0, got -1\)/),
      expect.stringMatching(/invalid cache entry \(slot 999 is outside the 6 slots/),
      expect.stringMatching(/invalid cache entry \(crc must be an integer ≥ 0, got "abc"\)/),
    ]);
    expect(repaired.stats).toMatchObject({ computed: 3, fromCache: CLIPS.length - 3 });
    expect(repaired.data).toEqual(cold.data);
    expect((await extract()).stats.computed).toBe(0);
  });

  it('drops a slot used twice and a null remembered failure', async () => {
    writeFileSync(join(dataDir, '15a01Wa.wav'), 'this is not audio at all');
    const cold = await extract();
    const index = readIndex(cold);
    index.entries[1] = { ...index.entries[1], slot: index.entries[0]!.slot };
    index.failures = { ...index.failures, '15a01Wa': null };
    writeIndex(cold, index);
    const repaired = await extract();
    expect(repaired.cacheProblems).toEqual([
      expect.stringMatching(/invalid cache entry \(slot 0 is used twice\)/),
      expect.stringMatching(/15a01Wa: invalid remembered failure \(failure must be an object, got null\)/),
    ]);
    expect(repaired.stats.computed).toBe(1);
    expect(repaired.failed).toHaveLength(1);
    expect(repaired.data).toEqual(cold.data);
  });

  it('reads a version-1 index (release 0.1.0) without recomputing, and rebuilds one from a newer release', async () => {
    const cold = await extract();
    const { formatVersion, ...rest } = readIndex(cold);
    expect(formatVersion).toBe(2);
    writeIndex(cold, { version: 1, ...rest });
    expect((await extract()).stats).toMatchObject({ computed: 0, fromCache: CLIPS.length });
    writeIndex(cold, { ...rest, formatVersion: 3 });
    const newer = await extract();
    expect(newer.cacheProblems[0]).toMatch(/formatVersion 3, newer than this release reads/);
    expect(newer.stats.computed).toBe(CLIPS.length);
  });

  it('removes temp files left by killed extractions, not those of live processes', async () => {
    const cold = await extract();
    const dead = `.features.bin.${deadPid()}.0a1b2c3d.tmp`;
    const live = `.features.bin.${process.ppid}.0a1b2c3d.tmp`;
    writeFileSync(join(cold.cacheDir, dead), Buffer.alloc(4096));
    writeFileSync(join(cold.cacheDir, live), Buffer.alloc(16));
    const next = await extract();
    expect(next.cacheProblems).toEqual([
      expect.stringMatching(/removed 1 temp file\(s\) \(0\.0 MB\) left by extractions that were killed/),
    ]);
    expect(existsSync(join(cold.cacheDir, dead))).toBe(false);
    expect(readdirSync(cold.cacheDir)).toContain(live);
    expect(next.stats.computed).toBe(0);
  });
});
