/**
 * The desktop window's security settings, kept apart from the shell so a test can check them
 * without Electron: context isolation, sandbox, no Node in the page, and a strict CSP.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The window's security settings; a test reads them from the built shell. */
export function windowOptions(preloadPath: string, bounds: WindowBounds | null): BrowserWindowConstructorOptions {
  return {
    width: bounds?.width ?? 1360,
    height: bounds?.height ?? 900,
    ...(bounds?.x !== undefined && bounds?.y !== undefined ? { x: bounds.x, y: bounds.y } : {}),
    minWidth: 900,
    minHeight: 600,
    title: 'SER Workbench',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    },
  };
}

export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

/**
 * The app's own page: the bundled renderer (file://) or, in development, the dev server's origin
 * (`rendererUrl`, ELECTRON_RENDERER_URL). Only it may call the engine or take the microphone.
 */
export function isAppPage(url: string | undefined, rendererUrl: string | undefined): boolean {
  if (!url) return false;
  if (url.startsWith('file://')) return true;
  if (!rendererUrl) return false;
  try {
    return new URL(url).origin === new URL(rendererUrl).origin;
  } catch {
    return false;
  }
}

/**
 * The permission requests the window grants: audio capture (the Listen panel's microphone) for the
 * app's own page, and nothing else — no camera, no screen, no notifications, no other page.
 */
export function grantsPermission(
  permission: string,
  requestingUrl: string | undefined,
  mediaTypes: readonly string[] | undefined,
  rendererUrl: string | undefined,
): boolean {
  if (permission !== 'media' || !isAppPage(requestingUrl, rendererUrl)) return false;
  return mediaTypes !== undefined && mediaTypes.length > 0 && mediaTypes.every((type) => type === 'audio');
}
