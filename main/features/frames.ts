/**
 * Input length. A feature config with frames 0 ("auto") gets enough frames for the longest clip of
 * the dataset it is used with, so the model hears whole utterances: at least AUTO_FRAMES_MIN (so
 * short corpora keep the length, and the cache, they had) and at most AUTO_FRAMES_MAX (one very long
 * file must not make every batch that long; longer clips are cut, and the note says how many).
 */
import { probeAudioFile } from '../audio';
import { probeClips, type Clip, type ProbeAudio } from '../dataset';
import { representationInputKind } from '../schema/names';
import type { FeatureConfig } from './config';

/** Samples between an encoder's frames at 16 kHz (wav2vec 2.0, HuBERT, WavLM): what auto frames count in. */
const ENCODER_HOP = 320;

/** One vector per clip: functionals, or an encoder pooled to mean and std. */
function isOneVector(cfg: FeatureConfig): boolean {
  return representationInputKind(cfg.representation, cfg.encoderPooling) === 'vector';
}

/** The framing auto lengths are counted in: the STFT's, or the encoder's. */
function framing(cfg: FeatureConfig): Pick<FeatureConfig, 'sampleRate' | 'hopLength'> {
  return cfg.representation === 'encoder' ? { sampleRate: cfg.sampleRate, hopLength: ENCODER_HOP } : cfg;
}

export const AUTO_FRAMES_MIN = 100;
export const AUTO_FRAMES_MAX = 500;

/** Frames librosa gives a clip of this length (centred frames: 1 + samples / hop). */
export function naturalFrames(durationS: number, cfg: Pick<FeatureConfig, 'sampleRate' | 'hopLength'>): number {
  return 1 + Math.floor(Math.round(durationS * cfg.sampleRate) / cfg.hopLength);
}

export function framesToSeconds(frames: number, cfg: Pick<FeatureConfig, 'sampleRate' | 'hopLength'>): number {
  return (frames * cfg.hopLength) / cfg.sampleRate;
}

/**
 * The audio a matrix input of `cfg.frames` frames hears: the length whose natural frame count
 * (1 + samples / hop, the STFT's or the encoder's) is its frames. null for one vector per clip,
 * which has no input length.
 */
export function inputSeconds(cfg: FeatureConfig): number | null {
  if (isOneVector(cfg)) return null;
  return framesToSeconds(cfg.frames - 1, framing(cfg));
}

export interface FramesChoice {
  /** The config with frames > 0. */
  config: FeatureConfig;
  /** How auto frames were chosen; null when the config had a length already. */
  note: string | null;
}

/** The length `frames: 0` becomes for clips of these durations (unreadable clips left out). */
export function autoFrames(durationsS: readonly number[], cfg: FeatureConfig): FramesChoice {
  if (isOneVector(cfg)) return { config: { ...cfg, frames: 1 }, note: null };
  const longest = durationsS.length > 0 ? Math.max(...durationsS) : 0;
  const needed = durationsS.length > 0 ? naturalFrames(longest, framing(cfg)) : 0;
  const frames = Math.min(AUTO_FRAMES_MAX, Math.max(AUTO_FRAMES_MIN, needed));
  const config = { ...cfg, frames };
  const seconds = framesToSeconds(frames, framing(cfg)).toFixed(2);
  if (durationsS.length === 0) return { config, note: `frames auto: ${frames} (${seconds} s; no clip could be measured)` };
  const longestText = `the longest clip is ${longest.toFixed(2)} s, ${needed} frames`;
  if (needed <= AUTO_FRAMES_MIN) return { config, note: `frames auto: ${frames} (${seconds} s, the minimum; ${longestText})` };
  if (needed <= AUTO_FRAMES_MAX) return { config, note: `frames auto: ${frames} (${seconds} s: ${longestText})` };
  const cut = durationsS.filter((d) => naturalFrames(d, framing(cfg)) > frames).length;
  return { config, note: `frames auto: ${frames} (${seconds} s, the maximum: ${longestText}; ${cut} clip(s) are cut)` };
}

/** `config` with auto frames (0) replaced by the length the clips need; unchanged otherwise. */
export async function resolveFrames(
  config: FeatureConfig,
  clips: readonly Clip[],
  probe: ProbeAudio = probeAudioFile,
): Promise<FramesChoice> {
  if (config.frames > 0) return { config, note: null };
  // A vector per clip is one frame, whatever the clips' lengths.
  if (isOneVector(config)) return { config: { ...config, frames: 1 }, note: null };
  const probed = await probeClips(clips, probe);
  const durations = probed.flatMap((facts) => ('error' in facts ? [] : [facts.durationS]));
  return autoFrames(durations, config);
}
