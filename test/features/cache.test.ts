import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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
