/**
 * The error a request fails with (its code goes back through every door), and the check of bytes
 * sent as base64. Request arguments are checked by their tables (args.ts).
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
