/**
 * Runtime checks for request arguments: everything that crosses a door is untrusted until it has
 * passed these. Each failure names the request and the field.
 */
import type { ApiErrorPayload } from './contract';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorPayload['code'],
    message: string,
  ) {
    super(message);
  }
}

export type Args = Record<string, unknown>;

export function expectObject(args: unknown, request: string): Args {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new ApiError('invalid-arguments', `${request}: arguments must be an object`);
  }
  return args as Args;
}

export function expectString(args: Args, field: string, request: string): string {
  const value = args[field];
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ApiError('invalid-arguments', `${request}: '${field}' must be a non-empty string`);
  }
  if (value.length > 4096) throw new ApiError('invalid-arguments', `${request}: '${field}' is too long`);
  return value;
}

export function optionalString(args: Args, field: string, request: string): string | undefined {
  return args[field] === undefined ? undefined : expectString(args, field, request);
}

export function optionalBoolean(args: Args, field: string, request: string): boolean | undefined {
  const value = args[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ApiError('invalid-arguments', `${request}: '${field}' must be true or false`);
  return value;
}

export function expectOneOf<T extends string>(args: Args, field: string, allowed: readonly T[], request: string): T {
  const value = args[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ApiError('invalid-arguments', `${request}: '${field}' must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value as T;
}

export function optionalOneOf<T extends string>(args: Args, field: string, allowed: readonly T[], request: string): T | undefined {
  return args[field] === undefined ? undefined : expectOneOf(args, field, allowed, request);
}

export function expectArray(args: Args, field: string, request: string, maxLength: number): unknown[] {
  const value = args[field];
  if (!Array.isArray(value)) throw new ApiError('invalid-arguments', `${request}: '${field}' must be a list`);
  if (value.length > maxLength) throw new ApiError('invalid-arguments', `${request}: '${field}' has more than ${maxLength} entries`);
  return value;
}

/** A run id as the store writes them: no separators, no dots at the start. */
export function expectRunId(args: Args, field: string, request: string): string {
  const value = expectString(args, field, request);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) || value.includes('..')) {
    throw new ApiError('invalid-arguments', `${request}: '${field}' is not a run id: ${JSON.stringify(value)}`);
  }
  return value;
}
