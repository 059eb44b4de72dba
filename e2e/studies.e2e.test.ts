/// <reference lib="dom" />
/**
 * End to end: a study made outside the app (the engine, as `ser study init` + `study run` would:
 * LOSO on the demo set with a tiny model) opens in the Studies view of the built renderer in
 * Chromium, through serve mode, with the runs folder pointing at it. Checks the members grid and
 * its overlaid curves, the results table, the pooled matrix and its drill-down into a fold's clip; saves
 * e2e/screenshots/10-studies.png at 1440 × 900. A second study of two cells × two seeds (finished
 * members fabricated, no training) fills the comparison table with fusions and its exports
 * (10e-studies-table.png).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireStudyLock, createStudy, runStudyMember, studyMembers } from '../main/pipeline/study';
import { fabricateMembers } from '../test/pipeline/study/fake-members';
import { DEMO, openWorkbench, SCREENSHOTS, type Workbench } from './harness';
import { resolveTrainingConfig } from '../main/training/config';

describe('a study in the Studies view (serve mode)', { timeout: 300_000 }, () => {
  let dir: string;
  let workbench: Workbench;
  let page: Page;
  let pageErrors: string[];
  const byId = (id: string) => page.getByTestId(id);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ser-e2e-study-'));
    // Two epochs of the smallest model on 16 × 16 MFCC (curves, not dots): ten LOSO members in-process in well under a minute.
    const studyDir = join(dir, 'studies', 'demo-loso');
    const study = await createStudy(studyDir, {
      datasetRoot: DEMO,
      protocol: { kind: 'loso' },
      training: resolveTrainingConfig({ preset: 'quick', model: 'seed-cnn', epochs: 2, earlyStoppingPatience: 2, batchSize: 32 }),
      features: { nMfcc: 16, frames: 16 },
      seeds: [1],
    });
    for (const member of studyMembers(study)) await runStudyMember(studyDir, member.index, { threads: 1, backend: 'wasm' });
    // A second study on the same folds to compare with (a copy: the same predictions).
    const baselineDir = join(dir, 'studies', 'baseline');
    cpSync(studyDir, baselineDir, { recursive: true });
    const file = join(baselineDir, 'study.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), name: 'baseline' }));

    // Two cells × two seeds × two folds, finished: the comparison table and its fusions.
    const tableDir = join(dir, 'studies', 'fusion-table');
    const tableStudy = await createStudy(tableDir, {
      datasetRoot: DEMO,
      protocol: { kind: 'kfold', k: 2 },
      training: resolveTrainingConfig({ preset: 'quick', model: 'seed-cnn' }),
      seeds: [1, 2],
      grid: [{ field: 'model', values: ['seed-cnn', 'crnn'] }],
    });
    await fabricateMembers(tableDir, tableStudy, undefined, true);

    workbench = await openWorkbench(dir, join(dir, 'studies'));
    ({ page, pageErrors } = workbench);
  }, 240_000);

  afterAll(async () => {
    await workbench?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the study, its members and its pooled results', async () => {
    await byId('tab-studies').click();
    await expect.poll(() => byId('study-picker').textContent()).toContain('demo-loso');
    await byId('study-picker').selectOption({ label: 'demo-loso · loso · 10 members' });
    await expect.poll(() => byId('study-head').textContent()).toContain('10 done');
    expect(await byId('study-member').count()).toBe(10);
    const row = byId('study-result-row');
    await expect.poll(() => row.count()).toBe(1);
    // UAR, accuracy and macro-F1, each with its interval.
    expect(await row.first().textContent()).toMatch(/10\/10.*\d+\.\d %.*\[\d+\.\d, \d+\.\d\] %/s);
    await expect.poll(() => byId('study-matrix').getByTestId('cm-cell').count()).toBe(49);
    expect(await byId('study-fold-bars').locator('canvas').count()).toBe(1);
    // Per-fold bars name each fold's test speaker; the members grid is readable and has a legend.
    expect(await byId('study-fold-bars').getAttribute('aria-label')).toMatch(/fold 1 \(03\), fold 2 \(08\), .*fold 10 \(16\)/);
    expect(await byId('study-legend').textContent()).toMatch(/pending.*queued.*running.*done.*failed.*interrupted.*epochs done/s);
    const box = await byId('study-member').first().boundingBox();
    expect(box!.width).toBeGreaterThanOrEqual(36);
    expect(box!.height).toBeGreaterThanOrEqual(24);
    // Two members' validation curves overlaid.
    await byId('study-member').nth(0).click();
    await byId('study-member').nth(3).click();
    await expect.poll(() => byId('study-curves').locator('canvas').count()).toBe(1);
  });

  it('drills from a pooled matrix cell into a fold’s clip', async () => {
    // The fullest cell (a one-epoch model may leave many cells empty).
    const cells = byId('study-matrix').getByTestId('cm-cell');
    const counts = (await cells.allTextContents()).map((text) => Number(text.replace(/\D/g, '')));
    const fullest = counts.indexOf(Math.max(...counts));
    await cells.nth(fullest).click();
    await expect.poll(() => byId('study-clips-title').textContent()).toMatch(new RegExp(`: ${counts[fullest]} clips?$`));
    const clips = byId('study-clip');
    await expect.poll(() => clips.count()).toBeGreaterThan(0);
    expect(await clips.first().textContent()).toMatch(/fold \d+ · seed 1/);
    await clips.first().click();
    await expect.poll(() => byId('clip-viewer').getByTestId('features-heatmap').locator('canvas').count()).toBeGreaterThan(0);
    await workbench.shot('10-studies');
    expect(pageErrors).toEqual([]);
  });

  it('compares the study with another on the same folds', async () => {
    await byId('study-compare-with').selectOption({ label: 'baseline' });
    await expect.poll(() => byId('study-result-row').count()).toBe(2);
    expect(await byId('study-results').textContent()).toContain('baseline: base');
    await expect.poll(() => byId('study-verdict').textContent()).toMatch(/demo-loso: base|baseline: base/);
    expect(await byId('study-paired-folds').locator('thead td, tr').count()).toBeGreaterThan(0);
    await byId('study-compare').scrollIntoViewIfNeeded();
    await workbench.shot('10a-studies-compare');
    await byId('study-compare-with').selectOption({ label: "none (this study's cells)" });
    await expect.poll(() => byId('study-result-row').count()).toBe(1);
    expect(await byId('study-compare-hint').textContent()).toContain('choose another study on the same folds');
    expect(pageErrors).toEqual([]);
  });

  /** A three-member study of the tiny recipe, made in the runs folder as `ser study init` would. */
  let cliDir = '';

  it('lists a study made by `ser study init` meanwhile when Refresh is pressed', async () => {
    cliDir = join(dir, 'studies', 'made-by-cli');
    await createStudy(cliDir, {
      datasetRoot: DEMO,
      protocol: { kind: 'kfold', k: 3 },
      training: resolveTrainingConfig({ preset: 'quick', model: 'seed-cnn', epochs: 2, earlyStoppingPatience: 2, batchSize: 32 }),
      features: { nMfcc: 16, frames: 16 },
      seeds: [1],
    });
    expect(await byId('study-picker').textContent()).not.toContain('made-by-cli');
    await byId('study-refresh').click();
    await expect.poll(() => byId('study-picker').textContent()).toContain('made-by-cli');
    expect(pageErrors).toEqual([]);
  });

  it('follows a study another executor runs, without a touch, and will not start a second one', async () => {
    await byId('study-picker').selectOption({ label: 'made-by-cli · kfold:3 · 3 members' });
    await expect.poll(() => byId('study-head').textContent()).toContain('3 pending');
    // `ser study run` elsewhere takes the study's lock (this test process stands in for it) and trains a member.
    const lock = await acquireStudyLock(cliDir);
    try {
      await expect.poll(() => byId('study-runner').textContent(), { timeout: 15_000 }).toContain(`Being run by pid ${process.pid}`);
      expect(await byId('study-run').isDisabled()).toBe(true);
      await runStudyMember(cliDir, 0, { threads: 1, backend: 'wasm' });
      await expect.poll(() => byId('study-head').textContent(), { timeout: 15_000 }).toContain('1 done');
      expect(await byId('study-head').textContent()).toContain('2 pending');
    } finally {
      await lock.release();
    }
    await expect.poll(() => byId('study-run').isDisabled(), { timeout: 15_000 }).toBe(false);
    expect(await byId('study-runner').count()).toBe(0);
    expect(await byId('study-last-run').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('shows a member running as soon as the view starts the study; its last run stays with it', async () => {
    await byId('study-run').click();
    await expect.poll(() => byId('study-head').textContent(), { timeout: 120_000 }).toMatch(/1 running/);
    const titles = await byId('study-member').evaluateAll((boxes) => boxes.map((b) => b.getAttribute('title') ?? ''));
    expect(titles.filter((t) => / — running/.test(t))).toHaveLength(1);
    await workbench.shot('10b-studies-running');
    await byId('study-cancel').click();
    await expect.poll(() => byId('study-last-run').textContent(), { timeout: 120_000 }).toMatch(/Last run: \d of \d members finished/);
    // Another study does not show this one's last run.
    await byId('study-picker').selectOption({ label: 'demo-loso · loso · 10 members' });
    await expect.poll(() => byId('study-head').textContent()).toContain('10 done');
    expect(await byId('study-last-run').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('creates a study from the Train form settings in the runs folder', async () => {
    await byId('tab-dataset').click();
    await byId('dataset-open-demo').click();
    await expect.poll(() => byId('dataset-summary').textContent()).toContain('135 clips');
    await byId('tab-studies').click();
    await byId('study-new').click();
    // The form shows the settings it will use, labelled as the Train form and the Features panel label them.
    const settings = byId('study-settings');
    await expect.poll(() => settings.textContent()).toMatch(/Features.*Representation.*Run.*Model.*Optimisation.*Learning rate/s);
    expect(await settings.textContent()).not.toMatch(/Seed|Test speakers/);
    await workbench.shot('10c-studies-new-form');
    await byId('study-name').fill('from-the-form');
    await byId('study-seeds').fill('1, 2');
    await byId('study-create').click();
    await expect.poll(() => byId('study-head').textContent()).toContain('from-the-form');
    expect(await byId('study-head').textContent()).toContain('20 pending');
    expect(await byId('study-member').count()).toBe(20);
    await byId('study-new').click();
    await byId('study-name').fill('from-the-form');
    await byId('study-create').click();
    await expect.poll(() => byId('study-create-error').textContent()).toMatch(/from-the-form already exists: choose another study name/);
    expect(pageErrors).toEqual([]);
  });

  it('says the token is wrong, and how to get the right address, when the page has a wrong one', async () => {
    const other = await workbench.browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      await other.goto(`${workbench.server.url}?token=wrong`);
      await expect
        .poll(() => other.getByTestId('app-error').textContent())
        .toContain('The access token in this address is wrong or missing');
      expect(await other.getByTestId('app-error').textContent()).toContain('open the address `npm run serve` printed');
      expect(await other.getByTestId('dataset-engine-unreachable').textContent()).toContain('the engine is not reachable');
      await other.screenshot({ path: join(SCREENSHOTS, '10d-wrong-token.png') });
    } finally {
      await other.close();
    }
  });

  it('fuses two cells into the comparison table, tests against a chosen baseline and exports CSV and LaTeX', async () => {
    await byId('tab-studies').click();
    await byId('study-picker').selectOption({ label: 'fusion-table · kfold:2 · 8 members' });
    await expect.poll(() => byId('study-head').textContent()).toContain('8 done');
    const rows = byId('study-table-row');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(/c1\s*model=seed-cnn\s*baseline/);

    await byId('study-fuse-c1').check();
    await byId('study-fuse-c2').check();
    await byId('study-fuse-add').click();
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.nth(2).textContent()).toMatch(/f1\s*c1 \+ c2\s*4\/4\s*\d+\.\d %/);
    expect(await byId('study-fusion-chip').textContent()).toContain('c1 + c2');

    await byId('study-ensemble-seeds').check();
    await expect.poll(() => rows.count()).toBe(5);
    expect(await rows.nth(4).textContent()).toContain('c1 + c2 (seeds averaged)');
    await byId('study-baseline').selectOption('c2');
    await expect.poll(() => rows.nth(1).textContent()).toContain('baseline');
    // Every other row has a difference against c2 and both p-values.
    expect(await rows.nth(0).textContent()).toMatch(/[+−]\d+\.\d pp\s*0\.\d+\s*(< 0\.001|0\.\d+)/);

    const [csv] = await Promise.all([page.waitForEvent('download'), byId('study-table-csv').click()]);
    expect(csv.suggestedFilename()).toBe('fusion-table-best-table.csv');
    const csvText = readFileSync(await csv.path(), 'utf8');
    expect(csvText.trim().split('\n')).toHaveLength(6);
    const [latex] = await Promise.all([page.waitForEvent('download'), byId('study-table-latex').click()]);
    expect(latex.suggestedFilename()).toBe('fusion-table-best-table.tex');
    expect(readFileSync(await latex.path(), 'utf8')).toContain('c2 & model=crnn (baseline)');

    // Fold 2 of the fusion of the seed ensembles, saved as a run the Runs view lists.
    await byId('study-save-fusion').selectOption('f3');
    await byId('study-save-fold').selectOption('2');
    await byId('study-save-run').click();
    await expect.poll(() => byId('study-saved-run').textContent()).toContain('fusion-table-fused-c1-c2-fold2-seeds');

    await byId('study-table').scrollIntoViewIfNeeded();
    await workbench.shot('10e-studies-table');
    expect(pageErrors).toEqual([]);
  });
});
