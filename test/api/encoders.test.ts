/**
 * The encoder folder through the handler table: encoders.open reads it and lets this session's
 * feature configs name it; a config naming a folder not chosen is refused; the feature status of
 * an encoder config names the model.
 */
import { cpSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestArgs, RequestName, RequestResult } from '../../main/api/contract';
import { createEngine, dispatch, type Engine } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';
import { runTrainingJob } from '../../main/pipeline/job';
import { resolveTrainingConfig } from '../../main/training/config';
import { BAD_INPUT_NAME, TINY, TINY_LAST_ONLY } from '../features/encoder/helpers';

const DEMO = resolve('resources/demo-emodb');

/**
 * An engine over a fresh temp workspace for one describe block (made before its tests, closed and
 * removed after); `dir()` is that workspace's folder.
 */
function testEngine(prefix: string) {
  let dir = '';
  let engine: Engine;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'uploads'),
      demoDatasetPath: DEMO,
      backendPreference: 'wasm',
    });
    engine = createEngine({ appVersion: '0.0.0-test', door: 'serve', workspace, emit: () => undefined });
  });
  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    call: <N extends RequestName>(name: N, args: RequestArgs<N>) => dispatch(engine.handlers, name, args) as Promise<RequestResult<N>>,
  };
}

describe('encoders.open and encoder feature configs', () => {
  const { call } = testEngine('ser-engine-encoders-');

  it('refuses a feature config naming an encoder folder the session has not opened', async () => {
    await expect(
      call('features.status', { root: DEMO, features: { representation: 'encoder', encoderDir: TINY_LAST_ONLY } }),
    ).rejects.toMatchObject({
      code: 'forbidden',
      message: `features.status: the encoder folder ${TINY_LAST_ONLY} was not chosen this session (choose it in the Features form: encoders.open)`,
    });
  });

  it('opens a folder: what it holds, then its configs are accepted and named by the model', async () => {
    const summary = await call('encoders.open', { dir: TINY });
    expect(summary).toMatchObject({
      dir: realpathSync(TINY),
      name: 'ser-workbench/tiny-wav2vec2 (random weights, for tests)',
      modelType: 'wav2vec2',
      hiddenSize: 32,
      layers: 2,
      file: 'onnx/model.onnx',
      dtype: 'fp32',
      dtypes: ['fp32', 'fp16'],
    });
    const status = await call('features.status', { root: DEMO, features: { representation: 'encoder', encoderDir: TINY } });
    expect(status).toMatchObject({ cached: 0, total: 135, frames: 1, encoder: { sha256: summary.sha256, layer: 2, hiddenSize: 32 } });
  });

  it('a folder that is not an encoder export is refused in one line', async () => {
    await expect(call('encoders.open', { dir: DEMO })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: `encoders.open: ${join(DEMO, 'config.json')}: missing: an encoder folder holds config.json, preprocessor_config.json and onnx/model.onnx, as a Hugging Face ONNX export has`,
    });
    // Its contract is checked when the model loads, before any clip: here it only has to be a folder of that layout.
    expect((await call('encoders.open', { dir: BAD_INPUT_NAME })).file).toBe('onnx/model.onnx');
  });
});

describe('predict.files with a moved encoder folder', () => {
  const session = testEngine('ser-engine-encoder-moved-');
  const { call } = session;

  it('says encoder-needed when the recorded folder is gone, and predicts with the folder chosen where it is now', async () => {
    const recorded = join(session.dir(), 'tiny-wav2vec2');
    cpSync(TINY, recorded, { recursive: true });
    const { runId } = await runTrainingJob({
      datasetRoot: DEMO,
      config: resolveTrainingConfig({
        model: 'logreg',
        seed: 3,
        split: { kind: 'speaker', testSpeakers: ['03'] },
        classifier: { innerFolds: 2 },
      }),
      featureConfig: { representation: 'encoder', encoderDir: recorded },
      cacheRoot: join(session.dir(), 'cache'),
      runsDir: join(session.dir(), 'runs'),
      backend: 'wasm',
    });
    const moved = join(session.dir(), 'moved', 'tiny-wav2vec2');
    cpSync(recorded, moved, { recursive: true });
    rmSync(recorded, { recursive: true });
    const files = [{ path: join(DEMO, '03a01Wa.wav') }];
    await expect(call('predict.files', { runId, checkpoint: 'best', files })).rejects.toMatchObject({
      code: 'encoder-needed',
      message: expect.stringContaining(`provide ${join(recorded, 'onnx/model.onnx')}`),
    });
    // A folder not chosen this session is not read.
    await expect(call('predict.files', { runId, checkpoint: 'best', files, encoderDir: moved })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await call('encoders.open', { dir: moved });
    const batch = await call('predict.files', { runId, checkpoint: 'best', files, encoderDir: moved });
    expect(batch.results[0]).toMatchObject({ ok: true });
    // Another model, chosen: refused with the file and hash to provide.
    await call('encoders.open', { dir: TINY_LAST_ONLY });
    await expect(call('predict.files', { runId, checkpoint: 'best', files, encoderDir: TINY_LAST_ONLY })).rejects.toMatchObject({
      code: 'encoder-needed',
      message: expect.stringMatching(
        /was trained with another encoder: .*; provide .*tiny-wav2vec2-last-only\/onnx\/model\.onnx \(.*, sha256 [0-9a-f]{64}\)$/,
      ),
    });
  }, 240_000);
});
