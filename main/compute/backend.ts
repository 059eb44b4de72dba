/**
 * Picks the tfjs backend the engine trains on: native TensorFlow with CUDA, WebGPU on a hardware
 * adapter (webgpu.ts), native TensorFlow, WebAssembly (XNNPACK, SIMD, threads), then plain JavaScript — the first that loads, each
 * better one skipped with the reason it could not be used. An explicit choice that cannot be
 * used is an error, never a silent fallback.
 */
import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { registerStockWasm, registerThreadedWasm, useInstalledWasmFiles, wasmThreadsCount } from './backend-wasm';
import { loadBlas, type Blas } from './blas';
import { loadDnnl, type Dnnl } from './dnnl';
import { prepareSimdLoops, registerFastKernels, useBlasKernels, useDnnl } from './kernels';
import { BACKEND_NAMES, type BackendAvailability, type BackendInfo, type BackendName } from '../schema/backend';
import { probeGpu } from './gpu';
import { activateWebGpu, WebGpuUnavailable, webgpuDeviceLost } from './webgpu';

export { BACKEND_NAMES, type BackendAvailability, type BackendInfo, type BackendName } from '../schema/backend';

export interface BackendOptions {
  /** wasm only: XNNPACK threads. Default: the number of CPU cores, at most 8. 1 = the stock single-threaded build. */
  threads?: number;
  /**
   * wasm and cpu: compute conv layers and matmuls with the system's BLAS when one is found
   * (default true; the environment variable SER_BLAS_LIBRARY=none also turns it off, and a path
   * there picks the library).
   */
  blas?: boolean;
}

class Unavailable extends Error {}

const NATIVE_PACKAGES = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
} as const;

let current: { key: string; info: BackendInfo } | null = null;
let pending: { key: string; promise: Promise<BackendInfo> } | null = null;
let nativeLoaded: 'tensorflow-gpu' | 'tensorflow' | null = null;

/** The backend chosen by the last successful initBackend, if any. */
export function getBackendInfo(): BackendInfo | null {
  return current?.info ?? null;
}

function defaultThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, cores));
}

/**
 * Chooses and activates a backend. 'auto' takes the first that works in BACKEND_NAMES; a named
 * backend that cannot be used throws an Error saying why. Calling again with the same choice
 * returns the cached info at once.
 */
export async function initBackend(preference: BackendName | 'auto' = 'auto', options: BackendOptions = {}): Promise<BackendInfo> {
  const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  const blas = options.blas ?? true;
  const key = `${preference}/${threads}/${blas}`;
  const alive = current?.info.name !== 'webgpu' || webgpuDeviceLost() == null;
  if (current?.key === key && tf.getBackend() === current.info.tfBackend && alive) return current.info;
  if (pending?.key === key) return pending.promise;
  const promise = choose(preference, threads, blas).then((info) => {
    current = { key, info };
    return info;
  });
  pending = { key, promise };
  try {
    return await promise;
  } finally {
    if (pending?.promise === promise) pending = null;
  }
}

async function choose(preference: BackendName | 'auto', threads: number, blas: boolean): Promise<BackendInfo> {
  const candidates = preference === 'auto' ? BACKEND_NAMES : [preference];
  if (!BACKEND_NAMES.includes(candidates[0]!)) throw new Error(`unknown backend '${preference}'`);
  const skipped: BackendInfo['skipped'] = [];
  let gpu: BackendInfo['gpu'];
  if (candidates.includes('tensorflow-gpu')) gpu = await probeGpu();
  // A software adapter webgpu was skipped for: still named in the report.
  let refusedAdapter: BackendInfo['adapter'];
  for (const name of candidates) {
    try {
      const info = await activate(name, threads, blas, preference === name);
      if (name === 'tensorflow-gpu' && gpu && !gpu.found) {
        info.notes = [...(info.notes ?? []), `no usable CUDA GPU (${gpu.detail}): TensorFlow runs on the CPU`];
      }
      return { ...(refusedAdapter ? { adapter: refusedAdapter } : {}), ...info, skipped, ...(gpu ? { gpu } : {}) };
    } catch (error) {
      if (error instanceof WebGpuUnavailable && error.adapter) refusedAdapter = error.adapter;
      const reason = skipReason(error);
      if (preference !== 'auto') throw new Error(`backend '${name}' is not available: ${reason}`, { cause: error });
      skipped.push({ name, reason });
    }
  }
  throw new Error(`no backend could be started: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/**
 * Every backend, each started by name in turn: whether it works here, why not, and the adapter
 * webgpu found. Leaves the backend that was active before (if any) active again.
 */
export async function listBackends(options: BackendOptions = {}): Promise<BackendAvailability[]> {
  const previous = current;
  const list: BackendAvailability[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      const info = await initBackend(name, options);
      const software = info.adapter?.software === true;
      list.push({
        name,
        available: true,
        automatic: !software,
        ...(software ? { reason: 'software adapter: auto passes it over' } : {}),
        version: info.version,
        ...(info.adapter ? { adapter: info.adapter } : {}),
        ...(info.blas ? { blas: info.blas } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause ?? error;
      const adapter = cause instanceof WebGpuUnavailable ? cause.adapter : undefined;
      list.push({ name, available: false, automatic: false, reason: skipReason(cause), ...(adapter ? { adapter } : {}) });
    }
  }
  if (previous) {
    const [preference, threads, blas] = previous.key.split('/');
    await initBackend(preference as BackendName | 'auto', { threads: Number(threads), blas: blas === 'true' });
  }
  return list;
}

type Activated = Omit<BackendInfo, 'skipped' | 'gpu'>;

/** `named`: the backend was asked for by name (webgpu then also runs on a software adapter). */
async function activate(name: BackendName, threads: number, blas: boolean, named: boolean): Promise<Activated> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return activateNative(name);
    case 'webgpu': {
      const { adapter, version } = await activateWebGpu(named);
      const notes = adapter.software ? ['software adapter: a CPU emulation of a GPU, much slower than the wasm backend'] : [];
      return { name, tfBackend: tf.getBackend(), version, adapter, ...(notes.length > 0 ? { notes } : {}) };
    }
    case 'wasm':
      return { ...(await activateWasm(threads)), blas: setUpBlas(blas, threads) };
    case 'cpu':
      return { ...(await activateCpu()), blas: setUpBlas(blas, threads) };
  }
}

/** Turns the BLAS kernels (and oneDNN's kernels with them) on or off for the wasm and cpu backends and says which and why. */
function setUpBlas(wanted: boolean, threads: number): NonNullable<BackendInfo['blas']> {
  const library = process.env.SER_BLAS_LIBRARY;
  let blas: Blas | null = null;
  let dnnl: Dnnl | null = null;
  let result: NonNullable<BackendInfo['blas']>;
  if (!wanted) {
    result = { active: false, reason: 'turned off for this run' };
  } else if (library?.toLowerCase() === 'none') {
    result = { active: false, reason: 'turned off by SER_BLAS_LIBRARY=none' };
  } else {
    const loaded = loadBlas(threads, library || undefined);
    if ('blas' in loaded) {
      blas = loaded.blas;
      const convs = loadDnnl(threads);
      dnnl = 'dnnl' in convs ? convs.dnnl : null;
      result = {
        active: true,
        description: blas.description,
        library: blas.library,
        threads: blas.threads,
        ...(blas.core ? { core: blas.core } : {}),
        dnnl: dnnl
          ? { active: true, description: dnnl.description }
          : { active: false, reason: (convs as { unavailable: string }).unavailable },
      };
    } else {
      result = { active: false, reason: loaded.unavailable };
    }
  }
  useBlasKernels(blas);
  useDnnl(dnnl);
  return result;
}

async function activateNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<Activated> {
  const packageName = NATIVE_PACKAGES[name];
  // The two native packages register the same 'tensorflow' backend; only one can live in a process.
  if (nativeLoaded != null && nativeLoaded !== name) {
    throw new Unavailable(`${NATIVE_PACKAGES[nativeLoaded]} is already loaded in this process`);
  }
  let module: { version?: Record<string, string> };
  try {
    module = (await import(/* @vite-ignore */ packageName)) as typeof module;
  } catch (error) {
    if (isMissingPackage(error, packageName)) throw new Unavailable(`${packageName} is not installed`);
    throw new Unavailable(`${packageName} failed to load: ${messageOf(error)}`);
  }
  nativeLoaded = name;
  if (!(await tf.setBackend('tensorflow'))) throw new Unavailable(`${packageName} loaded but its backend did not start`);
  const version = module.version?.['tfjs-node'] ?? tf.version_core;
  return { name, tfBackend: tf.getBackend(), version: `${packageName} ${version}` };
}

/** How the 'wasm' factory is set up: the thread count asked for and what came of it. */
let wasmSetup: { requested: number; notes: string[] } | null = null;

async function activateWasm(threads: number): Promise<Activated> {
  if (wasmSetup?.requested !== threads) {
    // Replacing the factory disposes the old wasm backend (and every tensor on it).
    const notes: string[] = [];
    if (threads > 1) {
      registerThreadedWasm(threads);
      if (!(await tf.setBackend('wasm'))) {
        notes.push('the threaded wasm build did not start (see the log); using the single-threaded SIMD build');
        registerStockWasm();
        useInstalledWasmFiles();
      }
    } else {
      registerStockWasm();
      useInstalledWasmFiles();
    }
    wasmSetup = { requested: threads, notes };
  }
  if (!(await tf.setBackend('wasm'))) throw new Unavailable('the WebAssembly module did not start (see the log)');
  registerFastKernels('wasm');
  const notes = [...wasmSetup.notes];
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  if (!simd) notes.push('this runtime has no WebAssembly SIMD; the wasm backend runs several times slower');
  try {
    await prepareSimdLoops();
  } catch (error) {
    notes.push(
      `the SIMD loops (batch norm, pooling and ReLU gradients, im2col/col2im copies) could not be assembled (${messageOf(error)}); JavaScript loops run instead`,
    );
  }
  return {
    name: 'wasm',
    tfBackend: tf.getBackend(),
    threads: wasmThreadsCount(),
    version: `@tensorflow/tfjs-backend-wasm ${version_wasm}${simd ? ' (SIMD)' : ''}`,
    ...(notes.length > 0 ? { notes } : {}),
  };
}

async function activateCpu(): Promise<Activated> {
  if (!(await tf.setBackend('cpu'))) throw new Unavailable('the cpu backend did not start');
  registerFastKernels('cpu');
  return { name: 'cpu', tfBackend: tf.getBackend(), threads: 1, version: `@tensorflow/tfjs-backend-cpu ${tf.version_core}` };
}

/** Why a backend could not be used: its own explanation, or the load failure. */
function skipReason(error: unknown): string {
  return error instanceof Unavailable || error instanceof WebGpuUnavailable ? error.message : `failed to load: ${messageOf(error)}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when the import failed because the package itself is absent (not one of its parts). */
function isMissingPackage(error: unknown, packageName: string): boolean {
  const message = messageOf(error);
  const code = (error as { code?: string } | null)?.code;
  const namesPackage = message.includes(`'${packageName}'`) || message.includes(`"${packageName}"`);
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)|Failed to load url/.test(message)) &&
    namesPackage
  );
}
