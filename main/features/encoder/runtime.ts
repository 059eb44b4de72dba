/**
 * onnxruntime-node, loaded on first use (it is an optional dependency with a native binary), and
 * its execution providers on this machine: the GPU ones this platform can have (CUDA on Linux and
 * Windows, DirectML on Windows, CoreML on macOS), each available or skipped with the reason, and
 * the CPU, always. Nothing is fetched: the package's CPU binary is what runs.
 */
import { createRequire } from 'node:module';

/** The part of onnxruntime-node the encoder uses (declared here: the package is optional). */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  dispose?(): void;
}
export interface OrtValueMetadata {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OrtValueMetadata[];
  readonly outputMetadata: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtSessionOptions {
  executionProviders: string[];
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}
export interface Ort {
  InferenceSession: { create(path: string, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: string, data: Float32Array | Uint16Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
  listSupportedBackends?: () => { name: string; bundled: boolean }[];
  env?: { versions?: { common?: string } };
}

const ORT_PACKAGE = 'onnxruntime-node';

let loaded: { ort: Ort; version: string } | { reason: string } | null = null;

/** onnxruntime-node and its version, or why it cannot be loaded here; loaded once. */
export function loadOnnxRuntime(): { ort: Ort; version: string } | { reason: string } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    const ort = require(ORT_PACKAGE) as Ort;
    const version = (require(`${ORT_PACKAGE}/package.json`) as { version: string }).version;
    loaded = { ort, version };
  } catch (err) {
    loaded = {
      reason: `onnxruntime-node cannot be loaded (${(err as Error).message.split('\n')[0]}): it is an optional dependency; install it with npm install onnxruntime-node`,
    };
  }
  return loaded;
}

/** The execution providers the encoder may run on, best first; cpu is always last. */
export type ExecutionProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';

export interface ExecutionProviderAvailability {
  name: ExecutionProviderName;
  available: boolean;
  /** Why it is skipped, or how it is used. */
  reason?: string;
  /** A provider of another platform (never one a session here could have used). */
  otherPlatform?: true;
}

/** The GPU providers of each platform, in the order they are tried. */
const PLATFORM_PROVIDERS: Record<Exclude<ExecutionProviderName, 'cpu'>, { platforms: NodeJS.Platform[]; title: string }> = {
  cuda: { platforms: ['linux', 'win32'], title: 'CUDA (Linux and Windows)' },
  dml: { platforms: ['win32'], title: 'DirectML (Windows)' },
  coreml: { platforms: ['darwin'], title: 'CoreML (macOS)' },
};

/** Each provider, available here or skipped with the reason (`ser backends` lists them). */
export function listExecutionProviders(platform: NodeJS.Platform = process.platform): ExecutionProviderAvailability[] {
  const runtime = loadOnnxRuntime();
  if ('reason' in runtime) {
    return [...(Object.keys(PLATFORM_PROVIDERS) as ExecutionProviderName[]), 'cpu' as const].map((name) => ({
      name,
      available: false,
      reason: runtime.reason,
    }));
  }
  const bundled = new Map((runtime.ort.listSupportedBackends?.() ?? []).map((b) => [b.name, b.bundled]));
  const gpus = (
    Object.entries(PLATFORM_PROVIDERS) as [Exclude<ExecutionProviderName, 'cpu'>, { platforms: NodeJS.Platform[]; title: string }][]
  ).map(([name, { platforms, title }]): ExecutionProviderAvailability => {
    if (!platforms.includes(platform)) return { name, available: false, reason: `${title} only`, otherPlatform: true };
    if (!bundled.has(name))
      return { name, available: false, reason: `this onnxruntime-node ${runtime.version} build has no ${name} provider` };
    if (!bundled.get(name))
      return {
        name,
        available: false,
        reason: `not installed: onnxruntime-node's install script downloads it (skipped here, e.g. ONNXRUNTIME_NODE_INSTALL=skip, or no network at install)`,
      };
    return { name, available: true, reason: 'tried first; the CPU takes over when the GPU or its libraries are missing' };
  });
  return [...gpus, { name: 'cpu', available: true, reason: `onnxruntime-node ${runtime.version}` }];
}
