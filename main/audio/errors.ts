import { basename } from 'node:path';

export type AudioErrorCode =
  | 'empty'
  | 'truncated'
  | 'not-audio'
  | 'unsupported-encoding'
  | 'unreadable'
  | 'too-long'
  | 'corrupt';

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
