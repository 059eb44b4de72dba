/**
 * Serve mode: the contract over a WebSocket to the engine (main/serve/server.ts), offering the
 * same WorkbenchApi the Electron preload does. The token comes from the page URL once and is then
 * kept for this tab only (sessionStorage), and removed from the address bar.
 */
import type { ApiErrorPayload, EventName, SocketMessage, WorkbenchApi } from '../../main/api/contract';
import { SERVE_SOCKET_PATH, SERVE_TOKEN_PARAM } from '../../main/schema/channels';

export class EngineError extends Error {
  constructor(
    readonly code: ApiErrorPayload['code'] | 'disconnected',
    message: string,
  ) {
    super(message);
  }
}

/** Reads the token from `?token=` (then hides it) or from this tab's storage. */
export function takeToken(location: Location, history: History, storage: Storage): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get(SERVE_TOKEN_PARAM);
  if (fromUrl) {
    storage.setItem('ser-token', fromUrl);
    url.searchParams.delete(SERVE_TOKEN_PARAM);
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return storage.getItem('ser-token');
}

export interface SocketApi extends WorkbenchApi {
  /** Called with a message when the connection is lost (the UI shows it). */
  onDisconnect(listener: (message: string) => void): void;
}

export function createSocketApi(socketUrl: string, WebSocketImpl: typeof WebSocket = WebSocket): SocketApi {
  const socket = new WebSocketImpl(socketUrl);
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener(
      'error',
      () =>
        reject(new EngineError('disconnected', 'cannot connect to the engine (is `npm run serve` still running, and is the token right?)')),
      { once: true },
    );
  });
  opened.catch(() => undefined);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const disconnectListeners = new Set<(message: string) => void>();
  let nextId = 1;

  socket.addEventListener('message', (event: MessageEvent) => {
    const message = JSON.parse(String(event.data)) as SocketMessage;
    if ('event' in message) {
      for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
      return;
    }
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.ok) waiting.resolve(message.value);
    else waiting.reject(new EngineError(message.error.code, message.error.message));
  });
  socket.addEventListener('close', (event: CloseEvent) => {
    const reason = `the connection to the engine was closed${event.reason ? ` (${event.reason})` : ''}: restart \`npm run serve\` and reload`;
    for (const waiting of pending.values()) waiting.reject(new EngineError('disconnected', reason));
    pending.clear();
    for (const listener of disconnectListeners) listener(reason);
  });

  return {
    async invoke(name, args) {
      await opened;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        socket.send(JSON.stringify({ id, name, args }));
      });
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event as EventName, set);
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    onDisconnect(listener) {
      disconnectListeners.add(listener);
    },
  };
}

export function socketUrlFor(location: Location, token: string): string {
  const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${protocol}//${location.host}${SERVE_SOCKET_PATH}?${SERVE_TOKEN_PARAM}=${encodeURIComponent(token)}`;
}
