/** `ser export`: writes the ONNX folder of a run's checkpoint, refuses an existing one and a missing --format in one line. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeZooCheckpoint } from '../pipeline/export/helpers';
import { runCli } from './run-cli';

const work = mkdtempSync(join(tmpdir(), 'ser-cli-export-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('CLI export', () => {
  it('exports a run to ONNX, then refuses to overwrite it without --force', async () => {
    const run = join(work, 'run');
    await writeZooCheckpoint(run, 'crnn', 'final', 7);
    const missingFormat = await runCli(['export', run]);
    expect(missingFormat.code).toBe(1);
    expect(missingFormat.stderr).toBe('ser export: error: --format is required (one of onnx)\n');

    const ok = await runCli(['export', run, '--format', 'onnx', '--checkpoint', 'final']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`crnn exported to ONNX (opset 13; batch and frames dynamic)\n${join(run, 'exports', 'onnx-final')}\n`);
    expect(readdirSync(join(run, 'exports', 'onnx-final')).sort()).toEqual(['README.md', 'export.json', 'model.onnx']);

    const again = await runCli(['export', run, '--format', 'onnx', '--checkpoint', 'final']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `ser export: error: export folder ${join(run, 'exports', 'onnx-final')} already exists (use --force to replace it)\n`,
    );
  }, 240_000);
});
