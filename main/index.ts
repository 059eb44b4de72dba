/**
 * The Electron shell: window, security settings, dialogs, menu, and IPC wired to the one handler
 * table. Everything else lives in the plain-Node engine modules and is tested without Electron.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell } from 'electron';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from './api/contract';
import { ApiError, createEngine, dispatch, type DialogProvider } from './api/handlers';
import { Workspace } from './api/workspace';
import { AUDIO_EXTENSIONS } from './dataset';
import { defaultCacheRoot } from './features/cache';
import { CONTENT_SECURITY_POLICY, grantsPermission, isAppPage, windowOptions, type WindowBounds } from './shell-config';
import { writeJsonAtomic } from './util/fs';

const here = dirname(fileURLToPath(import.meta.url));
const resourcesDir = app.isPackaged ? join(process.resourcesPath, 'resources') : join(here, '../../resources');

const windowStateFile = () => join(app.getPath('userData'), 'window-state.json');

function readWindowState(): WindowBounds | null {
  try {
    const state = JSON.parse(readFileSync(windowStateFile(), 'utf8')) as WindowBounds;
    return state.width > 200 && state.height > 200 ? state : null;
  } catch {
    return null;
  }
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  const runsDir = process.env.SER_RUNS_DIR ?? join(app.getPath('userData'), 'runs');
  const workspace = new Workspace({
    runsDir,
    cacheDir: defaultCacheRoot(),
    uploadsDir: join(app.getPath('userData'), 'uploads'),
    demoDatasetPath: join(resourcesDir, 'demo-emodb'),
  });

  const dialogs: DialogProvider = {
    async pickFolder(title) {
      const result = await dialog.showOpenDialog({ title: title ?? 'Open a dataset folder', properties: ['openDirectory'] });
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    async pickFiles({ title, audioOnly }) {
      const result = await dialog.showOpenDialog({
        title: title ?? 'Choose audio files',
        properties: ['openFile', 'multiSelections'],
        filters: audioOnly === false ? [] : [{ name: 'Audio', extensions: AUDIO_EXTENSIONS.map((ext) => ext.replace(/^\./, '')) }],
      });
      return result.canceled ? [] : result.filePaths;
    },
    async reveal(path) {
      shell.showItemInFolder(path);
    },
  };

  /** Audio files given on the command line or by the OS (file association), waiting for Predict. */
  let openedFiles: string[] = [];
  const audioArguments = (argv: readonly string[]) =>
    argv.filter((arg) => AUDIO_EXTENSIONS.some((ext) => arg.toLowerCase().endsWith(ext)) && existsSync(arg)).map((arg) => resolve(arg));
  const fileOpened = (paths: string[]) => {
    if (paths.length === 0) return;
    openedFiles.push(...paths);
    for (const window of BrowserWindow.getAllWindows())
      window.webContents.send(IPC_EVENT_CHANNEL, 'files.opened', { count: openedFiles.length });
  };
  openedFiles.push(...audioArguments(process.argv.slice(1)));
  app.on('open-file', (event, path) => {
    event.preventDefault();
    fileOpened([path]);
  });

  const engine = createEngine({
    takeOpenedFiles: () => {
      const paths = openedFiles;
      openedFiles = [];
      return paths;
    },
    appVersion: app.getVersion(),
    door: 'electron',
    workspace,
    dialogs,
    emit: (event, payload) => {
      for (const window of BrowserWindow.getAllWindows()) window.webContents.send(IPC_EVENT_CHANNEL, event, payload);
    },
  });

  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, name: unknown, args: unknown) => {
    // Only our own page may call the engine.
    if (!isAppPage(event.senderFrame?.url, process.env.ELECTRON_RENDERER_URL)) {
      return { ok: false, error: { code: 'forbidden', message: 'requests are accepted from the app window only' } };
    }
    try {
      return { ok: true, value: await dispatch(engine.handlers, name, args) };
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError('failed', String(err));
      return { ok: false, error: { code: error.code, message: error.message } };
    }
  });

  function createWindow(): BrowserWindow {
    const window = new BrowserWindow(windowOptions(join(here, '../preload/index.cjs'), readWindowState()));
    window.once('ready-to-show', () => window.show());
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    window.on('close', (event) => {
      if (engine.jobs.trainingRunning()) {
        const choice = dialog.showMessageBoxSync(window, {
          type: 'question',
          buttons: ['Keep training', 'Stop training and close'],
          defaultId: 0,
          cancelId: 0,
          message: 'A training run is in progress.',
          detail: 'Closing stops it; the run keeps its checkpoints so far and is marked cancelled.',
        });
        if (choice === 0) {
          event.preventDefault();
          return;
        }
        engine.jobs.cancelAll();
      }
      const { x, y, width, height } = window.getNormalBounds();
      void writeJsonAtomic(windowStateFile(), { x, y, width, height }).catch(() => undefined);
    });
    if (process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL);
    else void window.loadFile(join(here, '../renderer/index.html'));
    return window;
  }

  app.on('second-instance', (_event, argv) => {
    fileOpened(audioArguments(argv.slice(1)));
    const [window] = BrowserWindow.getAllWindows();
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });

  void app.whenReady().then(async () => {
    await workspace.ensureFolders();
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
    // The microphone (Listen) for the app's own page; every other permission is refused.
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
      callback(
        grantsPermission(
          permission,
          details.requestingUrl,
          'mediaTypes' in details ? details.mediaTypes : undefined,
          process.env.ELECTRON_RENDERER_URL,
        ),
      ),
    );
    session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
      grantsPermission(
        permission,
        details.requestingUrl ?? requestingOrigin,
        details.mediaType ? [details.mediaType] : undefined,
        process.env.ELECTRON_RENDERER_URL,
      ),
    );
    app.on('web-contents-created', (_event, contents) => {
      contents.on('will-attach-webview', (event) => event.preventDefault());
    });
    Menu.setApplicationMenu(
      Menu.buildFromTemplate([
        ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
        { role: 'fileMenu' },
        { role: 'editMenu' },
        { role: 'viewMenu' },
        { role: 'windowMenu' },
        {
          role: 'help',
          submenu: [{ label: 'Runs folder', click: () => void shell.openPath(workspace.runsDir) }],
        },
      ]),
    );
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  app.on('before-quit', () => engine.jobs.cancelAll());
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') void engine.close().finally(() => app.quit());
  });
}
