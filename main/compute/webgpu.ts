/**
 * The webgpu backend: tfjs-backend-webgpu on Dawn, through the `webgpu` package (Metal on macOS,
 * D3D12 on Windows, Vulkan on Linux; its native binary ships inside the package).
 *
 * Chosen automatically only for a hardware adapter: a software one (SwiftShader, llvmpipe, WARP)
 * is a CPU emulation, slower than the wasm backend, so it is skipped with that reason unless the
 * backend is asked for by name (the tests do that). Node has no OffscreenCanvas, so tfjs's
 * synchronous read (dataSync) cannot work here; the engine reads tensors with `await data()`.
 * A lost device, or a GPU error nobody caught (an invalid pipeline computes garbage), fails every
 * later read with the reason instead of leaving it waiting or letting a wrong number through.
 *
 * Dawn and the Vulkan loader write straight to the process's stderr while they look for adapters
 * (libwayland's "XDG_RUNTIME_DIR is invalid or not set", Dawn warnings about drivers it refuses,
 * with source paths of the machine it was built on). So the adapter is first looked for in a child
 * process whose stderr is captured: Dawn loads here only when that adapter will be used, and what
 * it said about a refused driver goes into the backend report's reason instead of the terminal.
 */
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { BackendValues } from '@tensorflow/tfjs-core';
import type { GpuAdapterInfo } from '../schema/backend';
import { registerWebGpuKernels } from './kernels/webgpu';

/** The backend cannot be used; `adapter` is set when one was found but refused. */
export class WebGpuUnavailable extends Error {
  constructor(
    message: string,
    readonly adapter?: GpuAdapterInfo,
  ) {
    super(message);
  }
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** Whether an adapter is a CPU emulation: Dawn's fallback flag, or a known software driver's name. */
export function isSoftwareAdapter(info: Omit<GpuAdapterInfo, 'software'>, isFallbackAdapter: boolean): boolean {
  return isFallbackAdapter || SOFTWARE_ADAPTER.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

/** Says in one line which adapter this is. */
export function describeAdapter(adapter: GpuAdapterInfo): string {
  const parts = [adapter.vendor, adapter.architecture, adapter.description || adapter.device].filter((part) => part.length > 0);
  return `${parts.join(' / ') || 'unnamed adapter'}${adapter.software ? ' (software adapter)' : ''}`;
}

/** Why no adapter was found, with the Vulkan loader's setting on Linux (where it decides what Dawn sees). */
export function noAdapterReason(platform: string, env: NodeJS.ProcessEnv): string {
  if (platform !== 'linux') return 'Dawn found no WebGPU adapter (no GPU driver it accepts)';
  const icd = env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES;
  return icd
    ? `Dawn found no WebGPU adapter with the Vulkan driver VK_ICD_FILENAMES names (${icd})`
    : 'Dawn found no WebGPU adapter: no Vulkan GPU driver it accepts, and VK_ICD_FILENAMES is not set (point it at a Vulkan ICD, e.g. /usr/lib/chromium/vk_swiftshader_icd.json for the software adapter)';
}

type WebGpuModule = typeof import('webgpu');
type BackendModule = typeof import('@tensorflow/tfjs-backend-webgpu');

let gpuPromise: Promise<GPU> | null = null;

/** Loads Dawn once per process and puts its GPU* globals (buffer usage flags etc.) where tfjs looks. */
function loadGpu(): Promise<GPU> {
  gpuPromise ??= (async () => {
    let module: WebGpuModule;
    try {
      module = await import('webgpu');
    } catch (error) {
      throw new WebGpuUnavailable(`the webgpu package (Dawn) failed to load: ${messageOf(error)}`);
    }
    Object.assign(globalThis, module.globals);
    return module.create([]);
  })();
  return gpuPromise;
}

interface Adapter {
  adapter: GPUAdapter;
  info: GpuAdapterInfo;
}

/** The adapter Dawn offers (high-performance preference), or throws WebGpuUnavailable saying why none. */
export async function requestAdapter(): Promise<Adapter> {
  const gpu = await loadGpu();
  const adapter = await withoutWaylandComplaint(() => gpu.requestAdapter({ powerPreference: 'high-performance' }));
  if (adapter == null) throw new WebGpuUnavailable(noAdapterReason(process.platform, process.env));
  const raw = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const named = {
    vendor: raw.vendor ?? '',
    architecture: raw.architecture ?? '',
    device: raw.device ?? '',
    description: raw.description ?? '',
  };
  const fallback = raw.isFallbackAdapter === true || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return { adapter, info: { ...named, software: isSoftwareAdapter(named, fallback) } };
}

/**
 * libwayland (loaded by Vulkan drivers) prints an error when XDG_RUNTIME_DIR is unset, though no
 * display is needed. Any absolute path quiets it; it is set only while the adapters are enumerated.
 */
async function withoutWaylandComplaint<T>(enumerate: () => Promise<T>): Promise<T> {
  if (process.platform !== 'linux' || process.env.XDG_RUNTIME_DIR?.startsWith('/')) return enumerate();
  const before = process.env.XDG_RUNTIME_DIR;
  process.env.XDG_RUNTIME_DIR = '/nonexistent-xdg-runtime-dir';
  try {
    return await enumerate();
  } finally {
    if (before === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = before;
  }
}

/** Run by `node -e` in the probe's child: the adapter's names as one JSON line, or null. */
const PROBE_SCRIPT = `
const { create, globals } = await import(process.argv[1]);
Object.assign(globalThis, globals);
const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const info = adapter?.info;
const text = (value) => (typeof value === 'string' ? value : '');
process.stdout.write(JSON.stringify(adapter == null ? null : {
  vendor: text(info.vendor), architecture: text(info.architecture), device: text(info.device), description: text(info.description),
  fallback: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
}) + '\\n');
process.exit(0);
`;

const PROBE_TIMEOUT_MS = 30_000;

let probePromise: Promise<GpuAdapterInfo> | null = null;

/**
 * The adapter Dawn would offer, found in a child process so that nothing Dawn or the drivers print
 * reaches this process's stderr; throws WebGpuUnavailable saying why there is none. Once per process.
 */
export function probeAdapterQuietly(): Promise<GpuAdapterInfo> {
  probePromise ??= runProbe();
  return probePromise;
}

async function runProbe(): Promise<GpuAdapterInfo> {
  let entry: string;
  try {
    entry = pathToFileURL(requireFromHere.resolve('webgpu')).href;
  } catch (error) {
    throw new WebGpuUnavailable(`the webgpu package (Dawn) failed to load: ${messageOf(error)}`);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
  if (process.platform === 'linux' && !env.XDG_RUNTIME_DIR?.startsWith('/')) env.XDG_RUNTIME_DIR = '/nonexistent-xdg-runtime-dir';
  const { stdout, stderr, failure } = await new Promise<{ stdout: string; stderr: string; failure: string | null }>((done) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', PROBE_SCRIPT, entry],
      { env, timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024, windowsHide: true },
      (error, out, err) => done({ stdout: out, stderr: err, failure: error ? messageOf(error) : null }),
    );
  });
  const said = dawnSaid(stderr);
  const found = failure ? undefined : parseProbe(stdout);
  if (found === undefined) {
    throw new WebGpuUnavailable(`the webgpu package (Dawn) failed to load: ${said ?? failure ?? 'the adapter probe printed nothing'}`);
  }
  if (found === null) throw new WebGpuUnavailable(`${noAdapterReason(process.platform, process.env)}${said ? ` (Dawn: ${said})` : ''}`);
  const { fallback, ...named } = found;
  return { ...named, software: isSoftwareAdapter(named, fallback) };
}

interface ProbedAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  fallback: boolean;
}

/** The probe's last stdout line: the adapter, null for none, undefined when it is not the probe's JSON. */
function parseProbe(stdout: string): ProbedAdapter | null | undefined {
  try {
    const value = JSON.parse(stdout.trim().split('\n').pop() ?? '') as unknown;
    if (value === null) return null;
    return typeof value === 'object' && typeof (value as ProbedAdapter).fallback === 'boolean' ? (value as ProbedAdapter) : undefined;
  } catch {
    return undefined;
  }
}

/** Dawn's first warning or error in a probe's stderr, in one line without its source location. */
export function dawnSaid(stderr: string): string | null {
  const lines = stderr.split('\n').map((line) => line.trim());
  const start = lines.findIndex((line) => /^(warning|error):/i.test(line) && !/XDG_RUNTIME_DIR/.test(line));
  if (start < 0) return null;
  const detail = [lines[start]!.replace(/^(warning|error):\s*/i, '')];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('- ')) break;
    detail.push(line.slice(2));
  }
  return detail.map((part, i) => (i === 0 ? part : part.charAt(0).toLowerCase() + part.slice(1)).replace(/\.$/, '')).join(', ');
}

interface Session {
  device: GPUDevice;
  adapter: GpuAdapterInfo;
  /** Set once the device is lost: why. */
  lost: string | null;
  /** The first GPU error no error scope caught. */
  error: string | null;
}

let session: Session | null = null;

/** The device the webgpu backend runs on, while it is alive (tests destroy it to check the loss path). */
export function webgpuDevice(): GPUDevice | null {
  return session && session.lost == null ? session.device : null;
}

/** Why the current device was lost, or null. */
export function webgpuDeviceLost(): string | null {
  return session?.lost ?? null;
}

export interface WebGpuActivation {
  adapter: GpuAdapterInfo;
  version: string;
}

/**
 * Activates the webgpu backend. Without `allowSoftware` a software adapter is refused (with the
 * adapter named). Reuses the live device; after a loss it starts over on a new one.
 */
export async function activateWebGpu(allowSoftware: boolean): Promise<WebGpuActivation> {
  const backendModule = await loadBackendModule();
  if (session != null && session.lost == null) {
    if (session.adapter.software && !allowSoftware) throw softwareRefused(session.adapter);
    if (!(await tf.setBackend('webgpu'))) throw new WebGpuUnavailable('the webgpu backend did not start (see the log)');
    return { adapter: session.adapter, version: VERSION() };
  }
  // Dawn is loaded into this process only for an adapter that will be used.
  if (gpuPromise == null) {
    const probed = await probeAdapterQuietly();
    if (probed.software && !allowSoftware) throw softwareRefused(probed);
  }
  const { adapter, info } = await requestAdapter();
  if (info.software && !allowSoftware) throw softwareRefused(info);
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  const current: Session = { device, adapter: info, lost: null, error: null };
  device.addEventListener('uncapturederror', (event) => {
    current.error ??= `a WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message.split('\n')[0]}`;
  });
  // One shared rejection that every read races against; handled here so a loss with no read
  // in flight is not an unhandled rejection.
  const lostError = device.lost.then((lost) => {
    current.lost = `the WebGPU device was lost (${lost.reason}${lost.message ? `: ${lost.message}` : ''})`;
    throw new Error(current.lost);
  });
  lostError.catch(() => undefined);
  session = current;

  // tfjs checks navigator.gpu when it builds the backend. Installed only now, after the module's
  // own import-time registration was skipped, so tfjs never asks for an adapter by itself.
  installNavigatorGpu(await loadGpu());
  registerWebGpuKernels();
  const Backend = dawnBackendClass(backendModule, current, lostError);
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new Backend(device, adapter.info), 0);
  if (!(await tf.setBackend('webgpu'))) throw new WebGpuUnavailable('the webgpu backend did not start (see the log)');
  return { adapter: info, version: VERSION() };
}

function softwareRefused(adapter: GpuAdapterInfo): WebGpuUnavailable {
  return new WebGpuUnavailable(
    `only a software adapter was found (${describeAdapter(adapter)}): slower than the CPU backends, used only when webgpu is chosen by name`,
    adapter,
  );
}

let backendModulePromise: Promise<BackendModule> | null = null;

function loadBackendModule(): Promise<BackendModule> {
  backendModulePromise ??= import('@tensorflow/tfjs-backend-webgpu').catch((error: unknown) => {
    backendModulePromise = null;
    throw new WebGpuUnavailable(`@tensorflow/tfjs-backend-webgpu failed to load: ${messageOf(error)}`);
  });
  return backendModulePromise;
}

const requireFromHere = createRequire(import.meta.url);

function versionOf(name: string): string {
  try {
    return (requireFromHere(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown version';
  }
}

const VERSION = () =>
  `@tensorflow/tfjs-backend-webgpu ${versionOf('@tensorflow/tfjs-backend-webgpu')} on Dawn (webgpu ${versionOf('webgpu')})`;

function installNavigatorGpu(gpu: GPU): void {
  const holder = globalThis as { navigator?: { gpu?: GPU } };
  if (holder.navigator == null) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else if (holder.navigator.gpu !== gpu) {
    Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
}

/** tfjs's WebGPUBackend with reads that fail (never wait) once the device is lost. */
function dawnBackendClass(module: BackendModule, current: Session, lostError: Promise<never>) {
  return class DawnBackend extends module.WebGPUBackend {
    override async read(dataId: object): Promise<BackendValues> {
      if (current.lost != null) throw new Error(current.lost);
      const values = await Promise.race([super.read(dataId), lostError]);
      if (current.error != null) throw new Error(current.error);
      return values;
    }

    override readSync(dataId: object): BackendValues {
      const data = this.tensorMap.get(dataId);
      if (data?.values != null) return data.values;
      throw new Error('the webgpu backend cannot read tensors synchronously in Node (dataSync): read them with await data()');
    }
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
