/** A stand-in engine for store tests: scripted request handlers, a call log, and events to emit. */
import type { ApiEvents, EventName, RequestArgs, RequestName, RequestResult, RunSummary, WorkbenchApi } from '../../main/api/contract';

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

/** Lets pending promise callbacks (the stores' requests) run. */
export const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A finished run as runs.list reports it, with both checkpoints complete. */
export function runSummary(id: string, createdAt: string, changes: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    name: `run ${id}`,
    status: 'done',
    createdAt,
    updatedAt: createdAt,
    datasetRoot: '/data/emodb',
    model: 'crnn',
    epochsRun: 5,
    bestEpoch: 4,
    test: { best: { accuracy: 0.61, uar: 0.6, macroF1: 0.59 } },
    checkpoints: { best: { complete: true, epoch: 4 }, final: { complete: true, epoch: 5 } },
    live: false,
    ...changes,
  };
}

/** A Storage in memory (sessionStorage in tests). */
export function memoryStorage(): Storage {
  const map = new Map<string, string>();
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, String(v)),
    removeItem: (k) => void map.delete(k),
    clear: () => map.clear(),
    key: (i) => [...map.keys()][i] ?? null,
    get length() {
      return map.size;
    },
  };
}
