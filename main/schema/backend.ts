/** The tfjs backends and what the engine reports about the one in use (plain data). */

import type { BackendName } from './names';

export { BACKEND_NAMES, type BackendName } from './names';

/** The WebGPU adapter Dawn offers (reported by the webgpu backend, and with why it was skipped). */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU emulation (SwiftShader, llvmpipe, WARP...): correct but slow, never chosen automatically. */
  software: boolean;
}

/** One backend as `backends` lists it: whether it starts here, and if not why. */
export interface BackendAvailability {
  name: BackendName;
  available: boolean;
  /** Whether 'auto' may choose it (webgpu on a software adapter is available, but only by name). */
  automatic: boolean;
  /** Why it is unavailable, or why auto passes it over. */
  reason?: string;
  version?: string;
  adapter?: GpuAdapterInfo;
  /** wasm and cpu: the BLAS they would compute with, as in BackendInfo. */
  blas?: BackendInfo['blas'];
}

export interface BackendInfo {
  name: BackendName;
  /** tf.getBackend() once chosen. */
  tfBackend: string;
  /** Every better backend that was tried first, and why it was not used. */
  skipped: { name: BackendName; reason: string }[];
  /** Whether a CUDA GPU is visible (reported when tensorflow-gpu was considered). */
  gpu?: { found: boolean; detail: string };
  /** webgpu: the adapter it runs on; when webgpu was skipped for a software adapter, that adapter. */
  adapter?: GpuAdapterInfo;
  /** Worker threads the backend computes with (wasm: XNNPACK's pool; cpu: 1). */
  threads?: number;
  /** The package (and version) that provides the backend. */
  version: string;
  /**
   * wasm and cpu: whether an optimised BLAS computes the conv layers and matmuls (much faster
   * than XNNPACK's 128-bit SIMD), and which; or why not.
   */
  blas?:
    | {
        active: true;
        description: string;
        library: string;
        threads: number | null;
        /** OpenBLAS: the core (kernel set) it computes with and why that one. */
        core?: { name: string; reason: string };
        /** Whether oneDNN computes the convs (and their gradients), training batch norm and pooling instead, and which; or why not. */
        dnnl?: { active: true; description: string } | { active: false; reason: string };
      }
    | { active: false; reason: string };
  /** Anything worth telling the user about how the backend was set up. */
  notes?: string[];
}
