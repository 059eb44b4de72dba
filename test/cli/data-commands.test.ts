import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeNpyFloat32 } from '../../main/features/npy';
import { runCli } from './run-cli';

const DEMO = 'resources/demo-emodb';
const work = mkdtempSync(join(tmpdir(), 'ser-cli-'));
const env = { SER_CACHE_DIR: join(work, 'cache') };

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('CLI: scan, features, split on the demo set', () => {
  it('scan --json reports the scheme, classes and speakers', async () => {
    const result = await runCli(['scan', DEMO, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.scheme).toBe('emodb');
    expect(report.speakers).toEqual(['03', '08', '09', '10', '11', '12', '13', '14', '15', '16']);
    expect(report.labels).toHaveLength(7);
    expect(report.skipped).toEqual([]);
  });

  it('features --export writes a numpy matrix and a sidecar in the same order; the second run is served from the cache', async () => {
    const npy = join(work, 'demo.npy');
    const first = await runCli(['features', DEMO, '--export', npy, '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ clips: 135, computed: 135, fromCache: 0, shape: [135, 40, 100] });

    const { data, shape } = decodeNpyFloat32(new Uint8Array(readFileSync(npy)));
    expect(shape).toEqual([135, 40, 100]);
    const sidecar = JSON.parse(readFileSync(join(work, 'demo.json'), 'utf8'));
    expect(sidecar.files).toHaveLength(135);
    expect(sidecar.labels).toHaveLength(135);
    expect(sidecar.speakers).toHaveLength(135);
    const i = sidecar.files.findIndex((f: string) => f.endsWith('03a01Wa.wav'));
    expect(sidecar.labels[i]).toBe('anger');
    expect(sidecar.speakers[i]).toBe('03');
    // Golden parity through the whole CLI path: librosa's mfcc40 for this clip.
    const golden = JSON.parse(readFileSync('test/fixtures/golden/emodb_03a01Wa.json', 'utf8')).arrays.mfcc40.data as number[][];
    let maxError = 0;
    for (let r = 0; r < 40; r++)
      for (let f = 0; f < 87; f++) maxError = Math.max(maxError, Math.abs(data[i * 4000 + r * 100 + f]! - golden[r]![f]!));
    expect(maxError).toBeLessThan(0.01);

    const second = await runCli(['features', DEMO, '--json'], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ computed: 0, fromCache: 135 });
  });

  it('split honours explicit speaker lists and never shares a speaker', async () => {
    const result = await runCli(['split', DEMO, '--by', 'speaker', '--test-speakers', '03,08', '--val-speakers', '09', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const split = JSON.parse(result.stdout);
    expect(split.speakers.test).toEqual(['03', '08']);
    expect(split.speakers.val).toEqual(['09']);
    expect(split.speakers.train).toHaveLength(7);
    expect(split.leaksSpeakers).toBe(false);
    const ids = [...split.train, ...split.val, ...split.test];
    expect(new Set(ids).size).toBe(135);
  });

  it('fails with a non-zero exit and a one-line reason', async () => {
    const missing = await runCli(['scan', join(work, 'no-such-folder')], env);
    expect(missing.code).not.toBe(0);
    expect(
      missing.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('ser ')),
    ).toHaveLength(1);
    const badSpeaker = await runCli(['split', DEMO, '--test-speakers', '99'], env);
    expect(badSpeaker.code).not.toBe(0);
    expect(badSpeaker.stderr).toMatch(/99/);
    const badOption = await runCli(['features', DEMO, '--n-mfcc', 'many'], env);
    expect(badOption.code).not.toBe(0);
    expect(badOption.stderr).toMatch(/--n-mfcc: nMfcc must be an integer, got the string "many"/);
  });
});
