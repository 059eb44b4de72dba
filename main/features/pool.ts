/**
 * A small worker_threads pool. Each worker runs one script that answers `{ id, task }` messages
 * with `{ id, result }`; the pool keeps at most `inFlightPerWorker` tasks queued on each worker
 * so work spreads over every core without flooding one.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** A worker entry: a file URL, or (from TypeScript sources) a data: URL that loads tsx first. */
export interface WorkerScript {
  url: URL;
}

/**
 * Finds a worker script both when running from TypeScript sources (tests, `npm run cli`: the
 * `.ts` file runs through tsx) and from the electron-vite bundle (`out/main/<bundleName>.js`,
 * whether this module ended up in the entry file or in `out/main/chunks/`).
 */
export function resolveWorkerScript(callerUrl: string, sourceName: string, bundleName: string): WorkerScript {
  const callerFile = fileURLToPath(callerUrl);
  const callerDir = dirname(callerFile);
  if (callerFile.endsWith('.ts')) {
    // Node 20 workers do not inherit `--import tsx`: register tsx and the `*.wat?bytes` loader
    // (scripts/wat.mjs) inside the worker, then load the source.
    const tsxApi = pathToFileURL(join(dirname(createRequire(callerUrl).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
    const watLoader = new URL('../../scripts/wat-register.mjs', import.meta.url).href;
    const target = pathToFileURL(join(callerDir, sourceName)).href;
    const bootstrap = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(watLoader)}); await import(${JSON.stringify(target)});`;
    return { url: new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`) };
  }
  for (const dir of [callerDir, dirname(callerDir)]) {
    const candidate = join(dir, bundleName);
    if (existsSync(candidate)) return { url: pathToFileURL(candidate) };
  }
  throw new Error(`worker script ${bundleName} not found next to ${callerFile}`);
}

interface Pending<R> {
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

interface PoolWorker<R> {
  worker: Worker;
  pending: Map<number, Pending<R>>;
}

export class WorkerPool<T, R> {
  /** Tasks each worker is given at a time by default: one running, one waiting in its port. */
  static readonly IN_FLIGHT_PER_WORKER = 2;

  private readonly workers: PoolWorker<R>[] = [];
  private readonly queue: { id: number; task: T; pending: Pending<R> }[] = [];
  private nextId = 0;
  private closed = false;

  /**
   * `unrefWhenIdle`: for a long-lived pool that is never closed, idle workers do not keep the
   * process alive (they are referenced again while they have tasks).
   */
  constructor(
    script: WorkerScript,
    readonly size: number = availableParallelism(),
    private readonly inFlightPerWorker = WorkerPool.IN_FLIGHT_PER_WORKER,
    private readonly unrefWhenIdle = false,
  ) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn(script));
  }

  private spawn(script: WorkerScript): PoolWorker<R> {
    const worker = new Worker(script.url);
    if (this.unrefWhenIdle) worker.unref();
    const entry: PoolWorker<R> = { worker, pending: new Map() };
    worker.on('message', (message: { id: number; result: R }) => {
      const pending = entry.pending.get(message.id);
      if (!pending) return;
      entry.pending.delete(message.id);
      if (this.unrefWhenIdle && entry.pending.size === 0) worker.unref();
      pending.resolve(message.result);
      this.dispatch();
    });
    const failAll = (error: Error) => {
      for (const pending of entry.pending.values()) pending.reject(error);
      entry.pending.clear();
    };
    worker.on('error', (error) => failAll(error));
    worker.on('exit', (code) => {
      if (!this.closed) failAll(new Error(`a worker thread exited unexpectedly (code ${code})`));
    });
    return entry;
  }

  run(task: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const target = this.workers.reduce((best, w) => (w.pending.size < best.pending.size ? w : best));
      if (target.pending.size >= this.inFlightPerWorker) return;
      const item = this.queue.shift()!;
      target.pending.set(item.id, item.pending);
      if (this.unrefWhenIdle) target.worker.ref();
      target.worker.postMessage({ id: item.id, task: item.task });
    }
  }

  /** Drops queued tasks (their promises reject with `reason`); in-flight ones still finish. */
  clearQueue(reason: Error): void {
    for (const item of this.queue.splice(0)) item.pending.reject(reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearQueue(new Error('worker pool closed'));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
