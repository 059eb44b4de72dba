/**
 * Feature extraction for a scanned dataset: serve what the cache has, compute the rest on the
 * worker pool (every core), report progress, honour cancellation, and keep the cache current
 * (flushed periodically so an interrupted extraction resumes where it stopped).
 */
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Clip, ScanResult } from '../dataset';
import { cacheDirFor, defaultCacheRoot, hashContent, loadCache, saveCache, type CachedClip, type CachedFailure } from './cache';
import { encoderIdentity, featureConfigHash, featureRowCount, featureRowNames, type EncoderProvenance, type FeatureConfig } from './config';
import { openEncoderFolder } from './encoder/folder';
import { resolveFrames } from './frames';
import { resolveWorkerScript, WorkerPool } from './pool';
import { computeClipFeatures, type FeatureBatch, type FeatureTaskResult } from './clip';
import type { EncoderCheckResult, EncoderCheckTask } from './worker';
import type { ExtractionProgress } from './progress';

export type { ExtractionProgress } from './progress';

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
  /**
   * Speed perturbation factor (Kaldi style: tempo and pitch change together, the length by
   * 1 / speed; see speedPerturbedRate). Each factor other than 1 has a cache of its own.
   */
  speed?: number;
}

/** Slowest and fastest speed perturbation accepted. */
export const SPEED_RANGE = [0.5, 2] as const;

export interface FeatureSet {
  config: FeatureConfig;
  configHash: string;
  /** The speed perturbation factor the clips were read at (1 = as recorded). */
  speed: number;
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
  /** Clips whose features carry a note (functionals of a silent, unvoiced or very short clip), in scan order. */
  notes: { relPath: string; note: string }[];
  stats: { total: number; fromCache: number; computed: number; failed: number; elapsedMs: number };
  cacheDir: string;
  cacheProblems: string[];
  cancelled: boolean;
  /** The encoder representation: which model and layer (and, when clips were computed, where it ran). */
  encoder?: EncoderProvenance;
}

export class ExtractionCancelled extends Error {
  constructor() {
    super('feature extraction cancelled');
  }
}

export async function extractFeatures(scan: ScanResult, requested: FeatureConfig, options: ExtractOptions = {}): Promise<FeatureSet> {
  const started = Date.now();
  const speed = options.speed ?? 1;
  if (typeof speed !== 'number' || !(speed >= SPEED_RANGE[0] && speed <= SPEED_RANGE[1])) {
    throw new Error(`speed must be a number in [${SPEED_RANGE.join(', ')}], got ${String(speed)}`);
  }
  // Auto frames (0) become the dataset's length here too, so no caller can cache unsized matrices.
  const { config } = await resolveFrames(requested, scan.clips);
  // An encoder folder is read (and its model hashed) before anything else: a bad one writes nothing.
  const encoderFolder = config.representation === 'encoder' ? await openEncoderFolder(config.encoderDir, config.encoderDtype) : undefined;
  const identity = encoderFolder ? encoderIdentity(config, encoderFolder) : undefined;
  let encoder: EncoderProvenance | undefined = identity && { ...identity, dir: encoderFolder!.dir };
  const configHash = featureConfigHash(config, identity);
  // Perturbed features are other matrices for the same clips: they get a cache of their own.
  const cacheKey = speed === 1 ? configHash : `${configHash}-speed${speed}`;
  const rows = featureRowCount(config, identity);
  const frames = config.frames;
  const datasetRoot = await fsp.realpath(scan.root);
  const cacheDir = cacheDirFor(options.cacheRoot ?? defaultCacheRoot(), datasetRoot, cacheKey);
  const shape = { configHash: cacheKey, rows, frames, datasetRoot };
  const maxDurationS = options.maxDurationS ?? 600;
  const log = options.onLog ?? (() => undefined);

  const cache = await loadCache(cacheDir, shape);
  for (const problem of cache.problems) log(problem);
  // A cache that cannot be written (read-only or full disk, a file where a folder should be) costs
  // the next run its speed, not this run its features: the failure is reported and extraction goes on.
  const cacheProblems = [...cache.problems];
  let cacheWriteFailed = false;
  const saveCacheReporting = (toSave: Map<string, CachedClip>, failuresToSave: Map<string, CachedFailure>): Promise<void> =>
    saveCache(cacheDir, shape, toSave, failuresToSave).catch((err: unknown) => {
      if (cacheWriteFailed) return;
      cacheWriteFailed = true;
      const problem = `feature cache not written (features are computed but not kept): ${(err as Error).message}`;
      cacheProblems.push(problem);
      log(problem);
    });

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

  // The result is assembled in scan order as clips arrive (cached ones now), so little is left
  // to do once the last worker answers. Slots of clips without features are squeezed out at the end.
  const slot = rows * frames;
  const scanIndex = new Map(scan.clips.map((clip, i) => [clip.id, i]));
  // Warm path: when the cache file already holds every clip in scan order, its array is the result.
  const cacheBuffer = cache.buffer;
  const servedAsIs =
    toCompute.length === 0 &&
    cacheBuffer !== undefined &&
    scan.clips.every((clip, i) => {
      const data = clips.get(clip.id)?.data;
      return data !== undefined && data.buffer === cacheBuffer.buffer && data.byteOffset === cacheBuffer.byteOffset + i * slot * 4;
    });
  const assembled = servedAsIs ? cacheBuffer!.subarray(0, scan.clips.length * slot) : new Float32Array(scan.clips.length * slot);
  const place = (id: string, data: Float32Array): void => assembled.set(data, scanIndex.get(id)! * slot);
  if (!servedAsIs) for (const [id, entry] of clips) place(id, entry.data);

  let cancelled = false;
  let closing: Promise<void> = Promise.resolve();
  if (toCompute.length > 0) {
    // This thread computes short clips too (see localLane), so by default it takes the place of
    // one worker when most clips are short.
    const shortClips = toCompute.filter((clip) => clip.sizeBytes <= LOCAL_MAX_BYTES).length;
    // An encoder runs in one worker (one copy of the model; onnxruntime spreads a run over the
    // cores), never on this thread, which may be the one answering the app's requests.
    const workerCount = encoderFolder
      ? 1
      : Math.max(1, Math.min(options.workers ?? defaultWorkerCount(2 * shortClips >= toCompute.length), toCompute.length));
    const pool = new WorkerPool<FeatureBatch | EncoderCheckTask, FeatureTaskResult[] | EncoderCheckResult>(
      resolveWorkerScript(import.meta.url, 'worker.ts', 'feature-worker.js'),
      workerCount,
    );
    if (encoderFolder) {
      // The model is loaded and its contract checked before any clip: a model that cannot run fails
      // the extraction with its reason and leaves the cache as it was.
      const check = (await pool.run({ encoderCheck: { folder: encoderFolder, layer: config.encoderLayer } })) as EncoderCheckResult;
      if (!check.ok) {
        await pool.close();
        throw new Error(check.reason);
      }
      encoder = { ...encoder!, layerNote: check.report.layer.note, provider: check.report.provider };
    }
    const onAbort = () => pool.clearQueue(new ExtractionCancelled());
    options.signal?.addEventListener('abort', onAbort);
    const flushEvery = options.flushIntervalMs ?? defaultFlushIntervalMs();
    let lastFlush = Date.now();
    let flushing: Promise<void> | null = null;
    let lastProgress = 0;
    const record = (clip: Clip, result: FeatureTaskResult): void => {
      if (result.ok) {
        const { ok: _ok, ...entry } = result;
        clips.set(clip.id, { ...entry, sizeBytes: clip.sizeBytes, mtimeMs: clip.mtimeMs });
        place(clip.id, entry.data);
        computed++;
        if (entry.note) log(`${clip.relPath}: ${entry.note}`);
      } else {
        failures.set(clip.id, { sizeBytes: clip.sizeBytes, mtimeMs: clip.mtimeMs, reason: result.reason });
        failed++;
        log(`skipped ${clip.relPath}: ${result.reason}`);
      }
    };
    const afterBatch = (): void => {
      const now = Date.now();
      if (now - lastProgress > 100) {
        lastProgress = now;
        options.onProgress?.(progress('extract'));
      }
      if (now - lastFlush > flushEvery && !flushing) {
        lastFlush = now;
        flushing = saveCacheReporting(new Map(clips), new Map(failures)).finally(() => {
          flushing = null;
        });
      }
    };

    // Batches go out from one queue: each worker keeps two in flight, and this thread computes
    // batches of short clips itself in between handling their answers. Starting a worker thread
    // and loading its modules takes 0.1–0.5 s of CPU, so this thread is the cheapest lane to add.
    const batches = batchClips(toCompute, workerCount);
    const taken = new Uint8Array(batches.length);
    let next = 0; // no batch before it is left
    let nextShort = 0; // no batch of short clips before it is left
    let stopped = false;
    const isShort = (batch: Clip[]) => batch.every((clip) => clip.sizeBytes <= LOCAL_MAX_BYTES);
    const takeBatch = (onlyShort: boolean): Clip[] | null => {
      if (options.signal?.aborted) {
        cancelled = true;
        return null;
      }
      if (stopped) return null;
      let i = onlyShort ? nextShort : next;
      while (i < batches.length && (taken[i] || (onlyShort && !isShort(batches[i])))) i++;
      if (onlyShort) nextShort = i + 1;
      if (i >= batches.length) return null;
      taken[i] = 1;
      while (next < batches.length && taken[next]) next++;
      return batches[i];
    };
    const workerLane = async (): Promise<void> => {
      for (let batch = takeBatch(false); batch; batch = takeBatch(false)) {
        let results: FeatureTaskResult[];
        try {
          results = (await pool.run({
            paths: batch.map((clip) => clip.path),
            config,
            maxDurationS,
            speed,
            encoder: encoderFolder,
          })) as FeatureTaskResult[];
        } catch (err) {
          if (err instanceof ExtractionCancelled) {
            cancelled = true;
            return;
          }
          throw err;
        }
        batch.forEach((clip, i) => record(clip, results[i]));
        afterBatch();
      }
    };
    const localLane = async (): Promise<void> => {
      if (encoderFolder) return;
      // Let the workers' first batches go out first.
      await yieldToEventLoop();
      // Short clips only: a long recording would hold up this thread's event loop.
      for (let batch = takeBatch(true); batch; batch = takeBatch(true)) {
        for (const clip of batch) {
          record(clip, await computeClipFeatures({ path: clip.path, config, maxDurationS, speed }));
          // Between clips, let worker messages, progress and cancellation through.
          await yieldToEventLoop();
        }
        afterBatch();
      }
    };
    try {
      await Promise.all([localLane(), ...Array.from({ length: workerCount * WorkerPool.IN_FLIGHT_PER_WORKER }, workerLane)]);
    } finally {
      stopped = true;
      options.signal?.removeEventListener('abort', onAbort);
      // Worker threads wind down while the cache is written.
      closing = pool.close();
      if (flushing) await flushing;
    }
    cancelled ||= options.signal?.aborted ?? false;
    cacheChanged = true;
  }
  // saveCache reads `clips` before its first await; what is left of the assembly overlaps its file I/O.
  const inScanOrder = new Map(scan.clips.filter((c) => clips.has(c.id)).map((c) => [c.id, clips.get(c.id)!]));
  const saving = cacheChanged ? saveCacheReporting(inScanOrder, failures) : null;

  const withFeatures = scan.clips.filter((c) => clips.has(c.id));
  let data = assembled;
  if (withFeatures.length < scan.clips.length) {
    data = new Float32Array(withFeatures.length * slot);
    withFeatures.forEach((clip, i) => data.set(clips.get(clip.id)!.data, i * slot));
  }
  const validFrames = new Int32Array(withFeatures.length);
  const durationsS = new Float32Array(withFeatures.length);
  withFeatures.forEach((clip, i) => {
    const entry = clips.get(clip.id)!;
    validFrames[i] = entry.validFrames;
    durationsS[i] = entry.durationS;
  });
  await saving;
  await closing;
  options.onProgress?.(progress('done'));

  const notes = withFeatures.flatMap((clip) => {
    const note = clips.get(clip.id)!.note;
    return note ? [{ relPath: clip.relPath, note }] : [];
  });
  const failedList = scan.clips.filter((c) => failures.has(c.id)).map((c) => ({ relPath: c.relPath, reason: failures.get(c.id)!.reason }));

  return {
    config,
    configHash,
    speed,
    rows,
    frames,
    rowNames: featureRowNames(config, identity),
    clips: withFeatures,
    data,
    validFrames,
    durationsS,
    failed: failedList,
    notes,
    stats: { total, fromCache, computed, failed: failedList.length, elapsedMs: Date.now() - started },
    cacheDir,
    cacheProblems,
    cancelled,
    ...(encoder && { encoder }),
  };
}

/** Largest file the extracting thread computes itself while its workers start (about 10 s of 16-bit stereo 48 kHz). */
const LOCAL_MAX_BYTES = 2 * 1024 * 1024;

/** Most clips per worker message. */
const MAX_BATCH = 8;

/**
 * Splits the clips into batches for the pool: about 16 batches per worker at most MAX_BATCH
 * clips each, so one message carries several short clips while the last batches still spread
 * evenly (and cancellation and progress stay fine-grained).
 */
function batchClips(clips: Clip[], workers: number): Clip[][] {
  const size = Math.max(1, Math.min(MAX_BATCH, Math.floor(clips.length / (workers * 16))));
  const batches: Clip[][] = [];
  for (let i = 0; i < clips.length; i += size) batches.push(clips.slice(i, i + size));
  return batches;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** SER_CACHE_FLUSH_MS (how often a running extraction writes the cache), else 10 s. */
function defaultFlushIntervalMs(): number {
  const fromEnv = Number(process.env.SER_CACHE_FLUSH_MS || Number.NaN);
  return Number.isFinite(fromEnv) && fromEnv >= 0 ? fromEnv : 10_000;
}

/** SER_WORKERS, else one per core, less the one this thread stands in for when it can take most clips. */
function defaultWorkerCount(thisThreadHelps: boolean): number {
  const fromEnv = Number(process.env.SER_WORKERS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return Math.max(1, availableParallelism() - (thisThreadHelps ? 1 : 0));
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
