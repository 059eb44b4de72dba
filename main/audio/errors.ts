import { basename } from 'node:path';
import type { AudioErrorCode } from '../schema/errorCodes';

export type { AudioErrorCode };

/**
 * A file that cannot be turned into samples. The message names the file and the problem,
 * e.g. `03a01Wa.wav: truncated: data chunk declares 88200 bytes but only 1000 follow`.
 */
export class AudioError extends Error {
  readonly code: AudioErrorCode;
  readonly file: string;
  /** The problem alone, without the file name and code (rebuilds the error across threads). */
  readonly detail: string;

  constructor(code: AudioErrorCode, file: string, detail: string, options?: { cause?: unknown }) {
    super(`${basename(file)}: ${code}: ${detail}`, options);
    this.name = 'AudioError';
    this.code = code;
    this.file = file;
    this.detail = detail;
  }
}

/** An error as it crosses a thread boundary (structured clone keeps no class); AudioErrors keep their parts. */
export interface SerializedError {
  message: string;
  audio?: { code: AudioErrorCode; file: string; detail: string };
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof AudioError) return { message: err.message, audio: { code: err.code, file: err.file, detail: err.detail } };
  return { message: err instanceof Error ? err.message : String(err) };
}

export function deserializeError(error: SerializedError): Error {
  return error.audio ? new AudioError(error.audio.code, error.audio.file, error.audio.detail) : new Error(error.message);
}
