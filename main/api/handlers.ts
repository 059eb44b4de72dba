/**
 * The handler table: the one implementation of the contract, shared by every door (Electron IPC,
 * the serve-mode bridge, tests). Arguments are validated here, at runtime, before any work.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { scanDataset, SCHEME_NAMES, type SchemeName } from '../dataset';
import type { ApiErrorPayload, ApiRequests, AppInfo, DatasetOverview, RequestName } from './contract';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorPayload['code'],
    message: string,
  ) {
    super(message);
  }
}

export interface EngineContext {
  appVersion: string;
  resourcesDir: string;
}

type Handler<N extends RequestName> = (args: unknown) => Promise<ApiRequests[N]['result']>;
export type HandlerTable = { [N in RequestName]: Handler<N> };

function expectObject(args: unknown, request: string): Record<string, unknown> {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new ApiError('invalid-arguments', `${request}: arguments must be an object`);
  }
  return args as Record<string, unknown>;
}

function expectString(value: unknown, request: string, field: string, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new ApiError('invalid-arguments', `${request}: '${field}' must be a non-empty string`);
  }
  return value;
}

export function createHandlers(ctx: EngineContext): HandlerTable {
  return {
    async 'app.info'(): Promise<AppInfo> {
      return {
        name: 'SER Workbench',
        version: ctx.appVersion,
        platform: `${process.platform}-${process.arch}`,
        demoDatasetPath: join(ctx.resourcesDir, 'demo-emodb'),
      };
    },
    async 'dataset.open'(raw): Promise<DatasetOverview> {
      const args = expectObject(raw, 'dataset.open');
      const root = expectString(args.root, 'dataset.open', 'root')!;
      const scheme = expectString(args.scheme, 'dataset.open', 'scheme', true);
      if (scheme !== undefined && scheme !== 'auto' && !(SCHEME_NAMES as readonly string[]).includes(scheme)) {
        throw new ApiError('invalid-arguments', `dataset.open: unknown scheme '${scheme}' (known: auto, ${SCHEME_NAMES.join(', ')})`);
      }
      if (!existsSync(root)) throw new ApiError('failed', `dataset folder not found: ${root}`);
      const scan = await scanDataset(root, { scheme: (scheme as SchemeName | 'auto' | undefined) ?? 'auto' });
      const perClass: Record<string, number> = {};
      const perSpeaker: Record<string, number> = {};
      for (const clip of scan.clips) {
        perClass[clip.label] = (perClass[clip.label] ?? 0) + 1;
        perSpeaker[clip.speaker || '(unknown)'] = (perSpeaker[clip.speaker || '(unknown)'] ?? 0) + 1;
      }
      return {
        root: scan.root,
        scheme: scan.scheme,
        detection: scan.detection,
        clipCount: scan.clips.length,
        labels: scan.labels,
        speakers: scan.speakers,
        perClass,
        perSpeaker,
        skipped: scan.skipped,
      };
    },
  };
}

/** Runs one request through the table, turning every failure into an ApiError. */
export async function dispatch(table: HandlerTable, name: unknown, args: unknown): Promise<unknown> {
  if (typeof name !== 'string' || !Object.hasOwn(table, name)) {
    throw new ApiError('unknown-request', `unknown request '${String(name)}'`);
  }
  try {
    return await table[name as RequestName](args ?? {});
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('failed', err instanceof Error ? err.message : String(err));
  }
}
