/** The app area: what the engine is, its compute backend, the desktop shell's dialogs, running jobs. */
import { initBackend } from '../../compute/backend';
import { BACKEND_NAMES, type BackendName } from '../../schema/backend';
import { ApiError } from '../validate';
import { request, type AreaTable } from './engine';

export const BACKEND_CHOICES: readonly (BackendName | 'auto')[] = ['auto', ...BACKEND_NAMES];

export const appRequests: AreaTable<
  'app.info' | 'app.backend' | 'app.openedFiles' | 'dialog.pickFolder' | 'dialog.pickFiles' | 'shell.reveal' | 'jobs.list' | 'jobs.cancel'
> = {
  'app.info': request({}, async ({ ctx, workspace }) => ({
    name: 'SER Workbench',
    version: ctx.appVersion,
    platform: `${process.platform}-${process.arch}`,
    door: ctx.door,
    nativeDialogs: Boolean(ctx.dialogs),
    demoDatasetPath: workspace.demoDatasetPath,
    runsDir: workspace.runsDir,
    cacheDir: workspace.cacheDir,
    backendPreference: workspace.backendPreference,
  })),

  'app.backend': request({ preference: { kind: 'enum', values: BACKEND_CHOICES, optional: true } }, async ({ workspace }, args) => {
    const preference = args.preference ?? workspace.backendPreference;
    // A backend that fails to start leaves the previous preference (and backend) in place.
    const info = await initBackend(preference);
    workspace.backendPreference = preference;
    return info;
  }),

  'app.openedFiles': request({}, async ({ ctx, workspace }) => {
    const paths = ctx.takeOpenedFiles?.() ?? [];
    for (const path of paths) workspace.allowFile(path);
    return { paths };
  }),

  'dialog.pickFolder': request({ title: { kind: 'string', optional: true } }, async ({ ctx }, args) => {
    if (!ctx.dialogs) throw new ApiError('unsupported', 'no native dialogs in serve mode: type the folder path instead');
    // A picked folder is only a path: access follows from what is then opened in it.
    return { path: await ctx.dialogs.pickFolder(args.title) };
  }),

  'dialog.pickFiles': request(
    { title: { kind: 'string', optional: true }, audioOnly: { kind: 'boolean', optional: true } },
    async ({ ctx, workspace }, args) => {
      if (!ctx.dialogs) throw new ApiError('unsupported', 'no native dialogs in serve mode: use the file picker of the page');
      const paths = await ctx.dialogs.pickFiles({ title: args.title, audioOnly: args.audioOnly === true });
      for (const path of paths) workspace.allowFile(path);
      return { paths };
    },
  ),

  'shell.reveal': request({ path: { kind: 'path', confine: 'opened' } }, async ({ ctx }, args) => {
    if (!ctx.dialogs) throw new ApiError('unsupported', 'revealing folders needs the desktop app');
    await ctx.dialogs.reveal(args.path);
    return { ok: true as const };
  }),

  'jobs.list': request({}, async ({ jobs }) => jobs.list()),

  'jobs.cancel': request({ jobId: { kind: 'string' } }, async ({ jobs }, args) => jobs.cancel(args.jobId)),
};
