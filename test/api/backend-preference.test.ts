/** A backend change that fails leaves the previous preference (and backend) in place. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppInfo, BackendInfo } from '../../main/api/contract';
import { createEngine, dispatch } from '../../main/api/handlers';
import { Workspace } from '../../main/api/workspace';

describe('app.backend', () => {
  it('keeps the previous preference when the requested backend cannot start', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'ser-backend-'));
    const workspace = new Workspace({
      runsDir: join(dir, 'runs'),
      cacheDir: join(dir, 'cache'),
      uploadsDir: join(dir, 'up'),
      demoDatasetPath: resolve('resources/demo-emodb'),
    });
    const engine = createEngine({ appVersion: 'test', door: 'serve', workspace, emit: () => undefined });
    try {
      expect(((await dispatch(engine.handlers, 'app.backend', { preference: 'cpu' })) as BackendInfo).name).toBe('cpu');
      const change = dispatch(engine.handlers, 'app.backend', { preference: 'tensorflow-gpu' });
      const failed = await change.then(
        () => false,
        (err: Error) => {
          expect(err.message).toMatch(/backend 'tensorflow-gpu' is not available/);
          return true;
        },
      );
      if (!failed) ctx.skip('tensorflow-gpu starts on this machine: there is no failing backend change to test');
      expect(((await dispatch(engine.handlers, 'app.info', {})) as AppInfo).backendPreference).toBe('cpu');
      expect(((await dispatch(engine.handlers, 'app.backend', {})) as BackendInfo).name).toBe('cpu');
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
