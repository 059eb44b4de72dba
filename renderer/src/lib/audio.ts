/** Audio payloads from the engine (base64 WAV) as things the browser can play. */

/** base64 → bytes (atob exists in browsers and in Node ≥ 16). */
export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A WAV file given as base64 → a Blob the media element and WebAudio can read. */
export function wavBlobFromBase64(base64: string): Blob {
  return new Blob([base64ToBytes(base64)], { type: 'audio/wav' });
}

/** An object URL for a base64 WAV; the caller must URL.revokeObjectURL it when done. */
export function wavObjectUrl(base64: string): string {
  return URL.createObjectURL(wavBlobFromBase64(base64));
}
