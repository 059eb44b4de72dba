/**
 * clip.view of a long file decodes for seconds; it runs in a worker thread, so the request thread
 * keeps answering other requests meanwhile (in serve mode one heavy view froze everything for 9.6 s).
 */
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, dispatch } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';
import { buildClipView } from '../../main/api/clipView';
import { AudioError } from '../../main/audio';
import { fmtChunk, riff } from '../audio/wav-writer';

const dir = mkdtempSync(join(tmpdir(), 'ser-clip-view-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const uploads = join(dir, 'up');
mkdirSync(uploads);

/** A silent 48 kHz WAV of `seconds` (a sparse file): decoding, resampling and the spectrogram take seconds. */
function longWav(path: string, seconds: number): void {
  const dataBytes = seconds * 48000 * 2;
  const header = riff([
    fmtChunk({ formatTag: 1, channels: 1, sampleRate: 48000, bitsPerSample: 16 }),
    { id: 'data', body: new Uint8Array(0), declaredSize: dataBytes },
  ]);
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  ftruncateSync(fd, header.length + dataBytes);
  closeSync(fd);
}

describe('clip.view off the request thread', () => {
  it('answers another request while a slow clip.view runs, and the event loop never stalls', async () => {
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: uploads,
      demoDatasetPath: resolve('resources/demo-emodb'),
    });
    const engine = createEngine({ appVersion: 'test', door: 'serve', workspace, emit: () => undefined });
    const path = join(uploads, 'long.wav');
    longWav(path, 60);

    let longestStallMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestStallMs = Math.max(longestStallMs, now - last);
      last = now;
    }, 10);
    const started = performance.now();
    let viewDoneAt = 0;
    const view = dispatch(engine.handlers, 'clip.view', { path }).then((result) => {
      viewDoneAt = performance.now();
      return result as { durationS: number };
    });
    await new Promise((wake) => setTimeout(wake, 300));
    const infoAskedAt = performance.now();
    await dispatch(engine.handlers, 'app.info', {});
    const infoAnsweredAt = performance.now();
    expect((await view).durationS).toBe(60);
    clearInterval(ticker);

    expect(viewDoneAt, 'the view must still be running when app.info is answered').toBeGreaterThan(infoAnsweredAt);
    expect(infoAnsweredAt - infoAskedAt).toBeLessThan(250);
    expect(viewDoneAt - started).toBeGreaterThan(500);
    expect(longestStallMs).toBeLessThan(250);
    await engine.close();
  }, 60_000);

  it('brings the worker’s audio errors back with their code and message', async () => {
    const path = join(uploads, 'notes.wav');
    writeFileSync(path, 'these are notes, not audio');
    const error = await buildClipView(path).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AudioError);
    expect(error).toMatchObject({ code: 'not-audio', message: 'notes.wav: not-audio: not a WAV, FLAC, Ogg or MP3 file' });
  }, 30_000);
});
