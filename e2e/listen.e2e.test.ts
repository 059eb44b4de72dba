/// <reference lib="dom" />
/**
 * End to end: the Listen panel of the Predict view in Chromium (serve mode) with a fake microphone
 * fed from a WAV file of demo speech (Chromium's fake-capture flags), classifying with a crnn
 * trained here (six epochs, per-speaker normalisation: the live speaker statistics warm up). The
 * windows the panel shows are checked against the engine's session on the saved recording (the
 * same samples, the same windows: `ser listen FILE` computes it the same way); the recording opens
 * in the clip viewer. Saves e2e/screenshots/12-predict-listen.png (1440 × 900) and the panel alone
 * as 12b-listen-panel.png (the README's picture). A page whose browser refuses the microphone says
 * so in one line.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, WavStreamReader } from '../main/audio';
import { encodeWavPcm16 } from '../main/audio/wav';
import { initBackend } from '../main/compute/backend';
import { EmotionPredictor } from '../main/pipeline/inference';
import { runTrainingJob } from '../main/pipeline/job';
import { ListenSession, resolveListenSettings } from '../main/pipeline/listen';
import { resolveTrainingConfig } from '../main/training/config';
import { DEMO, openWorkbench, SCREENSHOTS, type Workbench } from './harness';

describe('Listen: the microphone classified live (serve mode, fake capture)', { timeout: 420_000 }, () => {
  let dir: string;
  let runDir: string;
  let workbench: Workbench;
  let page: Page;
  let pageErrors: string[];
  const byId = (id: string) => page.getByTestId(id);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ser-e2e-listen-'));
    await initBackend('wasm');
    const trained = await runTrainingJob({
      datasetRoot: DEMO,
      config: resolveTrainingConfig({ preset: 'quick', model: 'crnn', epochs: 6, batchSize: 32, seed: 1 }),
      featureConfig: {},
      runsDir: join(dir, 'runs'),
      cacheRoot: join(dir, 'cache'),
      backend: 'wasm',
    });
    runDir = trained.runDir;
    // Speaker 03's clips, half a second of silence after each and four seconds after the fourth:
    // windows of speech, and one of silence that the gate holds back.
    const clips = ['03a01Fa.wav', '03a01Nc.wav', '03a01Wa.wav', '03a02Fc.wav', '03a02Nc.wav', '03a02Ta.wav', '03a04Ad.wav', '03a04Lc.wav'];
    const rate = 16000;
    const parts = await Promise.all(clips.map(async (c) => (await loadAudio(join(DEMO, c), { targetSampleRate: rate })).samples));
    const pause = (i: number) => (i === 3 ? 4 * rate : rate / 2);
    const speech = new Float32Array(parts.reduce((n, p, i) => n + p.length + pause(i), 0));
    let at = 0;
    parts.forEach((part, i) => {
      speech.set(part, at);
      at += part.length + pause(i);
    });
    mkdirSync(join(dir, 'mic'));
    const micFile = join(dir, 'mic', 'speech.wav');
    writeFileSync(micFile, encodeWavPcm16(speech, rate));
    workbench = await openWorkbench(dir, join(dir, 'runs'), [
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-audio-capture=${micFile}`,
      '--autoplay-policy=no-user-gesture-required',
    ]);
    ({ page, pageErrors } = workbench);
  }, 300_000);

  afterAll(async () => {
    await workbench?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('listens, draws the timeline, warms up the speaker statistics, and matches the engine on the recording', async () => {
    await byId('tab-predict').click();
    await expect.poll(() => byId('predict-picker').textContent()).toContain('crnn');
    await byId('listen-toggle').click();
    await expect.poll(() => byId('listen-toggle').textContent(), { timeout: 60_000 }).toBe('Stop');
    await expect.poll(() => byId('listen-window').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(6);
    await expect.poll(() => byId('listen-warmup').textContent()).toMatch(/Speaker statistics warming up: \d+\.\d of 10 s of speech heard/);
    expect(await byId('listen-timeline').locator('canvas').count()).toBe(1);
    // Past the warm-up (about 10 s of audio).
    await expect
      .poll(() => byId('listen-warmup').textContent(), { timeout: 90_000 })
      .toMatch(/^Speaker statistics from \d+\.\d s of speech$/);
    // The four-second pause: a window the gate holds back (a gap in the timeline), then speech again.
    await expect.poll(() => byId('listen-windows').textContent(), { timeout: 60_000 }).toContain('below the gate');
    await expect.poll(() => byId('listen-window').first().getAttribute('data-emotion'), { timeout: 60_000 }).toMatch(/\w/);
    await expect.poll(() => byId('listen-emotion').textContent()).toMatch(/^(anger|boredom|disgust|fear|happiness|neutral|sadness)$/);
    await byId('listen-panel').scrollIntoViewIfNeeded();
    await workbench.shot('12-predict-listen');
    await byId('listen-panel').screenshot({ path: join(SCREENSHOTS, '12b-listen-panel.png') });

    await byId('listen-toggle').click();
    await expect.poll(() => byId('listen-toggle').textContent(), { timeout: 60_000 }).toBe('Start');
    const shown = await byId('listen-window').evaluateAll((rows) =>
      rows.map((row) => ({
        endS: Number(row.getAttribute('data-end')),
        emotion: row.getAttribute('data-emotion'),
        cells: Array.from(row.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? ''),
      })),
    );
    expect(shown.length).toBe(6);

    await byId('listen-save').click();
    await expect.poll(() => byId('listen-saved').textContent()).toMatch(/^saved as .*listen-.*\.wav; it opens below$/);
    const saved = /^saved as (.*\.wav); it opens below$/.exec((await byId('listen-saved').textContent())!)![1]!;

    // The engine's session on the recording: the same samples in, the same windows out.
    const predictor = await EmotionPredictor.load(runDir);
    try {
      const settings = resolveListenSettings(
        {},
        { featureConfig: predictor.featureConfig, normalization: predictor.manifest.normalization.mode },
      );
      expect(settings.normalization).toBe('speaker-live');
      const reader = new WavStreamReader('recording');
      const samples = reader.push(readFileSync(saved));
      // Stop sent the last partial chunk too: the recording is every 4096-sample microphone buffer
      // heard, not whole 0.25 s chunks.
      expect(samples.length % 4096).toBe(0);
      const session = new ListenSession(predictor, settings, reader.format!.sampleRate);
      const windows = [...(await session.push(samples)), ...(await session.finish())];
      // Stop sent the last partial chunk and flushed the session: the newest window is the file run's last.
      expect(shown[0]!.endS).toBe(windows.at(-1)!.endS);
      for (const row of shown) {
        const match = windows.find((w) => w.endS === row.endS);
        expect(match, `window ending at ${row.endS} s`).toBeDefined();
        expect(row.emotion).toBe(match!.emotion ?? '');
        if (match!.voiced) expect(row.cells[3]).toBe(`${(100 * match!.confidence!).toFixed(1)} %`);
        else expect(row.cells[2]).toBe('below the gate');
      }
    } finally {
      predictor.dispose();
    }

    // The recording joins the list and opens in the clip viewer.
    await expect.poll(() => byId('predict-emotion').count(), { timeout: 120_000 }).toBe(1);
    await expect.poll(() => byId('clip-viewer').getByTestId('features-heatmap').locator('canvas').count()).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });

  it('says so in one line when the browser refuses the microphone, and starts nothing', async () => {
    const denied = await workbench.browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      await denied.addInitScript(() => {
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
      });
      await denied.goto(workbench.server.openUrl);
      await denied.getByTestId('tab-predict').click();
      await expect.poll(() => denied.getByTestId('predict-picker').textContent()).toContain('crnn');
      await denied.getByTestId('listen-toggle').click();
      await expect
        .poll(() => denied.getByTestId('listen-error').textContent())
        .toMatch(/^Microphone access was denied: allow it for this page/);
      expect(await denied.getByTestId('listen-toggle').textContent()).toBe('Start');
      expect(await denied.getByTestId('listen-window').count()).toBe(0);
    } finally {
      await denied.close();
    }
  });
});
