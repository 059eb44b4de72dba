export type AudioFormat = 'wav' | 'flac' | 'ogg' | 'mp3';

export interface DecodedAudio {
  sampleRate: number;
  /** One array per channel, samples in [-1, 1). */
  channels: Float32Array[];
  format: AudioFormat;
  /** How the samples were stored, e.g. 'pcm16', 'float32', 'vorbis'. */
  encoding: string;
}

export interface AudioProbe {
  format: AudioFormat;
  sampleRate: number;
  channels: number;
  frames: number;
  durationS: number;
  encoding: string;
}
