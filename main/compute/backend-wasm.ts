/**
 * Loading the tfjs WebAssembly backend under Node, single- or multi-threaded.
 *
 * As shipped, tfjs-backend-wasm never uses threads under Node: its feature flag
 * WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false there (tensorflow/tfjs#3830), its
 * threaded loader hands Emscripten a Blob URL for the pthread worker script, which Node's
 * worker_threads cannot start, and the C++ side caps XNNPACK's pool at
 * `emscripten_num_logical_cores() / 2` threads (one thread on a 2-core machine). The threaded
 * SIMD build itself works under Node. `loadThreadedWasm` starts it with what Node needs: the
 * worker script as a real file, the main script's file path for the workers' importScripts, and
 * a core count that lets the pool have the requested number of threads.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const requireFromHere = createRequire(import.meta.url);

/** The folder of the installed @tensorflow/tfjs-backend-wasm package. */
export function wasmPackageDir(): string {
  return path.dirname(requireFromHere.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** Points the stock loader at the .wasm files of the installed package (works from source, bundle and CLI). */
export function useInstalledWasmFiles(): void {
  setWasmPaths(path.join(wasmPackageDir(), 'dist') + path.sep);
}

/** The subset of the Emscripten module object that this loader touches. */
interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  tfjs?: Record<string, (...args: number[]) => number>;
  PThread: { runningWorkers: { unref(): void }[] };
}

type EmscriptenFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

interface WasmImports {
  env: Record<string, unknown>;
}

/** The one WebAssembly call we need (this project's TS lib has no DOM/WebAssembly typings). */
const webAssembly = (
  globalThis as unknown as {
    WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: object; module: object }> };
  }
).WebAssembly;

/** Writes the pthread worker script to a file Node can start (once per content, atomically). */
function writeWorkerScript(contents: string): string {
  // The package stores the script in a template literal, so "\n" escapes inside its string
  // literals arrive as real newlines; the stock browser loader re-escapes them the same way.
  const script = contents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `ser-tfjs-wasm-pthread-${hash}.cjs`);
  if (!fs.existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, script);
    fs.renameSync(partial, file);
  }
  return file;
}

/**
 * Registers the 'wasm' backend factory so that it starts the threaded SIMD build with
 * `threads` XNNPACK threads. Must run before the backend is first set.
 */
export function registerThreadedWasm(threads: number): void {
  const dir = wasmPackageDir();
  const mainScript = path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const binaryFile = path.join(dir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm');
  const factory = requireFromHere(mainScript) as EmscriptenFactory;
  const { wasmWorkerContents } = requireFromHere(path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };

  const load = async (): Promise<BackendWasm> => {
    const workerScript = writeWorkerScript(wasmWorkerContents);
    const binary = fs.readFileSync(binaryFile);
    const module = await new Promise<EmscriptenModule>((resolve, reject) => {
      factory({
        locateFile: (file: string) => (file.endsWith('.worker.js') ? workerScript : path.join(dir, 'dist', file)),
        mainScriptUrlOrBlob: mainScript,
        onAbort: (what: unknown) => reject(new Error(`threaded wasm aborted: ${String(what)}`)),
        instantiateWasm: (imports: WasmImports, receive: (instance: object, module: object) => void) => {
          // The C++ side sizes its pool as min(requested, cores / 2); report enough cores.
          imports.env.emscripten_num_logical_cores = () => threads * 2;
          webAssembly.instantiate(binary, imports).then((result) => receive(result.instance, result.module), reject);
          return {};
        },
      }).then(resolve, reject);
    });
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    setThreadsCount(threads);
    const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
    // Emscripten refs a worker while its pthread runs; XNNPACK's pool threads run (idle) for the
    // backend's whole life and would keep Node from ever exiting.
    for (const worker of module.PThread.runningWorkers) worker.unref();
    return backend;
  };

  replaceWasmFactory(load);
}

let stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null = null;

function replaceWasmFactory(factory: () => tf.KernelBackend | Promise<tf.KernelBackend>): void {
  const current = tf.findBackendFactory('wasm');
  if (stockFactory == null) stockFactory = current;
  if (current != null) tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
}

/** Puts back the package's own (single-threaded under Node) 'wasm' factory. */
export function registerStockWasm(): void {
  if (stockFactory != null) replaceWasmFactory(stockFactory);
}

/** Threads the active wasm backend runs XNNPACK with (1 for the single-threaded builds). */
export function wasmThreadsCount(): number {
  return getThreadsCount();
}
