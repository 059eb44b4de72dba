/**
 * An optimised BLAS (OpenBLAS, MKL, BLIS or Apple Accelerate) reached through the koffi FFI.
 *
 * WebAssembly SIMD is 128 bits wide, so XNNPACK tops out near 65 GFLOP/s on two cores here, while
 * OpenBLAS's AVX2 sgemm does about 165: the conv layers of a CNN train ~2.5x faster through it.
 * Nothing is compiled: koffi ships prebuilt binaries and the BLAS is the system's shared
 * library. When either is missing the engine keeps training on XNNPACK and says why.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { chooseCore, type BlasCore, type CoreChoice } from './blas-core';

/** Column/row-major and transpose codes of the CBLAS interface. */
const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

export interface Blas {
  /** What was loaded, for the backend report: "OpenBLAS 0.3.21 (Haswell)". */
  description: string;
  /** The shared library file. */
  library: string;
  /** Threads the library computes with (null when it does not say). */
  threads: number | null;
  /** OpenBLAS: the core (kernel set) it computes with and why that one. */
  core?: BlasCore;
  /**
   * Row-major C = alpha·op(A)·op(B) + beta·C, where op(A) is [m × k] and op(B) is [k × n].
   * The arrays may be views (subarrays) of any buffer, shared ones included.
   */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
}

export type BlasResult = { blas: Blas } | { unavailable: string };

/** The libraries tried, best first, when SER_BLAS_LIBRARY does not name one. */
export function candidateLibraries(): string[] {
  switch (os.platform()) {
    case 'darwin':
      return ['/System/Library/Frameworks/Accelerate.framework/Accelerate', 'libopenblas.dylib'];
    case 'win32':
      return ['libopenblas.dll', 'openblas.dll', 'mkl_rt.2.dll'];
    default:
      return ['libopenblas.so.0', 'libopenblas.so', 'libmkl_rt.so.2', 'libmkl_rt.so', 'libblis.so.4'];
  }
}

/** How to get a BLAS on this platform, for the "not found" message. */
function installHint(): string {
  switch (os.platform()) {
    case 'win32':
      return 'put OpenBLAS (libopenblas.dll) on the PATH or set SER_BLAS_LIBRARY';
    case 'darwin':
      return 'Accelerate should always be present; set SER_BLAS_LIBRARY to another library';
    default:
      return 'install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0) or set SER_BLAS_LIBRARY';
  }
}

interface KoffiLibrary {
  func(signature: string): (...args: unknown[]) => unknown;
}

interface Koffi {
  load(path: string): KoffiLibrary;
}

const requireFromHere = createRequire(import.meta.url);

function loadKoffi(): Koffi | string {
  try {
    return requireFromHere('koffi') as Koffi;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND') return 'the koffi package (optional dependency) is not installed';
    return `the koffi package failed to load: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Sets a variable the BLAS reads as it loads. A worker thread's process.env is its own copy that
 * native code never sees, so there the process's environment is set through the C library too.
 */
export function setLibraryEnv(koffi: Koffi, name: string, value: string): void {
  process.env[name] = value;
  if (isMainThread) return;
  const libc = { linux: 'libc.so.6', darwin: 'libSystem.B.dylib' }[os.platform() as string];
  if (!libc) return;
  try {
    koffi.load(libc).func('int setenv(const char *name, const char *value, int overwrite)')(name, value, 1);
  } catch {
    // Not glibc (musl, another libc): the library then loads with its own defaults.
  }
}

/** A function of the library, or null when it does not export it. */
function optionalFunc(lib: KoffiLibrary, signature: string): ((...args: unknown[]) => unknown) | null {
  try {
    return lib.func(signature);
  } catch {
    return null;
  }
}

let cached: { key: string; result: BlasResult } | null = null;

/** The core is chosen once per process: OpenBLAS reads OPENBLAS_CORETYPE only when it loads. */
let coreChoice: { key: string; choice: CoreChoice } | null = null;

function coreFor(names: string[]): CoreChoice {
  const key = names.join('\n');
  if (coreChoice?.key !== key) coreChoice = { key, choice: chooseCore(names) };
  return coreChoice.choice;
}

/**
 * Loads the BLAS once per (library, threads). `threads` caps the library's thread pool (OpenBLAS,
 * MKL); Accelerate manages its own.
 */
export function loadBlas(threads: number, library = process.env.SER_BLAS_LIBRARY): BlasResult {
  const key = `${library ?? ''}/${threads}`;
  if (cached?.key === key) return cached.result;
  const result = openBlas(threads, library);
  cached = { key, result };
  return result;
}

function openBlas(threads: number, library: string | undefined): BlasResult {
  const koffi = loadKoffi();
  if (typeof koffi === 'string') return { unavailable: koffi };
  // OpenBLAS's idle threads spin for a long time after each call, stealing a core from the
  // JavaScript and XNNPACK work between the matmuls; make them sleep soon. Read when it loads.
  if (process.env.OPENBLAS_THREAD_TIMEOUT === undefined) setLibraryEnv(koffi, 'OPENBLAS_THREAD_TIMEOUT', '4');
  const names = library ? [library] : candidateLibraries();
  const core = coreFor(names);
  if (core.unusable) return { unavailable: core.unusable };
  if (core.coreType) setLibraryEnv(koffi, 'OPENBLAS_CORETYPE', core.coreType);
  const failures: string[] = [];
  for (const name of names) {
    let lib: KoffiLibrary;
    try {
      lib = koffi.load(name);
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      continue;
    }
    const sgemm = optionalFunc(
      lib,
      'void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)',
    );
    if (sgemm == null) {
      failures.push(`${name}: has no cblas_sgemm`);
      continue;
    }
    return { blas: wrap(lib, name, sgemm, threads, core) };
  }
  if (library) return { unavailable: `SER_BLAS_LIBRARY=${library} could not be used (${failures.join('; ')})` };
  return { unavailable: `no BLAS library found (${installHint()})` };
}

function wrap(lib: KoffiLibrary, library: string, sgemm: (...args: unknown[]) => unknown, threads: number, choice: CoreChoice): Blas {
  const openblasThreads = optionalFunc(lib, 'void openblas_set_num_threads(int n)');
  const openblasConfig = optionalFunc(lib, 'const char *openblas_get_config()');
  const openblasCore = optionalFunc(lib, 'const char *openblas_get_corename()');
  const mklThreads = optionalFunc(lib, 'int MKL_Set_Num_Threads_Local(int n)');
  let poolThreads: number | null = null;
  if (openblasThreads) {
    openblasThreads(threads);
    poolThreads = threads;
  } else if (mklThreads) {
    mklThreads(threads);
    poolThreads = threads;
  }
  let description = library.includes('Accelerate') ? 'Apple Accelerate' : library;
  let core: BlasCore | undefined;
  if (openblasConfig) {
    const version = /OpenBLAS\s+([\d.]+)/.exec(String(openblasConfig()))?.[1];
    const name = openblasCore ? String(openblasCore()) : '';
    description = `OpenBLAS${version ? ` ${version}` : ''}${name ? ` (${name})` : ''}`;
    if (name) core = { name, reason: coreReason(name, choice) };
  } else if (mklThreads) {
    description = 'Intel MKL';
  }
  return {
    description,
    library,
    threads: poolThreads,
    ...(core ? { core } : {}),
    sgemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc) {
      sgemm(
        CBLAS_ROW_MAJOR,
        transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
        transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
        m,
        n,
        k,
        1,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
      );
    },
  };
}

/** Why the library runs `name`; says so when a core asked for did not take. */
function coreReason(name: string, choice: CoreChoice): string {
  const reason = choice.reason ?? "OpenBLAS's own choice";
  const asked = choice.coreType ?? process.env.OPENBLAS_CORETYPE;
  if (asked && asked.toLowerCase() !== name.toLowerCase()) return `${reason}; asked for ${asked}, OpenBLAS runs ${name}`;
  return reason;
}
