/**
 * Versioned JSON files: every format the engine stores carries `formatVersion` (an integer). One
 * reader per format parses, migrates older versions step by step to the current one, and
 * validates the shape; one writer stamps the current version and writes atomically. Files written
 * before versions existed (release 0.1.0) have no `formatVersion` and are read as version 1.
 */
import { promises as fsp } from 'node:fs';
import { writeJsonAtomic } from './fs';

export const FORMAT_VERSION_KEY = 'formatVersion';

export type JsonObject = Record<string, unknown>;

export interface VersionedFormat<T> {
  /** What the file is, for messages: "run.json", "evaluation file". */
  name: string;
  current: number;
  /** migrate[v] turns a version-v object into a version-(v+1) one; one entry per version below current. */
  migrate: Record<number, (value: JsonObject) => JsonObject>;
  /** Checks a current-version object and returns it typed; throws an Error naming the first bad field. */
  validate: (value: JsonObject) => T;
}

/** Why a stored file cannot be used: bad JSON, a wrong shape or a version this code does not know. */
export class FormatError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'FormatError';
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Migrates and validates an already parsed value; `path` names the file in errors. */
export function decodeVersioned<T>(value: unknown, format: VersionedFormat<T>, path: string): T & { formatVersion: number } {
  if (!isObject(value)) throw new FormatError(path, `${format.name} is not a JSON object`);
  const stored = value[FORMAT_VERSION_KEY] ?? 1;
  if (!Number.isInteger(stored) || (stored as number) < 1) {
    throw new FormatError(path, `${format.name} has an invalid ${FORMAT_VERSION_KEY} ${JSON.stringify(stored)}`);
  }
  let version = stored as number;
  if (version > format.current) {
    throw new FormatError(
      path,
      `${format.name} has ${FORMAT_VERSION_KEY} ${version}, newer than this release reads (${format.current}); update the workbench`,
    );
  }
  let current: JsonObject = value;
  for (; version < format.current; version++) {
    const step = format.migrate[version];
    if (!step) throw new Error(`${format.name}: no migration from format version ${version}`);
    current = step(current);
  }
  let typed: T;
  try {
    typed = format.validate(current);
  } catch (err) {
    throw new FormatError(path, `${format.name} is invalid: ${(err as Error).message}`);
  }
  return { ...typed, [FORMAT_VERSION_KEY]: format.current };
}

/** Parses JSON text and decodes it. */
export function parseVersioned<T>(text: string, format: VersionedFormat<T>, path: string): T & { formatVersion: number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FormatError(path, `${format.name} is not valid JSON (${(err as Error).message})`);
  }
  return decodeVersioned(value, format, path);
}

/** Reads a versioned file; a missing file gives null, a bad one a FormatError. */
export async function readVersionedJson<T>(path: string, format: VersionedFormat<T>): Promise<(T & { formatVersion: number }) | null> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parseVersioned(text, format, path);
}

/** Stamps the current version, checks the value as a reader would, and writes it atomically. */
export async function writeVersionedJson<T extends object>(
  path: string,
  format: VersionedFormat<T>,
  value: T,
): Promise<T & { formatVersion: number }> {
  const stamped = { ...value, [FORMAT_VERSION_KEY]: format.current } as T & { formatVersion: number };
  decodeVersioned(stamped, format, path);
  await writeJsonAtomic(path, stamped);
  return stamped;
}

/** Small checks for validate functions; each throws naming the field. */
export const check = {
  object(value: unknown, field: string): JsonObject {
    if (!isObject(value)) throw new Error(`${field} must be an object, got ${describe(value)}`);
    return value;
  },
  string(value: unknown, field: string): string {
    if (typeof value !== 'string') throw new Error(`${field} must be a string, got ${describe(value)}`);
    return value;
  },
  finite(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${field} must be a finite number, got ${describe(value)}`);
    return value;
  },
  integer(value: unknown, field: string, min = 0): number {
    if (!Number.isInteger(value) || (value as number) < min)
      throw new Error(`${field} must be an integer ≥ ${min}, got ${describe(value)}`);
    return value as number;
  },
  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') throw new Error(`${field} must be true or false, got ${describe(value)}`);
    return value;
  },
  strings(value: unknown, field: string): string[] {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
      throw new Error(`${field} must be a list of strings, got ${describe(value)}`);
    return value as string[];
  },
  oneOf<V extends string>(value: unknown, field: string, choices: readonly V[]): V {
    if (!choices.includes(value as V)) throw new Error(`${field} must be one of ${choices.join(', ')}, got ${describe(value)}`);
    return value as V;
  },
};

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
