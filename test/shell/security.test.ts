/**
 * The desktop shell's security settings (read without Electron) and the renderer's own CSP: the
 * page gets no Node, runs sandboxed and isolated, and may only load its own scripts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, grantsPermission, isAppPage, windowOptions } from '../../main/shell-config';
import { contentSecurityPolicy } from '../../main/serve/server';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map((words) => [words[0]!, words.slice(1)]),
  );
}

describe('desktop shell security', () => {
  it('isolates and sandboxes the window, with no Node integration or webviews', () => {
    const prefs = windowOptions('/app/preload/index.cjs', null).webPreferences!;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(prefs.preload).toBe('/app/preload/index.cjs');
  });

  it('keeps saved window bounds', () => {
    expect(windowOptions('/p', { x: 10, y: 20, width: 1000, height: 700 })).toMatchObject({ x: 10, y: 20, width: 1000, height: 700 });
  });

  for (const [name, csp] of [
    ['Electron header', CONTENT_SECURITY_POLICY],
    ['serve-mode header', contentSecurityPolicy('127.0.0.1:5317')],
    [
      'renderer meta tag',
      /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(readFileSync('renderer/index.html', 'utf8'))?.[1] ?? '',
    ],
  ] as const) {
    it(`${name}: only the app's own scripts, no eval, no plugins, no framing`, () => {
      const d = directives(csp);
      expect(d.get('script-src')).toEqual(["'self'"]);
      expect(csp).not.toContain('unsafe-eval');
      expect(d.get('object-src')).toEqual(["'none'"]);
      expect(d.get('base-uri')).toEqual(["'none'"]);
      expect(d.get('default-src')).toEqual(["'self'"]);
      // Playback and waveforms load blob: URLs made from the engine's audio.
      expect(d.get('media-src')).toContain('blob:');
      expect(d.get('connect-src')).toContain('blob:');
    });
  }

  it('the shell uses these settings', () => {
    const shell = readFileSync('main/index.ts', 'utf8');
    expect(shell).toContain('new BrowserWindow(windowOptions(');
    expect(shell).toContain("'Content-Security-Policy': [CONTENT_SECURITY_POLICY]");
    expect(shell).toContain("setWindowOpenHandler(() => ({ action: 'deny' }))");
    expect(shell).toContain("on('will-navigate', (event) => event.preventDefault())");
    const squeezed = shell.replace(/\s+/g, ' ');
    expect(squeezed).toContain('setPermissionRequestHandler((_contents, permission, callback, details) => callback( grantsPermission(');
    expect(squeezed).toContain('setPermissionCheckHandler((_contents, permission, requestingOrigin, details) => grantsPermission(');
    expect(shell).toContain('if (!isAppPage(event.senderFrame?.url, process.env.ELECTRON_RENDERER_URL))');
  });

  it("grants audio capture to the app's own page only, and no other permission", () => {
    const page = 'file:///opt/ser/resources/app/out/renderer/index.html';
    const dev = 'http://localhost:5173';
    expect(grantsPermission('media', page, ['audio'], undefined)).toBe(true);
    expect(grantsPermission('media', `${dev}/#predict`, ['audio'], dev)).toBe(true);
    expect(grantsPermission('media', page, ['video'], undefined)).toBe(false);
    expect(grantsPermission('media', page, ['audio', 'video'], undefined)).toBe(false);
    expect(grantsPermission('media', page, [], undefined)).toBe(false);
    expect(grantsPermission('media', page, undefined, undefined)).toBe(false);
    expect(grantsPermission('media', 'https://example.com/', ['audio'], undefined)).toBe(false);
    expect(grantsPermission('media', 'http://localhost:5174/', ['audio'], dev)).toBe(false);
    for (const permission of ['notifications', 'geolocation', 'display-capture', 'clipboard-read', 'openExternal']) {
      expect(grantsPermission(permission, page, ['audio'], undefined)).toBe(false);
    }
    expect(isAppPage(undefined, dev)).toBe(false);
    expect(isAppPage('not a url', dev)).toBe(false);
  });
});
