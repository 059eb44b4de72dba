import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAudio } from '../../main/audio';
import { scanDataset } from '../../main/dataset';
import { speedPerturbedRate } from '../../main/features/clip';
import { resolveFeatureConfig } from '../../main/features/config';
import { extractFeatures } from '../../main/features/extract';
import { fitStandardizer } from '../../main/features/standardize';
import { loadCheckpoint } from '../../main/models/checkpoint';
import { runTrainingJob, type TrainingEvent } from '../../main/pipeline/job';
import { concatParts, SPEED_FACTORS, speedPerturbedSets } from '../../main/pipeline/speedPerturb';
import { resolveTrainingConfig } from '../../main/training/config';
import { simpleWav, sineInt16 } from '../audio/wav-writer';

const tmp = mkdtempSync(join(tmpdir(), 'ser-speed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Five EmoDB clips of 2.0 s at 22 050 Hz: speakers 03 (two clips), 08, 10 and 12.
const CLIPS = ['03a01Wa.wav', '03b10Ec.wav', '08a01Lc.wav', '10a01Ac.wav', '12a02Ac.wav'];
const dataset = join(tmp, 'emodb');
const cacheRoot = join(tmp, 'cache');

function makeDataset(): void {
  rmSync(dataset, { recursive: true, force: true });
  mkdirSync(dataset, { recursive: true });
  for (const name of CLIPS) copyFileSync(join('test/fixtures/audio', name), join(dataset, name));
}

/** Dominant frequency of a clean tone from its zero crossings. */
function toneFrequency(samples: Float32Array, sampleRate: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1] < 0 !== samples[i] < 0) crossings++;
  return crossings / 2 / (samples.length / sampleRate);
}

describe('speed perturbation', () => {
  it('changes tempo and pitch by the factor', async () => {
    const path = join(tmp, 'tone.wav');
    writeFileSync(path, simpleWav(sineInt16(440, 22050, 22050), 'pcm16', 1, 22050));
    for (const speed of [0.9, 1.1]) {
      const audio = await loadAudio(path, { targetSampleRate: speedPerturbedRate(22050, speed) });
      // Read at 22 050 Hz: 1 / speed as long, speed × the pitch.
      expect(audio.samples.length / 22050).toBeCloseTo(1 / speed, 3);
      expect(toneFrequency(audio.samples.subarray(2000, -2000), 22050)).toBeCloseTo(440 * speed, -1);
    }
    expect(speedPerturbedRate(22050, 1)).toBe(22050);
  });

  it('extracts the training clips only, 1/speed as long, each speed in a cache of its own', async () => {
    makeDataset();
    const scan = await scanDataset(dataset, { scheme: 'emodb' });
    const trainIds = new Set(scan.clips.filter((clip) => clip.speaker === '03' || clip.speaker === '10').map((clip) => clip.id));
    expect(trainIds.size).toBe(3);
    const config = resolveFeatureConfig({ nMfcc: 13, frames: 120 });
    const plain = await extractFeatures(scan, config, { cacheRoot, workers: 1 });
    expect([...plain.validFrames]).toEqual(CLIPS.map(() => 87));

    const sets = await speedPerturbedSets(scan, trainIds, config, { cacheRoot, workers: 1 });
    expect(sets.map((set) => set.speed)).toEqual([...SPEED_FACTORS]);
    for (const set of sets) {
      expect(set.clips.map((clip) => clip.id).sort()).toEqual([...trainIds].sort());
      expect(set.stats.computed).toBe(3);
      // 44 100 samples become 49 000 (0.9) or 40 090 (1.1): 1 + floor(n / 512) frames.
      expect([...set.validFrames]).toEqual([0, 1, 2].map(() => (set.speed === 0.9 ? 96 : 79)));
      expect(set.durationsS[0]).toBeCloseTo(2 / set.speed, 3);
      expect(set.configHash).toBe(plain.configHash);
      expect(set.cacheDir).not.toBe(plain.cacheDir);
      // Different matrices from the unperturbed clip.
      expect(set.data.subarray(0, set.rows * set.frames)).not.toEqual(plain.data.subarray(0, plain.rows * plain.frames));
    }
    expect(sets[0].cacheDir).not.toBe(sets[1].cacheDir);

    // Served from their own caches the second time; the unperturbed cache is left as it was.
    const again = await speedPerturbedSets(scan, trainIds, config, { cacheRoot, workers: 1 });
    expect(again.map((set) => set.stats.fromCache)).toEqual([3, 3]);
    expect(again[0].data).toEqual(sets[0].data);
    const plainAgain = await extractFeatures(scan, config, { cacheRoot, workers: 1 });
    expect([plainAgain.stats.fromCache, plainAgain.stats.computed]).toEqual([5, 0]);
    expect(plainAgain.data).toEqual(plain.data);
  });

  it('adds perturbed training clips to a training job, never validation or test clips, with unperturbed statistics', async () => {
    makeDataset();
    const jobCache = join(tmp, 'job-cache');
    const events: TrainingEvent[] = [];
    const featureConfig = { nMfcc: 16, frames: 32 };
    const result = await runTrainingJob({
      datasetRoot: dataset,
      scheme: 'emodb',
      config: resolveTrainingConfig({
        preset: 'quick',
        model: 'seed-cnn',
        epochs: 1,
        batchSize: 4,
        seed: 1,
        augment: { speedPerturb: true },
        // Training-set statistics: the check below is that they come from the unperturbed clips.
        normalization: 'global',
        split: { kind: 'speaker', testSpeakers: ['08'], valSpeakers: ['12'] },
      }),
      featureConfig,
      runsDir: join(tmp, 'runs'),
      cacheRoot: jobCache,
      onEvent: (event) => events.push(event),
    });
    expect(result.status).toBe('done');
    const logs = events.flatMap((event) => (event.type === 'log' ? [event.message] : []));
    expect(logs).toContain('speed perturbation: 9 training examples (the training clips at speeds 1, 0.9, 1.1)');

    // The perturbed caches hold the three training clips (speakers 03 and 10) and nothing else.
    const scan = await scanDataset(dataset, { scheme: 'emodb' });
    const trainIds = new Set(scan.clips.filter((clip) => ['03', '10'].includes(clip.speaker)).map((clip) => clip.id));
    const config = resolveFeatureConfig(featureConfig);
    for (const set of await speedPerturbedSets(scan, trainIds, config, { cacheRoot: jobCache, workers: 1 })) {
      expect([set.stats.fromCache, set.stats.computed]).toEqual([3, 0]);
    }
    const plain = await extractFeatures(scan, config, { cacheRoot: jobCache, workers: 1 });
    const slot = plain.rows * plain.frames;
    const trainMatrices = plain.clips.flatMap((clip, i) => (trainIds.has(clip.id) ? [plain.data.subarray(i * slot, (i + 1) * slot)] : []));
    const { model, manifest } = await loadCheckpoint(join(result.runDir, 'checkpoints', 'final'));
    model.dispose();
    expect(manifest.standardizer).toEqual(fitStandardizer(trainMatrices, plain.rows, plain.frames));
  });

  it('refuses a speed outside 0.5..2', async () => {
    makeDataset();
    const scan = await scanDataset(dataset, { scheme: 'emodb' });
    await expect(extractFeatures(scan, resolveFeatureConfig(), { cacheRoot, speed: 3 })).rejects.toThrow(
      'speed must be a number in [0.5, 2], got 3',
    );
  });

  it('concatenates prepared parts in order', () => {
    const part = (values: number[], labels: number[]) => ({
      clips: [],
      set: { x: Float32Array.from(values), y: Int32Array.from(labels), count: labels.length },
      ownStatistics: [],
      globalStatistics: [],
    });
    const joined = concatParts([part([1, 2], [0]), part([3, 4, 5, 6], [1, 2])]);
    expect([...joined.set.x]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...joined.set.y]).toEqual([0, 1, 2]);
    expect(joined.set.count).toBe(3);
  });
});
