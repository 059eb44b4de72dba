/**
 * Serve mode: the contract over a WebSocket to the engine (main/serve/server.ts), offering the
 * same WorkbenchApi the Electron preload does. The token comes from the page URL once and is then
 * kept for this tab only (sessionStorage), and removed from the address bar.
 */
import type { ApiErrorPayload, EventName, SocketMessage, WorkbenchApi } from '../../main/api/contract';
import { SERVE_SOCKET_PATH, SERVE_TOKEN_CHECK_PATH, SERVE_TOKEN_PARAM } from '../../main/schema/channels';

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

export const WRONG_TOKEN_MESSAGE =
  'The access token in this address is wrong or missing (serve makes a new one each time it starts): open the address ' +
  '`npm run serve` printed in its terminal (http://…/?token=…), or restart serve and open the one it prints.';

/**
 * Why a socket was refused before it opened: the server's token check tells a wrong token (401)
 * from a server that is not there (no answer).
 */
export async function refusalReason(socketUrl: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const url = new URL(socketUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = SERVE_TOKEN_CHECK_PATH;
  try {
    const response = await fetchImpl(url.href, { cache: 'no-store' });
    if (response.status === 401) return WRONG_TOKEN_MESSAGE;
    return `the engine at ${url.host} refused the connection (HTTP ${response.status}): reload the page`;
  } catch {
    return `cannot reach the engine at ${url.host}: is \`npm run serve\` still running? Start it and open the address it prints`;
  }
}

export function createSocketApi(
  socketUrl: string,
  WebSocketImpl: typeof WebSocket = WebSocket,
  explainRefusal: () => Promise<string> = () => refusalReason(socketUrl),
): SocketApi {
  const socket = new WebSocketImpl(socketUrl);
  let everOpened = false;
  let refuse: (err: Error) => void = () => undefined;
  const opened = new Promise<void>((resolve, reject) => {
    refuse = reject;
    socket.addEventListener(
      'open',
      () => {
        everOpened = true;
        resolve();
      },
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
  const lost = (reason: string) => {
    for (const waiting of pending.values()) waiting.reject(new EngineError('disconnected', reason));
    pending.clear();
    for (const listener of disconnectListeners) listener(reason);
  };
  socket.addEventListener('close', (event: CloseEvent) => {
    if (!everOpened) {
      // Refused at the handshake (a browser is not told why): ask the server whether the token is wrong.
      void explainRefusal().then((reason) => {
        refuse(new EngineError('disconnected', reason));
        lost(reason);
      });
      return;
    }
    lost(`the connection to the engine was closed${event.reason ? ` (${event.reason})` : ''}: restart \`npm run serve\` and reload`);
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
