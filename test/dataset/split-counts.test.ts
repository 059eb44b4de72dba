import { describe, expect, it } from 'vitest';
import type { Split } from '../../main/dataset/split';
import { splitCounts } from '../../main/dataset/splitCounts';
import type { Clip } from '../../main/dataset/types';

function clip(id: string, label: string): Clip {
  return { id, path: `/d/${id}`, relPath: id, label: label as Clip['label'], speaker: id.slice(0, 2), sizeBytes: 1, mtimeMs: 0 } as Clip;
}

describe('splitCounts', () => {
  const clips = [
    clip('03a', 'anger'),
    clip('03b', 'disgust'),
    clip('08a', 'anger'),
    clip('08b', 'anger'),
    clip('09a', 'disgust'),
    clip('10a', 'anger'),
  ];
  const split: Split = {
    kind: 'speaker',
    leaksSpeakers: false,
    seed: 1,
    train: ['08a', '08b', '10a'],
    val: ['09a'],
    test: ['03a', '03b'],
    speakers: { train: ['08', '10'], val: ['09'], test: ['03'] },
    description: 'speaker split',
  };

  it('counts the clips of each class in each part, in the given label order', () => {
    const counts = splitCounts(split, clips, ['anger', 'disgust']);
    expect(counts.labels).toEqual(['anger', 'disgust']);
    expect(counts.parts).toEqual([
      { part: 'train', total: 3, counts: [3, 0], speakers: ['08', '10'] },
      { part: 'val', total: 1, counts: [0, 1], speakers: ['09'] },
      { part: 'test', total: 2, counts: [1, 1], speakers: ['03'] },
    ]);
  });

  it('warns about the classes with fewer than 5 clips in every part, naming each with its count', () => {
    const counts = splitCounts(split, clips, ['anger', 'disgust', 'fear']);
    expect(counts.warnings).toEqual([
      'The training part has fewer than 5 clips of anger (3), disgust (0), fear (0): the model sees too few examples of those classes to learn them.',
      'The validation part has fewer than 5 clips of anger (0), disgust (1), fear (0): the validation metrics that pick the best checkpoint and steer the schedule rest on too few clips of those classes.',
      'The test part has fewer than 5 clips of anger (1), disgust (1), fear (0): recall and F1 of those classes rest on too few clips to mean much.',
    ]);
    const many = (prefix: string, label: string) => Array.from({ length: 5 }, (_, i) => clip(`${prefix}${i}`, label));
    const [train, val, test] = [many('08', 'anger'), many('09', 'anger'), many('03', 'anger')];
    const ids = (list: Clip[]) => list.map((c) => c.id);
    const full: Split = { ...split, train: ids(train), val: ids(val), test: ids(test) };
    expect(splitCounts(full, [...train, ...val, ...test], ['anger']).warnings).toEqual([]);
    // One thin class in validation only (EmoDB's one fear clip of speaker 09) is named, in the singular.
    const oneFear = clip('09f', 'fear');
    const withFear = [...train, ...many('08f', 'fear'), ...val, oneFear, ...test, ...many('03f', 'fear')];
    const thinVal: Split = {
      ...full,
      train: [...full.train, ...ids(many('08f', 'fear'))],
      val: [...full.val, '09f'],
      test: [...full.test, ...ids(many('03f', 'fear'))],
    };
    expect(splitCounts(thinVal, withFear, ['anger', 'fear']).warnings).toEqual([
      'The validation part has fewer than 5 clips of fear (1): the validation metrics that pick the best checkpoint and steer the schedule rest on too few clips of that class.',
    ]);
    // No validation part: nothing to warn about there.
    expect(splitCounts({ ...full, val: [] }, [...train, ...test], ['anger']).warnings).toEqual([]);
  });
});
