/**
 * Running kernels from inside a kernel: the composite kernels in this folder call the backend's
 * own registered kernels directly (no engine, no tape) and touch float32 data in place, so all
 * their work stays inside the backend. Every TensorInfo they create is theirs to dispose.
 */
import * as tf from '@tensorflow/tfjs';
import { SIMD_LANES, simdLoopsFor, type SimdLoops } from './simd-loops';

export type FastBackendName = 'wasm' | 'cpu';

type KernelFunc = tf.KernelConfig['kernelFunc'];

/** Kernels we replaced, kept so composites (and tests) can still call the originals. */
const originals = new Map<string, KernelFunc>();

function key(kernelName: string, backendName: string): string {
  return `${backendName}/${kernelName}`;
}

export function rememberOriginal(kernelName: string, backendName: string, kernelFunc: KernelFunc): void {
  if (!originals.has(key(kernelName, backendName))) originals.set(key(kernelName, backendName), kernelFunc);
}

/** The kernel as tfjs shipped it, even after we replaced it; undefined where none shipped. */
export function originalKernel(kernelName: string, backendName: string): KernelFunc | undefined {
  return originals.get(key(kernelName, backendName)) ?? tf.getKernel(kernelName, backendName)?.kernelFunc;
}

/** What the wasm backend exposes that we use (its class is not typed for this). */
interface WasmBackendLike extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

interface CpuBackendLike extends tf.KernelBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo;
  data: { get(dataId: tf.DataId): { values: tf.TypedArray } };
}

/** The kernel registered for this backend right now (ours, or the stock one): a wrapping kernel's fallback. */
export function previousKernel(kernelName: string, backendName: FastBackendName): KernelFunc {
  const kernel = tf.getKernel(kernelName, backendName);
  if (kernel == null) throw new Error(`kernel ${kernelName} is not registered for backend ${backendName}`);
  return kernel.kernelFunc;
}

/** Whether the active backend has kernel `kernelName` (our kernels exist on wasm and cpu only; elsewhere ops do the work). */
export function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) != null;
}

/** float32, int32 or bool tensor data. */
export type Values = Float32Array | Int32Array | Uint8Array;

export class KernelRunner {
  constructor(
    readonly backend: tf.KernelBackend,
    readonly backendName: FastBackendName,
  ) {}

  /**
   * The SIMD loops on this backend's memory (wasm, once assembled), or null. They take heap
   * offsets: the byteOffset of a `read` or `create` view. With `lanes`, null also unless that
   * count (channels, or elements) fills whole f32x4 lane groups, as the vector loops need.
   */
  simd(lanes?: number): SimdLoops | null {
    if (lanes != null && lanes % SIMD_LANES !== 0) return null;
    return this.backendName === 'wasm' ? simdLoopsFor(this.backend) : null;
  }

  /** Runs the stock kernel `kernelName` of this backend. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernelFunc = originalKernel(kernelName, this.backendName);
    if (kernelFunc == null) throw new Error(`kernel ${kernelName} is not registered for backend ${this.backendName}`);
    const result = kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(result)) throw new Error(`kernel ${kernelName} returned several outputs`);
    return result as tf.TensorInfo;
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Plain 2-D matmul [m,k]x[k,n] with no transposes (the case both backends do fastest). */
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }

  /**
   * The float32 values of a tensor, without copying. On wasm this is a view of the heap: use it
   * before the next allocation (any kernel call), which may move the heap.
   */
  read(info: tf.TensorInfo): Float32Array {
    if (this.backendName === 'wasm') return (this.backend as WasmBackendLike).typedArrayFromHeap(info) as Float32Array;
    return (this.backend as CpuBackendLike).data.get(info.dataId).values as Float32Array;
  }

  /** Rows [start, end) of a 2-D tensor, copied (the stock wasm Slice reads its whole input). */
  rows(x: tf.TensorInfo, start: number, end: number): tf.TensorInfo {
    const width = x.shape[1]!;
    return this.create([end - start, width], (out, read) => out.set(read(x).subarray(start * width, end * width)));
  }

  dispose(...infos: tf.TensorInfo[]): void {
    for (const info of infos) this.backend.disposeData(info.dataId);
  }

  /**
   * A new float32 tensor whose values `fill` writes. `fill` gets a `read` function for input
   * values; call it inside `fill` only: on wasm the arrays are views of the heap and any later
   * allocation may move it.
   */
  create(shape: number[], fill: (out: Float32Array, read: (info: tf.TensorInfo) => Float32Array) => void): tf.TensorInfo {
    return this.createTyped(shape, 'float32', fill as (out: Values, read: (info: tf.TensorInfo) => Values) => void);
  }

  /**
   * Several new float32 tensors, all allocated before `fill` writes them (on wasm a later
   * allocation could move the heap under the views of the earlier ones).
   */
  createAll(shapes: number[][], fill: (outs: Float32Array[], read: (info: tf.TensorInfo) => Float32Array) => void): tf.TensorInfo[] {
    if (this.backendName === 'wasm') {
      const backend = this.backend as WasmBackendLike;
      const infos = shapes.map((shape) => backend.makeOutput(shape, 'float32'));
      try {
        fill(
          infos.map((info) => backend.typedArrayFromHeap(info) as Float32Array),
          (x) => backend.typedArrayFromHeap(x) as Float32Array,
        );
      } catch (error) {
        this.dispose(...infos);
        throw error;
      }
      return infos;
    }
    const backend = this.backend as CpuBackendLike;
    const values = shapes.map((shape) => new Float32Array(tf.util.sizeFromShape(shape)));
    fill(values, (x) => backend.data.get(x.dataId).values as Float32Array);
    return shapes.map((shape, i) => backend.makeTensorInfo(shape, 'float32', values[i]!));
  }

  /** `create` for any numeric dtype (float32, int32, bool). */
  createTyped(shape: number[], dtype: tf.DataType, fill: (out: Values, read: (info: tf.TensorInfo) => Values) => void): tf.TensorInfo {
    if (this.backendName === 'wasm') {
      const backend = this.backend as WasmBackendLike;
      const info = backend.makeOutput(shape, dtype);
      try {
        fill(backend.typedArrayFromHeap(info), (x) => backend.typedArrayFromHeap(x));
      } catch (error) {
        this.dispose(info);
        throw error;
      }
      return info;
    }
    const backend = this.backend as CpuBackendLike;
    const size = tf.util.sizeFromShape(shape);
    const values = dtype === 'int32' ? new Int32Array(size) : dtype === 'bool' ? new Uint8Array(size) : new Float32Array(size);
    fill(values, (x) => backend.data.get(x.dataId).values as Values);
    return backend.makeTensorInfo(shape, dtype, values);
  }
}
