/** The renderer's only way to the engine: the typed contract exposed as `window.api`. */
import type { RequestArgs, RequestName, RequestResult } from '../../main/api/contract';

export function invoke<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<RequestResult<N>> {
  if (!window.api) return Promise.reject(new Error('the engine is not connected (window.api missing)'));
  return window.api.invoke(name, args);
}
