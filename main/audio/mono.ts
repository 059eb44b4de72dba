/** Mean of the channels, like librosa.to_mono (float32 running sum, then divide). */
export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 0) throw new RangeError('toMono needs at least one channel');
  if (channels.length === 1) return channels[0];
  const length = channels[0].length;
  const mono = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (const channel of channels) sum = Math.fround(sum + channel[i]);
    mono[i] = sum / channels.length;
  }
  return mono;
}
