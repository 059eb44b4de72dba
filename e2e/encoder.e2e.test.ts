/// <reference lib="dom" />
/**
 * End to end: the encoder representation in the app (serve mode, Debian's Chromium). The Features
 * form offers the encoder: its folder typed and opened (a browser has no folder dialog), what the
 * folder holds, its layer and pooling; extraction with the tiny test encoder; a classical model
 * trained on it in the Train view (per-clip normalisation greyed, the inner CV followed); Predict
 * with the encoder folder moved, pointed at where it is now. Screenshots: 11-features-encoder.png,
 * 11b-train-encoder-done.png, 11c-predict-encoder-needed.png, 11d-predict-encoder-moved.png.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkbench, SCREENSHOTS, type Workbench } from './harness';

const FIXTURE = resolve('test/fixtures/encoders/tiny-wav2vec2');

describe('the encoder representation in the app (serve mode)', { timeout: 300_000 }, () => {
  let dir: string;
  let workbench: Workbench;
  let page: Page;
  let pageErrors: string[];
  /** A copy of the tiny encoder, moved away before predicting. */
  let TINY: string;
  const byId = (id: string) => page.getByTestId(id);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ser-e2e-encoder-'));
    TINY = join(dir, 'tiny-wav2vec2');
    cpSync(FIXTURE, TINY, { recursive: true });
    workbench = await openWorkbench(dir, join(dir, 'runs'));
    ({ page, pageErrors } = workbench);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  afterAll(async () => {
    await workbench?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('offers the encoder in the Features form: the folder, what it holds, its layer and pooling', async () => {
    await byId('dataset-open-demo').click();
    await expect.poll(() => byId('dataset-summary').textContent()).toContain('135 clips');
    await byId('feature-settings').locator('summary').click();
    // The encoder's fields do not apply to MFCC.
    expect(await byId('feature-encoderDir').isDisabled()).toBe(true);
    await byId('feature-representation').selectOption('encoder');
    expect(await byId('feature-encoderDir').isDisabled()).toBe(false);
    expect(await byId('feature-nMfcc').isDisabled()).toBe(true);
    // A disabled text field looks disabled, as a disabled select does.
    const background = (id: string) => byId(id).evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(await background('feature-nMfcc')).toBe('rgb(242, 244, 247)');
    expect(await background('feature-encoderDir')).toBe('rgb(255, 255, 255)');
    // A folder that is not an encoder export is refused in one line naming the file.
    await byId('feature-encoderDir').fill(resolve('resources/demo-emodb'));
    await byId('encoder-open').click();
    await expect
      .poll(() => page.locator('.feature-field .error').allTextContents())
      .toContainEqual(expect.stringContaining('config.json: missing'));
    await byId('feature-encoderDir').fill(TINY);
    await byId('encoder-open').click();
    await expect.poll(() => byId('encoder-summary').textContent()).toContain('wav2vec2 · 2 layers · 32 dims');
    expect(await byId('encoder-summary').textContent()).toContain('onnx/model.onnx (fp32');
    expect(await byId('encoder-summary').textContent()).toContain('also fp16');
    await byId('feature-encoderLayer').fill('1');
    await expect.poll(() => byId('features-frames').textContent()).toContain('encoder layer 1 of 2, 32 dims');
    expect(await byId('cache-status').textContent()).toContain('0 / 135');
    await byId('feature-settings').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, '11-features-encoder.png') });
  });

  it('extracts the encoder features with clips/s and the time left, then serves them from the cache', async () => {
    const seen: string[] = [];
    const watcher = setInterval(() => {
      void byId('features-progress')
        .textContent({ timeout: 50 })
        .then((text) => text && seen.push(text))
        .catch(() => undefined);
    }, 100);
    await byId('features-extract').click();
    await expect.poll(() => byId('features-result').textContent(), { timeout: 120_000 }).toContain('135');
    clearInterval(watcher);
    await expect.poll(() => byId('cache-status').textContent()).toContain('135 / 135');
    // The progress line said how fast (when extraction lasted long enough to be seen).
    if (seen.length > 0) expect(seen.join(' ')).toMatch(/clips\/s/);
  });

  it('trains a classical model on the pooled encoder features to the end', async () => {
    await byId('tab-train').click();
    await byId('train-model').selectOption('logreg');
    await expect.poll(() => byId('train-features').textContent()).toContain('encoder');
    // Per-clip normalisation would turn the pooled vectors into zeros: the choice is greyed, and marked when chosen.
    expect(await byId('train-normalization').locator('option[value="clip"]').isDisabled()).toBe(true);
    expect(await byId('train-normalization').locator('option[value="clip"]').textContent()).toContain('not for these features');
    await byId('train-name').fill('e2e encoder');
    await expect.poll(() => byId('train-start').isDisabled()).toBe(false);
    const progress: string[] = [];
    const watcher = setInterval(() => {
      void byId('train-progress')
        .textContent({ timeout: 50 })
        .then((text) => text && progress.push(text))
        .catch(() => undefined);
    }, 50);
    await byId('train-start').click();
    await expect.poll(() => byId('train-status').textContent(), { timeout: 240_000 }).toContain('done');
    clearInterval(watcher);
    // A classical run has no batches: the panel follows its inner cross-validation, then says what it chose.
    expect(progress.join(' ')).not.toContain('first batch');
    expect(await byId('train-progress').textContent()).toMatch(/inner CV (\d+)\/\1 candidates on \d speaker folds · chosen C=/);
    // The engine checked the model with the feature settings: logreg reads the pooled vectors.
    await expect.poll(() => byId('train-start').isDisabled()).toBe(false);
    expect(await byId('train-log').textContent()).toMatch(
      /encoder: ser-workbench\/tiny-wav2vec2 .*layer 1 of 2, every clip from the cache/,
    );
    expect(await byId('train-outcome').textContent()).toMatch(/UAR/);
    // In place of epoch charts: every candidate the inner CV scored, the chosen one marked.
    expect(await byId('inner-cv-row').count()).toBeGreaterThan(1);
    expect(await page.locator('[data-testid="inner-cv-row"].chosen').count()).toBe(1);
    expect(await byId('inner-cv').textContent()).toMatch(/chosen C=[\d.e-]+ at inner-CV UAR/);
    expect(await byId('train-epochs-table').count()).toBe(0);
    expect(await byId('train-compare').count()).toBe(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS, '11b-train-encoder-done.png') });
  });

  it('predicts with the encoder folder moved, once the folder where it is now is chosen', async () => {
    const moved = join(dir, 'moved', 'tiny-wav2vec2');
    cpSync(TINY, moved, { recursive: true });
    rmSync(TINY, { recursive: true });
    await byId('tab-predict').click();
    await byId('predict-files').setInputFiles(resolve('resources/demo-emodb/03a01Wa.wav'));
    await expect
      .poll(() => byId('predict-encoder-needed').textContent(), { timeout: 60_000 })
      .toContain('needs the encoder it was trained with');
    expect(await byId('predict-encoder-needed').textContent()).toContain(`provide ${join(TINY, 'onnx/model.onnx')}`);
    expect(await byId('predict-error').textContent()).toContain("waits for the checkpoint's encoder folder");
    await byId('predict-encoder-dir').fill(moved);
    await page.screenshot({ path: join(SCREENSHOTS, '11c-predict-encoder-needed.png') });
    await byId('predict-encoder-open').click();
    await expect.poll(() => byId('predict-emotion').count(), { timeout: 60_000 }).toBe(1);
    expect(await byId('predict-encoder-needed').count()).toBe(0);
    expect(await byId('predict-encoder-dir-used').textContent()).toContain('moved/tiny-wav2vec2');
    await page.screenshot({ path: join(SCREENSHOTS, '11d-predict-encoder-moved.png') });
  });

  it('raised no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
