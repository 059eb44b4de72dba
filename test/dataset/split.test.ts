import { describe, expect, it } from 'vitest';
import {
  emodbScheme,
  groupKFold,
  randomStratifiedSplit,
  speakerSplit,
  validateSplit,
  type Emotion,
  type ParsedName,
  type Split,
} from '../../main/dataset';
import { createRng } from '../../main/util/random';
import { emodbNames, randomCorpus, type FakeClip } from './helpers';

const EMODB_SPEAKERS = ['03', '08', '09', '10', '11', '12', '13', '14', '15', '16'];

/** EmoDB-named clips with uneven counts per speaker and class, labelled by the real scheme. */
function emodbClips(): FakeClip[] {
  const rng = createRng(99);
  const clips: FakeClip[] = [];
  for (const speaker of EMODB_SPEAKERS) {
    for (const letter of 'WLEAFTN') {
      for (const name of emodbNames([speaker], letter, 2 + rng.int(8))) {
        const parsed = emodbScheme.parse(name) as ParsedName;
        clips.push({ id: name, label: parsed.label, speaker: parsed.speaker });
      }
    }
  }
  return clips;
}

function classShares(clips: FakeClip[], labels: Emotion[]): number[] {
  return labels.map((label) => clips.filter((c) => c.label === label).length / clips.length);
}

function distance(a: number[], b: number[]): number {
  return a.reduce((sum, x, i) => sum + Math.abs(x - b[i]!), 0) / 2;
}

function partClips(split: Split, part: 'train' | 'val' | 'test', clips: FakeClip[]): FakeClip[] {
  const ids = new Set(split[part]);
  return clips.filter((c) => ids.has(c.id));
}

function expectSpeakerDisjoint(split: Split, clips: FakeClip[]): void {
  validateSplit(split, clips);
  expect(split.leaksSpeakers).toBe(false);
  const partOf = new Map<string, string>();
  for (const part of ['train', 'val', 'test'] as const) {
    for (const clip of partClips(split, part, clips)) {
      expect(partOf.get(clip.speaker) ?? part).toBe(part);
      partOf.set(clip.speaker, part);
    }
  }
  expect(split.train.length + split.val.length + split.test.length).toBe(clips.length);
}

describe('speakerSplit', () => {
  it('never puts a speaker in two parts (many seeds, random corpora)', () => {
    const rng = createRng(2024);
    for (let trial = 0; trial < 40; trial++) {
      const speakers = 3 + rng.int(28);
      const clips = randomCorpus(rng.next, speakers);
      const valRatio = trial % 4 === 0 ? 0 : 0.05 + rng.next() * 0.2;
      const split = speakerSplit(clips, { seed: trial, testRatio: 0.1 + rng.next() * 0.3, valRatio });
      expectSpeakerDisjoint(split, clips);
      expect(split.kind).toBe('speaker');
      expect(split.train.length).toBeGreaterThan(0);
      expect(split.test.length).toBeGreaterThan(0);
      if (valRatio === 0) expect(split.val).toEqual([]);
      else expect(split.val.length).toBeGreaterThan(0);
    }
  });

  it('puts exactly the listed test speakers in test and draws validation from the rest', () => {
    const clips = emodbClips();
    const split = speakerSplit(clips, { testSpeakers: ['03', '08'], seed: 1 });
    expectSpeakerDisjoint(split, clips);
    expect(split.speakers.test).toEqual(['03', '08']);
    expect(split.test).toEqual(
      clips
        .filter((c) => c.speaker === '03' || c.speaker === '08')
        .map((c) => c.id)
        .sort(),
    );
    expect(split.speakers.val.length).toBeGreaterThan(0);
    expect(split.speakers.val).not.toContain('03');
    expect(split.description).toMatch(/test speakers given/);

    const both = speakerSplit(clips, { testSpeakers: ['03', '08'], valSpeakers: ['16'], seed: 1 });
    expect(both.speakers).toEqual({ train: ['09', '10', '11', '12', '13', '14', '15'], val: ['16'], test: ['03', '08'] });
    const noVal = speakerSplit(clips, { testSpeakers: ['03'], valSpeakers: [], seed: 1 });
    expect(noVal.val).toEqual([]);
    const valOnly = speakerSplit(clips, { valSpeakers: ['10'], seed: 1 });
    expect(valOnly.speakers.val).toEqual(['10']);
    expect(valOnly.speakers.test).not.toContain('10');
  });

  it('is reproducible for a seed and varies across seeds', () => {
    const clips = emodbClips();
    expect(speakerSplit(clips, { seed: 7 })).toEqual(speakerSplit(clips, { seed: 7 }));
    // Stratification narrows the choice on a 10-speaker corpus, but seeds still differ.
    const testSets = new Set<string>();
    for (let seed = 0; seed < 12; seed++) testSets.add(speakerSplit(clips, { seed }).speakers.test.join(','));
    expect(testSets.size).toBeGreaterThan(1);
    const larger = randomCorpus(createRng(3).next, 30);
    const largerSets = new Set<string>();
    for (let seed = 0; seed < 12; seed++) largerSets.add(speakerSplit(larger, { seed }).test.join(','));
    expect(largerSets.size).toBeGreaterThan(5);
  });

  it('keeps sizes near the ratios and class mixes near the whole corpus', () => {
    const labels: Emotion[] = ['anger', 'happiness', 'neutral', 'sadness'];
    const rng = createRng(5);
    for (let trial = 0; trial < 5; trial++) {
      const clips = randomCorpus(rng.next, 40, labels);
      const overall = classShares(clips, labels);
      const split = speakerSplit(clips, { seed: trial, testRatio: 0.2, valRatio: 0.1 });
      const test = partClips(split, 'test', clips);
      expect(Math.abs(test.length / clips.length - 0.2)).toBeLessThan(0.03);
      expect(Math.abs(split.val.length / clips.length - 0.1)).toBeLessThan(0.03);
      const chosenDistance = distance(classShares(test, labels), overall);

      // Baseline: test sets of random speakers of about the same size.
      const baseline: number[] = [];
      for (let r = 0; r < 50; r++) {
        const order = rng.shuffle([...new Set(clips.map((c) => c.speaker))]);
        const picked: FakeClip[] = [];
        for (const speaker of order) {
          if (picked.length >= test.length) break;
          picked.push(...clips.filter((c) => c.speaker === speaker));
        }
        baseline.push(distance(classShares(picked, labels), overall));
      }
      baseline.sort((a, b) => a - b);
      expect(chosenDistance).toBeLessThan(0.06);
      expect(chosenDistance).toBeLessThan(baseline[25]!); // better than the median random pick
    }
  });

  it('refuses with a specific reason', () => {
    const clips = emodbClips();
    expect(() => speakerSplit(clips, { testSpeakers: ['03', '99'], seed: 1 })).toThrow(
      /unknown test speakers: 99 \(known speakers: 03, 08, 09, 10, 11, 12, 13, 14, 15, 16\)/,
    );
    expect(() => speakerSplit(clips, { testSpeakers: ['03'], valSpeakers: ['03'], seed: 1 })).toThrow(
      /both the test and validation lists: 03/,
    );
    expect(() => speakerSplit(clips, { testSpeakers: [], seed: 1 })).toThrow(/test speaker list is empty/);
    expect(() => speakerSplit(clips, { testSpeakers: EMODB_SPEAKERS.slice(1), seed: 1 })).toThrow(/only 1 speaker is left/);
    expect(() => speakerSplit(clips, { seed: 1, testRatio: 0 })).toThrow(/testRatio must be between 0 and 1/);
    expect(() => speakerSplit(clips, { seed: 1, testRatio: 0.6, valRatio: 0.4 })).toThrow(/must leave clips for training/);

    const unknown = clips.map((c, i) => (i < 5 ? { ...c, speaker: '' } : c));
    expect(() => speakerSplit(unknown, { seed: 1 })).toThrow(/5 of \d+ clips have no speaker id/);
    const two = clips.filter((c) => c.speaker === '03' || c.speaker === '08');
    expect(() => speakerSplit(two, { seed: 1 })).toThrow(/only 2 speakers.*at least 3 are required \(2 with valRatio 0\)/);
    const twoNoVal = speakerSplit(two, { seed: 1, valRatio: 0 });
    expect(twoNoVal.speakers.test).toHaveLength(1);
    const oneClass = clips.filter((c) => c.label === 'anger');
    expect(() => speakerSplit(oneClass, { seed: 1 })).toThrow(/every clip has the same label \(anger\)/);
    expect(() => speakerSplit([], { seed: 1 })).toThrow(/no clips/);
  });
});

describe('groupKFold', () => {
  it('puts every speaker in exactly one test fold, with validation from training speakers', () => {
    const clips = emodbClips();
    const folds = groupKFold(clips, 5, { seed: 3 });
    expect(folds).toHaveLength(5);
    const testSpeakers = folds.flatMap((f) => f.speakers.test).sort();
    expect(testSpeakers).toEqual(EMODB_SPEAKERS);
    expect(folds.flatMap((f) => f.test).sort()).toEqual(clips.map((c) => c.id).sort());
    folds.forEach((fold, index) => {
      expectSpeakerDisjoint(fold, clips);
      expect(fold.kind).toBe('kfold');
      expect(fold.fold).toEqual({ index, count: 5 });
      expect(fold.speakers.val.length).toBeGreaterThan(0);
      expect(Math.abs(fold.test.length / clips.length - 0.2)).toBeLessThan(0.08);
    });
    expect(groupKFold(clips, 5, { seed: 3 })).toEqual(folds);
  });

  it('covers each speaker once on random corpora, with and without validation', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 20; trial++) {
      const clips = randomCorpus(rng.next, 6 + rng.int(20));
      const k = 2 + rng.int(4);
      const folds = groupKFold(clips, k, { seed: trial, valRatio: trial % 2 === 0 ? 0 : 0.1 });
      const speakers = [...new Set(clips.map((c) => c.speaker))].sort();
      expect(folds.flatMap((f) => f.speakers.test).sort()).toEqual(speakers);
      for (const fold of folds) expectSpeakerDisjoint(fold, clips);
    }
  });

  it('refuses impossible fold counts', () => {
    const clips = emodbClips();
    expect(() => groupKFold(clips, 11, { seed: 1 })).toThrow(/11 folds need at least 11 speakers; there are 10/);
    expect(() => groupKFold(clips, 1, { seed: 1 })).toThrow(/at least 2/);
    expect(() => groupKFold(clips, 10, { seed: 1, valRatio: 0 })).not.toThrow();
    const two = clips.filter((c) => ['03', '08'].includes(c.speaker));
    expect(() => groupKFold(two, 2, { seed: 1 })).toThrow(/at least 2 training speakers/);
    expect(groupKFold(two, 2, { seed: 1, valRatio: 0 })).toHaveLength(2);
  });
});

describe('randomStratifiedSplit', () => {
  it('is stratified by class and flagged as leaking speakers', () => {
    const clips = emodbClips();
    const split = randomStratifiedSplit(clips, { testRatio: 0.2, valRatio: 0.1, seed: 4 });
    validateSplit(split, clips);
    expect(split.kind).toBe('random');
    expect(split.leaksSpeakers).toBe(true);
    expect(split.description).toMatch(/LEAKS SPEAKERS/);
    for (const label of new Set(clips.map((c) => c.label))) {
      const n = clips.filter((c) => c.label === label).length;
      const inTest = partClips(split, 'test', clips).filter((c) => c.label === label).length;
      expect(inTest).toBe(Math.round(n * 0.2));
    }
    expect(split.train.length + split.val.length + split.test.length).toBe(clips.length);
    expect(randomStratifiedSplit(clips, { seed: 4 })).toEqual(randomStratifiedSplit(clips, { seed: 4 }));
    expect(randomStratifiedSplit(clips, { seed: 5 }).test).not.toEqual(randomStratifiedSplit(clips, { seed: 4 }).test);
  });

  it('does not flag leakage when every clip has its own or an unknown speaker', () => {
    const distinct = emodbClips().map((c, i) => ({ ...c, speaker: `s${i}` }));
    const split = randomStratifiedSplit(distinct, { seed: 1 });
    expect(split.leaksSpeakers).toBe(false);
    const unknown = emodbClips().map((c) => ({ ...c, speaker: '' }));
    const unknownSplit = randomStratifiedSplit(unknown, { seed: 1 });
    expect(unknownSplit.leaksSpeakers).toBe(false);
    expect(unknownSplit.description).toMatch(/speakers unknown/);
  });
});

describe('validateSplit', () => {
  it('rejects overlapping clips, unknown ids, wrong speaker lists and hidden leakage', () => {
    const clips = emodbClips();
    const split = speakerSplit(clips, { testSpeakers: ['03'], seed: 1 });
    const moved = { ...split, test: [...split.test, split.train[0]!] };
    expect(() => validateSplit(moved, clips)).toThrow(/is in both train and test/);
    expect(() => validateSplit({ ...split, val: [...split.val, 'nope.wav'] }, clips)).toThrow(/unknown clip id 'nope.wav' in val/);
    expect(() => validateSplit({ ...split, speakers: { ...split.speakers, test: ['08'] } }, clips)).toThrow(
      /test speaker list does not match/,
    );
    const trainClip = clips.find((c) => c.id === split.train[0])!;
    const leaking = {
      ...split,
      train: split.train.slice(1),
      test: [...split.test, trainClip.id].sort(),
      speakers: { ...split.speakers, test: [...split.speakers.test, trainClip.speaker].sort() },
    };
    expect(() => validateSplit(leaking, clips)).toThrow(new RegExp(`speakers in more than one part: ${trainClip.speaker}`));
    expect(() => validateSplit({ ...leaking, kind: 'random', leaksSpeakers: true }, clips)).not.toThrow();
  });
});
