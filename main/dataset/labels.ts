/** The canonical emotion vocabulary. Every scheme maps its own codes onto these names. */
export const EMOTIONS = ['anger', 'disgust', 'fear', 'happiness', 'neutral', 'sadness', 'calm', 'surprise', 'boredom'] as const;

export type Emotion = (typeof EMOTIONS)[number];

const SYNONYMS: Record<string, Emotion> = {
  anger: 'anger',
  angry: 'anger',
  ang: 'anger',
  disgust: 'disgust',
  disgusted: 'disgust',
  dis: 'disgust',
  fear: 'fear',
  fearful: 'fear',
  afraid: 'fear',
  scared: 'fear',
  fea: 'fear',
  happiness: 'happiness',
  happy: 'happiness',
  hap: 'happiness',
  joy: 'happiness',
  neutral: 'neutral',
  neu: 'neutral',
  sadness: 'sadness',
  sad: 'sadness',
  calm: 'calm',
  surprise: 'surprise',
  surprised: 'surprise',
  sur: 'surprise',
  ps: 'surprise',
  pleasant_surprise: 'surprise',
  pleasant_surprised: 'surprise',
  pleasantly_surprised: 'surprise',
  boredom: 'boredom',
  bored: 'boredom',
  bor: 'boredom',
};

/**
 * Maps a folder name or CSV label onto the canonical vocabulary: case-insensitive, surrounding
 * space ignored, and spaces or hyphens treated as underscores ("Pleasant Surprise"). Returns null
 * for anything that is not a known emotion name, so callers can report it instead of guessing.
 */
export function normalizeEmotionLabel(raw: string): Emotion | null {
  const key = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return Object.hasOwn(SYNONYMS, key) ? SYNONYMS[key]! : null;
}

/** Sorts emotions into canonical order (the order of EMOTIONS). */
export function sortEmotions(labels: Iterable<Emotion>): Emotion[] {
  const present = new Set(labels);
  return EMOTIONS.filter((emotion) => present.has(emotion));
}
