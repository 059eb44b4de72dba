/**
 * Runtime checks for request arguments: everything that crosses a door is untrusted until it has
 * passed these. Each failure names the request and the field.
 */
import type { ApiErrorPayload } from './contract';
import { isRunId } from '../schema/runLimits';

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

/**
 * Bytes sent as base64 (uploads, images), bounded by their own limit rather than the 4 096
 * characters of an ordinary string; `what` names the field in the message.
 */
export function base64Bytes(value: unknown, what: string, maxBytes: number): Buffer {
  if (typeof value !== 'string' || value.length === 0) throw new ApiError('invalid-arguments', `${what} must be a non-empty base64 string`);
  if (value.length > Math.ceil(maxBytes / 3) * 4) {
    throw new ApiError('invalid-arguments', `${what} is larger than ${formatMegabytes(maxBytes)}`);
  }
  if (value.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    throw new ApiError('invalid-arguments', `${what} is not valid base64`);
  return Buffer.from(value, 'base64');
}

function formatMegabytes(bytes: number): string {
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MB`;
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

/** A run, study or member id (see isRunId). */
export function expectRunId(args: Args, field: string, request: string): string {
  const value = expectString(args, field, request);
  if (!isRunId(value)) {
    throw new ApiError('invalid-arguments', `${request}: '${field}' is not a run id: ${JSON.stringify(value)}`);
  }
  return value;
}
