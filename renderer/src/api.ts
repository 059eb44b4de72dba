/**
 * The renderer's only way to the engine: the typed contract as `window.api`. In Electron the
 * preload provides it; in a browser (serve mode) the WebSocket bridge does (see bridge.ts).
 */
import type { ApiEvents, EventName, RequestArgs, RequestName, RequestResult, WorkbenchApi } from '../../main/api/contract';

let api: WorkbenchApi | null = null;

/** Installs the API to use (main.ts does it once at start; tests install a fake). */
export function setApi(value: WorkbenchApi): void {
  api = value;
}

function current(): WorkbenchApi {
  const value = api ?? (globalThis as { api?: WorkbenchApi }).api;
  if (!value) throw new Error('the engine is not connected (window.api missing)');
  return value;
}

export function invoke<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<RequestResult<N>> {
  try {
    return current().invoke(name, args);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Subscribes to an engine event; returns the unsubscribe function. */
export function on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
  return current().on(event, listener);
}
