/** A stand-in engine for store tests: scripted request handlers, a call log, and events to emit. */
import type { ApiEvents, EventName, RequestArgs, RequestName, RequestResult, WorkbenchApi } from '../../main/api/contract';

export type Handlers = { [N in RequestName]?: (args: RequestArgs<N>) => RequestResult<N> | Promise<RequestResult<N>> };

export function fakeApi(handlers: Handlers) {
  const calls: { name: RequestName; args: unknown }[] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const api: WorkbenchApi = {
    invoke: (async (name: RequestName, args: unknown) => {
      calls.push({ name, args });
      const handler = handlers[name] as unknown as ((a: unknown) => unknown) | undefined;
      if (!handler) throw new Error(`unexpected request ${name}`);
      return handler(args);
    }) as unknown as WorkbenchApi['invoke'],
    on: ((event: string, listener: (payload: unknown) => void) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    }) as unknown as WorkbenchApi['on'],
  };
  function emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  }
  /** How many times a request was made. */
  const count = (name: RequestName) => calls.filter((c) => c.name === name).length;
  return { api, calls, emit, listeners, count };
}
