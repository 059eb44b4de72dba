/**
 * The encoder representation through the CLI: `ser features --representation encoder
 * --encoder-dir`, `ser train` with it, the one-line refusal of a bad folder, and `ser backends`
 * listing onnxruntime's execution providers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeNpyFloat32 } from '../../main/features/npy';
import { TINY, TINY_LAST_ONLY } from '../features/encoder/helpers';
import { runCli } from './run-cli';

const AUDIO = 'test/fixtures/audio';
const work = mkdtempSync(join(tmpdir(), 'ser-cli-encoder-'));
const env = { SER_CACHE_DIR: join(work, 'cache') };

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('CLI: the encoder representation', () => {
  it('features --representation encoder --encoder-dir exports one mean + std vector per clip and reports the encoder', async () => {
    const npy = join(work, 'enc.npy');
    const result = await runCli(['features', AUDIO, '--representation', 'encoder', '--encoder-dir', TINY, '--export', npy, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ clips: 8, computed: 8, shape: [8, 64] });
    expect(report.encoder).toMatchObject({ file: 'onnx/model.onnx', layer: 2, hiddenSize: 32, provider: { name: 'cpu' } });
    expect(decodeNpyFloat32(readFileSync(npy)).shape).toEqual([8, 64]);
    const sidecar = JSON.parse(readFileSync(join(work, 'enc.json'), 'utf8'));
    expect(sidecar.rows.slice(31, 33)).toEqual(['enc_mean31', 'enc_std0']);
    expect(sidecar.encoder.sha256).toBe(report.encoder.sha256);
  });

  it('a layer the export lacks is refused in one line naming the file', async () => {
    const result = await runCli(
      ['features', AUDIO, '--representation', 'encoder', '--encoder-dir', TINY_LAST_ONLY, '--encoder-layer', '0'],
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `ser features: error: ${join(TINY_LAST_ONLY, 'onnx/model.onnx')}: exposes only last_hidden_state (layer 2 of 2): encoder layer must be -1 or 2; for layer 0 export the model with output_hidden_states (outputs hidden_states.0 … hidden_states.2)\n`,
    );
  });

  it('train --representation encoder with a model that reads frames is refused before anything runs', async () => {
    const result = await runCli(['train', AUDIO, '--model', 'crnn', '--representation', 'encoder', '--encoder-dir', TINY], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "ser train: error: model 'crnn' takes feature matrices, but representation 'encoder' with pooling 'mean-std' gives vectors: choose a classical model (svm-linear, svm-rbf, logreg, knn, mlp), or encoder with frames pooling\n",
    );
  });

  it('backends lists the encoder execution providers, with why each GPU one is skipped', async () => {
    const result = await runCli(['backends'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('encoder representation (onnxruntime execution providers, best first):');
    expect(result.stdout).toMatch(/^cpu +available +onnxruntime-node \d+\.\d+\.\d+$/m);
    expect(result.stdout).toMatch(/^coreml +skipped +CoreML \(macOS\) only$/m);
    const json = JSON.parse((await runCli(['backends', '--json'], env)).stdout);
    expect(json.encoderProviders.map((p: { name: string }) => p.name)).toEqual(['cuda', 'dml', 'coreml', 'cpu']);
  });
});
