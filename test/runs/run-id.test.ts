import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createRun, listRuns } from '../../main/runs/store';
import { runInit, tempDir } from './helpers';

describe('createRun with a fixed id (study members)', () => {
  it('uses the id as the folder name and refuses a folder that exists', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const run = await createRun(dir, runInit(), { id: 'c1-s2-f03', heartbeatIntervalMs: 0 });
      expect(run.dir).toBe(join(dir, 'c1-s2-f03'));
      await run.setStatus('done');
      await run.close();
      expect((await listRuns(dir)).map((r) => `${r.id} ${r.record?.status}`)).toEqual(['c1-s2-f03 done']);
      await expect(createRun(dir, runInit(), { id: 'c1-s2-f03', heartbeatIntervalMs: 0 })).rejects.toThrow(
        `Run folder ${join(dir, 'c1-s2-f03')} already exists`,
      );
      await expect(createRun(dir, runInit(), { id: '../escape', heartbeatIntervalMs: 0 })).rejects.toThrow('Invalid run id "../escape"');
    } finally {
      await cleanup();
    }
  });
});
