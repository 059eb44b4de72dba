/**
 * Conv2D and its two gradients, training-mode batch norm and its gradient, and pooling and its
 * gradient (NHWC, float32) through oneDNN (libdnnl, the library PyTorch uses on CPUs) reached
 * through koffi, like the BLAS. For the convs oneDNN picks its own blocked layouts ("any") for its
 * direct AVX2/AVX-512 kernels, and tensors are reordered between those and NHWC at each call;
 * batch norm and pooling run on NHWC as it is. All of them run on the backend's threads, where the
 * wasm loops they replace run on one. Primitives are built once per geometry and kept (up to
 * MAX_PRIMITIVES, then rebuilt).
 *
 * Used only when the library loads and a self-test (each operation on small odd shapes against
 * direct loops) agrees; otherwise the BLAS path and the wasm loops compute them and the report says why.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { defaultCacheRoot } from '../features/cache';
import { setLibraryEnv } from './blas';
import type { ConvGeometry } from './kernels/conv2d-grads';
import type { PoolGeometry } from './kernels/pool-grads';

/** Constants of oneDNN 2.x's C API (dnnl_types.h). */
const CPU = 1;
const F32 = 3;
const TAG_ANY = 1;
const TAG_X = 2;
const TAG_NHWC = 20;
const TAG_HWIO = 30;
const FORWARD_TRAINING = 64;
const FORWARD_INFERENCE = 96;
const BACKWARD = 128;
const CONVOLUTION_DIRECT = 1;
const POOLING_MAX = 0x1ff;
const POOLING_AVG_INCLUDE_PADDING = 0x2ff;
const USE_SCALE = 0x8;
const USE_SHIFT = 0x10;
const STREAM_DEFAULT = 1;
const QUERY_SRC_MD = 129;
const QUERY_DIFF_SRC_MD = 130;
const QUERY_WEIGHTS_MD = 131;
const QUERY_DIFF_WEIGHTS_MD = 132;
const QUERY_DST_MD = 133;
const QUERY_DIFF_DST_MD = 134;
const QUERY_WORKSPACE_MD = 135;
const QUERY_IMPL_INFO = 8;
const ARG_SRC = 1;
const ARG_DST = 17;
const ARG_WEIGHTS = 33;
const ARG_BIAS = 41;
const ARG_MEAN = 49;
const ARG_VARIANCE = 50;
const ARG_SCALE = 51;
const ARG_SHIFT = 52;
const ARG_WORKSPACE = 64;
const ARG_DIFF_SRC = 129;
const ARG_DIFF_DST = 145;
const ARG_DIFF_WEIGHTS = 161;
const ARG_DIFF_BIAS = 169;
const ARG_DIFF_SCALE = 255;
const ARG_DIFF_SHIFT = 256;
/** sizeof(dnnl_memory_desc_t) is 696 and the largest op descriptor (convolution) 5976 bytes in 2.x; room to spare. */
const MEMORY_DESC_BYTES = 1024;
const OP_DESC_BYTES = 8192;
/** Geometries (× kind) whose primitives and reorder buffers are kept before all are rebuilt. */
const MAX_PRIMITIVES = 48;

type Func = (...args: unknown[]) => unknown;
type Handle = unknown;

interface Api {
  engineCreate: Func;
  streamCreate: Func;
  streamWait: Func;
  mdInitByTag: Func;
  mdEqual: Func;
  mdSize: Func;
  fwdDescInit: Func;
  bwdDataDescInit: Func;
  bwdWeightsDescInit: Func;
  bnormFwdDescInit: Func;
  bnormBwdDescInit: Func;
  poolFwdDescInit: Func;
  poolBwdDescInit: Func;
  pdCreate: Func;
  pdQueryMd: Func;
  pdQuery: Func;
  reorderPdCreate: Func;
  primitiveCreate: Func;
  execute: Func;
  memoryCreate: Func;
  setHandle: Func;
  primitiveDestroy: Func;
  pdDestroy: Func;
  memoryDestroy: Func;
  ompSetThreads: Func | null;
  version: Func;
  decodeVersion: (pointer: unknown) => { major: number; minor: number; patch: number };
}

/** A training batch norm's inputs and outputs: data as x, per-channel vectors for the rest. */
export interface BatchNormForwardArrays {
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

export interface BatchNormBackwardArrays {
  x: Float32Array;
  dy: Float32Array;
  gamma: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

export interface Dnnl {
  /** "oneDNN 2.6.3", for the backend report. */
  description: string;
  /** out = conv(x, filter) (+ bias per channel). */
  forward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, g: ConvGeometry): void;
  /** dx from dy and the filter. */
  backwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, g: ConvGeometry): void;
  /** dW from x and dy; given `dbias`, the bias gradient too (dy summed per channel, in the same pass). */
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, g: ConvGeometry, dbias?: Float32Array | null): void;
  /** Training-mode batch norm of NHWC x (`shape` [n, h, w, c]): y, and the batch's mean and biased variance per channel. */
  batchNormForward(arrays: BatchNormForwardArrays, shape: number[], epsilon: number): void;
  /** dx, dgamma and dbeta of training-mode batch norm from x, dy and the forward pass's statistics. */
  batchNormBackward(arrays: BatchNormBackwardArrays, shape: number[], epsilon: number): void;
  /** Max or average pooling (the average over the whole window, padding included). */
  pool(kind: 'max' | 'avg', x: Float32Array, y: Float32Array, p: PoolGeometry): void;
  /** dx of pooling from dy; max pooling reads x (to find each window's maximum again). */
  poolBackward(kind: 'max' | 'avg', x: Float32Array | null, dy: Float32Array, dx: Float32Array, p: PoolGeometry): void;
  /** The kernel oneDNN runs for a geometry's forward conv ("jit:avx512_core"). */
  implementation(g: ConvGeometry): string;
}

export type DnnlResult = { dnnl: Dnnl } | { unavailable: string };

/** The library file tried when SER_DNNL_LIBRARY does not name one. */
export const DNNL_LIBRARY = 'libdnnl.so.2';

const requireFromHere = createRequire(import.meta.url);

interface Koffi {
  load(path: string): { func(signature: string): Func };
  struct(name: string, fields: Record<string, string>): unknown;
  decode(pointer: unknown, type: unknown): unknown;
}

/** koffi's struct types, declared once per process. */
let structs: { version: unknown } | null = null;

function bind(koffi: Koffi, library: string): Api {
  const lib = koffi.load(library);
  structs ??= {
    version:
      (koffi.struct('dnnl_exec_arg_t', { arg: 'int', memory: 'void *' }),
      koffi.struct('dnnl_version_t', {
        major: 'int',
        minor: 'int',
        patch: 'int',
        hash: 'const char *',
        cpuRuntime: 'unsigned int',
        gpuRuntime: 'unsigned int',
      })),
  };
  const versionType = structs.version;
  let ompSetThreads: Func | null = null;
  try {
    ompSetThreads = koffi.load('libgomp.so.1').func('void omp_set_num_threads(int n)');
  } catch {
    // Another OpenMP runtime or a threadpool build: oneDNN then uses its own default.
  }
  return {
    engineCreate: lib.func('int dnnl_engine_create(_Out_ void **engine, int kind, size_t index)'),
    streamCreate: lib.func('int dnnl_stream_create(_Out_ void **stream, void *engine, unsigned int flags)'),
    streamWait: lib.func('int dnnl_stream_wait(void *stream)'),
    mdInitByTag: lib.func('int dnnl_memory_desc_init_by_tag(void *md, int ndims, const int64_t *dims, int dtype, int tag)'),
    mdEqual: lib.func('int dnnl_memory_desc_equal(const void *a, const void *b)'),
    mdSize: lib.func('size_t dnnl_memory_desc_get_size(const void *md)'),
    fwdDescInit: lib.func(
      'int dnnl_convolution_forward_desc_init(void *desc, int prop, int alg, const void *src, const void *weights, const void *bias, const void *dst, const int64_t *strides, const int64_t *padL, const int64_t *padR)',
    ),
    bwdDataDescInit: lib.func(
      'int dnnl_convolution_backward_data_desc_init(void *desc, int alg, const void *diffSrc, const void *weights, const void *diffDst, const int64_t *strides, const int64_t *padL, const int64_t *padR)',
    ),
    bwdWeightsDescInit: lib.func(
      'int dnnl_convolution_backward_weights_desc_init(void *desc, int alg, const void *src, const void *diffWeights, const void *diffBias, const void *diffDst, const int64_t *strides, const int64_t *padL, const int64_t *padR)',
    ),
    bnormFwdDescInit: lib.func(
      'int dnnl_batch_normalization_forward_desc_init(void *desc, int prop, const void *data, float epsilon, unsigned int flags)',
    ),
    bnormBwdDescInit: lib.func(
      'int dnnl_batch_normalization_backward_desc_init(void *desc, int prop, const void *diffData, const void *data, float epsilon, unsigned int flags)',
    ),
    poolFwdDescInit: lib.func(
      'int dnnl_pooling_forward_desc_init(void *desc, int prop, int alg, const void *src, const void *dst, const int64_t *strides, const int64_t *kernel, const int64_t *padL, const int64_t *padR)',
    ),
    poolBwdDescInit: lib.func(
      'int dnnl_pooling_backward_desc_init(void *desc, int alg, const void *diffSrc, const void *diffDst, const int64_t *strides, const int64_t *kernel, const int64_t *padL, const int64_t *padR)',
    ),
    pdCreate: lib.func('int dnnl_primitive_desc_create(_Out_ void **pd, const void *desc, void *attr, void *engine, void *hint)'),
    pdQueryMd: lib.func('void *dnnl_primitive_desc_query_md(void *pd, int what, int index)'),
    pdQuery: lib.func('int dnnl_primitive_desc_query(void *pd, int what, int index, _Out_ const char **result)'),
    reorderPdCreate: lib.func(
      'int dnnl_reorder_primitive_desc_create(_Out_ void **pd, const void *srcMd, void *srcEngine, const void *dstMd, void *dstEngine, void *attr)',
    ),
    primitiveCreate: lib.func('int dnnl_primitive_create(_Out_ void **primitive, void *pd)'),
    execute: lib.func('int dnnl_primitive_execute(void *primitive, void *stream, int nargs, const dnnl_exec_arg_t *args)'),
    memoryCreate: lib.func('int dnnl_memory_create(_Out_ void **memory, const void *md, void *engine, void *handle)'),
    setHandle: lib.func('int dnnl_memory_set_data_handle(void *memory, void *handle)'),
    primitiveDestroy: lib.func('int dnnl_primitive_destroy(void *primitive)'),
    pdDestroy: lib.func('int dnnl_primitive_desc_destroy(void *pd)'),
    memoryDestroy: lib.func('int dnnl_memory_destroy(void *memory)'),
    ompSetThreads,
    version: lib.func('void *dnnl_version()'),
    decodeVersion: (pointer) => koffi.decode(pointer, versionType) as { major: number; minor: number; patch: number },
  };
}

function check(status: unknown, what: string): void {
  if (status !== 0) throw new Error(`oneDNN ${what} failed (status ${String(status)})`);
}

/**
 * A memory object in the user's layout (NHWC, HWIO, per channel) and, when oneDNN computes in
 * another, the reorders; or (`owned`) memory the primitive keeps for itself: a workspace, a
 * scratch output.
 */
interface Port {
  user: Handle;
  /** The layout the primitive computes in, when it is not the user's. */
  inner: { memory: Handle; buffer: Float32Array; toInner: Handle; toUser: Handle } | null;
  /** Memory whose buffer is set once (not per call); `shared` when another primitive owns it. */
  owned?: { buffer: Float32Array; shared: boolean };
}

interface Prepared {
  primitive: Handle;
  impl: string;
  ports: Record<number, Port>;
  /** Zeros for an absent input: the bias of a forward conv without one, batch norm's shift in the backward pass. */
  zeros: Float32Array;
  /** Run first with the same inputs: max pooling's backward pass recomputes the forward one's workspace. */
  before?: Prepared;
}

function dims(values: number[]): BigInt64Array {
  return BigInt64Array.from(values.map(BigInt));
}

class OneDnn implements Dnnl {
  private readonly engine: Handle;
  private readonly stream: Handle;
  private readonly cache = new Map<string, Prepared>();

  constructor(
    private readonly api: Api,
    readonly description: string,
    threads: number,
  ) {
    const engine: Handle[] = [null];
    check(api.engineCreate(engine, CPU, 0), 'engine');
    this.engine = engine[0];
    const stream: Handle[] = [null];
    check(api.streamCreate(stream, this.engine, STREAM_DEFAULT), 'stream');
    this.stream = stream[0];
    // The calling thread's OpenMP thread count, which oneDNN's parallel regions use.
    api.ompSetThreads?.(threads);
  }

  private destroy(prepared: Prepared): void {
    this.api.primitiveDestroy(prepared.primitive);
    for (const port of Object.values(prepared.ports)) {
      if (port.owned?.shared) continue;
      this.api.memoryDestroy(port.user);
      if (port.inner) {
        this.api.memoryDestroy(port.inner.memory);
        this.api.primitiveDestroy(port.inner.toInner);
        this.api.primitiveDestroy(port.inner.toUser);
      }
    }
    if (prepared.before) this.destroy(prepared.before);
  }

  /** Frees every primitive and reorder buffer (all geometries are rebuilt on their next call). */
  private clear(): void {
    for (const prepared of this.cache.values()) this.destroy(prepared);
    this.cache.clear();
  }

  /** The primitive for `key`, built by `build` on first use. */
  private cached(key: string, build: () => Prepared): Prepared {
    const existing = this.cache.get(key);
    if (existing) return existing;
    if (this.cache.size >= MAX_PRIMITIVES) this.clear();
    const prepared = build();
    this.cache.set(key, prepared);
    return prepared;
  }

  private md(shape: number[], tag: number): Buffer {
    const md = Buffer.alloc(MEMORY_DESC_BYTES);
    check(this.api.mdInitByTag(md, shape.length, dims(shape), F32, tag), 'memory descriptor');
    return md;
  }

  private descs(g: ConvGeometry, tag: number) {
    return {
      src: this.md([g.batch, g.inC, g.inH, g.inW], tag === TAG_ANY ? TAG_ANY : TAG_NHWC),
      weights: this.md([g.outC, g.inC, g.kH, g.kW], tag === TAG_ANY ? TAG_ANY : TAG_HWIO),
      dst: this.md([g.batch, g.outC, g.outH, g.outW], tag === TAG_ANY ? TAG_ANY : TAG_NHWC),
      bias: this.md([g.outC], TAG_X),
      strides: dims([g.strideH, g.strideW]),
      padL: dims([g.padTop, g.padLeft]),
      padR: dims([g.padBottom, g.padRight]),
    };
  }

  /** A primitive descriptor for an initialised op descriptor (a backward one takes its forward one as `hint`). */
  private primitiveDesc(desc: Buffer, what: string, hint: Handle = null): Handle {
    const pd: Handle[] = [null];
    check(this.api.pdCreate(pd, desc, null, this.engine, hint), what);
    return pd[0];
  }

  /** The primitive of `pd`, its implementation's name, and its ports; `pd` and `hint` are freed. */
  private build(pd: Handle, hint: Handle, ports: (query: (what: number) => unknown) => Record<number, Port>, zeros = 0): Prepared {
    try {
      const built = ports((what) => this.api.pdQueryMd(pd, what, 0));
      const primitive: Handle[] = [null];
      check(this.api.primitiveCreate(primitive, pd), 'primitive');
      const impl: (string | null)[] = [null];
      this.api.pdQuery(pd, QUERY_IMPL_INFO, 0, impl);
      return { primitive: primitive[0], impl: impl[0] ?? 'unknown', ports: built, zeros: new Float32Array(zeros) };
    } finally {
      if (pd !== hint) this.api.pdDestroy(pd);
      if (hint != null) this.api.pdDestroy(hint);
    }
  }

  private forwardPd(g: ConvGeometry): Handle {
    const d = this.descs(g, TAG_ANY);
    const desc = Buffer.alloc(OP_DESC_BYTES);
    check(
      this.api.fwdDescInit(desc, FORWARD_TRAINING, CONVOLUTION_DIRECT, d.src, d.weights, d.bias, d.dst, d.strides, d.padL, d.padR),
      'convolution descriptor',
    );
    return this.primitiveDesc(desc, 'convolution');
  }

  private memory(md: unknown, buffer: Float32Array | null = null): Handle {
    const memory: Handle[] = [null];
    check(this.api.memoryCreate(memory, md, this.engine, buffer), 'memory');
    return memory[0];
  }

  /** A port for `userMd` where the primitive computes in `innerMd` (owned memory + reorders when they differ). */
  private port(userMd: Buffer, innerMd: unknown = userMd): Port {
    const user = this.memory(userMd);
    if (innerMd === userMd || this.api.mdEqual(userMd, innerMd) === 1) return { user, inner: null };
    // The buffer lives as long as the port that holds it (oneDNN keeps only its address).
    const buffer = new Float32Array(Math.ceil(Number(this.api.mdSize(innerMd)) / 4));
    const memory = this.memory(innerMd, buffer);
    const reorder = (from: unknown, to: unknown) => {
      const pd: Handle[] = [null];
      check(this.api.reorderPdCreate(pd, from, this.engine, to, this.engine, null), 'reorder');
      const primitive: Handle[] = [null];
      check(this.api.primitiveCreate(primitive, pd[0]), 'reorder primitive');
      this.api.pdDestroy(pd[0]);
      return primitive[0];
    };
    return { user, inner: { memory, buffer, toInner: reorder(userMd, innerMd), toUser: reorder(innerMd, userMd) } };
  }

  /** Memory of `md`'s size that the primitive keeps (a workspace, an output nobody reads). */
  private ownedPort(md: unknown): Port {
    const buffer = new Float32Array(Math.ceil(Number(this.api.mdSize(md)) / 4));
    return { user: this.memory(md, buffer), inner: null, owned: { buffer, shared: false } };
  }

  private prepareConv(kind: 'forward' | 'data' | 'weights' | 'weights-bias', g: ConvGeometry): Prepared {
    return this.cached(`${kind}:${JSON.stringify(g)}`, () => {
      const user = this.descs(g, TAG_NHWC);
      const any = this.descs(g, TAG_ANY);
      const hint = this.forwardPd(g);
      let pd: Handle = hint;
      if (kind !== 'forward') {
        const desc = Buffer.alloc(OP_DESC_BYTES);
        if (kind === 'data') {
          check(
            this.api.bwdDataDescInit(desc, CONVOLUTION_DIRECT, any.src, any.weights, any.dst, any.strides, any.padL, any.padR),
            'backward data descriptor',
          );
        } else {
          check(
            this.api.bwdWeightsDescInit(
              desc,
              CONVOLUTION_DIRECT,
              any.src,
              any.weights,
              kind === 'weights-bias' ? user.bias : null,
              any.dst,
              any.strides,
              any.padL,
              any.padR,
            ),
            'backward weights descriptor',
          );
        }
        pd = this.primitiveDesc(desc, kind === 'data' ? 'backward data' : 'backward weights', hint);
      }
      const ports = (query: (what: number) => unknown): Record<number, Port> =>
        kind === 'forward'
          ? {
              [ARG_SRC]: this.port(user.src, query(QUERY_SRC_MD)),
              [ARG_WEIGHTS]: this.port(user.weights, query(QUERY_WEIGHTS_MD)),
              [ARG_BIAS]: this.port(user.bias),
              [ARG_DST]: this.port(user.dst, query(QUERY_DST_MD)),
            }
          : kind === 'data'
            ? {
                [ARG_DIFF_SRC]: this.port(user.src, query(QUERY_DIFF_SRC_MD)),
                [ARG_WEIGHTS]: this.port(user.weights, query(QUERY_WEIGHTS_MD)),
                [ARG_DIFF_DST]: this.port(user.dst, query(QUERY_DIFF_DST_MD)),
              }
            : {
                [ARG_SRC]: this.port(user.src, query(QUERY_SRC_MD)),
                [ARG_DIFF_WEIGHTS]: this.port(user.weights, query(QUERY_DIFF_WEIGHTS_MD)),
                [ARG_DIFF_DST]: this.port(user.dst, query(QUERY_DIFF_DST_MD)),
                ...(kind === 'weights-bias' ? ({ [ARG_DIFF_BIAS]: this.port(user.bias) } as Record<number, Port>) : {}),
              };
      return this.build(pd, pd === hint ? null : hint, ports, kind === 'forward' ? g.outC : 0);
    });
  }

  private prepareBatchNorm(kind: 'forward' | 'backward', shape: number[], epsilon: number): Prepared {
    const [n, h, w, c] = shape as [number, number, number, number];
    return this.cached(`batch-norm-${kind}:${shape.join('x')}:${epsilon}`, () => {
      const data = this.md([n, c, h, w], TAG_NHWC);
      const channel = () => this.port(this.md([c], TAG_X));
      const flags = USE_SCALE | USE_SHIFT;
      const forward = Buffer.alloc(OP_DESC_BYTES);
      check(this.api.bnormFwdDescInit(forward, FORWARD_TRAINING, data, epsilon, flags), 'batch norm descriptor');
      const hint = this.primitiveDesc(forward, 'batch norm');
      if (kind === 'forward') {
        return this.build(hint, null, () => ({
          [ARG_SRC]: this.port(data),
          [ARG_DST]: this.port(data),
          [ARG_SCALE]: channel(),
          [ARG_SHIFT]: channel(),
          [ARG_MEAN]: channel(),
          [ARG_VARIANCE]: channel(),
        }));
      }
      const backward = Buffer.alloc(OP_DESC_BYTES);
      check(this.api.bnormBwdDescInit(backward, BACKWARD, data, data, epsilon, flags), 'batch norm backward descriptor');
      const pd = this.primitiveDesc(backward, 'batch norm backward', hint);
      // oneDNN 2.6 asks for the shift in the backward pass too, though no gradient depends on it.
      const ports = () => ({
        [ARG_SRC]: this.port(data),
        [ARG_DIFF_DST]: this.port(data),
        [ARG_DIFF_SRC]: this.port(data),
        [ARG_SCALE]: channel(),
        [ARG_SHIFT]: channel(),
        [ARG_MEAN]: channel(),
        [ARG_VARIANCE]: channel(),
        [ARG_DIFF_SCALE]: channel(),
        [ARG_DIFF_SHIFT]: channel(),
      });
      return this.build(pd, hint, ports, c);
    });
  }

  private poolDescs(p: PoolGeometry) {
    // oneDNN wants the right/bottom padding that makes its output size the given one; a 'valid'
    // pool whose windows leave rows over has none.
    const padBottom = Math.max(0, (p.outH - 1) * p.strideH + p.filterH - p.inH - p.padTop);
    const padRight = Math.max(0, (p.outW - 1) * p.strideW + p.filterW - p.inW - p.padLeft);
    return {
      src: this.md([p.batch, p.channels, p.inH, p.inW], TAG_NHWC),
      dst: this.md([p.batch, p.channels, p.outH, p.outW], TAG_NHWC),
      strides: dims([p.strideH, p.strideW]),
      kernel: dims([p.filterH, p.filterW]),
      padL: dims([p.padTop, p.padLeft]),
      padR: dims([padBottom, padRight]),
    };
  }

  private poolForwardPd(alg: number, d: ReturnType<OneDnn['poolDescs']>, prop: number): Handle {
    const desc = Buffer.alloc(OP_DESC_BYTES);
    check(this.api.poolFwdDescInit(desc, prop, alg, d.src, d.dst, d.strides, d.kernel, d.padL, d.padR), 'pooling descriptor');
    return this.primitiveDesc(desc, 'pooling');
  }

  private preparePool(kind: 'max' | 'avg', pass: 'forward' | 'backward', p: PoolGeometry): Prepared {
    return this.cached(`pool-${kind}-${pass}:${JSON.stringify(p)}`, () => {
      const d = this.poolDescs(p);
      const alg = kind === 'max' ? POOLING_MAX : POOLING_AVG_INCLUDE_PADDING;
      if (pass === 'forward') {
        const pd = this.poolForwardPd(alg, d, FORWARD_INFERENCE);
        return this.build(pd, null, () => ({ [ARG_SRC]: this.port(d.src), [ARG_DST]: this.port(d.dst) }));
      }
      const trainingPd = this.poolForwardPd(alg, d, FORWARD_TRAINING);
      const desc = Buffer.alloc(OP_DESC_BYTES);
      check(this.api.poolBwdDescInit(desc, alg, d.src, d.dst, d.strides, d.kernel, d.padL, d.padR), 'pooling backward descriptor');
      const pd = this.primitiveDesc(desc, 'pooling backward', trainingPd);
      // Max pooling's backward pass needs the forward one's workspace (where each maximum was): it
      // reruns the forward pass, built from the hint (read only while the backward descriptor was
      // made), into scratch memory first, which costs less than keeping it.
      const before =
        kind === 'max'
          ? this.build(trainingPd, null, (query) => ({
              [ARG_SRC]: this.port(d.src),
              [ARG_DST]: this.ownedPort(d.dst),
              [ARG_WORKSPACE]: this.ownedPort(query(QUERY_WORKSPACE_MD)),
            }))
          : undefined;
      const prepared = this.build(pd, before ? null : trainingPd, () => {
        const ports: Record<number, Port> = { [ARG_DIFF_DST]: this.port(d.dst), [ARG_DIFF_SRC]: this.port(d.src) };
        const workspace = before?.ports[ARG_WORKSPACE];
        if (workspace) ports[ARG_WORKSPACE] = { ...workspace, owned: { buffer: workspace.owned!.buffer, shared: true } };
        return ports;
      });
      return before ? { ...prepared, before } : prepared;
    });
  }

  /** Runs a prepared primitive on `data` (by argument): inputs reordered in, `outputs` reordered out. */
  private run(p: Prepared, data: Record<number, Float32Array | null>, outputs: number[]): void {
    const api = this.api;
    if (p.before) this.run(p.before, data, []);
    const args: { arg: number; memory: Handle }[] = [];
    for (const [name, port] of Object.entries(p.ports)) {
      const arg = Number(name);
      if (!port.owned) {
        const values = data[arg];
        if (values == null) continue;
        check(api.setHandle(port.user, values), 'data handle');
        if (port.inner && !outputs.includes(arg)) {
          check(
            api.execute(port.inner.toInner, this.stream, 2, [
              { arg: ARG_SRC, memory: port.user },
              { arg: ARG_DST, memory: port.inner.memory },
            ]),
            'reorder',
          );
        }
      }
      args.push({ arg, memory: port.inner ? port.inner.memory : port.user });
    }
    check(api.execute(p.primitive, this.stream, args.length, args), 'primitive');
    for (const output of outputs) {
      const port = p.ports[output]!;
      if (!port.inner) continue;
      check(
        api.execute(port.inner.toUser, this.stream, 2, [
          { arg: ARG_SRC, memory: port.inner.memory },
          { arg: ARG_DST, memory: port.user },
        ]),
        'reorder',
      );
    }
    check(api.streamWait(this.stream), 'stream');
  }

  forward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, g: ConvGeometry): void {
    const p = this.prepareConv('forward', g);
    this.run(p, { [ARG_SRC]: x, [ARG_WEIGHTS]: filter, [ARG_BIAS]: bias ?? p.zeros, [ARG_DST]: out }, [ARG_DST]);
  }

  backwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, g: ConvGeometry): void {
    this.run(this.prepareConv('data', g), { [ARG_DIFF_DST]: dy, [ARG_WEIGHTS]: filter, [ARG_DIFF_SRC]: dx }, [ARG_DIFF_SRC]);
  }

  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, g: ConvGeometry, dbias: Float32Array | null = null): void {
    if (dbias == null) {
      this.run(this.prepareConv('weights', g), { [ARG_SRC]: x, [ARG_DIFF_DST]: dy, [ARG_DIFF_WEIGHTS]: dw }, [ARG_DIFF_WEIGHTS]);
      return;
    }
    const data = { [ARG_SRC]: x, [ARG_DIFF_DST]: dy, [ARG_DIFF_WEIGHTS]: dw, [ARG_DIFF_BIAS]: dbias };
    this.run(this.prepareConv('weights-bias', g), data, [ARG_DIFF_WEIGHTS, ARG_DIFF_BIAS]);
  }

  batchNormForward(a: BatchNormForwardArrays, shape: number[], epsilon: number): void {
    const data = {
      [ARG_SRC]: a.x,
      [ARG_SCALE]: a.gamma,
      [ARG_SHIFT]: a.beta,
      [ARG_DST]: a.y,
      [ARG_MEAN]: a.mean,
      [ARG_VARIANCE]: a.variance,
    };
    this.run(this.prepareBatchNorm('forward', shape, epsilon), data, []);
  }

  batchNormBackward(a: BatchNormBackwardArrays, shape: number[], epsilon: number): void {
    const p = this.prepareBatchNorm('backward', shape, epsilon);
    const data = {
      [ARG_SRC]: a.x,
      [ARG_DIFF_DST]: a.dy,
      [ARG_SCALE]: a.gamma,
      [ARG_SHIFT]: p.zeros,
      [ARG_MEAN]: a.mean,
      [ARG_VARIANCE]: a.variance,
      [ARG_DIFF_SRC]: a.dx,
      [ARG_DIFF_SCALE]: a.dgamma,
      [ARG_DIFF_SHIFT]: a.dbeta,
    };
    this.run(p, data, []);
  }

  pool(kind: 'max' | 'avg', x: Float32Array, y: Float32Array, p: PoolGeometry): void {
    this.run(this.preparePool(kind, 'forward', p), { [ARG_SRC]: x, [ARG_DST]: y }, []);
  }

  poolBackward(kind: 'max' | 'avg', x: Float32Array | null, dy: Float32Array, dx: Float32Array, p: PoolGeometry): void {
    if (kind === 'max' && x == null) throw new Error('max pooling gradient: x is needed');
    this.run(this.preparePool(kind, 'backward', p), { [ARG_SRC]: x, [ARG_DIFF_DST]: dy, [ARG_DIFF_SRC]: dx }, []);
  }

  implementation(g: ConvGeometry): string {
    return this.prepareConv('forward', g).impl;
  }
}

let cached: { key: string; result: DnnlResult } | null = null;

/**
 * Loads oneDNN once per (library, threads) and self-tests it; SER_DNNL_LIBRARY names another
 * library file, or "none" to leave the convs to the BLAS.
 */
export function loadDnnl(threads: number, library = process.env.SER_DNNL_LIBRARY || DNNL_LIBRARY): DnnlResult {
  const key = `${library}/${threads}`;
  if (cached?.key !== key) cached = { key, result: openDnnl(threads, library) };
  return cached.result;
}

function openDnnl(threads: number, library: string): DnnlResult {
  if (library.toLowerCase() === 'none') return { unavailable: 'turned off by SER_DNNL_LIBRARY=none' };
  let koffi: Koffi;
  try {
    koffi = requireFromHere('koffi') as Koffi;
  } catch {
    return { unavailable: 'the koffi package (optional dependency) is not installed' };
  }
  // OpenMP's idle threads otherwise spin after each conv, taking a core from the JavaScript and
  // wasm work in between (training ran ~1.8x slower so). Read when the runtime loads.
  if (process.env.OMP_WAIT_POLICY === undefined) setLibraryEnv(koffi, 'OMP_WAIT_POLICY', 'PASSIVE');
  let api: Api;
  try {
    api = bind(koffi, library);
  } catch (error) {
    return { unavailable: `${library} could not be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)})` };
  }
  try {
    const v = api.decodeVersion(api.version());
    const dnnl = new OneDnn(api, `oneDNN ${v.major}.${v.minor}.${v.patch}`, threads);
    const marker = selfTestMarker(dnnl.description);
    const unfinished = marker ? unfinishedSelfTest(marker) : null;
    if (unfinished) return { unavailable: unfinished };
    if (marker) writeMarker(marker);
    const failed = selfTest(dnnl);
    if (marker) rmSync(marker, { force: true });
    return failed ? { unavailable: `${dnnl.description} failed its self-test (${failed})` } : { dnnl };
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The self-test runs in this process (its JIT kernels cannot be handed to another), so a library
 * that crashes in it would crash every start. A marker file is written before it and removed after:
 * one left by a process that is gone means the self-test never finished, and oneDNN stays off.
 * SER_DNNL_MARKER_DIR moves the marker (tests); no cache folder: no marker.
 */
function selfTestMarker(description: string): string | null {
  const root = process.env.SER_DNNL_MARKER_DIR ?? defaultCacheRoot();
  return root ? join(root, 'dnnl', `${description.replace(/[^\w.-]+/g, '-')}.self-test`) : null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why oneDNN stays off because an earlier self-test never finished, or null. */
export function unfinishedSelfTest(marker: string): string | null {
  if (!existsSync(marker)) return null;
  let record: { pid?: unknown; startedAt?: unknown } = {};
  try {
    record = JSON.parse(readFileSync(marker, 'utf8')) as typeof record;
  } catch {
    // an unreadable marker counts as an unfinished self-test
  }
  // A self-test running in another process right now (a study member starting beside this one).
  if (typeof record.pid === 'number' && record.pid !== process.pid && processAlive(record.pid)) return null;
  return `oneDNN's self-test did not finish in an earlier process${typeof record.startedAt === 'string' ? ` (started ${record.startedAt})` : ''}: it crashed or was killed there, so oneDNN stays off; delete ${marker} to try again`;
}

function writeMarker(marker: string): void {
  try {
    mkdirSync(join(marker, '..'), { recursive: true });
    writeFileSync(marker, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }) + '\n');
  } catch {
    // a marker that cannot be written only loses the crash guard
  }
}

/** Largest |a - b| over the largest |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / (scale || 1);
}

/** out, dx, dW and the bias gradient of a conv by direct loops: the reference the self-test compares with. */
export function referenceConv(x: Float32Array, filter: Float32Array, bias: Float32Array | null, dy: Float32Array, g: ConvGeometry) {
  const out = new Float32Array(g.batch * g.outH * g.outW * g.outC);
  const dx = new Float32Array(x.length);
  const dw = new Float32Array(filter.length);
  const dbias = new Float32Array(g.outC);
  for (let b = 0; b < g.batch; b++)
    for (let oh = 0; oh < g.outH; oh++)
      for (let ow = 0; ow < g.outW; ow++)
        for (let o = 0; o < g.outC; o++) {
          const at = ((b * g.outH + oh) * g.outW + ow) * g.outC + o;
          let sum = bias ? bias[o]! : 0;
          for (let i = 0; i < g.kH; i++) {
            const ih = oh * g.strideH + i - g.padTop;
            if (ih < 0 || ih >= g.inH) continue;
            for (let j = 0; j < g.kW; j++) {
              const iw = ow * g.strideW + j - g.padLeft;
              if (iw < 0 || iw >= g.inW) continue;
              for (let c = 0; c < g.inC; c++) {
                const xi = ((b * g.inH + ih) * g.inW + iw) * g.inC + c;
                const fi = ((i * g.kW + j) * g.inC + c) * g.outC + o;
                sum += x[xi]! * filter[fi]!;
                dx[xi] += dy[at]! * filter[fi]!;
                dw[fi] += dy[at]! * x[xi]!;
              }
            }
          }
          out[at] = sum;
          dbias[o] += dy[at]!;
        }
  return { out, dx, dw, dbias };
}

/** Values in [-1, 1) from a fixed sequence. */
function testValues(length: number, seed: number): Float32Array {
  const values = new Float32Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** Geometries of the self-test: odd sizes, batch 1, a 'same' 3×3 with blocked channels. */
const SELF_TEST: ConvGeometry[] = [
  {
    batch: 2,
    inH: 5,
    inW: 7,
    inC: 3,
    outH: 5,
    outW: 7,
    outC: 5,
    kH: 3,
    kW: 3,
    strideH: 1,
    strideW: 1,
    padTop: 1,
    padBottom: 1,
    padLeft: 1,
    padRight: 1,
  },
  {
    batch: 1,
    inH: 6,
    inW: 9,
    inC: 32,
    outH: 6,
    outW: 9,
    outC: 16,
    kH: 3,
    kW: 3,
    strideH: 1,
    strideW: 1,
    padTop: 1,
    padBottom: 1,
    padLeft: 1,
    padRight: 1,
  },
];

/** y, mean, biased variance, dx, dgamma and dbeta of training-mode batch norm (NHWC, channels last) by direct loops. */
export function referenceBatchNorm(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  dy: Float32Array,
  channels: number,
  epsilon: number,
) {
  const count = x.length / channels;
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  const dgamma = new Float32Array(channels);
  const dbeta = new Float32Array(channels);
  const y = new Float32Array(x.length);
  const dx = new Float32Array(x.length);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = c; i < x.length; i += channels) sum += x[i]!;
    const mu = sum / count;
    let squares = 0;
    for (let i = c; i < x.length; i += channels) squares += (x[i]! - mu) ** 2;
    const v = squares / count;
    const s = 1 / Math.sqrt(v + epsilon);
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let i = c; i < x.length; i += channels) {
      const xhat = (x[i]! - mu) * s;
      y[i] = gamma[c]! * xhat + beta[c]!;
      sumDy += dy[i]!;
      sumDyXhat += dy[i]! * xhat;
    }
    for (let i = c; i < x.length; i += channels) {
      const xhat = (x[i]! - mu) * s;
      dx[i] = gamma[c]! * s * (dy[i]! - sumDy / count - (xhat * sumDyXhat) / count);
    }
    [mean[c], variance[c], dgamma[c], dbeta[c]] = [mu, v, sumDyXhat, sumDy];
  }
  return { y, mean, variance, dx, dgamma, dbeta };
}

/**
 * y and dx of max or average pooling (NHWC) by direct loops: a maximum takes the first of equal
 * values (row-major), an average divides by the whole window.
 */
export function referencePool(kind: 'max' | 'avg', x: Float32Array, dy: Float32Array, p: PoolGeometry) {
  const y = new Float32Array(p.batch * p.outH * p.outW * p.channels);
  const dx = new Float32Array(x.length);
  for (let b = 0; b < p.batch; b++)
    for (let oh = 0; oh < p.outH; oh++)
      for (let ow = 0; ow < p.outW; ow++)
        for (let c = 0; c < p.channels; c++) {
          const at = ((b * p.outH + oh) * p.outW + ow) * p.channels + c;
          let best = -Infinity;
          let bestAt = -1;
          let sum = 0;
          const inWindow: number[] = [];
          for (let i = 0; i < p.filterH; i++)
            for (let j = 0; j < p.filterW; j++) {
              const ih = oh * p.strideH + i - p.padTop;
              const iw = ow * p.strideW + j - p.padLeft;
              if (ih < 0 || ih >= p.inH || iw < 0 || iw >= p.inW) continue;
              const xi = ((b * p.inH + ih) * p.inW + iw) * p.channels + c;
              inWindow.push(xi);
              sum += x[xi]!;
              if (x[xi]! > best) [best, bestAt] = [x[xi]!, xi];
            }
          const area = p.filterH * p.filterW;
          if (kind === 'max') {
            y[at] = best;
            if (bestAt >= 0) dx[bestAt] += dy[at]!;
          } else {
            y[at] = sum / area;
            for (const xi of inWindow) dx[xi] += dy[at]! / area;
          }
        }
  return { y, dx };
}

/** Pooling geometries of the self-test: the CNNs' 2 × 2 tiling with a row left over, and overlapping padded windows. */
const POOL_SELF_TEST: PoolGeometry[] = [
  { batch: 2, inH: 5, inW: 6, channels: 3, outH: 2, outW: 3, strideH: 2, strideW: 2, filterH: 2, filterW: 2, padTop: 0, padLeft: 0 },
  { batch: 1, inH: 6, inW: 7, channels: 17, outH: 3, outW: 4, strideH: 2, strideW: 2, filterH: 3, filterW: 3, padTop: 1, padLeft: 1 },
];

function firstDisagreement(checks: [string, Float32Array, Float32Array][], shape: string): string | null {
  for (const [name, got, want] of checks) {
    const error = relativeError(got, want);
    if (!(error <= 1e-4)) return `${name} at ${shape} off by ${error.toExponential(1)} relative`;
  }
  return null;
}

/** Why oneDNN disagrees with the reference on the self-test geometries, or null when it agrees. */
function selfTest(dnnl: Dnnl): string | null {
  for (const g of SELF_TEST) {
    const x = testValues(g.batch * g.inH * g.inW * g.inC, 1);
    const filter = testValues(g.kH * g.kW * g.inC * g.outC, 2);
    const bias = testValues(g.outC, 3);
    const dy = testValues(g.batch * g.outH * g.outW * g.outC, 4);
    const expected = referenceConv(x, filter, bias, dy, g);
    const out = new Float32Array(expected.out.length);
    const dx = new Float32Array(x.length);
    const dw = new Float32Array(filter.length);
    const withBias = { dw: new Float32Array(filter.length), dbias: new Float32Array(g.outC) };
    dnnl.forward(x, filter, bias, out, g);
    dnnl.backwardData(dy, filter, dx, g);
    dnnl.backwardWeights(x, dy, dw, g);
    dnnl.backwardWeights(x, dy, withBias.dw, g, withBias.dbias);
    const failed = firstDisagreement(
      [
        ['forward', out, expected.out],
        ['input gradient', dx, expected.dx],
        ['filter gradient', dw, expected.dw],
        ['filter gradient beside the bias gradient', withBias.dw, expected.dw],
        ['bias gradient', withBias.dbias, expected.dbias],
      ],
      `${g.batch}×${g.inH}×${g.inW}×${g.inC} → ${g.outC}`,
    );
    if (failed) return failed;
    // Batch norm over the conv's input shape.
    const shape = [g.batch, g.inH, g.inW, g.inC];
    const gamma = testValues(g.inC, 5);
    const beta = testValues(g.inC, 6);
    const dyx = testValues(x.length, 7);
    const bn = referenceBatchNorm(x, gamma, beta, dyx, g.inC, 1e-3);
    const got = { y: new Float32Array(x.length), mean: new Float32Array(g.inC), variance: new Float32Array(g.inC) };
    const grads = { dx: new Float32Array(x.length), dgamma: new Float32Array(g.inC), dbeta: new Float32Array(g.inC) };
    dnnl.batchNormForward({ x, gamma, beta, ...got }, shape, 1e-3);
    dnnl.batchNormBackward({ x, dy: dyx, gamma, mean: got.mean, variance: got.variance, ...grads }, shape, 1e-3);
    const bnFailed = firstDisagreement(
      [
        ['batch norm', got.y, bn.y],
        ['batch norm mean', got.mean, bn.mean],
        ['batch norm variance', got.variance, bn.variance],
        ['batch norm input gradient', grads.dx, bn.dx],
        ['batch norm scale gradient', grads.dgamma, bn.dgamma],
        ['batch norm shift gradient', grads.dbeta, bn.dbeta],
      ],
      shape.join('×'),
    );
    if (bnFailed) return bnFailed;
  }
  for (const p of POOL_SELF_TEST) {
    const x = testValues(p.batch * p.inH * p.inW * p.channels, 8);
    const dy = testValues(p.batch * p.outH * p.outW * p.channels, 9);
    for (const kind of ['max', 'avg'] as const) {
      const expected = referencePool(kind, x, dy, p);
      const y = new Float32Array(expected.y.length);
      const dx = new Float32Array(x.length);
      dnnl.pool(kind, x, y, p);
      dnnl.poolBackward(kind, x, dy, dx, p);
      const failed = firstDisagreement(
        [
          [`${kind} pooling`, y, expected.y],
          [`${kind} pooling gradient`, dx, expected.dx],
        ],
        `${p.batch}×${p.inH}×${p.inW}×${p.channels} by ${p.filterH}×${p.filterW}/${p.strideH}`,
      );
      if (failed) return failed;
    }
  }
  return null;
}
