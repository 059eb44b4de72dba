/**
 * `ser listen`: a WAV stream on standard input (piped, as from `sox -d -t wav -`) or a file read as
 * if live, one JSON line per window, the same windows the engine's session gives; a stream that
 * is not WAV, or whose samples cannot be read, fails with one line.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WavStreamReader } from '../../main/audio';
import { EmotionPredictor } from '../../main/pipeline/inference';
import { ListenSession, resolveListenSettings } from '../../main/pipeline/listen';
import { demoFile, writeRun } from '../pipeline/inference/helpers';
import { fmtChunk, riff } from '../audio/wav-writer';
import { runCli, SOURCE_CLI, type CliResult } from './run-cli';

const work = mkdtempSync(join(tmpdir(), 'ser-cli-listen-'));
let run: string;
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => {
  run = await writeRun(work, ['best']);
});

/** The CLI from source with `input` on its standard input. */
function runWithStdin(args: string[], input: Uint8Array): Promise<CliResult> {
  return new Promise((done) => {
    const child = execFile(process.execPath, [...SOURCE_CLI, ...args], { timeout: 240_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(input);
  });
}

interface Line {
  index: number;
  startS: number;
  endS: number;
  voiced: boolean;
  emotion?: string;
  probabilities?: Record<string, number>;
  latencyMs?: number;
}

const lines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Line);

const withoutLatency = (all: Line[]) => all.map(({ latencyMs: _, ...rest }) => rest);

function hasSox(): boolean {
  try {
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.log('SKIPPED the sox pipe test: sox is not installed (Debian: apt-get install -y sox; .ci/run installs it)');
    return false;
  }
}

describe('ser listen', () => {
  const clip = demoFile('03a01Wa.wav');

  it('reads a file as if live and a piped stream alike: one JSON line per window, as the engine gives them', async () => {
    const fromFile = await runCli(['listen', run, clip, '--window', '1', '--hop', '0.5']);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stderr).toMatch(
      /^listening to 03a01Wa\.wav \(22050 Hz, 1 channel\(s\), pcm16\) with tiny-conv: window 1\.00 s, hop 0\.50 s, gate -45 dB, normalisation global\n$/,
    );
    const fileLines = lines(fromFile.stdout);
    // 2 s of audio: windows end at 1, 1.5 and 2 s.
    expect(fileLines.map((l) => l.endS)).toEqual([1, 1.5, 2]);
    expect(fileLines.every((l) => l.voiced && typeof l.latencyMs === 'number')).toBe(true);

    const piped = await runWithStdin(['listen', run, '-', '--window', '1', '--hop', '0.5'], readFileSync(clip));
    expect(piped.code, piped.stderr).toBe(0);
    expect(withoutLatency(lines(piped.stdout))).toEqual(withoutLatency(fileLines));

    const predictor = await EmotionPredictor.load(run);
    try {
      const settings = resolveListenSettings(
        { windowS: 1, hopS: 0.5 },
        { featureConfig: predictor.featureConfig, normalization: 'global' },
      );
      const reader = new WavStreamReader('clip');
      const samples = reader.push(readFileSync(clip));
      const windows = await new ListenSession(predictor, settings, reader.format!.sampleRate).push(samples);
      // The same windows; the CLI's backend (wasm) and this process's may differ in the last float32 bits.
      expect(windows.map((w) => w.endS)).toEqual(fileLines.map((l) => l.endS));
      windows.forEach((w, k) =>
        predictor.labels.forEach((label, i) => expect(fileLines[k]!.probabilities![label]).toBeCloseTo(w.probabilities![i]!, 5)),
      );
    } finally {
      predictor.dispose();
    }
  }, 240_000);

  it.runIf(hasSox())(
    'listens to what sox pipes (its header leaves the length unset)',
    async () => {
      const sox = execFileSync('sox', ['-n', '-t', 'wav', '-b', '16', '-r', '16000', '-', 'synth', '3', 'sine', '300', 'gain', '-20']);
      const result = await runWithStdin(['listen', run, '--window', '2', '--gate', '-30'], sox);
      expect(result.code, result.stderr).toBe(0);
      expect(lines(result.stdout).map((l) => [l.endS, l.voiced])).toEqual([
        [2, true],
        [3, true],
      ]);
    },
    240_000,
  );

  it('fails in one line for a stream that is not WAV, a sample format it cannot read, or a window the model cannot take', async () => {
    const raw = await runWithStdin(['listen', run], new Uint8Array(4000).fill(7));
    expect(raw.code).toBe(1);
    expect(raw.stderr).toBe('ser listen: error: stdin: not-audio: no RIFF header\n');
    expect(raw.stdout).toBe('');

    const adpcm = riff([
      fmtChunk({ formatTag: 0x11, channels: 1, sampleRate: 8000, bitsPerSample: 4, blockAlign: 256 }),
      { id: 'data', body: new Uint8Array(2048) },
    ]);
    const wrongFormat = await runWithStdin(['listen', run, '-'], adpcm);
    expect(wrongFormat.code).toBe(1);
    expect(wrongFormat.stderr).toBe(
      'ser listen: error: stdin: unsupported-encoding: the "fmt " chunk declares format tag 17 (IMA ADPCM), which is not supported\n',
    );

    const tooLong = await runCli(['listen', run, clip, '--window', '10']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(
      /^ser listen: error: the window \(10 s\) is longer than the model's input \(2\.30 s, 100 frames\): it would not hear the rest\n$/,
    );

    const badGate = await runCli(['listen', run, clip, '--gate', '5']);
    expect(badGate.stderr).toBe('ser listen: error: --gate: gateDb must be a number in [-120, 0], got 5\n');
  }, 240_000);
});
