/**
 * Which OpenBLAS core (kernel set) to load, checked before the library enters this process.
 *
 * OpenBLAS picks its kernels from the processor's model number; on a virtual machine whose
 * processor calls itself "Intel(R) Xeon(R) Processor" it can fall back to its oldest (Prescott)
 * kernels on an AVX-512 machine and train at half speed. The core is fixed when the library loads
 * (OPENBLAS_CORETYPE), so the choice is made here, once per machine and library: a child process
 * reports the core OpenBLAS picks by itself and checks a small sgemm against a reference; when
 * that core is below what /proc/cpuinfo says the processor supports, the matching core is tried
 * the same way in another child, so a core that crashes or computes wrong results never runs in
 * this process. The verdict is cached under the cache root.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { defaultCacheRoot } from '../features/cache';

/** The core a BLAS computes with and why that one (for the backend report). */
export interface BlasCore {
  /** OpenBLAS's name for it: "Haswell", "SkylakeX". */
  name: string;
  reason: string;
}

/** What to do before loading the library. */
export interface CoreChoice {
  /** Set OPENBLAS_CORETYPE to this before loading (null: leave the environment as it is). */
  coreType: string | null;
  /** Why, for the report (null: nothing was decided, report OpenBLAS's own choice). */
  reason: string | null;
  /** Set when every core the self-test tried failed: do not load the library at all. */
  unusable?: string;
}

/** Instruction-set levels, lowest first; a core's level is the widest one its kernels use. */
const LEVELS = ['SSE', 'AVX', 'AVX2', 'AVX-512', 'AVX-512 BF16'] as const;
type Level = 0 | 1 | 2 | 3 | 4;

/** OpenBLAS 0.3's x86-64 core names (lower case) by the level of their sgemm kernels. */
const CORE_LEVELS: Record<string, Level> = {
  katmai: 0,
  coppermine: 0,
  northwood: 0,
  prescott: 0,
  banias: 0,
  atom: 0,
  core2: 0,
  penryn: 0,
  dunnington: 0,
  nehalem: 0,
  athlon: 0,
  opteron: 0,
  opteron_sse3: 0,
  barcelona: 0,
  nano: 0,
  bobcat: 0,
  sandybridge: 1,
  bulldozer: 1,
  piledriver: 1,
  steamroller: 1,
  excavator: 1,
  haswell: 2,
  zen: 2,
  skylakex: 3,
  cooperlake: 4,
  sapphirerapids: 4,
};

/** What /proc/cpuinfo says about the processor. */
export interface CpuFeatures {
  model: string;
  vendor: string;
  flags: Set<string>;
}

export function parseCpuinfo(text: string): CpuFeatures | null {
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = field('flags');
  if (flags == null) return null;
  return { model: field('model name') ?? '', vendor: field('vendor_id') ?? '', flags: new Set(flags.split(/\s+/)) };
}

/** The widest level the processor supports. */
export function cpuLevel(cpu: CpuFeatures): Level {
  const has = (...names: string[]): boolean => names.every((name) => cpu.flags.has(name));
  if (has('avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd')) return has('avx512_bf16') ? 4 : 3;
  if (has('avx2', 'fma')) return 2;
  if (has('avx')) return 1;
  return 0;
}

/** The cores worth trying on this processor above `floor`, best first. */
export function coresAbove(cpu: CpuFeatures, floor: number): string[] {
  const amd = /AuthenticAMD|HygonGenuine/.test(cpu.vendor);
  const byLevel: Record<Level, string | null> = { 0: null, 1: 'Sandybridge', 2: amd ? 'Zen' : 'Haswell', 3: 'SkylakeX', 4: 'Cooperlake' };
  const cores: string[] = [];
  for (let level = cpuLevel(cpu); level > floor; level--) {
    const core = byLevel[level as Level];
    if (core) cores.push(core);
  }
  return cores;
}

/** A core's level, or null for a name this table does not know (another architecture). */
export function coreLevel(name: string): Level | null {
  return CORE_LEVELS[name.toLowerCase()] ?? null;
}

/** What one self-test child found. */
export type ProbeOutcome =
  | { ok: true; core: string | null; config: string; library: string }
  | { ok: false; failure: string; core?: string; library?: string }
  /** The child could not run the test at all (no koffi, no library): nothing is known. */
  | { ok: null; failure: string };

/**
 * The self-test child: loads the first library that has cblas_sgemm, computes a few products of
 * deterministic matrices (sizes that reach the blocked kernels, both transposes) and prints them
 * with the core and configuration. Exit 3: nothing could be loaded (not the kernels' fault).
 */
export const SELF_TEST_SCRIPT = `
const [koffiPath, namesJson, shapesJson] = process.argv.slice(1);
let koffi;
try { koffi = require(koffiPath); } catch (e) { process.stderr.write('koffi: ' + e.message); process.exit(3); }
let lib, sgemm, loaded;
for (const name of JSON.parse(namesJson)) {
  try { lib = koffi.load(name); } catch { continue; }
  try {
    sgemm = lib.func('void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int)');
    loaded = name;
    break;
  } catch {}
}
if (!sgemm) { process.stderr.write('no library with cblas_sgemm'); process.exit(3); }
const optional = (sig) => { try { return lib.func(sig); } catch { return null; } };
const threads = optional('void openblas_set_num_threads(int)');
if (threads) threads(1);
const corename = optional('const char *openblas_get_corename()');
const config = optional('const char *openblas_get_config()');
let seed = 12345;
const fill = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; a[i] = seed / 2147483648 - 1; } return a; };
const results = [];
for (const [m, n, k, ta, tb] of JSON.parse(shapesJson)) {
  const a = fill(m * k), b = fill(k * n), c = new Float32Array(m * n);
  sgemm(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, 1, a, ta ? m : k, b, tb ? k : n, 0, c, n);
  results.push(Buffer.from(c.buffer).toString('base64'));
}
process.stdout.write(JSON.stringify({ core: corename ? String(corename()) : null, config: config ? String(config()) : '', library: loaded, results }));
`;

/** [m, n, k, transA, transB]: square blocks past the kernels' unroll, odd edges, both transposes. */
const SHAPES: [number, number, number, 0 | 1, 0 | 1][] = [
  [96, 96, 96, 0, 0],
  [67, 53, 129, 0, 1],
  [45, 70, 33, 1, 0],
];

/** The same deterministic matrices as the child, and the product in double precision. */
function referenceProducts(): Float64Array[] {
  let seed = 12345;
  const fill = (n: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      a[i] = seed / 2147483648 - 1;
    }
    return a;
  };
  return SHAPES.map(([m, n, k, ta, tb]) => {
    const a = fill(m * k);
    const b = fill(k * n);
    const c = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[ta ? p * m + i : i * k + p]! * b[tb ? j * k + p : p * n + j]!;
        c[i * n + j] = sum;
      }
    }
    return c;
  });
}

/** The largest error of the child's products, relative to the magnitude of a k-term sum. */
function productError(encoded: string[]): number {
  const reference = referenceProducts();
  if (encoded.length !== reference.length) return Infinity;
  let worst = 0;
  reference.forEach((expected, index) => {
    const bytes = Buffer.from(encoded[index]!, 'base64');
    if (bytes.byteLength !== expected.length * 4) {
      worst = Infinity;
      return;
    }
    const got = new Float32Array(bytes.buffer, bytes.byteOffset, expected.length);
    const scale = Math.sqrt(SHAPES[index]![2]);
    for (let i = 0; i < expected.length; i++) {
      const error = Math.abs(got[i]! - expected[i]!) / scale;
      if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
    }
  });
  return worst;
}

/** Float32 products of k ≤ 129 terms of magnitude < 1 are within ~1e-5·√k; a wrong kernel is far off. */
const TOLERANCE = 1e-4;

export interface ProbeOptions {
  /** The child's program (tests inject crashing or wrong ones). */
  script?: string;
  timeoutMs?: number;
}

/** Runs the self-test in a child with OPENBLAS_CORETYPE set to `coreType` (null: unset). */
export function probeCore(coreType: string | null, libraries: string[], options: ProbeOptions = {}): ProbeOutcome {
  let koffiPath: string;
  try {
    koffiPath = requireResolve('koffi');
  } catch {
    return { ok: null, failure: 'the koffi package is not installed' };
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1', OPENBLAS_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.NODE_OPTIONS;
  if (coreType) env.OPENBLAS_CORETYPE = coreType;
  const child = spawnSync(
    process.execPath,
    ['-e', options.script ?? SELF_TEST_SCRIPT, koffiPath, JSON.stringify(libraries), JSON.stringify(SHAPES)],
    { env, encoding: 'utf8', timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
  );
  if (child.error && (child.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') {
    return { ok: null, failure: `the self-test could not start: ${child.error.message}` };
  }
  if (child.status === 3) return { ok: null, failure: child.stderr.trim() || 'the self-test found no library' };
  if (child.signal) return { ok: false, failure: child.error ? 'hung (timed out)' : `crashed (${child.signal})` };
  if (child.status !== 0) return { ok: false, failure: `failed (exit ${child.status}: ${child.stderr.trim().split('\n').pop()})` };
  let report: { core: string | null; config: string; library: string; results: string[] };
  try {
    report = JSON.parse(child.stdout) as typeof report;
  } catch {
    return { ok: false, failure: 'printed no readable result' };
  }
  const core = report.core ?? undefined;
  if (coreType && core && core.toLowerCase() !== coreType.toLowerCase()) {
    return { ok: false, failure: `not accepted by this OpenBLAS (it ran ${core})`, core, library: report.library };
  }
  const error = productError(report.results);
  if (!(error <= TOLERANCE)) {
    const size = Number.isFinite(error) ? `error ${error.toExponential(1)}` : 'unreadable or non-finite values';
    return { ok: false, failure: `computed wrong products (${size})`, ...(core ? { core } : {}), library: report.library };
  }
  return { ok: true, core: report.core, config: report.config, library: report.library };
}

/** The child resolves koffi from wherever this module finds it. */
function requireResolve(name: string): string {
  return createRequire(import.meta.url).resolve(name);
}

/** A cached verdict: what to set and why. */
interface Verdict {
  version: 1;
  coreType: string | null;
  reason: string;
  unusable?: string;
}

export interface ChooseOptions {
  /** /proc/cpuinfo's text (tests give another processor). */
  cpuinfo?: string | null;
  /** Where verdicts are kept; null: no cache. */
  cacheRoot?: string | null;
  probe?: ProbeOptions;
  env?: NodeJS.ProcessEnv;
}

/**
 * Decides the core before the library loads: a forced one, an inherited one, a cached verdict,
 * or a fresh self-test. Only on Linux x86-64, where /proc/cpuinfo tells the processor's features.
 */
export function chooseCore(libraries: string[], options: ChooseOptions = {}): CoreChoice {
  const env = options.env ?? process.env;
  const forced = env.SER_BLAS_CORETYPE?.trim();
  if (forced) return { coreType: forced, reason: `forced by SER_BLAS_CORETYPE=${forced}` };
  const inherited = env.OPENBLAS_CORETYPE?.trim();
  const cpuinfo = options.cpuinfo !== undefined ? options.cpuinfo : readCpuinfo();
  const cpu = cpuinfo == null ? null : parseCpuinfo(cpuinfo);
  if (cpu == null) return { coreType: null, reason: inherited ? `OPENBLAS_CORETYPE=${inherited} set in the environment` : null };
  const cacheRoot = options.cacheRoot !== undefined ? options.cacheRoot : defaultCacheRoot();
  const file = cacheRoot == null ? null : join(cacheRoot, 'blas-core', `${verdictKey(cpu, libraries)}.json`);
  const cached = file ? readVerdict(file) : null;
  if (inherited) {
    // A study member inherits the core its parent chose: report the parent's reason.
    if (cached?.coreType && cached.coreType.toLowerCase() === inherited.toLowerCase()) return { coreType: null, reason: cached.reason };
    return { coreType: null, reason: `OPENBLAS_CORETYPE=${inherited} set in the environment${belowHint(inherited, cpu)}` };
  }
  if (cached) return cached.unusable ? { coreType: null, reason: null, unusable: cached.unusable } : cached;
  const verdict = selfTest(cpu, libraries, options.probe ?? {});
  if (verdict == null) return { coreType: null, reason: null };
  // A library refused outright is tested again next time: the failure may have been the moment's.
  if (file && !verdict.unusable) writeVerdict(file, verdict);
  return verdict.unusable ? { coreType: null, reason: null, unusable: verdict.unusable } : verdict;
}

/**
 * An inherited core below the processor's level is honoured (the variable is OpenBLAS's own way to
 * force one) but costs speed: on an AVX-512 EPYC, Haswell's sgemm ran at ~260 GFLOP/s against
 * SkylakeX's ~470, and seed-cnn trained ~1.3x slower. Say so, and how to get the faster one.
 */
function belowHint(inherited: string, cpu: CpuFeatures): string {
  const level = coreLevel(inherited);
  const best = coresAbove(cpu, level ?? Infinity)[0];
  if (level == null || best == null) return '';
  return ` (below this processor's ${LEVELS[cpuLevel(cpu)]}: unset it to let the self-test choose, or set SER_BLAS_CORETYPE=${best})`;
}

/** Null when the self-test could not run at all (the library then loads as it always did). */
function selfTest(cpu: CpuFeatures, libraries: string[], options: ProbeOptions): Verdict | null {
  const own = probeCore(null, libraries, options);
  if (own.ok === null) return null;
  const level = cpuLevel(cpu);
  let ownText: string;
  let floor: number;
  if (own.ok) {
    if (own.core == null) return { version: 1, coreType: null, reason: 'not OpenBLAS: the library picks its own kernels' };
    const ownLevel = coreLevel(own.core);
    if (ownLevel == null) return { version: 1, coreType: null, reason: "OpenBLAS's own choice; passed the self-test" };
    if (ownLevel >= level) {
      return {
        version: 1,
        coreType: null,
        reason: `OpenBLAS's own choice; passed the self-test and matches the processor (${LEVELS[level]})`,
      };
    }
    ownText = `OpenBLAS chose ${own.core}, below this processor's ${LEVELS[level]}`;
    floor = ownLevel;
  } else {
    ownText = `OpenBLAS's own core${own.core ? ` ${own.core}` : ''} ${own.failure} in the self-test`;
    floor = -1;
  }
  const failures: string[] = [];
  for (const core of coresAbove(cpu, floor)) {
    const outcome = probeCore(core, libraries, options);
    if (outcome.ok) {
      const skipped = failures.length > 0 ? ` (${failures.join('; ')})` : '';
      return { version: 1, coreType: core, reason: `${ownText}; ${core} passed the self-test${skipped}` };
    }
    failures.push(`${core} ${outcome.ok === null ? 'could not be tested' : outcome.failure}`);
  }
  if (own.ok) return { version: 1, coreType: null, reason: `${ownText}, kept: ${failures.join('; ')}` };
  const all = [ownText, ...failures].join('; ');
  return { version: 1, coreType: null, reason: all, unusable: `the BLAS failed its self-test: ${all}` };
}

function readCpuinfo(): string | null {
  if (os.platform() !== 'linux' || os.arch() !== 'x64') return null;
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
}

/** The machine (host, processor, features) and each candidate library's file (path, size, time). */
function verdictKey(cpu: CpuFeatures, libraries: string[]): string {
  const hash = createHash('sha256');
  hash.update(`${os.hostname()}\n${cpu.vendor}\n${cpu.model}\n${[...cpu.flags].sort().join(' ')}\n`);
  for (const name of libraries) {
    const file = resolveLibraryFile(name);
    let stamp = 'missing';
    if (file) {
      const stat = statSync(file);
      stamp = `${file} ${stat.size} ${stat.mtimeMs}`;
    }
    hash.update(`${name} ${stamp}\n`);
  }
  return hash.digest('hex').slice(0, 24);
}

/** Where the dynamic loader would find a bare library name, following links (best effort). */
function resolveLibraryFile(name: string): string | null {
  const dirs = name.includes('/')
    ? ['']
    : [
        ...(process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean),
        '/usr/local/lib',
        '/usr/lib/x86_64-linux-gnu',
        '/lib/x86_64-linux-gnu',
        '/usr/lib64',
        '/usr/lib',
      ];
  for (const dir of dirs) {
    const path = dir ? join(dir, name) : name;
    try {
      const stat = statSync(path);
      if (stat.isFile()) return realpathSync(path);
    } catch {
      // not here
    }
  }
  return null;
}

function readVerdict(file: string): Verdict | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<Verdict>;
    if (value.version !== 1 || typeof value.reason !== 'string') return null;
    if (value.coreType !== null && typeof value.coreType !== 'string') return null;
    return value as Verdict;
  } catch {
    return null;
  }
}

/** Atomic (temp file, rename); a cache that cannot be written only costs a self-test next time. */
function writeVerdict(file: string, verdict: Verdict): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify(verdict, null, 2) + '\n');
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}
