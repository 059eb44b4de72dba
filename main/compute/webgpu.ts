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
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
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
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
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
