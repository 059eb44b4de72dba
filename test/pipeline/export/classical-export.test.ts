/**
 * ONNX export of the classical classifiers, verified outside the workbench: a run of every
 * classical model is trained on the demo set's egemaps-like functionals; onnxruntime-node must
 * give the probabilities of the workbench's predict path on every clip (within 1e-4), for both
 * checkpoints, and Debian's ONNX checker must accept every file. The export README's feature
 * command and Node example run as written. Each tool that is absent skips its part with a
 * printed reason.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { featuresCommand } from '../../../main/cli/commands/features';
import { scanDataset } from '../../../main/dataset';
import { extractFeatures, type FeatureSet } from '../../../main/features/extract';
import { applyStandardizer, normalizeClips, recordedNormalizer } from '../../../main/features/standardize';
import { readEvaluation } from '../../../main/evaluation/file';
import { openCheckpoint } from '../../../main/models/checkpoint';
import { exportOnnx, type ExportDescription } from '../../../main/pipeline/export/exportOnnx';
import { writeFusedCheckpoint } from '../../../main/pipeline/inference/fused';
import { runTrainingJob } from '../../../main/pipeline/job';
import { ONNX_OPSET } from '../../../main/pipeline/export/onnxProto';
import { CLASSICAL_MODEL_NAMES, type ClassicalModelName } from '../../../main/schema/names';
import { resolveTrainingConfig } from '../../../main/training/config';
import { DEMO_DIR, demoFile } from '../inference/helpers';
import { findOnnxPython, loadOnnxRuntime, maxDifference, onnxCheckerProblem, TEST_CLIPS, type Ort } from './helpers';

const runtime = await loadOnnxRuntime();
const checker = findOnnxPython();
if ('reason' in runtime) console.log(`skipping the onnxruntime comparisons: ${runtime.reason}`);
if ('reason' in checker) console.log(`skipping the ONNX checker: ${checker.reason}`);
const ort: Ort | null = 'ort' in runtime ? runtime.ort : null;
const python = 'python' in checker ? checker.python : null;

const FEATURE_CONFIG = { representation: 'egemaps-like' } as const;
const DIMS = 88;
const LABEL_COUNT = 7;

let work: string;
let cache: string;
let features: FeatureSet;
const runDirs = new Map<ClassicalModelName, string>();

async function train(model: ClassicalModelName, normalization: 'global' | 'speaker'): Promise<string> {
  const result = await runTrainingJob({
    datasetRoot: DEMO_DIR,
    config: resolveTrainingConfig({
      model,
      normalization,
      seed: 5,
      split: { kind: 'speaker', testSpeakers: ['03', '08'], valSpeakers: ['09'] },
      classifier: { innerFolds: 3, hiddenUnits: 12 },
    }),
    featureConfig: FEATURE_CONFIG,
    cacheRoot: cache,
    runsDir: join(work, 'runs'),
    backend: 'cpu',
    onEvent: () => undefined,
  });
  expect(result.status).toBe('done');
  return result.runDir;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ser-classical-export-'));
  cache = join(work, 'cache');
  for (const model of CLASSICAL_MODEL_NAMES) runDirs.set(model, await train(model, 'global'));
  const { manifest } = await openCheckpoint(join(runDirs.get('logreg')!, 'checkpoints', 'best'));
  features = await extractFeatures(await scanDataset(DEMO_DIR), manifest.featureConfig, { cacheRoot: cache });
}, 300_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Every demo clip's vector standardised as the checkpoint's manifest says (its global statistics). */
function standardised(stats: { mean: number[]; std: number[] }): Float32Array {
  const x = new Float32Array(features.clips.length * DIMS);
  for (let i = 0; i < features.clips.length; i++) {
    x.set(applyStandardizer(features.data.subarray(i * DIMS, (i + 1) * DIMS), stats, DIMS, 1, 1), i * DIMS);
  }
  return x;
}

async function onnxProbabilities(runtime: Ort, file: string, x: Float32Array, count: number): Promise<Float32Array> {
  const session = await runtime.InferenceSession.create(file);
  try {
    const { probabilities } = await session.run({ features: new runtime.Tensor('float32', x, [count, DIMS]) });
    expect(probabilities!.dims).toEqual([count, LABEL_COUNT]);
    return probabilities!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe.each(CLASSICAL_MODEL_NAMES)('ONNX export of %s', (modelName) => {
  it.each(['best', 'final'] as const)(
    '%s: onnxruntime gives the workbench probabilities, the ONNX checker accepts the file',
    async (checkpoint) => {
      const runDir = runDirs.get(modelName)!;
      const result = await exportOnnx({ source: runDir, checkpoint });
      expect(result).toMatchObject({ modelName, inputKind: 'vector', framesFixedBy: null, opset: ONNX_OPSET });
      expect((await readdir(result.dir)).sort()).toEqual(['README.md', 'export.json', 'model.onnx']);

      const description = JSON.parse(await readFile(join(result.dir, 'export.json'), 'utf8')) as ExportDescription;
      const loaded = await openCheckpoint(join(runDir, 'checkpoints', checkpoint));
      const { manifest } = loaded;
      expect(description).toMatchObject({
        model: modelName,
        inputKind: 'vector',
        inputs: [{ name: 'features', shape: ['batch', DIMS] }],
        output: { name: 'probabilities', shape: ['batch', LABEL_COUNT] },
        labels: manifest.labels,
        featureConfig: { representation: 'egemaps-like' },
        featureConfigHash: manifest.featureConfigHash,
        normalization: { mode: 'global', maskPadding: true },
        standardizer: manifest.standardizer,
      });
      expect(description.featureNames).toEqual(features.rowNames);

      const file = join(result.dir, 'model.onnx');
      if (python) expect(onnxCheckerProblem(python, file)).toBe('');
      if (!ort) return;
      const count = features.clips.length;
      const x = standardised(manifest.standardizer!);
      const expected = await loaded.predictProbabilities({ x, count });
      const actual = await onnxProbabilities(ort, file, x, count);
      expect(maxDifference(actual, expected)).toBeLessThanOrEqual(1e-4);

      // The run's stored test evaluation (the workbench's predictions of its test clips) agrees too.
      const evaluation = (await readEvaluation(runDir, checkpoint))!;
      const index = new Map(features.clips.map((clip, i) => [clip.id, i]));
      for (const prediction of evaluation.predictions) {
        const i = index.get(prediction.clipId)!;
        expect(maxDifference(actual.subarray(i * LABEL_COUNT, (i + 1) * LABEL_COUNT), prediction.probabilities)).toBeLessThanOrEqual(1e-4);
      }
      // One clip alone gives what it gives in the batch: the batch is a dynamic dimension.
      const single = await onnxProbabilities(ort, file, x.subarray(0, DIMS), 1);
      expect(maxDifference(single, expected.subarray(0, LABEL_COUNT))).toBeLessThanOrEqual(1e-4);
    },
    120_000,
  );
});

describe('the export README of a classical model', () => {
  it.each([
    ['svm-rbf', 'global'],
    ['logreg', 'speaker'],
    ['knn', 'speaker'],
  ] as const)(
    '%s, %s normalisation: its `ser features` command and Node example run as written',
    async (modelName, normalization) => {
      const runDir = normalization === 'global' ? runDirs.get(modelName)! : await train(modelName, normalization);
      const result = await exportOnnx({ source: runDir, checkpoint: 'best', out: join(work, `readme-${modelName}`) });
      const readme = await readFile(join(result.dir, 'README.md'), 'utf8');
      expect(readme).toContain('docs/FUNCTIONALS.md');
      expect(readme).toContain(
        "modelled on openSMILE's\neGeMAPS v02 set, but not it: openSMILE, librosa or Praat do not give the same numbers",
      );

      // The clips (all of speaker 03) in a folder named after an emotion, as the README says.
      await mkdir(join(result.dir, 'clips', 'neutral'), { recursive: true });
      for (const name of TEST_CLIPS) await copyFile(demoFile(name), join(result.dir, 'clips', 'neutral', name));
      const command = /```sh\n(ser features [^\n]*)\n```/.exec(readme)![1]!.split(' ').slice(2);
      expect(command).toEqual(['clips', '--representation', 'egemaps-like', '--sample-rate', '22050', '--export', 'clips.npy']);
      const inFolder = command.map((arg) => (arg === 'clips' || arg === 'clips.npy' ? join(result.dir, arg) : arg));
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        await featuresCommand([...inFolder, '--cache-dir', join(work, 'readme-cache')]);
      } finally {
        stdout.mockRestore();
      }
      const sidecar = JSON.parse(await readFile(join(result.dir, 'clips.json'), 'utf8')) as { configHash: string; files: string[] };
      if (normalization === 'speaker') {
        // A clip of unknown speaker: the training clips' statistics, recorded in export.json and named in the README.
        const described = JSON.parse(await readFile(join(result.dir, 'export.json'), 'utf8'));
        expect(described.normalization.globalStats.mean).toHaveLength(DIMS);
        expect(readme).toContain(
          "A clip whose speaker is unknown is standardised with the training clips' mean and standard deviation instead (`normalization.globalStats` in export.json)",
        );
      }
      expect(readme).toContain(`must be \`${sidecar.configHash}\``);
      if (!ort) return;
      const example = /```js\n([\s\S]*?)```/.exec(readme)![1]!;
      await writeFile(join(result.dir, 'example.cjs'), example);
      const run = spawnSync(process.execPath, ['example.cjs'], {
        cwd: result.dir,
        encoding: 'utf8',
        env: { ...process.env, NODE_PATH: resolve('node_modules') },
      });
      expect(run.stderr).toBe('');

      // The workbench's predictions of the same clips, from the run's own features of them.
      const loaded = await openCheckpoint(join(runDir, 'checkpoints', 'best'));
      const clips = sidecar.files.map((path) => {
        const i = features.clips.findIndex((clip) => clip.id === basename(path));
        return { data: features.data.slice(i * DIMS, (i + 1) * DIMS), validFrames: 1, speaker: features.clips[i]!.speaker };
      });
      const normalizer = normalization === 'global' ? recordedNormalizer(loaded.manifest) : { mode: normalization };
      const x = Float32Array.from(normalizeClips(clips, normalizer, DIMS, 1).matrices.flatMap((m) => Array.from(m)));
      const probabilities = await loaded.predictProbabilities({ x, count: clips.length });
      const lines = sidecar.files.map((path, c) => {
        const p = Array.from(probabilities.subarray(c * LABEL_COUNT, (c + 1) * LABEL_COUNT));
        return `${path} ${loaded.manifest.labels[p.indexOf(Math.max(...p))]}`;
      });
      expect(run.stdout.trim().split('\n')).toEqual(lines);
    },
    120_000,
  );
});

describe('ONNX export of what it cannot take', () => {
  it('refuses a fused checkpoint in one line, naming why, and writes nothing', async () => {
    const fusedRun = join(work, 'fused-run');
    await writeFusedCheckpoint([runDirs.get('logreg')!, runDirs.get('knn')!], join(fusedRun, 'checkpoints', 'best'));
    await writeFile(join(fusedRun, 'run.json'), JSON.stringify({ id: 'fused-run', status: 'done' }));
    const error = (await exportOnnx({ source: fusedRun }).catch((err: Error) => err)) as Error;
    expect(error.message).toMatch(
      /^Checkpoint .*best is a late fusion of several checkpoints, which ONNX export does not take: export each member's run$/,
    );
    await expect(readdir(join(fusedRun, 'exports'))).rejects.toThrow(/ENOENT/);
  });

  it('names the damaged part of a classifier checkpoint', async () => {
    const runDir = join(work, 'damaged-run');
    await cp(runDirs.get('svm-linear')!, runDir, { recursive: true });
    await rm(join(runDir, 'exports'), { recursive: true, force: true });
    const path = join(runDir, 'checkpoints', 'best', 'classifier.json');
    const file = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...file, parameters: { ...file.parameters, bias: [1] } }));
    await expect(exportOnnx({ source: runDir, checkpoint: 'best' })).rejects.toThrow(/classifier.json: bias must be 7 finite numbers$/);
    await expect(readdir(join(runDir, 'exports'))).rejects.toThrow(/ENOENT/);
  });
});
