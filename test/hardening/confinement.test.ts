/**
 * "Opened folders only": a request may read the clips `dataset.open` listed (by real path, so a
 * clip listed through a symlink or a manifest path outside the dataset folder is readable), files
 * inside run folders of the chosen runs folder, and files the user picked — and nothing else,
 * whatever folder was opened or chosen as the runs folder.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, dispatch, type Engine } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';

const DEMO = resolve('resources/demo-emodb');
const CLIPS = ['03a01Fa.wav', '03a01Nc.wav', '03a01Wa.wav', '03a02Fc.wav'];

describe('file access is confined to what the session listed or chose', () => {
  let dir: string;
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatch(engine.handlers, name, args);
  const view = (path: string) => call('clip.view', { path });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ser-confine-'));
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    for (const name of CLIPS) copyFileSync(join(DEMO, name), join(elsewhere, name));
    writeFileSync(join(elsewhere, 'secret.txt'), 'not for the engine');

    // A dataset whose first clip is a symlink to a file outside the folder.
    const linked = join(dir, 'linked');
    mkdirSync(linked);
    symlinkSync(join(elsewhere, CLIPS[0]!), join(linked, CLIPS[0]!));
    for (const name of CLIPS.slice(1)) copyFileSync(join(DEMO, name), join(linked, name));
    writeFileSync(join(linked, 'notes.txt'), 'not a clip');

    // A dataset described by a manifest whose paths lie outside its folder.
    const manifested = join(dir, 'manifested');
    mkdirSync(manifested);
    const rows = CLIPS.slice(1).map((name, i) => `${join(elsewhere, name)},${['happiness', 'neutral', 'anger'][i]},s${i}`);
    writeFileSync(join(manifested, 'labels.csv'), ['path,label,speaker', ...rows].join('\n') + '\n');

    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'uploads'),
      demoDatasetPath: DEMO,
    });
    engine = createEngine({ appVersion: 'test', door: 'serve', workspace, emit: () => undefined });
  });

  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('allows a clip listed through a symlink, and only the listed files of that folder', async () => {
    await expect(view(join(dir, 'linked', CLIPS[0]!))).rejects.toMatchObject({ code: 'forbidden' });
    const overview = (await call('dataset.open', { root: join(dir, 'linked') })) as { clips: { path: string }[] };
    expect(overview.clips).toHaveLength(CLIPS.length);
    await expect(view(join(dir, 'linked', CLIPS[0]!))).resolves.toMatchObject({ durationS: expect.any(Number) });
    await expect(view(join(dir, 'linked', 'notes.txt'))).rejects.toMatchObject({ code: 'forbidden' });
    // The link's target is listed (by its real path); the file beside it is not.
    await expect(view(join(dir, 'elsewhere', 'secret.txt'))).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('allows clips a manifest lists outside the dataset folder', async () => {
    await expect(view(join(dir, 'elsewhere', CLIPS[2]!))).rejects.toMatchObject({ code: 'forbidden' });
    const overview = (await call('dataset.open', { root: join(dir, 'manifested') })) as { clips: { path: string }[]; scheme: string };
    expect(overview.scheme).toBe('csv');
    expect(overview.clips.map((clip) => clip.path).sort()).toEqual(CLIPS.slice(1).map((name) => join(dir, 'elsewhere', name)));
    for (const clip of overview.clips) await expect(view(clip.path)).resolves.toMatchObject({ durationS: expect.any(Number) });
  });

  it('an unrelated opened folder or a runs folder of "/" does not make /etc/passwd readable', async () => {
    await call('dataset.open', { root: DEMO });
    await expect(view('/etc/passwd')).rejects.toMatchObject({ code: 'forbidden' });
    await call('runs.setFolder', { dir: '/' });
    await expect(view('/etc/passwd')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(call('features.status', { root: '/etc' })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('allows files inside a run folder of the chosen runs folder, not the runs folder as a whole', async () => {
    const runs = join(dir, 'runs');
    mkdirSync(join(runs, 'run-1'), { recursive: true });
    writeFileSync(join(runs, 'run-1', 'run.json'), '{}');
    writeFileSync(join(runs, 'stray.txt'), 'not a run');
    await call('runs.setFolder', { dir: runs });
    // Readable, so it reaches the decoder, which refuses it as audio.
    await expect(view(join(runs, 'run-1', 'run.json'))).rejects.not.toMatchObject({ code: 'forbidden' });
    await expect(view(join(runs, 'stray.txt'))).rejects.toMatchObject({ code: 'forbidden' });
  });
});
