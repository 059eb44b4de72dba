/** Files the OS opened the app with (desktop file association) are handed over once and become readable. */
import { mkdtempSync, readdirSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine, dispatch } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';

describe('app.openedFiles', () => {
  it('takes the pending files once and lets the UI read them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ser-opened-'));
    const demo = resolve('resources/demo-emodb');
    const file = join(dir, 'mine.wav');
    copyFileSync(
      join(
        demo,
        readdirSync(demo)
          .filter((f) => f.endsWith('.wav'))
          .sort()[0]!,
      ),
      file,
    );
    let pending = [file];
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'up'),
      demoDatasetPath: demo,
    });
    const engine = createEngine({
      appVersion: 'test',
      door: 'electron',
      workspace,
      emit: () => undefined,
      takeOpenedFiles: () => {
        const taken = pending;
        pending = [];
        return taken;
      },
    });
    await expect(dispatch(engine.handlers, 'clip.view', { path: file })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await dispatch(engine.handlers, 'app.openedFiles', {})).toEqual({ paths: [file] });
    expect(await dispatch(engine.handlers, 'app.openedFiles', {})).toEqual({ paths: [] });
    await expect(dispatch(engine.handlers, 'clip.view', { path: file })).resolves.toMatchObject({ path: file });
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
