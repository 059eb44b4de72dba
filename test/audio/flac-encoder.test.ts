/**
 * Real FLAC files from the reference encoder (`flac`): at block sizes that leave the last frame
 * short, every file must decode to exactly the samples of the WAV it was encoded from.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioError, decodeAudio, decodeAudioFile } from '../../main/audio';

const CLIPS_DIR = 'resources/demo-emodb';
const BLOCK_SIZES = [192, 576, 1152, 4096, 4608];
const hasFlac = spawnSync('flac', ['--version']).status === 0;
if (!hasFlac) console.log('flac-encoder test skipped: the `flac` command-line encoder is not installed (apt-get install flac)');

const tempDir = mkdtempSync(join(tmpdir(), 'ser-flac-encoder-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

describe.skipIf(!hasFlac)('FLAC from the reference encoder', () => {
  it('decodes every clip at every block size to the samples of its WAV, short last frames included', async () => {
    const clips = readdirSync(CLIPS_DIR)
      .filter((name) => name.endsWith('.wav'))
      .sort()
      .slice(0, 8);
    expect(clips.length).toBe(8);
    let shortLastFrames = 0;
    for (const clip of clips) {
      const wav = await decodeAudioFile(join(CLIPS_DIR, clip));
      const frames = wav.channels[0]!.length;
      for (const blockSize of BLOCK_SIZES) {
        const out = join(tempDir, `${clip}-${blockSize}.flac`);
        const encoded = spawnSync('flac', ['--silent', '--force', `--blocksize=${blockSize}`, '-o', out, join(CLIPS_DIR, clip)]);
        expect(encoded.status, encoded.stderr.toString()).toBe(0);
        if (frames % blockSize !== 0) shortLastFrames++;
        const flac = await decodeAudio(readFileSync(out), out);
        expect(flac.sampleRate).toBe(wav.sampleRate);
        expect(flac.channels[0]!.length).toBe(frames);
        const a = flac.channels[0]!;
        const b = wav.channels[0]!;
        let differing = 0;
        for (let i = 0; i < frames; i++) if (a[i] !== b[i]) differing++;
        expect(differing, `${out}: samples that differ from the WAV`).toBe(0);
      }
    }
    // The case that used to fail must be among those tried.
    expect(shortLastFrames).toBeGreaterThan(20);
  }, 60_000);

  it('keeps a trailing ID3v1 tag out of the last frame, and tells a cut-off file from a damaged frame', async () => {
    const out = join(tempDir, 'edges.flac');
    expect(spawnSync('flac', ['--silent', '--force', '--blocksize=4096', '-o', out, join(CLIPS_DIR, '03a01Fa.wav')]).status).toBe(0);
    const flac = readFileSync(out);
    const codeOf = (bytes: Uint8Array) =>
      decodeAudio(bytes, 'edges.flac').then(
        () => 'decoded',
        (err: AudioError) => err.code,
      );
    const tagged = new Uint8Array(flac.length + 128);
    tagged.set(flac);
    tagged.set(Buffer.from('TAG'), flac.length);
    expect(await codeOf(tagged)).toBe('decoded');
    expect(await codeOf(flac.subarray(0, flac.length - 5))).toBe('truncated');
    const damaged = Uint8Array.from(flac);
    for (let i = 20_000; i < 20_040; i++) damaged[i] ^= 0x5a;
    expect(await codeOf(damaged)).toBe('corrupt');
  }, 30_000);
});
