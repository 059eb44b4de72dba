import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWavPcm16 } from '../../main/audio/wav';
import { scanDataset } from '../../main/dataset';
import { DEFAULT_FEATURE_CONFIG, resolveFeatureConfig } from '../../main/features/config';
import { extractFeatures } from '../../main/features/extract';
import { AUTO_FRAMES_MAX, AUTO_FRAMES_MIN, autoFrames, naturalFrames, resolveFrames } from '../../main/features/frames';

const CFG = DEFAULT_FEATURE_CONFIG;

describe('auto frames', () => {
  it('counts frames as librosa does: 1 + samples / hop', () => {
    expect(naturalFrames(2.0, CFG)).toBe(1 + Math.floor(44100 / 512));
    expect(naturalFrames(3.7, CFG)).toBe(160);
    expect(naturalFrames(0, CFG)).toBe(1);
  });

  it('covers the longest clip, at least the minimum, at most the maximum', () => {
    expect(autoFrames([1.2, 2.0, 1.9], CFG).config.frames).toBe(AUTO_FRAMES_MIN);
    expect(autoFrames([1.2, 2.0, 1.9], CFG).note).toMatch(
      /frames auto: 100 \(2\.32 s, the minimum; the longest clip is 2\.00 s, 87 frames\)/,
    );
    expect(autoFrames([2.0, 3.7, 3.1], CFG).config.frames).toBe(160);
    expect(autoFrames([2.0, 3.7, 3.1], CFG).note).toMatch(/frames auto: 160 \(3\.72 s: the longest clip is 3\.70 s, 160 frames\)/);
    const long = autoFrames([3, 14, 30, 5], CFG);
    expect(long.config.frames).toBe(AUTO_FRAMES_MAX);
    expect(long.note).toMatch(/the maximum: the longest clip is 30\.00 s, 1292 frames; 2 clip\(s\) are cut/);
    expect(autoFrames([], CFG)).toEqual({
      config: { ...CFG, frames: AUTO_FRAMES_MIN },
      note: expect.stringMatching(/no clip could be measured/),
    });
  });

  it('leaves a config with a length alone, without probing', async () => {
    const config = resolveFeatureConfig({ frames: 64 });
    const probe = () => Promise.reject(new Error('must not probe'));
    expect(await resolveFrames(config, [{ path: '/nowhere.wav' } as never], probe)).toEqual({ config, note: null });
  });

  it('leaves out clips the probe cannot read', async () => {
    const clips = ['a', 'b', 'c'].map((path) => ({ path }) as never);
    const probe = (path: string) =>
      path === 'b'
        ? Promise.reject(new Error('corrupt'))
        : Promise.resolve({ durationS: path === 'a' ? 3.7 : 1, sampleRate: 16000, channels: 1 });
    expect((await resolveFrames(CFG, clips, probe)).config.frames).toBe(160);
  });
});

describe('extraction with auto frames', () => {
  let root: string;
  let cacheRoot: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ser-frames-'));
    cacheRoot = mkdtempSync(join(tmpdir(), 'ser-frames-cache-'));
    const tone = (seconds: number) => {
      const samples = new Float32Array(Math.round(seconds * 16000));
      for (let i = 0; i < samples.length; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * 220 * i) / 16000);
      return encodeWavPcm16(samples, 16000);
    };
    for (const [label, seconds] of [
      ['angry', 3.7],
      ['angry', 1.0],
      ['neutral', 2.5],
      ['neutral', 1.5],
    ] as const) {
      mkdirSync(join(root, label), { recursive: true });
      writeFileSync(join(root, label, `${seconds}.wav`), tone(seconds));
    }
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(cacheRoot, { recursive: true, force: true });
  });

  it('gives every clip the length of the longest, which keeps all of its frames', async () => {
    const scan = await scanDataset(root, { scheme: 'folder-per-class' });
    const set = await extractFeatures(scan, DEFAULT_FEATURE_CONFIG, { cacheRoot, workers: 1 });
    expect(set.frames).toBe(160);
    expect(set.config.frames).toBe(160);
    const byName = new Map(set.clips.map((clip, i) => [clip.relPath, set.validFrames[i]]));
    expect(byName.get('angry/3.7.wav')).toBe(160);
    expect(byName.get('angry/1.wav')).toBe(naturalFrames(1, CFG));
    // The resolved length names the cache: asking for 160 frames reads the same matrices.
    const again = await extractFeatures(scan, resolveFeatureConfig({ frames: 160 }), { cacheRoot, workers: 1 });
    expect(again.configHash).toBe(set.configHash);
    expect(again.stats.fromCache).toBe(4);
  });
});
