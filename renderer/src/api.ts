/**
 * The renderer's only way to the engine: the typed contract as `window.api`. In Electron the
 * preload provides it; in a browser (serve mode) the WebSocket bridge does (see bridge.ts).
 */
import type { ApiEvents, EventName, RequestArgs, RequestName, RequestResult, WorkbenchApi } from '../../main/api/contract';
import { API_ERROR_CODES, AUDIO_ERROR_CODES } from '../../main/schema/errorCodes';

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

// "dataset.open: …", "training.start (config): …": which request failed is the engine's business.
const REQUEST_PREFIX = /^[a-z]+\.[a-zA-Z]+(?: \([^)]*\))?: /;
// Stable codes the engine puts in front of a detail (ApiErrorPayload and audio decoding codes).
const CODES = [...API_ERROR_CODES, ...AUDIO_ERROR_CODES].join('|');
const CODE_PREFIX = new RegExp(`^(?:${CODES}): `);
// "03a01Wa.wav: truncated: …" (a file name, then a code).
const FILE_CODE_PREFIX = new RegExp(`^([^:/\\\\]+\\.[A-Za-z0-9]{1,5}): (?:${CODES}): `);

/**
 * An engine message as one plain sentence for the user: without the request prefix and the error
 * code, and without the file name when the caller shows it anyway (`file`, a path or a name).
 */
export function plainMessage(message: string, file?: string): string {
  let text = message.trim().replace(REQUEST_PREFIX, '');
  text = text.replace(FILE_CODE_PREFIX, '$1: ').replace(CODE_PREFIX, '');
  if (file) {
    const name = file.split(/[\\/]/).filter(Boolean).at(-1) ?? file;
    for (const shown of [file, name]) if (text.startsWith(`${shown}: `)) text = text.slice(shown.length + 2);
  }
  return text;
}

/** The error of a failed request with its message made plain (its code, if any, is kept). */
function plainError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(plainMessage(String(err)));
  err.message = plainMessage(err.message);
  return err;
}

export function invoke<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<RequestResult<N>> {
  try {
    return current()
      .invoke(name, args)
      .catch((err: unknown) => Promise.reject(plainError(err)));
  } catch (err) {
    return Promise.reject(plainError(err));
  }
}

/** Subscribes to an engine event; returns the unsubscribe function. */
export function on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
  return current().on(event, listener);
}
