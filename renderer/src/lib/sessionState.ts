/**
 * What the app keeps across a reload of the page (serve mode in a browser): small JSON values in
 * this tab's sessionStorage, read back defensively — stored data from an older version, or edited
 * by hand, must never break the start of the app.
 */

const PREFIX = 'ser-state:';

/** The Train view's form. */
export const TRAIN_FORM_KEY = 'train-form';

function defaultStorage(): Storage | null {
  try {
    return (globalThis as { sessionStorage?: Storage }).sessionStorage ?? null;
  } catch {
    return null; // storage disabled by the browser
  }
}

/** Stores a value (null removes it); a full or disabled storage only means it is not kept. */
export function remember(key: string, value: unknown, storage: Storage | null = defaultStorage()): void {
  if (!storage) return;
  try {
    if (value === null || value === undefined) storage.removeItem(PREFIX + key);
    else storage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Quota exceeded or storage disabled: nothing to keep, nothing lost.
  }
}

/** The stored value, or undefined when there is none or it is not valid JSON. */
export function recall(key: string, storage: Storage | null = defaultStorage()): unknown {
  if (!storage) return undefined;
  try {
    const text = storage.getItem(PREFIX + key);
    return text === null ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

/**
 * `defaults` with every field that `saved` has with the same type (strings, numbers, booleans):
 * fields the app no longer knows, or of another type, are ignored; new fields keep their default.
 */
export function mergeSaved<T extends object>(defaults: T, saved: unknown): T {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return defaults;
  const result = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(defaults)) {
    const stored = (saved as Record<string, unknown>)[key];
    if (stored !== undefined && typeof stored === typeof value && (typeof value !== 'object' || value === null)) result[key] = stored;
  }
  return result as T;
}
