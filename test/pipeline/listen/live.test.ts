/**
 * The app's live session holder: one session at a time, a session that hears nothing for two
 * minutes lets its model go (its page went away), and a fused checkpoint is refused in one line.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeFusedCheckpoint } from '../../../main/pipeline/inference';
import { ListenSession, LiveListening, loadListenPredictor, resolveListenSettings } from '../../../main/pipeline/listen';
import type { ListenWindow } from '../../../main/schema/listenFields';
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
    expect(await listening.stop(sessionId)).toEqual({ windows: [], recordedS: 1.2 });
    listening.end();
    await expect(listening.save(sessionId, root.dir)).rejects.toThrow(/no such listening session/);
    vi.useRealTimers();
  });

  it("stop flushes the stream's end: the windows it completes, as ser listen gets them from finish", async () => {
    const tone = Float32Array.from({ length: 16000 * 2 }, (_, i) => 0.3 * Math.sin(i / 5));
    const listening = new LiveListening();
    const { sessionId } = await listening.start(run, 'best', 16000, { windowS: 1, hopS: 0.5 });
    const pushed = (await listening.push(sessionId, tone)).windows;
    // A second Stop while the first flushes finds the session stopped: it flushes nothing twice.
    const [stopped, again] = await Promise.all([listening.stop(sessionId), listening.stop(sessionId)]);
    expect(again.windows).toEqual([]);
    // Resampling 16 kHz to the model's rate holds the last samples back until the end: the window ending there, at 2 s.
    expect(stopped.windows.map((w) => w.endS)).toEqual([2]);
    expect(stopped.recordedS).toBe(2);

    const predictor = await loadListenPredictor(run, 'best');
    try {
      const session = new ListenSession(
        predictor,
        resolveListenSettings(
          { windowS: 1, hopS: 0.5 },
          {
            featureConfig: predictor.featureConfig,
            normalization: predictor.manifest.normalization.mode,
          },
        ),
        16000,
      );
      const expected = [...(await session.push(tone)), ...(await session.finish())];
      const strip = (windows: ListenWindow[]) => windows.map(({ latencyMs: _, ...rest }) => rest);
      expect(strip([...pushed, ...stopped.windows])).toEqual(strip(expected));
    } finally {
      predictor.dispose();
    }
    await expect(listening.push(sessionId, tone)).rejects.toThrow(/the listening session has stopped \(stopped\)/);
    listening.end();
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
