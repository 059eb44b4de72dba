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

/** The sample rate in a WAV header (bytes 24–27 of the 'fmt ' chunk the engine writes first), or null. */
export function wavSampleRate(bytes: Uint8Array): number | null {
  if (bytes.length < 28) return null;
  const text = (from: number) => String.fromCharCode(...bytes.subarray(from, from + 4));
  if (text(0) !== 'RIFF' || text(8) !== 'WAVE' || text(12) !== 'fmt ') return null;
  const rate = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(24, true);
  return rate > 0 ? rate : null;
}
