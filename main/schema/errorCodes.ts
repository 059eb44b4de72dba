/** The stable codes an engine error carries across the boundary in front of its message. */

/**
 * Codes of the handler table's errors (ApiErrorPayload). `encoder-needed`: a checkpoint's encoder
 * folder is missing or holds another model; the request may name the folder where it is now.
 */
export const API_ERROR_CODES = [
  'invalid-arguments',
  'unknown-request',
  'not-found',
  'forbidden',
  'unsupported',
  'busy',
  'encoder-needed',
  'failed',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** Codes of a file that cannot be decoded (AudioError): `03a01Wa.wav: truncated: …`. */
export const AUDIO_ERROR_CODES = ['empty', 'truncated', 'not-audio', 'unsupported-encoding', 'unreadable', 'too-long', 'corrupt'] as const;
export type AudioErrorCode = (typeof AUDIO_ERROR_CODES)[number];
