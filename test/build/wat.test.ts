/**
 * The build-time WAT assembly (scripts/wat.mjs) behind every `*.wat?bytes` import: the bytes the
 * bundles carry, the `&unshared` variant of a module importing a shared memory, and the errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assembleWat } from '../../scripts/wat.mjs';
import simdLoopsBytes from '../../main/compute/kernels/simd-loops.wat?bytes';
import simdLoopsUnsharedBytes from '../../main/compute/kernels/simd-loops.wat?bytes&unshared';
import melBytes from '../../main/features/mel.wat?bytes';

const work = mkdtempSync(join(tmpdir(), 'ser-wat-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function watFile(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

describe('WAT assembled at build time', () => {
  it('imports give the assembled modules, which compile with the exports the engine calls', async () => {
    expect(melBytes).toEqual(await assembleWat(resolve('main/features/mel.wat')));
    const mel = await WebAssembly.compile(melBytes);
    expect(WebAssembly.Module.exports(mel).map((e) => e.name)).toEqual(['memory', 'melFrames', 'mfccFrames']);
    const loops = await WebAssembly.compile(simdLoopsBytes);
    expect(WebAssembly.Module.exports(loops).map((e) => e.name)).toEqual(
      expect.arrayContaining(['centeredSums', 'channelAffine', 'gradAffine', 'reluGrad', 'patchRows', 'poolGrad']),
    );
  });

  it('&unshared imports a plain memory where the source imports a shared one', async () => {
    const shared = await WebAssembly.compile(simdLoopsBytes);
    const unshared = await WebAssembly.compile(simdLoopsUnsharedBytes);
    const plain = new WebAssembly.Memory({ initial: 1 });
    const sharedMemory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    expect(() => new WebAssembly.Instance(unshared, { env: { memory: plain } })).not.toThrow();
    expect(() => new WebAssembly.Instance(shared, { env: { memory: sharedMemory } })).not.toThrow();
    expect(() => new WebAssembly.Instance(shared, { env: { memory: plain } })).toThrow();
  });

  it('a syntax error names the file and the line', async () => {
    const file = watFile('broken.wat', '(module\n  (func (export "f") (result i32)\n    (i32.bogus 1)))\n');
    await expect(assembleWat(file)).rejects.toThrow(/broken\.wat:3:/);
  });

  it('&unshared on a module without a shared memory import is refused naming the file', async () => {
    const file = watFile('plain.wat', '(module (memory 1))\n');
    await expect(assembleWat(file, { unshared: true })).rejects.toThrow(/plain\.wat: \?bytes&unshared needs a shared memory import/);
  });
});
