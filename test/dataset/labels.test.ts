import { describe, expect, it } from 'vitest';
import { EMOTIONS, normalizeEmotionLabel, sortEmotions } from '../../main/dataset';

describe('normalizeEmotionLabel', () => {
  it('maps every canonical name to itself', () => {
    for (const emotion of EMOTIONS) expect(normalizeEmotionLabel(emotion)).toBe(emotion);
  });

  it.each([
    ['Angry', 'anger'],
    ['ANG', 'anger'],
    ['happy', 'happiness'],
    ['hap', 'happiness'],
    ['Joy', 'happiness'],
    ['sad', 'sadness'],
    ['neu', 'neutral'],
    ['fearful', 'fear'],
    ['afraid', 'fear'],
    ['FEA', 'fear'],
    ['disgusted', 'disgust'],
    ['dis', 'disgust'],
    ['surprised', 'surprise'],
    ['ps', 'surprise'],
    ['pleasant_surprise', 'surprise'],
    ['Pleasant Surprised', 'surprise'],
    ['pleasant-surprise', 'surprise'],
    ['bored', 'boredom'],
    ['calm', 'calm'],
    ['  Neutral ', 'neutral'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeEmotionLabel(raw)).toBe(expected);
  });

  it.each(['', 'x', 'angriness', 'hello', 'constructor', 'toString', 'spk01'])('rejects %j', (raw) => {
    expect(normalizeEmotionLabel(raw)).toBeNull();
  });

  it('sorts labels into canonical order without duplicates', () => {
    expect(sortEmotions(['boredom', 'anger', 'calm', 'anger'])).toEqual(['anger', 'calm', 'boredom']);
  });
});
