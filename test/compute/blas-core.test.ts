/**
 * Choosing OpenBLAS's core: the processor's level from /proc/cpuinfo, the self-test in a child
 * process, and the verdict with its reason. The children run the real OpenBLAS; a library that
 * "misreads" the processor, a crashing core and a wrong-result core are simulated by code put in
 * front of the real self-test program (each child gets OPENBLAS_CORETYPE from the chooser).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseCore, coresAbove, cpuLevel, parseCpuinfo, probeCore, SELF_TEST_SCRIPT } from '../../main/compute/blas-core';
import { candidateLibraries } from '../../main/compute/blas';
import { describeBackend } from '../../renderer/src/lib/backendText';
import { runCli } from '../cli/run-cli';

const cpuinfo = (vendor: string, flags: string): string =>
  `processor\t: 0\nvendor_id\t: ${vendor}\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu sse sse2 ${flags}\n`;

describe('processor level', () => {
  it('reads the features and ranks the cores worth trying, best first', () => {
    const skylake = parseCpuinfo(cpuinfo('GenuineIntel', 'avx avx2 fma avx512f avx512bw avx512vl avx512dq avx512cd'))!;
    expect(skylake.model).toBe('Intel(R) Xeon(R) Processor');
    expect(cpuLevel(skylake)).toBe(3);
    expect(coresAbove(skylake, 0)).toEqual(['SkylakeX', 'Haswell', 'Sandybridge']);
    expect(coresAbove(skylake, 2)).toEqual(['SkylakeX']);
    const zen = parseCpuinfo(cpuinfo('AuthenticAMD', 'avx avx2 fma'))!;
    expect(coresAbove(zen, 0)).toEqual(['Zen', 'Sandybridge']);
    const cooper = parseCpuinfo(cpuinfo('GenuineIntel', 'avx avx2 fma avx512f avx512bw avx512vl avx512dq avx512cd avx512_bf16'))!;
    expect(coresAbove(cooper, 3)).toEqual(['Cooperlake']);
    expect(cpuLevel(parseCpuinfo(cpuinfo('GenuineIntel', 'ssse3'))!)).toBe(0);
    expect(parseCpuinfo('Processor : ARMv8\n')).toBeNull();
  });
});

// The self-test needs OpenBLAS and this processor's features (Linux x86-64).
const libraries = candidateLibraries();
const realCpuinfo = os.platform() === 'linux' && os.arch() === 'x64' ? readFileSync('/proc/cpuinfo', 'utf8') : null;
const realCpu = realCpuinfo ? parseCpuinfo(realCpuinfo) : null;
const own = realCpu ? probeCore(null, libraries) : null;
const skip =
  realCpu == null
    ? 'not Linux x86-64'
    : own?.ok !== true || own.core == null
      ? `no working OpenBLAS (${own && 'failure' in own ? own.failure : 'no core name'})`
      : coresAbove(realCpu, 0).length === 0
        ? 'the processor has no AVX'
        : '';

/** Child programs: the real self-test behind `prefix`, which sees the OPENBLAS_CORETYPE asked for. */
const withPrefix = (prefix: string): string => `${prefix}\n${SELF_TEST_SCRIPT}`;
/** The library misreads the processor: by itself it picks Prescott. */
const MISREAD = `if (!process.env.OPENBLAS_CORETYPE) process.env.OPENBLAS_CORETYPE = 'Prescott';`;
const crashing = (core: string): string => `if (process.env.OPENBLAS_CORETYPE === '${core}') process.kill(process.pid, 'SIGSEGV');`;
/** Adds 1 to one element of the second product when `core` is asked for (null: when none is). */
const wrong = (core: string | null): string => `
if ((process.env.OPENBLAS_CORETYPE ?? null) === ${JSON.stringify(core)}) {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (text) => {
    const report = JSON.parse(text);
    const c = Buffer.from(report.results[1], 'base64');
    c.writeFloatLE(c.readFloatLE(40) + 1, 40);
    report.results[1] = c.toString('base64');
    return write(JSON.stringify(report));
  };
}`;

describe.skipIf(skip !== '')(`the self-test and the choice${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dirs: string[] = [];
  const cacheRoot = (): string => {
    const dir = mkdtempSync(join(os.tmpdir(), 'blas-core-'));
    dirs.push(dir);
    return dir;
  };
  const env = {};
  const best = realCpu ? coresAbove(realCpu, 0) : [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("passes OpenBLAS's own choice when it matches the processor", () => {
    // Keeping the library's own choice must not depend on this machine: ask with this CPU's level.
    const choice = chooseCore(libraries, { cpuinfo: realCpuinfo, cacheRoot: cacheRoot(), env });
    expect(choice.unusable).toBeUndefined();
    expect(choice.reason).toMatch(/OpenBLAS's own choice|OpenBLAS chose/);
  });

  it('picks the core the processor supports when OpenBLAS misreads it, and caches the verdict', () => {
    const root = cacheRoot();
    const choice = chooseCore(libraries, { cpuinfo: realCpuinfo, cacheRoot: root, env, probe: { script: withPrefix(MISREAD) } });
    expect(choice.coreType).toBe(best[0]);
    expect(choice.reason).toContain('OpenBLAS chose Prescott, below this processor');
    expect(choice.reason).toContain(`${best[0]} passed the self-test`);
    expect(readdirSync(join(root, 'blas-core'))).toHaveLength(1);
    // Cached: a child that would crash is never started again.
    const again = chooseCore(libraries, {
      cpuinfo: realCpuinfo,
      cacheRoot: root,
      env,
      probe: { script: crashing('') + '\nprocess.exit(139);' },
    });
    expect(again).toEqual(choice);
  });

  it('never chooses a core that crashes in the self-test', () => {
    const choice = chooseCore(libraries, {
      cpuinfo: realCpuinfo,
      cacheRoot: cacheRoot(),
      env,
      probe: { script: withPrefix(`${MISREAD}\n${crashing(best[0]!)}`) },
    });
    expect(choice.coreType).toBe(best[1] ?? null);
    expect(choice.reason).toContain(`${best[0]} crashed (SIGSEGV)`);
  });

  it('never chooses a core that computes wrong products', () => {
    const choice = chooseCore(libraries, {
      cpuinfo: realCpuinfo,
      cacheRoot: cacheRoot(),
      env,
      probe: { script: withPrefix(`${MISREAD}\n${wrong(best[0]!)}`) },
    });
    expect(choice.coreType).toBe(best[1] ?? null);
    expect(choice.reason).toMatch(new RegExp(`${best[0]} computed wrong products \\(error \\d`));
  });

  it("replaces OpenBLAS's own core when that one computes wrong products", () => {
    const choice = chooseCore(libraries, { cpuinfo: realCpuinfo, cacheRoot: cacheRoot(), env, probe: { script: withPrefix(wrong(null)) } });
    expect(choice.coreType).toBe(best[0]);
    expect(choice.reason).toContain("OpenBLAS's own core");
    expect(choice.reason).toContain('computed wrong products');
  });

  it('refuses the library when every core fails, and tests again next time', () => {
    const root = cacheRoot();
    const choice = chooseCore(libraries, {
      cpuinfo: realCpuinfo,
      cacheRoot: root,
      env,
      probe: { script: withPrefix('process.kill(process.pid, "SIGSEGV");') },
    });
    expect(choice.coreType).toBeNull();
    expect(choice.unusable).toMatch(/^the BLAS failed its self-test: OpenBLAS's own core crashed \(SIGSEGV\)/);
    expect(readdirSync(root)).toEqual([]);
  });

  it('says when a core asked for is not one this OpenBLAS has', () => {
    const outcome = probeCore('NoSuchCore', libraries);
    expect(outcome.ok).toBe(false);
    expect('failure' in outcome && outcome.failure).toContain('not accepted by this OpenBLAS');
  });

  it('honours SER_BLAS_CORETYPE and an inherited OPENBLAS_CORETYPE without a self-test', () => {
    const crash = { script: 'process.exit(139)' };
    const forced = chooseCore(libraries, {
      cpuinfo: realCpuinfo,
      cacheRoot: cacheRoot(),
      env: { SER_BLAS_CORETYPE: 'Haswell' },
      probe: crash,
    });
    expect(forced).toEqual({ coreType: 'Haswell', reason: 'forced by SER_BLAS_CORETYPE=Haswell' });
    const inherited = chooseCore(libraries, {
      cpuinfo: realCpuinfo,
      cacheRoot: cacheRoot(),
      env: { OPENBLAS_CORETYPE: 'Haswell' },
      probe: crash,
    });
    expect(inherited.coreType).toBeNull();
    expect(inherited.reason).toMatch(/^OPENBLAS_CORETYPE=Haswell set in the environment/);
  });

  it('says when an inherited OPENBLAS_CORETYPE is below the processor, and how to get a faster core', () => {
    const choose = (flags: string): string | null =>
      chooseCore(libraries, {
        cpuinfo: cpuinfo('GenuineIntel', flags),
        cacheRoot: null,
        env: { OPENBLAS_CORETYPE: 'Haswell' },
        probe: { script: 'process.exit(139)' },
      }).reason;
    expect(choose('avx avx2 fma avx512f avx512bw avx512vl avx512dq avx512cd')).toBe(
      "OPENBLAS_CORETYPE=Haswell set in the environment (below this processor's AVX-512: unset it to let the self-test choose, or set SER_BLAS_CORETYPE=SkylakeX)",
    );
    expect(choose('avx avx2 fma')).toBe('OPENBLAS_CORETYPE=Haswell set in the environment');
  });
});

describe.skipIf(skip !== '')('`ser backends` names the core', () => {
  it('with the reason, in text and JSON', async () => {
    const core = own?.ok ? own.core! : '';
    const cache = mkdtempSync(join(os.tmpdir(), 'blas-core-cli-'));
    try {
      const env = { SER_BLAS_CORETYPE: core, SER_CACHE_DIR: cache };
      const text = await runCli(['backends'], env);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(
        new RegExp(
          `^wasm .*BLAS: OpenBLAS [\\d.]+ \\(${core}\\), core ${core}: forced by SER_BLAS_CORETYPE=${core}(; convs, batch norm and pooling on .+)?$`,
          'm',
        ),
      );
      const json = await runCli(['backends', '--json'], env);
      const wasm = (
        JSON.parse(json.stdout) as { backends: { name: string; blas?: { core?: { name: string; reason: string } } }[] }
      ).backends.find((b) => b.name === 'wasm');
      expect(wasm?.blas?.core).toEqual({ name: core, reason: `forced by SER_BLAS_CORETYPE=${core}` });
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the core in the backend report', () => {
  it('names the core and why in the badge details', () => {
    const text = describeBackend({
      name: 'wasm',
      tfBackend: 'wasm',
      threads: 2,
      skipped: [],
      version: '4.22.0',
      blas: {
        active: true,
        description: 'OpenBLAS 0.3.21 (SkylakeX)',
        library: 'libopenblas.so.0',
        threads: 2,
        core: { name: 'SkylakeX', reason: 'OpenBLAS chose Prescott, below this processor’s AVX-512; SkylakeX passed the self-test' },
      },
    });
    expect(text.title).toContain('conv layers and matmuls on OpenBLAS 0.3.21 (SkylakeX)');
    expect(text.details).toContain(
      'BLAS core SkylakeX: OpenBLAS chose Prescott, below this processor’s AVX-512; SkylakeX passed the self-test',
    );
  });
});
