/** The active tfjs backend in words: what runs, on what, and why nothing better was used. */
import type { BackendInfo } from '../../../main/api/contract';

export interface BackendDescription {
  /** Short badge text, e.g. "wasm · CPU, 2 threads". */
  badge: string;
  /** The full name, e.g. "wasm (tfjs wasm, 2 threads, @tensorflow/tfjs-backend-wasm 4.22.0)". */
  title: string;
  /** 'gpu' only when a GPU is really in use. */
  device: 'gpu' | 'cpu';
  /** One line per fact the user should know (skipped backends, missing libraries). */
  details: string[];
}

/** What tfjs-node-gpu 4.22 needs to use a GPU (it falls back to the CPU silently without them). */
export const GPU_REQUIREMENTS = 'tfjs-node-gpu 4.22 needs an NVIDIA driver with CUDA 11.2 and cuDNN 8.1 libraries on the library path';

/** A WebGPU adapter in words: its description (or device), vendor and architecture. */
function adapterText(adapter: NonNullable<BackendInfo['adapter']>): string {
  const name = adapter.description || adapter.device || 'unnamed adapter';
  const maker = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ');
  return `${name}${maker ? ` (${maker})` : ''}${adapter.software ? ', software adapter' : ''}`;
}

export function describeBackend(info: BackendInfo): BackendDescription {
  const onWebGpu = info.name === 'webgpu' && info.adapter !== undefined;
  const onGpu = (info.name === 'tensorflow-gpu' && info.gpu?.found === true) || (onWebGpu && !info.adapter!.software);
  const device = onGpu ? 'gpu' : 'cpu';
  const threads = info.threads && info.threads > 1 ? `, ${info.threads} threads` : '';
  const details = info.skipped.map((skip) => `${skip.name} not used: ${skip.reason}`);
  if (info.gpu && !info.gpu.found) details.push(`no usable GPU: ${info.gpu.detail}. ${GPU_REQUIREMENTS}.`);
  if (info.name === 'tensorflow-gpu' && !info.gpu?.found) details.push('tensorflow-gpu is loaded but computes on the CPU');
  if (info.adapter && info.name !== 'webgpu') details.push(`WebGPU adapter passed over: ${adapterText(info.adapter)}`);
  if (info.blas && !info.blas.active) details.push(`no BLAS for the conv layers (slower training): ${info.blas.reason}`);
  if (info.blas?.active && info.blas.core) details.push(`BLAS core ${info.blas.core.name}: ${info.blas.core.reason}`);
  if (info.blas?.active && info.blas.dnnl?.active === false) details.push(`convs on the BLAS, not oneDNN: ${info.blas.dnnl.reason}`);
  for (const note of info.notes ?? []) details.push(note);
  const parts = [`tfjs ${info.tfBackend}`];
  if (onWebGpu) parts.push(adapterText(info.adapter!));
  if (info.threads !== undefined) parts.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  if (info.version) parts.push(info.version);
  if (info.blas?.active && info.blas.dnnl?.active) parts.push(`${info.blas.dnnl.description} for conv layers, batch norm and pooling`);
  if (info.blas?.active) parts.push(`${info.blas.dnnl?.active ? 'matmuls' : 'conv layers and matmuls'} on ${info.blas.description}`);
  const on = onWebGpu ? (info.adapter!.software ? 'software GPU' : 'GPU') : onGpu ? 'GPU' : `CPU${threads}`;
  return { badge: `${info.name} · ${on}`, title: `${info.name} (${parts.join(', ')})`, device, details };
}
