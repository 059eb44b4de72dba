/**
 * Speaker ids read from file names with a corpus naming scheme, so that the files of one speaker
 * predicted together share per-speaker statistics. Labels in the names are not used.
 */
import { basename, dirname } from 'node:path';
import { createCremaDScheme, emodbScheme, ravdessScheme, saveeScheme, tessScheme, type LabelScheme } from '../../dataset';

const NAME_SCHEMES: readonly LabelScheme[] = [emodbScheme, createCremaDScheme(), ravdessScheme, tessScheme, saveeScheme];

/** The corpus schemes whose file names carry a speaker id. */
export const SPEAKER_NAME_SCHEMES = ['emodb', 'crema-d', 'ravdess', 'tess', 'savee'] as const;
export type SpeakerNameScheme = (typeof SPEAKER_NAME_SCHEMES)[number];

/**
 * Each file's speaker as `scheme` reads it from the file name (and its folder, for SAVEE's
 * `DC/a01.wav`), '' where it cannot; `auto` takes the first corpus scheme that reads the name.
 */
export function speakersFromNames(paths: readonly string[], scheme: SpeakerNameScheme | 'auto'): string[] {
  const schemes = scheme === 'auto' ? NAME_SCHEMES : NAME_SCHEMES.filter((s) => s.name === scheme);
  return paths.map((path) => {
    const relPath = `${basename(dirname(path))}/${basename(path)}`;
    for (const candidate of schemes) {
      const parsed = candidate.parse(relPath);
      if (parsed && !('error' in parsed) && parsed.speaker !== '') return parsed.speaker;
    }
    return '';
  });
}
