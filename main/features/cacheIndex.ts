/**
 * The feature cache's `index.json`: which clip lives in which slot of `features.bin`, with the
 * file's size, mtime and content hash and a CRC-32 per slot. Versioned like the run formats:
 * version 1 (release 0.1.0) kept its version in `version`, version 2 in `formatVersion`.
 *
 * The reader never trusts the file: an index that is not an object of the right shape is dropped
 * whole (the cache is rebuilt); an entry or remembered failure that is malformed (null, wrong
 * types, a slot outside the matrix, a slot or id used twice) is dropped alone and recomputed.
 */
import {
  FormatError,
  check,
  isObject,
  readVersionedJson,
  writeVersionedJson,
  type JsonObject,
  type VersionedFormat,
} from '../util/versionedJson';

export interface CachedClipMeta {
  sizeBytes: number;
  mtimeMs: number;
  contentHash: string;
  validFrames: number;
  durationS: number;
  sampleRate: number;
  /** What the clip's features do not describe (functionals of a silent clip, …); absent for most clips. */
  note?: string;
}

/** A clip that could not be decoded, remembered so it is reported without being decoded again. */
export interface CachedFailure {
  sizeBytes: number;
  mtimeMs: number;
  reason: string;
}

export interface CacheShape {
  configHash: string;
  rows: number;
  frames: number;
}

export interface IndexEntry extends CachedClipMeta {
  id: string;
  slot: number;
  crc: number;
}

export interface CacheIndex extends CacheShape {
  datasetRoot: string;
  /** Slots in features.bin. */
  slots: number;
  entries: IndexEntry[];
  failures: Record<string, CachedFailure>;
}

/** The index's own fields; entries and failures are checked one by one in readCacheIndex. */
function validateIndex(value: JsonObject): CacheIndex {
  const failures = value.failures === undefined ? {} : check.object(value.failures, 'failures');
  if (!Array.isArray(value.entries)) throw new Error('entries must be a list');
  return {
    configHash: check.string(value.configHash, 'configHash'),
    rows: check.integer(value.rows, 'rows', 1),
    frames: check.integer(value.frames, 'frames', 1),
    datasetRoot: check.string(value.datasetRoot, 'datasetRoot'),
    slots: check.integer(value.slots, 'slots'),
    entries: value.entries as IndexEntry[],
    failures: failures as Record<string, CachedFailure>,
  };
}

export const CACHE_INDEX_FORMAT: VersionedFormat<CacheIndex> = {
  name: 'feature cache index',
  current: 2,
  migrate: {
    1: ({ version, ...rest }) => {
      if (version !== 1) throw new Error(`unknown cache index version ${JSON.stringify(version)}`);
      return rest;
    },
  },
  validate: validateIndex,
};

function validEntry(value: unknown, index: CacheIndex): IndexEntry {
  const e = check.object(value, 'entry');
  check.string(e.id, 'id');
  if (e.id === '') throw new Error('id is empty');
  const slot = check.integer(e.slot, 'slot');
  if (slot >= index.slots) throw new Error(`slot ${slot} is outside the ${index.slots} slots of the data file`);
  check.integer(e.crc, 'crc');
  check.integer(e.sizeBytes, 'sizeBytes');
  check.finite(e.mtimeMs, 'mtimeMs');
  check.string(e.contentHash, 'contentHash');
  if (check.integer(e.validFrames, 'validFrames') > index.frames)
    throw new Error(`validFrames is more than the ${index.frames} frames of a slot`);
  check.finite(e.durationS, 'durationS');
  if (check.finite(e.sampleRate, 'sampleRate') <= 0) throw new Error('sampleRate must be positive');
  if (e.note !== undefined) check.string(e.note, 'note');
  return e as unknown as IndexEntry;
}

function validFailure(value: unknown): CachedFailure {
  const f = check.object(value, 'failure');
  check.integer(f.sizeBytes, 'sizeBytes');
  check.finite(f.mtimeMs, 'mtimeMs');
  check.string(f.reason, 'reason');
  return f as unknown as CachedFailure;
}

function label(value: unknown, i: number): string {
  return isObject(value) && typeof value.id === 'string' ? value.id : `entry ${i}`;
}

export interface ReadCacheIndex {
  /** Null when there is no usable index (none, or dropped whole). */
  index: CacheIndex | null;
  /** What was wrong, one line each, for the log. */
  problems: string[];
}

/** Reads and checks `index.json`; never throws for what the file holds. */
export async function readCacheIndex(path: string): Promise<ReadCacheIndex> {
  let raw: CacheIndex | null;
  try {
    raw = await readVersionedJson(path, CACHE_INDEX_FORMAT);
  } catch (err) {
    const reason = err instanceof FormatError ? err.reason : (err as Error).message;
    return { index: null, problems: [`cache index unreadable, rebuilding: ${reason}`] };
  }
  if (!raw) return { index: null, problems: [] };
  const problems: string[] = [];
  const entries: IndexEntry[] = [];
  const ids = new Set<string>();
  const slots = new Set<number>();
  raw.entries.forEach((value: unknown, i) => {
    try {
      const entry = validEntry(value, raw);
      if (ids.has(entry.id)) throw new Error('the clip is listed twice');
      if (slots.has(entry.slot)) throw new Error(`slot ${entry.slot} is used twice`);
      ids.add(entry.id);
      slots.add(entry.slot);
      entries.push(entry);
    } catch (err) {
      problems.push(`${label(value, i)}: invalid cache entry (${(err as Error).message}), recomputing`);
    }
  });
  const failures: Record<string, CachedFailure> = {};
  for (const [id, value] of Object.entries(raw.failures)) {
    try {
      failures[id] = validFailure(value);
    } catch (err) {
      problems.push(`${id}: invalid remembered failure (${(err as Error).message}), reading the clip again`);
    }
  }
  return { index: { ...raw, entries, failures }, problems };
}

/** Writes `index.json` atomically with the current format version. */
export async function writeCacheIndex(path: string, index: CacheIndex): Promise<void> {
  await writeVersionedJson(path, CACHE_INDEX_FORMAT, index);
}
