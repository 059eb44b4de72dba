/// <reference lib="dom" />
/**
 * What every browser suite needs: the built renderer served by the real engine (serve mode) on a
 * workspace of its own, and Debian's Chromium (playwright-core) showing it at 1440 × 900, with the
 * page's errors collected and screenshots saved in e2e/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Workspace } from '../main/api/workspace';
import { startServer, type RunningServer } from '../main/serve/server';

const CHROMIUM = process.env.SER_CHROMIUM ?? '/usr/bin/chromium';
const RENDERER = resolve('out/renderer');
export const DEMO = resolve('resources/demo-emodb');
export const SCREENSHOTS = resolve('e2e/screenshots');

export interface Workbench {
  server: RunningServer;
  browser: Browser;
  page: Page;
  /** Uncaught page errors and console errors, in order. */
  pageErrors: string[];
  /** A full-page screenshot from the top, saved as e2e/screenshots/NAME.png. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts serve mode on `runsDir` (with cache and uploads inside `workDir`) and opens it in Chromium. */
export async function openWorkbench(workDir: string, runsDir: string, chromiumArgs: string[] = []): Promise<Workbench> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set SER_CHROMIUM; .ci/run installs it`);
  }
  if (!existsSync(join(RENDERER, 'index.html'))) throw new Error('the renderer is not built: run `npm run build` (npm test does it first)');
  mkdirSync(SCREENSHOTS, { recursive: true });
  const workspace = new Workspace({
    runsDir,
    cacheDir: join(workDir, 'cache'),
    uploadsDir: join(workDir, 'uploads'),
    demoDatasetPath: DEMO,
    backendPreference: 'wasm',
  });
  const server = await startServer({ rendererDir: RENDERER, workspace, appVersion: '0.0.0-e2e' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...chromiumArgs,
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.setDefaultTimeout(60_000);
  await page.goto(server.openUrl);
  return {
    server,
    browser,
    page,
    pageErrors,
    async shot(name) {
      // Taken from the top, so the sticky header sits where it belongs.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
