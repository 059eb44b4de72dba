/**
 * The on-disk feature cache: per dataset and feature-config hash, one binary matrix file
 * (`features.bin`, float32 slots of rows×frames) plus `index.json` keyed by clip id with the
 * file's size, mtime and content hash, and a CRC-32 per slot. A stale entry (file changed) or a
 * corrupt one (bad checksum, short file, unreadable index) is dropped and recomputed by the caller.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { removeStaleTempFiles, writeFileAtomic } from '../util/fs';
import {
  readCacheIndex,
  writeCacheIndex,
  type CachedClipMeta,
  type CachedFailure,
  type CacheIndex,
  type CacheShape,
  type IndexEntry,
} from './cacheIndex';

const INDEX_FILE = 'index.json';
const DATA_FILE = 'features.bin';

export type { CachedClipMeta, CachedFailure, CacheShape } from './cacheIndex';

export interface CachedClip extends CachedClipMeta {
  data: Float32Array;
}

export interface LoadedCache {
  clips: Map<string, CachedClip>;
  /** Every slot of the data file; the clips' `data` are views into it. */
  buffer?: Float32Array;
  failures: Map<string, CachedFailure>;
  /** What was wrong with the cache on disk (each dropped entry or file), for the log. */
  problems: string[];
}

/** Default cache root: $SER_CACHE_DIR, else $XDG_CACHE_HOME/ser-workbench, else ~/.cache/ser-workbench. */
export function defaultCacheRoot(): string {
  if (process.env.SER_CACHE_DIR) return process.env.SER_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ser-workbench');
}

/** Folder for one dataset (by its real path) and one feature configuration. */
export function cacheDirFor(cacheRoot: string, datasetRealPath: string, configHash: string): string {
  const datasetKey = createHash('sha256').update(datasetRealPath).digest('hex').slice(0, 16);
  return join(cacheRoot, 'features', datasetKey, configHash);
}

export function hashContent(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

function checksum(data: Float32Array): number {
  return crc32(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Matches the configuration it was made for; a cache index for another shape is rebuilt. */
function indexMatches(index: CacheIndex, shape: CacheShape): boolean {
  return index.configHash === shape.configHash && index.rows === shape.rows && index.frames === shape.frames;
}

export async function loadCache(dir: string, shape: CacheShape): Promise<LoadedCache> {
  const result: LoadedCache = { clips: new Map(), failures: new Map(), problems: [] };
  const stale = await removeStaleTempFiles(dir);
  if (stale.removed.length > 0) {
    result.problems.push(
      `removed ${stale.removed.length} temp file(s) (${(stale.bytes / 1e6).toFixed(1)} MB) left by extractions that were killed`,
    );
  }
  const { index, problems } = await readCacheIndex(join(dir, INDEX_FILE));
  result.problems.push(...problems);
  if (!index) return result;
  if (!indexMatches(index, shape)) {
    result.problems.push('cache index does not match this feature configuration, rebuilding');
    return result;
  }
  for (const [id, failure] of Object.entries(index.failures)) result.failures.set(id, failure);

  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(join(dir, DATA_FILE));
  } catch (err) {
    result.problems.push(`cache data unreadable, rebuilding: ${(err as Error).message}`);
    return result;
  }
  const slotFloats = shape.rows * shape.frames;
  // Each clip is a view into one array: the file's own buffer when aligned (no copy: fresh
  // memory is expensive to touch), else an aligned copy.
  const floats = Math.floor(bytes.byteLength / 4);
  let all: Float32Array;
  if (bytes.byteOffset % 4 === 0) {
    all = new Float32Array(bytes.buffer, bytes.byteOffset, floats);
  } else {
    all = new Float32Array(floats);
    new Uint8Array(all.buffer).set(bytes.subarray(0, floats * 4));
  }
  result.buffer = all;
  for (const entry of index.entries) {
    const start = entry.slot * slotFloats;
    if (start + slotFloats > all.length) {
      result.problems.push(`${entry.id}: cache data truncated, recomputing`);
      continue;
    }
    const data = all.subarray(start, start + slotFloats);
    if (checksum(data) !== entry.crc) {
      result.problems.push(`${entry.id}: cache checksum mismatch, recomputing`);
      continue;
    }
    const { id, slot: _slot, crc: _crc, ...meta } = entry;
    result.clips.set(id, { ...meta, data });
  }
  return result;
}

/**
 * Writes the whole cache (data first, then the index that points into it), each atomically.
 * A crash between the two renames leaves an index whose checksums no longer match: those
 * entries are recomputed, nothing wrong is ever served.
 */
export async function saveCache(
  dir: string,
  shape: CacheShape & { datasetRoot: string },
  clips: Map<string, CachedClip>,
  failures: Map<string, CachedFailure>,
): Promise<void> {
  const slotFloats = shape.rows * shape.frames;
  // Slots follow the map's order: callers pass clips in scan order, so a later warm load can use
  // the file's array as is.
  const ids = [...clips.keys()];
  const data = new Float32Array(ids.length * slotFloats);
  const entries: IndexEntry[] = ids.map((id, slot) => {
    const { data: clipData, ...meta } = clips.get(id)!;
    data.set(clipData, slot * slotFloats);
    return { id, slot, crc: checksum(clipData), ...meta };
  });
  const index: CacheIndex = {
    configHash: shape.configHash,
    rows: shape.rows,
    frames: shape.frames,
    datasetRoot: shape.datasetRoot,
    slots: ids.length,
    entries,
    failures: Object.fromEntries([...failures.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  await writeFileAtomic(join(dir, DATA_FILE), new Uint8Array(data.buffer));
  await writeCacheIndex(join(dir, INDEX_FILE), index);
}

export const CACHE_FILES = { index: INDEX_FILE, data: DATA_FILE } as const;

/** What the cache holds for a set of clips, from the index alone (no data read, no checksums). */
export interface CacheCoverage {
  /** Clips whose entry matches the file's current size and mtime. */
  cached: number;
  /** Clips remembered as unreadable, for the same size and mtime. */
  failed: number;
}

export async function cacheCoverage(
  dir: string,
  shape: CacheShape,
  clips: readonly { id: string; sizeBytes: number; mtimeMs: number }[],
): Promise<CacheCoverage> {
  const { index } = await readCacheIndex(join(dir, INDEX_FILE));
  if (!index || !indexMatches(index, shape)) return { cached: 0, failed: 0 };
  const entries = new Map(index.entries.map((entry) => [entry.id, entry]));
  const failures = index.failures;
  let cached = 0;
  let failed = 0;
  for (const clip of clips) {
    const entry = entries.get(clip.id) ?? failures[clip.id];
    if (!entry || entry.sizeBytes !== clip.sizeBytes || entry.mtimeMs !== clip.mtimeMs) continue;
    if (entries.has(clip.id)) cached++;
    else failed++;
  }
  return { cached, failed };
}
