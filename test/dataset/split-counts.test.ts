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

  it('warns about the classes with fewer than 5 test clips, naming each with its count', () => {
    const counts = splitCounts(split, clips, ['anger', 'disgust', 'fear']);
    expect(counts.warnings).toEqual([
      'The test part has fewer than 5 clips of anger (1), disgust (1), fear (0): recall and F1 of those classes rest on too few clips to mean much.',
    ]);
    expect(splitCounts(split, clips, ['anger']).warnings).toEqual([
      'The test part has fewer than 5 clips of anger (1): recall and F1 of that class rest on too few clips to mean much.',
    ]);
    const many = Array.from({ length: 5 }, (_, i) => clip(`03${i}`, 'anger'));
    expect(splitCounts({ ...split, test: many.map((c) => c.id) }, many, ['anger']).warnings).toEqual([]);
  });
});
