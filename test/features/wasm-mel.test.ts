import { afterEach, describe, expect, it } from 'vitest';
import { melPowerSpectrogram, mfcc } from '../../main/features/mfcc';
import { setWasmMelEnabled, wasmMel, wasmMelModuleBytes } from '../../main/features/wasm-mel';
import { createRng } from '../../main/util/random';

const SR = 22050;

function noiseAndTones(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, (_, i) => 0.3 * Math.sin(i * 0.05) + 0.1 * Math.sin(i * 0.71) + 0.05 * (rng.next() - 0.5));
}

/** The same computation through WebAssembly and through JavaScript. */
function both<T>(compute: () => T): { wasm: T; js: T } {
  setWasmMelEnabled(true);
  const wasm = compute();
  setWasmMelEnabled(false);
  const js = compute();
  setWasmMelEnabled(true);
  return { wasm, js };
}

afterEach(() => setWasmMelEnabled(true));

describe('WebAssembly mel spectrogram', () => {
  it('builds a valid module and is available in Node', () => {
    const api = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    expect(api.validate(wasmMelModuleBytes())).toBe(true);
    setWasmMelEnabled(true);
    expect(wasmMel()).not.toBeNull();
  });

  it.each([
    // nFft, nMels, samples, hop: radix-4 and radix-2 first stages, tiny sizes, one frame, many blocks
    [2048, 128, 44100, 512],
    [1024, 40, 10000, 256],
    [512, 64, 3000, 128],
    [256, 20, 100, 64],
    [16, 3, 100, 5],
    [4, 1, 30, 1],
    [2048, 128, 0, 512],
    [2048, 128, 30000, 7],
  ])('matches the JavaScript path (nFft %i, nMels %i, %i samples, hop %i)', (nFft, nMels, length, hopLength) => {
    const samples = noiseAndTones(length, nFft + length);
    const opts = { sampleRate: SR, nFft, hopLength, nMels };
    const { wasm, js } = both(() => melPowerSpectrogram(samples, opts));
    expect([wasm.rows, wasm.frames]).toEqual([js.rows, js.frames]);
    const max = js.data.reduce((a, b) => Math.max(a, b), 0);
    let worst = 0;
    for (let i = 0; i < js.data.length; i++) {
      worst = Math.max(worst, Math.abs(wasm.data[i] - js.data[i]) / Math.max(js.data[i], max * 1e-6, 1e-300));
    }
    expect(worst).toBeLessThanOrEqual(1e-12);
  });

  it.each([
    [2048, 128, 40, 44100, 512],
    [2048, 128, 13, 20000, 512],
    [1024, 40, 20, 10000, 256],
    [512, 36, 20, 3000, 128], // nMels not a multiple of 8: JavaScript dB and DCT
  ])('gives the MFCCs of the JavaScript path (nFft %i, nMels %i, nMfcc %i, %i samples)', (nFft, nMels, nMfcc, length, hopLength) => {
    const samples = noiseAndTones(length, length);
    const opts = { sampleRate: SR, nFft, hopLength, nMels, nMfcc };
    const { wasm, js } = both(() => mfcc(samples, opts));
    expect([wasm.rows, wasm.frames]).toEqual([js.rows, js.frames]);
    let worst = 0;
    for (let i = 0; i < js.data.length; i++) worst = Math.max(worst, Math.abs(wasm.data[i] - js.data[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  it('falls back to JavaScript for non-finite input, so NaN stays NaN as with Math.log', () => {
    const samples = noiseAndTones(8000, 3);
    samples[4000] = Number.NaN;
    const opts = { sampleRate: SR, nFft: 2048, hopLength: 512, nMels: 128, nMfcc: 20 };
    const { wasm, js } = both(() => mfcc(samples, opts));
    expect(Array.from(wasm.data).map(Number.isNaN)).toEqual(Array.from(js.data).map(Number.isNaN));
    expect(wasm.data.some(Number.isNaN)).toBe(true);
  });

  it('keeps working across calls of different sizes and configurations', () => {
    const long = noiseAndTones(200_000, 5);
    const short = noiseAndTones(3000, 6);
    const a = mfcc(long, { sampleRate: SR, nFft: 2048, hopLength: 512, nMels: 128, nMfcc: 40 });
    const b = mfcc(short, { sampleRate: SR, nFft: 512, hopLength: 128, nMels: 40, nMfcc: 13 });
    const again = mfcc(long, { sampleRate: SR, nFft: 2048, hopLength: 512, nMels: 128, nMfcc: 40 });
    expect(Array.from(again.data)).toEqual(Array.from(a.data));
    const { js } = both(() => mfcc(short, { sampleRate: SR, nFft: 512, hopLength: 128, nMels: 40, nMfcc: 13 }));
    let worst = 0;
    for (let i = 0; i < js.data.length; i++) worst = Math.max(worst, Math.abs(b.data[i] - js.data[i]));
    expect(worst).toBeLessThan(1e-4);
  });
});
