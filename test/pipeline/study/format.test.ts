import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFeatureConfig } from '../../../main/features/config';
import { readStudy, STUDY_FORMAT_VERSION, validateStudy, writeStudy, type StudyFile } from '../../../main/pipeline/study/format';
import { applyFeatureOverrides, applyOverrides, expandGrid, parseGridOption } from '../../../main/pipeline/study/grid';
import { memberAt, memberConfig, memberFeatureConfig, studyFeatureConfigs, studyMembers } from '../../../main/pipeline/study/members';
import { compressIndices, parseSlurmStates, slurmScript } from '../../../main/pipeline/study/slurm';
import { resolveTrainingConfig } from '../../../main/training/config';

const base = resolveTrainingConfig({ preset: 'quick', epochs: 2 });
const work = mkdtempSync(join(tmpdir(), 'ser-study-format-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sampleStudy(): StudyFile {
  return {
    formatVersion: STUDY_FORMAT_VERSION,
    name: 'demo',
    createdAt: '2026-01-01T00:00:00.000Z',
    dataset: { root: '/data/emodb', scheme: 'auto', fingerprint: 'abc123', clips: 40, speakers: 4 },
    features: resolveFeatureConfig({ nMfcc: 16, frames: 16 }),
    training: structuredClone(base),
    protocol: { kind: 'kfold', k: 2 },
    validation: { valRatio: 0.1, splitSeed: 1 },
    folds: [
      { test: ['a', 'b'], val: ['c'] },
      { test: ['c', 'd'], val: ['a'] },
    ],
    seeds: [1, 2],
    grid: [
      { field: 'model', values: ['crnn', 'res-cnn'] },
      { field: 'augment.mixupAlpha', values: [0, 0.2] },
    ],
    cacheDir: 'cache',
    backend: 'auto',
  };
}

describe('grid', () => {
  it('types values by the base config field, including dotted paths', () => {
    expect(parseGridOption('model=crnn,res-cnn')).toEqual({ field: 'model', values: ['crnn', 'res-cnn'] });
    expect(parseGridOption('learningRate=1e-3, 0.01')).toEqual({ field: 'learningRate', values: [0.001, 0.01] });
    expect(parseGridOption('balancedSampler=true,false')).toEqual({ field: 'balancedSampler', values: [true, false] });
    expect(parseGridOption('augment.mixupAlpha=0,0.2')).toEqual({ field: 'augment.mixupAlpha', values: [0, 0.2] });
  });

  it('refuses unknown fields, wrong types, the seed and the split with a sentence naming the field', () => {
    expect(() => parseGridOption('modle=crnn')).toThrow("grid field 'modle' is not a training or feature setting");
    expect(() => parseGridOption('epochs=two')).toThrow('epochs must be an integer, got the string "two"');
    expect(() => parseGridOption('balancedSampler=yes')).toThrow('balancedSampler must be true or false, got the string "yes"');
    expect(() => parseGridOption('seed=1,2')).toThrow(/use --seeds/);
    expect(() => parseGridOption('split.valRatio=0.1')).toThrow(/the protocol decides/);
    expect(() => parseGridOption('augment=1')).toThrow(/not a training or feature setting/);
    expect(() => parseGridOption('learningRate=0.001,-1')).toThrow(/learningRate must be a number in/);
    expect(() => parseGridOption('model=crnn,resnet')).toThrow(/model must be/);
    expect(() => parseGridOption('model')).toThrow('--grid must look like field=v1,v2');
    expect(() => parseGridOption('model=crnn,crnn')).toThrow(/twice/);
  });

  it('varies feature settings under features.*, typed and checked by the feature field table', () => {
    expect(parseGridOption('features.frames=100,160')).toEqual({ field: 'features.frames', values: [100, 160] });
    expect(() => parseGridOption('features.frames=100,long')).toThrow('features.frames must be an integer');
    expect(() => parseGridOption('features.frams=100')).toThrow("grid field 'features.frams' is not a training or feature setting");
    expect(() => parseGridOption('features.extras=rms')).toThrow(/is a list/);
    const cell = { model: 'res-cnn', 'features.frames': 160 };
    const features = applyFeatureOverrides(resolveFeatureConfig({ nMfcc: 20 }), cell);
    expect(features).toMatchObject({ frames: 160, nMfcc: 20 });
    expect(applyOverrides(base, cell).model).toBe('res-cnn');
    expect(() => applyFeatureOverrides(resolveFeatureConfig(), { 'features.hopLength': 4096 })).toThrow(
      /^grid cell features.hopLength=4096: /,
    );
  });

  it('expands every combination, first axis slowest, and validates each cell config', () => {
    const cells = expandGrid([parseGridOption('model=crnn,res-cnn'), parseGridOption('epochs=1,3')]);
    expect(cells).toEqual([
      { model: 'crnn', epochs: 1 },
      { model: 'crnn', epochs: 3 },
      { model: 'res-cnn', epochs: 1 },
      { model: 'res-cnn', epochs: 3 },
    ]);
    expect(expandGrid([])).toEqual([{}]);
    const config = applyOverrides(base, { 'augment.mixupAlpha': 0.4, model: 'res-cnn' });
    expect(config.augment.mixupAlpha).toBe(0.4);
    expect(config.augment.noise).toBe(base.augment.noise);
    expect(config.model).toBe('res-cnn');
    expect(base.augment.mixupAlpha).not.toBe(0.4); // the base is not changed
    expect(() => applyOverrides(base, { model: 'resnet' })).toThrow(/^grid cell model=resnet: invalid training config: model must be/);
  });
});

describe('members', () => {
  const study = sampleStudy();

  it('are cell × seed × fold with deterministic ids in a fixed order', () => {
    const members = studyMembers(study);
    expect(members).toHaveLength(4 * 2 * 2);
    expect(members.slice(0, 5).map((m) => m.id)).toEqual(['c1-s1-f1', 'c1-s1-f2', 'c1-s2-f1', 'c1-s2-f2', 'c2-s1-f1']);
    expect(members.map((m) => m.index)).toEqual(members.map((_, i) => i));
    expect(studyMembers(sampleStudy())).toEqual(members);
    expect(new Set(members.map((m) => m.id)).size).toBe(members.length);
    expect(members[15]).toMatchObject({
      id: 'c4-s2-f2',
      cell: 3,
      seed: 2,
      fold: 1,
      overrides: { model: 'res-cnn', 'augment.mixupAlpha': 0.2 },
    });
    expect(() => memberAt(study, 16)).toThrow('member index must be a whole number in 0..15, got 16');
  });

  it("train on their fold's speakers with their seed and their cell's settings", () => {
    const config = memberConfig(study, memberAt(study, 15));
    expect(config.seed).toBe(2);
    expect(config.split).toMatchObject({ kind: 'speaker', testSpeakers: ['c', 'd'], valSpeakers: ['a'] });
    expect(config.model).toBe('res-cnn');
    expect(config.augment.mixupAlpha).toBe(0.2);
    expect(config.epochs).toBe(2);
  });

  it('get their cell’s feature config; the study extracts each distinct one once', () => {
    const study = {
      ...sampleStudy(),
      grid: [
        { field: 'features.frames', values: [16, 32] },
        { field: 'model', values: ['crnn', 'res-cnn'] },
      ],
    };
    const members = studyMembers(study);
    expect(memberFeatureConfig(study, members[0]!).frames).toBe(16);
    expect(memberFeatureConfig(study, members.at(-1)!).frames).toBe(32);
    expect(memberConfig(study, members.at(-1)!).model).toBe('res-cnn');
    expect(studyFeatureConfigs(study).map((c) => c.frames)).toEqual([16, 32]);
    expect(studyFeatureConfigs(sampleStudy())).toEqual([sampleStudy().features]);
  });
});

describe('study.json', () => {
  it('round-trips through the writer and the reader', async () => {
    const dir = join(work, 'round-trip');
    await writeStudy(dir, sampleStudy());
    expect(await readStudy(dir)).toEqual(sampleStudy());
    expect(JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8')).formatVersion).toBe(2);
  });

  it('reads a version-1 study without a normalisation as the training-set statistics it trained with', async () => {
    const dir = join(work, 'version-1');
    const training: Record<string, unknown> = { ...sampleStudy().training };
    delete training.normalization;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'study.json'), JSON.stringify({ ...sampleStudy(), formatVersion: 1, training }));
    expect((await readStudy(dir)).training.normalization).toBe('global');
    const explicit = join(work, 'version-1-speaker');
    mkdirSync(explicit, { recursive: true });
    writeFileSync(join(explicit, 'study.json'), JSON.stringify({ ...sampleStudy(), formatVersion: 1 }));
    expect((await readStudy(explicit)).training.normalization).toBe(sampleStudy().training.normalization);
  });

  it('names the file and the field that is wrong', async () => {
    const path = join(work, 'bad', 'study.json');
    const bad = (patch: (s: Record<string, unknown>) => void) => {
      const s = sampleStudy() as unknown as Record<string, unknown>;
      patch(s);
      return () => validateStudy(s, path);
    };
    expect(bad((s) => (s.seeds = []))).toThrow(`${path}: study.json is invalid: 'seeds' must be a non-empty list of whole numbers`);
    expect(bad((s) => (s.seeds = [1, 1.5]))).toThrow(`${path}: study.json is invalid: 'seeds[1]' must be a whole number ≥ 0`);
    expect(bad((s) => (s.formatVersion = 7))).toThrow(
      `${path}: study.json has formatVersion 7, newer than this release reads (2); update the workbench`,
    );
    expect(bad((s) => (s.protocol = { kind: 'kfold', k: 3 }))).toThrow(
      `${path}: study.json is invalid: 'folds' has 2 folds but the protocol is kfold:3`,
    );
    expect(bad((s) => ((s.folds as { test: string[] }[])[1]!.test = []))).toThrow(
      `${path}: study.json is invalid: 'folds[1].test' must be a non-empty list of speaker names`,
    );
    expect(bad((s) => ((s.training as Record<string, unknown>).epochs = 0))).toThrow(
      `${path}: study.json is invalid: 'training' is invalid: invalid training config: epochs must be`,
    );
    expect(bad((s) => (s.grid = [{ field: 'epochs', values: ['3'] }]))).toThrow(
      `${path}: study.json is invalid: 'grid[0]' is invalid: epochs must be an integer in 1..1000, got the string "3"`,
    );
    expect(bad((s) => (s.backend = 'tpu'))).toThrow(`${path}: study.json is invalid: 'backend' must be one of auto,`);
  });

  it('says when a folder is not a study or its file is not JSON', async () => {
    await expect(readStudy(join(work, 'nothing'))).rejects.toThrow(/is not a study folder: it has no study.json/);
    const dir = join(work, 'torn');
    await writeStudy(dir, sampleStudy());
    writeFileSync(join(dir, 'study.json'), '{"formatVersion": 1, "name": ');
    await expect(readStudy(dir)).rejects.toThrow(/study.json is not valid JSON/);
  });
});

describe('Slurm script', () => {
  it('compresses member indices into array ranges', () => {
    expect(compressIndices([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(compressIndices([3])).toBe('3');
  });

  it('asks for the given resources, logs inside the study and runs one member per task', () => {
    const script = slurmScript(
      '/shared/st',
      [0, 1, 2, 3],
      { partition: 'gpu', time: '01:00:00', cpusPerTask: 4, mem: '8G', maxParallel: 2 },
      { command: '/usr/bin/node', args: ['/opt/ser/out/main/study-member.js'], cwd: '/opt/ser' },
      'ser-study-demo',
    );
    expect(script).toContain('#SBATCH --array=0-3%2\n');
    expect(script).toContain('#SBATCH --output=/shared/st/slurm/logs/%A_%a.out\n');
    for (const line of ['--partition=gpu', '--time=01:00:00', '--cpus-per-task=4', '--mem=8G', '--chdir=/opt/ser'])
      expect(script).toContain(`#SBATCH ${line}\n`);
    expect(script).toContain(
      `exec '/usr/bin/node' '/opt/ser/out/main/study-member.js' '/shared/st' "$SLURM_ARRAY_TASK_ID" --threads "\${SLURM_CPUS_PER_TASK:-1}"`,
    );
  });

  it('reads squeue/sacct lines, including pending ranges and "CANCELLED by" states', () => {
    const states = parseSlurmStates('12_3|RUNNING\n12_[4-6%2]|PENDING\n13_0|CANCELLED by 0\n14|RUNNING\n\n', 'squeue');
    expect([...states.get('12')!.entries()].map(([i, s]) => `${i} ${s.state}`)).toEqual([
      '3 RUNNING',
      '4 PENDING',
      '5 PENDING',
      '6 PENDING',
    ]);
    expect(states.get('13')!.get(0)).toEqual({ jobId: '13', state: 'CANCELLED', source: 'squeue' });
    expect(states.has('14')).toBe(false); // not an array task
  });
});
