/**
 * The app's live session holder: one session at a time, a session that hears nothing for two
 * minutes lets its model go (its page went away), and a fused checkpoint is refused in one line.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeFusedCheckpoint } from '../../../main/pipeline/inference';
import { LiveListening } from '../../../main/pipeline/listen';
import { tempDir, writeRun } from '../inference/helpers';

let root: { dir: string; cleanup: () => Promise<void> };
let run: string;

beforeAll(async () => {
  root = await tempDir();
  run = await writeRun(root.dir, ['best']);
});

afterAll(async () => {
  vi.useRealTimers();
  await root?.cleanup();
});

describe('LiveListening', () => {
  it('stops a session that hears nothing for two minutes, keeping its recording', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const listening = new LiveListening();
    const { sessionId } = await listening.start(run, 'best', 16000, {});
    const result = await listening.push(sessionId, new Float32Array(16000).fill(0.1));
    expect(result.recordedS).toBe(1);
    vi.advanceTimersByTime(119_000);
    await listening.push(sessionId, new Float32Array(1600));
    vi.advanceTimersByTime(119_000);
    expect((await listening.push(sessionId, new Float32Array(1600))).recordedS).toBeCloseTo(1.2, 9);
    vi.advanceTimersByTime(120_000);
    await expect(listening.push(sessionId, new Float32Array(1600))).rejects.toThrow(
      'the listening session has stopped (no audio arrived for 120 s)',
    );
    expect(listening.stop(sessionId)).toEqual({ recordedS: 1.2 });
    listening.end();
    await expect(listening.save(sessionId, root.dir)).rejects.toThrow(/no such listening session/);
    vi.useRealTimers();
  });

  it('refuses a fused checkpoint, and settings the model cannot take, loading nothing', async () => {
    const other = await writeRun(join(root.dir, 'other'), ['best']);
    const fused = join(root.dir, 'fused');
    await writeFusedCheckpoint([run, other], fused);
    const listening = new LiveListening();
    await expect(listening.start(fused, 'best', 16000, {})).rejects.toThrow(/is a fused checkpoint: listening takes one model/);
    await expect(listening.start(run, 'best', 16000, { hopS: 5, windowS: 1 })).rejects.toThrow(/the hop \(5 s\) is longer than the window/);
    await expect(listening.start(run, 'best', 500, {})).rejects.toThrow(/input sample rate must be a whole number of Hz from 1000/);
  });
});
