/**
 * Feature extraction for a scanned dataset: serve what the cache has, compute the rest on the
 * worker pool (every core), report progress, honour cancellation, and keep the cache current
 * (flushed periodically so an interrupted extraction resumes where it stopped).
 */
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Clip, ScanResult } from '../dataset';
import {
  cacheDirFor,
  defaultCacheRoot,
  hashContent,
  loadCache,
  saveCache,
  type CachedClip,
  type CachedFailure,
} from './cache';
import { featureConfigHash, featureRowCount, featureRowNames, type FeatureConfig } from './config';
import { resolveWorkerScript, WorkerPool } from './pool';
import type { FeatureTask, FeatureTaskResult } from './worker';

export interface ExtractionProgress {
  phase: 'cache' | 'extract' | 'done';
  total: number;
  done: number;
  fromCache: number;
  computed: number;
  failed: number;
  clipsPerSecond: number;
  etaS: number;
}

export interface ExtractOptions {
  cacheRoot?: string;
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ExtractionProgress) => void;
  /** Longest clip accepted, in seconds (longer files are reported, not decoded). */
  maxDurationS?: number;
  /** How often the cache is written while extracting (ms). */
  flushIntervalMs?: number;
  onLog?: (line: string) => void;
}

export interface FeatureSet {
  config: FeatureConfig;
  configHash: string;
  rows: number;
  frames: number;
  rowNames: string[];
  /** Clips that have features, in scan order; `data` holds their matrices in the same order. */
  clips: Clip[];
  /** clips.length × rows × frames float32, row-major [clip][row][frame], unstandardised. */
  data: Float32Array;
  validFrames: Int32Array;
  durationsS: Float32Array;
  failed: { relPath: string; reason: string }[];
  stats: { total: number; fromCache: number; computed: number; failed: number; elapsedMs: number };
  cacheDir: string;
  cacheProblems: string[];
  cancelled: boolean;
}

export class ExtractionCancelled extends Error {
  constructor() {
    super('feature extraction cancelled');
  }
}

export async function extractFeatures(
  scan: ScanResult,
  config: FeatureConfig,
  options: ExtractOptions = {},
): Promise<FeatureSet> {
  const started = Date.now();
  const configHash = featureConfigHash(config);
  const rows = featureRowCount(config);
  const frames = config.frames;
  const datasetRoot = await fsp.realpath(scan.root);
  const cacheDir = cacheDirFor(options.cacheRoot ?? defaultCacheRoot(), datasetRoot, configHash);
  const shape = { configHash, rows, frames, datasetRoot };
  const maxDurationS = options.maxDurationS ?? 600;
  const log = options.onLog ?? (() => undefined);

  const cache = await loadCache(cacheDir, shape);
  for (const problem of cache.problems) log(problem);

  // Decide per clip: cached (same size+mtime, or same content after a touch), known failure, or compute.
  const clips = new Map<string, CachedClip>();
  const failures = new Map<string, CachedFailure>();
  const toCompute: Clip[] = [];
  let cacheChanged = false;
  for (const clip of scan.clips) {
    const cached = cache.clips.get(clip.id);
    const failure = cache.failures.get(clip.id);
    if (cached && cached.sizeBytes === clip.sizeBytes && cached.mtimeMs === clip.mtimeMs) {
      clips.set(clip.id, cached);
    } else if (failure && failure.sizeBytes === clip.sizeBytes && failure.mtimeMs === clip.mtimeMs) {
      failures.set(clip.id, failure);
    } else if (cached && cached.sizeBytes === clip.sizeBytes && (await sameContent(clip.path, cached.contentHash))) {
      clips.set(clip.id, { ...cached, mtimeMs: clip.mtimeMs });
      cacheChanged = true;
    } else {
      toCompute.push(clip);
    }
  }
  const known = new Set(scan.clips.map((c) => c.id));
  if ([...cache.clips.keys(), ...cache.failures.keys()].some((id) => !known.has(id))) cacheChanged = true;
  if (cache.problems.length > 0) cacheChanged = true;

  const total = scan.clips.length;
  const fromCache = clips.size + failures.size;
  let computed = 0;
  let failed = 0;
  const extractStarted = Date.now();
  const progress = (phase: ExtractionProgress['phase']): ExtractionProgress => {
    const elapsedS = (Date.now() - extractStarted) / 1000;
    const rate = elapsedS > 0 ? (computed + failed) / elapsedS : 0;
    const remaining = toCompute.length - computed - failed;
    return {
      phase,
      total,
      done: fromCache + computed + failed,
      fromCache,
      computed,
      failed,
      clipsPerSecond: rate,
      etaS: rate > 0 ? remaining / rate : 0,
    };
  };
  options.onProgress?.(progress('cache'));

  let cancelled = false;
  if (toCompute.length > 0) {
    const pool = new WorkerPool<FeatureTask, FeatureTaskResult>(
      resolveWorkerScript(import.meta.url, 'worker.ts', 'feature-worker.js'),
      Math.max(1, Math.min(options.workers ?? defaultWorkerCount(), toCompute.length)),
    );
    const onAbort = () => pool.clearQueue(new ExtractionCancelled());
    options.signal?.addEventListener('abort', onAbort);
    const flushEvery = options.flushIntervalMs ?? 10_000;
    let lastFlush = Date.now();
    let flushing: Promise<void> | null = null;
    let lastProgress = 0;
    try {
      await Promise.all(
        toCompute.map(async (clip) => {
          let result: FeatureTaskResult;
          if (options.signal?.aborted) {
            cancelled = true;
            return;
          }
          try {
            result = await pool.run({ path: clip.path, config, maxDurationS });
          } catch (err) {
            if (err instanceof ExtractionCancelled) {
              cancelled = true;
              return;
            }
            throw err;
          }
          if (result.ok) {
            const { ok: _ok, ...entry } = result;
            clips.set(clip.id, { ...entry, sizeBytes: clip.sizeBytes, mtimeMs: clip.mtimeMs });
            computed++;
          } else {
            failures.set(clip.id, { sizeBytes: clip.sizeBytes, mtimeMs: clip.mtimeMs, reason: result.reason });
            failed++;
            log(`skipped ${clip.relPath}: ${result.reason}`);
          }
          const now = Date.now();
          if (now - lastProgress > 100) {
            lastProgress = now;
            options.onProgress?.(progress('extract'));
          }
          if (now - lastFlush > flushEvery && !flushing) {
            lastFlush = now;
            flushing = saveCache(cacheDir, shape, new Map(clips), new Map(failures)).finally(() => {
              flushing = null;
            });
          }
        }),
      );
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      await pool.close();
      if (flushing) await flushing;
    }
    cancelled ||= options.signal?.aborted ?? false;
    cacheChanged = true;
  }
  if (cacheChanged) await saveCache(cacheDir, shape, clips, failures);
  options.onProgress?.(progress('done'));

  // Assemble in scan order.
  const withFeatures = scan.clips.filter((c) => clips.has(c.id));
  const slot = rows * frames;
  const data = new Float32Array(withFeatures.length * slot);
  const validFrames = new Int32Array(withFeatures.length);
  const durationsS = new Float32Array(withFeatures.length);
  withFeatures.forEach((clip, i) => {
    const entry = clips.get(clip.id)!;
    data.set(entry.data, i * slot);
    validFrames[i] = entry.validFrames;
    durationsS[i] = entry.durationS;
  });
  const failedList = scan.clips
    .filter((c) => failures.has(c.id))
    .map((c) => ({ relPath: c.relPath, reason: failures.get(c.id)!.reason }));

  return {
    config,
    configHash,
    rows,
    frames,
    rowNames: featureRowNames(config),
    clips: withFeatures,
    data,
    validFrames,
    durationsS,
    failed: failedList,
    stats: { total, fromCache, computed, failed: failedList.length, elapsedMs: Date.now() - started },
    cacheDir,
    cacheProblems: cache.problems,
    cancelled,
  };
}

function defaultWorkerCount(): number {
  const fromEnv = Number(process.env.SER_WORKERS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
}

async function sameContent(path: string, contentHash: string): Promise<boolean> {
  try {
    return hashContent(await fsp.readFile(path)) === contentHash;
  } catch {
    return false;
  }
}

/** One clip's matrix as a view into a FeatureSet. */
export function clipMatrix(set: FeatureSet, index: number): Float32Array {
  const slot = set.rows * set.frames;
  return set.data.subarray(index * slot, (index + 1) * slot);
}
