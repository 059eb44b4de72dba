/**
 * Hand-written WebAssembly SIMD loops for the passes over activations that are neither BLAS
 * products nor stock kernels: batch-norm statistics and affine maps, the pooling and ReLU
 * gradients, and the im2col / col2im copies around the BLAS convs. They run on the wasm
 * backend's own memory, where its tensors live, so a kernel passes heap offsets and nothing is
 * copied. The module (simd-loops.wat, assembled into the bundle at build time) is compiled once
 * when the wasm backend starts; without it the kernels use their JavaScript loops.
 */
import * as tf from '@tensorflow/tfjs';
import sharedLoopsWasm from './simd-loops.wat?bytes';
import unsharedLoopsWasm from './simd-loops.wat?bytes&unshared';

/** The exported loops; every pointer is a byte offset into the backend's memory. */
export interface SimdLoops {
  centeredSums(a: number, ka: number, b: number, kb: number, pixels: number, channels: number, out: number): void;
  channelAffine(out: number, x: number, params: number, pixels: number, channels: number): void;
  gradAffine(out: number, x: number, dy: number, params: number, pixels: number, channels: number): void;
  reluGrad(out: number, x: number, dy: number, n: number): void;
  relu(out: number, x: number, n: number): void;
  /** toGrid 0: im2col (grid windows copied into rows); 1: col2im (rows added into the grid's windows). */
  patchRows(
    toGrid: number,
    grid: number,
    cols: number,
    images: number,
    outH: number,
    outW: number,
    kH: number,
    kW: number,
    h: number,
    w: number,
    channels: number,
  ): void;
  /** isMax 1: the max-pooling gradient; 0: the average-pooling one (x unused). */
  poolGrad(isMax: number, dx: number, x: number, dy: number, ...geometry: PoolGeometryArgs): void;
  /** One Adam step of n floats in float32 (see adam.ts for the rule). */
  adamStep(
    p: number,
    g: number,
    m: number,
    v: number,
    pOut: number,
    mOut: number,
    vOut: number,
    n: number,
    keep: number,
    l2: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    correction2: number,
    stepSize: number,
    eps: number,
  ): void;
  /** The max-pooling gradient for windows that tile the input (stride = window, no padding). */
  maxPoolGradDisjoint(
    dx: number,
    x: number,
    dy: number,
    batch: number,
    inH: number,
    inW: number,
    channels: number,
    outH: number,
    outW: number,
    filterH: number,
    filterW: number,
  ): void;
}

/** batch, inH, inW, channels, outH, outW, strideH, strideW, filterH, filterW, padTop, padLeft. */
export type PoolGeometryArgs = [number, number, number, number, number, number, number, number, number, number, number, number];

/** The loops work on whole groups of 4 channels (one f32x4). */
export const SIMD_LANES = 4;

interface Compiled {
  shared: WebAssembly.Module;
  unshared: WebAssembly.Module;
}

let compiled: Compiled | null = null;
let compiling: Promise<Compiled> | null = null;
let turnedOff = false;
const instances = new WeakMap<WebAssembly.Memory, SimdLoops>();

/** One module per kind of backend memory: the threaded backend's is shared, the single-threaded one's is not. */
async function compile(): Promise<Compiled> {
  const [shared, unshared] = await Promise.all([WebAssembly.compile(sharedLoopsWasm), WebAssembly.compile(unsharedLoopsWasm)]);
  return { shared, unshared };
}

/**
 * Compiles the loops (once). Rejects with the reason when this runtime cannot (no SIMD): the
 * caller reports it, and the kernels keep their JavaScript loops.
 */
export async function prepareSimdLoops(): Promise<void> {
  if (compiled != null) return;
  compiling ??= compile();
  try {
    compiled = await compiling;
  } catch (error) {
    compiling = null;
    throw error;
  }
}

/** Tests compare the SIMD loops with the JavaScript ones: false makes every kernel use the latter. */
export function useSimdLoops(on: boolean): void {
  turnedOff = !on;
}

/** The loops bound to this wasm backend's memory, or null (not compiled, turned off, or not wasm). */
export function simdLoopsFor(backend: tf.KernelBackend): SimdLoops | null {
  if (compiled == null || turnedOff) return null;
  // The threaded build (shared memory) exposes it as wasmMemory, the single-threaded one as an export.
  const module = (backend as { wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  const memory = module?.wasmMemory ?? module?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let loops = instances.get(memory);
  if (loops == null) {
    const loopsModule = memory.buffer instanceof SharedArrayBuffer ? compiled.shared : compiled.unshared;
    loops = new WebAssembly.Instance(loopsModule, { env: { memory } }).exports as unknown as SimdLoops;
    instances.set(memory, loops);
  }
  return loops;
}
