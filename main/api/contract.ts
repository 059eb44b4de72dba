/**
 * The one contract between the UI and the engine: every request (name → argument and result
 * types) and every event. The preload exposes exactly this; main implements it as one handler
 * table (main/api/handlers.ts); the renderer calls it fully typed through `window.api`.
 * Only plain, serialisable data crosses it. This file must stay free of Node imports: the
 * renderer's type check reads it.
 */

export interface AppInfo {
  name: string;
  version: string;
  platform: string;
  /** The bundled demo dataset (EmoDB subset), offered on first launch. */
  demoDatasetPath: string;
}

export interface DatasetOverview {
  root: string;
  scheme: string;
  detection: string;
  clipCount: number;
  labels: string[];
  speakers: string[];
  perClass: Record<string, number>;
  perSpeaker: Record<string, number>;
  skipped: { relPath: string; reason: string }[];
}

export interface ApiRequests {
  'app.info': { args: Record<string, never>; result: AppInfo };
  'dataset.open': { args: { root: string; scheme?: string }; result: DatasetOverview };
}

export type RequestName = keyof ApiRequests;
export type RequestArgs<N extends RequestName> = ApiRequests[N]['args'];
export type RequestResult<N extends RequestName> = ApiRequests[N]['result'];

export interface ApiEvents {
  log: { level: 'info' | 'warn' | 'error'; message: string; time: number };
}
export type EventName = keyof ApiEvents;

/** What `window.api` offers in the renderer (exposed by the preload, or the serve-mode bridge). */
export interface WorkbenchApi {
  invoke<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<RequestResult<N>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** Errors crossing the boundary keep a stable code and a message meant for the user. */
export interface ApiErrorPayload {
  code: 'invalid-arguments' | 'unknown-request' | 'failed';
  message: string;
}

export const IPC_INVOKE_CHANNEL = 'ser:invoke';
export const IPC_EVENT_CHANNEL = 'ser:event';
